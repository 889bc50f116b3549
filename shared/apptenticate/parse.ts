/**
 * Turning Apptenticate's answers (HTTP status + body text) and transport failures into typed
 * outcomes. This is the one place that knows the vendor's response shapes (undici's errors are
 * classified in `transport-errors.ts`).
 *
 * Tolerance rules, because the vendor documents little:
 * - the verdict is read from `data` (documented) or, failing that, from a top-level object that
 *   carries `valid` or `error_code`;
 * - a rejection (`valid: false` + `error_code`) is a verdict whether it comes with 2xx or 4xx;
 * - `error_code` may be a number or a numeric string; an unknown code keeps its number and maps to
 *   `UNKNOWN_CODE`;
 * - `id` may be a number or a string and is always reported as a string; a malformed `id` or
 *   malformed scores are dropped rather than losing a verdict we have already paid for;
 * - `message` is kept (truncated) for people to read; no decision ever depends on it;
 * - a 413, or a 400 whose only field error is the `selfie` file, is the vendor refusing the image
 *   itself (too large, not an image, corrupt): a verdict on the selfie, never retried; decided by
 *   the status and the field's name, never by the error's words (which are not kept).
 * Other 4xx without a verdict are refusals of our request.
 * Error messages name the HTTP status and what to do next; they never quote a vendor body.
 */
import { reasonForCode } from './codes.js';
import type {
  LivenessOutcome,
  LivenessScores,
  LoginOutcome,
  RefreshOutcome,
  VendorRetryable,
  VendorTerminal,
} from './outcome.js';

const MAX_MESSAGE_LENGTH = 300;

/** Turns the liveness endpoint's answer into exactly one outcome. Never throws. */
export function parseLivenessResponse(status: number, bodyText: string): LivenessOutcome {
  if (status === 401) {
    return {
      kind: 'auth-refused',
      httpStatus: status,
      message: 'Apptenticate refused the access token (HTTP 401); refresh it and retry',
    };
  }
  const unavailable = classifyUnavailableStatus(status);
  if (unavailable) return unavailable;
  const body = parseJson(bodyText);
  const verdict = readVerdict(status, body);
  if (verdict) return verdict;
  const refusal = readImageRefusal(status, body);
  if (refusal) return refusal;
  return noVerdict(status, 'a liveness verdict');
}

function readImageRefusal(status: number, body: unknown): LivenessOutcome | undefined {
  if (status === 413) {
    return {
      kind: 'image-refused',
      reason: 'OBJECT_TOO_LARGE',
      httpStatus: status,
      message: 'Apptenticate refused the selfie as too large (HTTP 413)',
    };
  }
  // DRF's field errors: `{"selfie": ["..."]}` names the file as what is wrong with the request.
  if (status === 400 && isRecord(body) && isSelfieFieldErrorOnly(body)) {
    return {
      kind: 'image-refused',
      reason: 'IMAGE_REFUSED',
      httpStatus: status,
      message: 'Apptenticate refused the selfie file itself (HTTP 400)',
    };
  }
  return undefined;
}

function isSelfieFieldErrorOnly(body: Record<string, unknown>): boolean {
  const keys = Object.keys(body);
  const errors = body.selfie;
  return (
    keys.length === 1 &&
    keys[0] === 'selfie' &&
    Array.isArray(errors) &&
    errors.length > 0 &&
    errors.every((error) => typeof error === 'string')
  );
}

/** Turns the login endpoint's answer into exactly one outcome. Never throws. */
export function parseLoginResponse(status: number, bodyText: string): LoginOutcome {
  if (status === 401) {
    return {
      kind: 'refused',
      httpStatus: status,
      message: 'Apptenticate refused the username and password (HTTP 401); update the credentials secret',
    };
  }
  const unavailable = classifyUnavailableStatus(status);
  if (unavailable) return unavailable;
  if (isSuccess(status)) {
    const body = parseJson(bodyText);
    if (isRecord(body) && isToken(body.access) && isToken(body.refresh)) {
      return { kind: 'ok', access: body.access, refresh: body.refresh };
    }
  }
  return noVerdict(status, 'a token pair');
}

