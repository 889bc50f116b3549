/**
 * Classifying transport failures of a vendor call (undici and socket errors, the caller's abort by
 * timeout) as retryable outcomes: the one place that knows undici's error codes.
 */
import type { VendorRetryable } from './outcome.js';

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
]);

const CONNECTION_CODES = new Set([
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'HPE_INVALID_CONSTANT',
  'HPE_INVALID_STATUS',
  'HPE_INVALID_HEADER_TOKEN',
  'HPE_INVALID_CHUNK_SIZE',
  'HPE_INVALID_CONTENT_LENGTH',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Classifies an error thrown while calling the vendor (undici or socket errors) as a retryable
 * outcome: timeouts as `TIMEOUT`, resets, refusals and broken answers as `CONNECTION_FAILED`.
 * Returns `undefined` for anything else (a programming error the caller should rethrow). The
 * message names the error code only, never the error's own text.
 */
export function classifyTransportError(error: unknown): VendorRetryable | undefined {
  const code = errorCode(error);
  if (!code) return undefined;
  if (TIMEOUT_CODES.has(code) || code === 'TimeoutError') {
    return {
      kind: 'retryable',
      reason: 'TIMEOUT',
      message: `Apptenticate did not answer in time (${code}); retry later`,
    };
  }
  if (CONNECTION_CODES.has(code) || code.startsWith('HPE_')) {
    return {
      kind: 'retryable',
      reason: 'CONNECTION_FAILED',
      message: `the connection to Apptenticate failed (${code}); retry later`,
    };
  }
  return undefined;
}

/** The most specific code of an error or of its causes (undici wraps socket errors). */
function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const { code } = current as Error & { code?: unknown };
    if (typeof code === 'string' && (TIMEOUT_CODES.has(code) || CONNECTION_CODES.has(code))) return code;
    if (current.name === 'TimeoutError') return 'TimeoutError';
    current = current.cause;
  }
  const top = (error as { code?: unknown } | undefined)?.code;
  return typeof top === 'string' ? top : undefined;
}
