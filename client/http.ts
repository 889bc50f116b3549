/** One API call: the auth hook, `fetch`, and the answer mapped to a value or a specific error. */
import type { AuthHook } from './auth.js';
import { ApiServerError, apiErrorFor, NetworkError } from './errors.js';

/** What every API call needs. */
export interface HttpDeps {
  baseUrl: string;
  fetch: typeof fetch;
  auth?: AuthHook;
  /** Epoch milliseconds, to turn an HTTP-date `Retry-After` into a delay. */
  now: () => number;
}

// Browsers set these themselves and refuse them from scripts; a SigV4 signer returns `host`.
const SET_BY_FETCH = new Set(['host', 'content-length']);

/** Sends a JSON request to the API; resolves with the parsed body of a 2xx, throws an `ApiError` otherwise. */
export async function callApi<T>(
  deps: HttpDeps,
  method: 'GET' | 'POST',
  path: string,
  body: unknown,
  signal: AbortSignal | undefined,
): Promise<T> {
  const url = `${deps.baseUrl.replace(/\/+$/, '')}${path}`;
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...(text === undefined ? {} : { 'content-type': 'application/json' }),
  };
  const added = await deps.auth?.({
    method,
    url,
    headers: { ...headers },
    ...(text === undefined ? {} : { body: text }),
  });
  for (const [name, value] of Object.entries(added ?? {})) {
    if (!SET_BY_FETCH.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
  }
  let response: Response;
  try {
    response = await deps.fetch(url, {
      method,
      headers,
      ...(text === undefined ? {} : { body: text }),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new NetworkError(`${method} ${path} could not reach the API`, { cause: error });
  }
  const answer = await response.text().catch(() => '');
  if (response.ok) {
    try {
      return JSON.parse(answer) as T;
    } catch (error) {
      throw Object.assign(
        new ApiServerError(
          response.status,
          'INVALID_RESPONSE',
          `${method} ${path} answered ${response.status} without JSON`,
        ),
        { cause: error },
      );
    }
  }
  const { code, message } = errorBody(answer);
  throw apiErrorFor(
    response.status,
    code,
    message ?? `${method} ${path} answered ${response.status}`,
    retryAfterMs(response.headers.get('retry-after'), deps.now()),
  );
}

/** The API's `{"error": {"code", "message"}}`, or API Gateway's own `{"message"}`. */
function errorBody(text: string): { code?: string; message?: string } {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown }; message?: unknown };
    const code = body.error?.code;
    const message = body.error?.message ?? body.message;
    return {
      ...(typeof code === 'string' ? { code } : {}),
      ...(typeof message === 'string' ? { message } : {}),
    };
  } catch {
    return {};
  }
}

/** `Retry-After` in milliseconds: delay-seconds or an HTTP date; `undefined` when absent or malformed. */
export function retryAfterMs(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