/** Turns the token refresh endpoint's answer into exactly one outcome. Never throws. */
export function parseRefreshResponse(status: number, bodyText: string): RefreshOutcome {
  if (status === 401) {
    return {
      kind: 'refused',
      httpStatus: status,
      message: 'Apptenticate refused the refresh token (HTTP 401); log in again to get a new one',
    };
  }
  const unavailable = classifyUnavailableStatus(status);
  if (unavailable) return unavailable;
  if (isSuccess(status)) {
    const body = parseJson(bodyText);
    if (isRecord(body) && isToken(body.access)) {
      return isToken(body.refresh)
        ? { kind: 'ok', access: body.access, refresh: body.refresh }
        : { kind: 'ok', access: body.access };
    }
  }
  return noVerdict(status, 'an access token');
}

/**
 * Classifies a status that means "not now": 429 (rate limited), 408 and 504 (timeouts) and every
 * other 5xx. Returns `undefined` for any other status.
 */
export function classifyUnavailableStatus(status: number): VendorRetryable | undefined {
  if (status === 429) {
    return {
      kind: 'retryable',
      reason: 'RATE_LIMITED',
      httpStatus: status,
      message: 'Apptenticate is rate limiting us (HTTP 429); retry later with backoff',
    };
  }
  if (status === 408 || status === 504) {
    return {
      kind: 'retryable',
      reason: 'TIMEOUT',
      httpStatus: status,
      message: `Apptenticate timed out (HTTP ${status}); retry later`,
    };
  }
  if (status >= 500 && status <= 599) {
    return {
      kind: 'retryable',
      reason: 'VENDOR_ERROR',
      httpStatus: status,
      message: `Apptenticate failed with HTTP ${status}; retry later`,
    };
  }
  return undefined;
}

function readVerdict(status: number, body: unknown): LivenessOutcome | undefined {
  const success = isSuccess(status);
  if (!success && !(status >= 400 && status <= 499)) return undefined;
  const data = verdictObject(body);
  if (!data) return undefined;
  const transactionId = readTransactionId(data.id);
  const scores = readScores(data.api_response);
  const code = readCode(data.error_code);
  if (data.valid === true && code === undefined) {
    if (!success) return undefined;
    return { kind: 'passed', ...(transactionId !== undefined ? { transactionId } : {}), ...scores };
  }
  if (code !== undefined && (data.valid === false || data.valid === undefined)) {
    const message = readMessage(data.message);
    return {
      kind: 'rejected',
      code,
      reason: reasonForCode(code),
      ...(message !== undefined ? { message } : {}),
      ...(transactionId !== undefined ? { transactionId } : {}),
      httpStatus: status,
      ...scores,
    };
  }
  return undefined;
}

function verdictObject(body: unknown): Record<string, unknown> | undefined {
  if (!isRecord(body)) return undefined;
  if (isRecord(body.data)) return body.data;
  // Undocumented: an answer without the `data` wrapper.
  if ('valid' in body || 'error_code' in body) return body;
  return undefined;
}

function readTransactionId(id: unknown): string | undefined {
  if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
  if (typeof id === 'string' && id.trim() !== '' && id.length <= 128) return id.trim();
  return undefined;
}

function readCode(code: unknown): number | undefined {
  if (typeof code === 'number' && Number.isSafeInteger(code)) return code;
  if (typeof code === 'string' && /^\d{1,9}$/.test(code.trim())) return Number(code.trim());
  return undefined;
}

function readScores(details: unknown): LivenessScores {
  if (!isRecord(details)) return {};
  const scores: LivenessScores = {};
  for (const key of ['score', 'quality', 'liveness'] as const) {
    const value = details[key];
    if (typeof value === 'number' && Number.isFinite(value)) scores[key] = value;
  }
  return scores;
}

function readMessage(message: unknown): string | undefined {
  if (typeof message !== 'string' || message.trim() === '') return undefined;
  return message.length > MAX_MESSAGE_LENGTH ? message.slice(0, MAX_MESSAGE_LENGTH) : message;
}

function noVerdict(status: number, expected: string): VendorTerminal {
  if (isSuccess(status)) {
    return {
      kind: 'terminal',
      reason: 'RESPONSE_INVALID',
      httpStatus: status,
      message: `Apptenticate answered HTTP ${status} without ${expected}; check that the API URL points at Apptenticate and report the response shape`,
    };
  }
  return {
    kind: 'terminal',
    reason: 'REQUEST_REFUSED',
    httpStatus: status,
    message: `Apptenticate refused the request with HTTP ${status} and no verdict; retrying the same request will not help`,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isSuccess(status: number): boolean {
  return status >= 200 && status <= 299;
}

function isToken(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
