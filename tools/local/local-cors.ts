/**
 * CORS on the local API, answered as API Gateway answers it for an HTTP API with `corsPreflight`
 * (the same methods, headers and max age: `infra/api-cors.ts`): a preflight is answered by the
 * gateway itself, before any route or authorizer; every other answer to an allowed origin carries
 * `access-control-allow-origin`. An origin not in the list gets no CORS headers, so the browser
 * blocks the call.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { API_CORS } from '../../infra/api-cors.js';

/** The origins a local API allows; empty: no CORS at all (a preflight then reaches the function). */
export type LocalCorsOrigins = readonly string[];

/** The CORS headers an answer to this request carries: none unless its `Origin` is allowed. */
export function corsResponseHeaders(
  headers: IncomingHttpHeaders,
  origins: LocalCorsOrigins,
): Record<string, string> {
  const origin = allowedOrigin(headers.origin, origins);
  if (!origin) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-expose-headers': API_CORS.exposeHeaders.join(','),
    ...(origin === '*' ? {} : { vary: 'origin' }),
  };
}

/**
 * Answers a CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) when CORS
 * is configured: 204, with the allowed methods, headers and max age when the origin is allowed,
 * without them when it is not. Returns whether it answered.
 */
export function answerPreflight(
  request: IncomingMessage,
  response: ServerResponse,
  origins: LocalCorsOrigins,
): boolean {
  const { headers } = request;
  const isPreflight =
    request.method === 'OPTIONS' &&
    headers.origin !== undefined &&
    headers['access-control-request-method'] !== undefined;
  if (!isPreflight || origins.length === 0) return false;
  const origin = allowedOrigin(headers.origin, origins);
  request.resume();
  response.writeHead(
    204,
    origin
      ? {
          'access-control-allow-origin': origin,
          'access-control-allow-methods': API_CORS.allowMethods.join(','),
          'access-control-allow-headers': API_CORS.allowHeaders.join(','),
          'access-control-max-age': String(API_CORS.maxAgeSeconds),
          ...(origin === '*' ? {} : { vary: 'origin' }),
        }
      : {},
  );
  response.end();
  return true;
}

function allowedOrigin(origin: string | undefined, origins: LocalCorsOrigins): string | undefined {
  if (origin === undefined) return undefined;
  if (origins.includes('*')) return '*';
  // Origins compare as ASCII-case-insensitive serializations.
  return origins.some((allowed) => allowed.toLowerCase() === origin.toLowerCase()) ? origin : undefined;
}
