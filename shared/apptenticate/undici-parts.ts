/**
 * The two parts of undici the Apptenticate client uses (`Agent`, `request`), imported
 * from their own files instead of the package's entry. The entry loads all of undici (fetch,
 * WebSocket, EventSource, caches, mocks, proxies, interceptors): about 240 KiB of the checker's
 * bundle and a fifth of its cold start (bench/README.md).
 *
 * The price: these paths are undici's internal layout, which may change in any release. undici is
 * pinned exactly in package.json, every client test runs through this module, and a test checks
 * the bundle (test/infra/bundling.test.ts), so an upgrade that moves them fails loudly.
 * `request` here is the entry's `request` without its argument checks: the client always passes a
 * full URL and a dispatcher.
 */
import type { Dispatcher } from 'undici';
import apiRequest from 'undici/lib/api/api-request.js';
import AgentClass from 'undici/lib/dispatcher/agent.js';

export const Agent = AgentClass;
export type Agent = InstanceType<typeof AgentClass>;

/** Options of {@link request}: undici's, with the dispatcher to send on (required). */
export type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher: Dispatcher };

/** undici's `request(url, options)` on `options.dispatcher`. */
export function request(url: string, options: RequestOptions): Promise<Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = options;
  const target = new URL(url);
  return apiRequest.call(dispatcher, {
    ...rest,
    origin: target.origin,
    path: target.search ? `${target.pathname}${target.search}` : target.pathname,
  });
}
