/**
 * What can go wrong for an app, one class per kind of answer, so an app branches with `instanceof`
 * (and on `code` within a class) and never on a message. Every error sets `name` explicitly (minified
 * bundles lose class names) and forwards its `cause`. No error carries a token, an upload form field,
 * a presigned URL or image bytes.
 */
import type { PrecheckReason } from '../shared/check.js';

/** The base of every error the client throws (an aborted call rejects with the signal's reason instead). */
export class LivenessClientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LivenessClientError';
  }
}

/** The selfie breaks a limit the pipeline enforces; it was not uploaded. `reason` is the pre-check's. */
export class SelfieRejectedError extends LivenessClientError {
  constructor(
    readonly reason: PrecheckReason,
    message: string,
  ) {
    super(message);
    this.name = 'SelfieRejectedError';
  }
}

/** The API could not be reached, or the connection broke (offline, DNS, CORS refused). Retry later. */
export class NetworkError extends LivenessClientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NetworkError';
  }
}

/** An error answer of the API: its HTTP status, its stable `code`, and how long to wait if it said. */
export class ApiError extends LivenessClientError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** From `Retry-After`, in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The request is wrong (400, 413, 415): a bug in the app; retrying the same request will not help. */
export class InvalidRequestError extends ApiError {
  constructor(status: number, code: string, message: string, retryAfterMs?: number) {
    super(status, code, message, retryAfterMs);
    this.name = 'InvalidRequestError';
  }
}

/** The caller is not signed in or not allowed (401, 403): get a new token or check the signer. */
export class NotAuthorizedError extends ApiError {
  constructor(status: number, code: string, message: string, retryAfterMs?: number) {
    super(status, code, message, retryAfterMs);
    this.name = 'NotAuthorizedError';
  }
}

/** No check has this id for this caller (404 `CHECK_NOT_FOUND`): never issued, someone else's, or gone. */
export class CheckNotFoundError extends ApiError {
  constructor(status: number, code: string, message: string, retryAfterMs?: number) {
    super(status, code, message, retryAfterMs);
    this.name = 'CheckNotFoundError';
  }
}

/** No such route (404 `NOT_FOUND`, 405 `METHOD_NOT_ALLOWED`): the client's base URL is wrong. */
export class RouteNotFoundError extends ApiError {
  constructor(status: number, code: string, message: string, retryAfterMs?: number) {
    super(status, code, message, retryAfterMs);
    this.name = 'RouteNotFoundError';
  }
}

/**
 * Too many requests (429): wait `retryAfterMs` before the next one. `code` says which limit:
 * `OWNER_RATE_LIMITED` (this minute), `OPEN_CHECKS_LIMITED` (checks not yet final),
 * `OWNER_DAILY_LIMITED` (the user's checks today: until midnight UTC), `CHECK_BUDGET_EXHAUSTED` (the
 * installation's checks today, for everyone), `TOO_MANY_REQUESTS` (the stage throttle).
 */
export class RateLimitedError extends ApiError {
  constructor(status: number, code: string, message: string, retryAfterMs?: number) {
    super(status, code, message, retryAfterMs);
    this.name = 'RateLimitedError';
  }
}

/** The API is briefly unavailable (503 `SERVICE_UNAVAILABLE`): retry after `retryAfterMs`. */
export class ServiceUnavailableError extends ApiError {
  constructor(status: number, code: string, message: string, retryAfterMs?: number) {
    super(status, code, message, retryAfterMs);
    this.name = 'ServiceUnavailableError';
  }
}

/** The API failed (500 `INTERNAL_ERROR`, other 5xx): retry later. */
export class ApiServerError extends ApiError {
  constructor(status: number, code: string, message: string, retryAfterMs?: number) {
    super(status, code, message, retryAfterMs);
    this.name = 'ApiServerError';
  }
}

type ApiErrorClass = new (status: number, code: string, message: string, retryAfterMs?: number) => ApiError;

/** The class of each error code the API answers (docs/api.md, docs/openapi.json). */
export const API_ERROR_CLASSES = {
  INVALID_JSON: InvalidRequestError,
  INVALID_BODY: InvalidRequestError,
  UNKNOWN_FIELD: InvalidRequestError,
  INVALID_DEVICE: InvalidRequestError,
  INVALID_REFERENCE: InvalidRequestError,
  INVALID_CONTENT_TYPE: InvalidRequestError,
  INVALID_CHECK_ID: InvalidRequestError,
  PAYLOAD_TOO_LARGE: InvalidRequestError,
  UNSUPPORTED_MEDIA_TYPE: InvalidRequestError,
  UNAUTHENTICATED: NotAuthorizedError,
  CHECK_NOT_FOUND: CheckNotFoundError,
  NOT_FOUND: RouteNotFoundError,
  METHOD_NOT_ALLOWED: RouteNotFoundError,
  OWNER_RATE_LIMITED: RateLimitedError,
  OPEN_CHECKS_LIMITED: RateLimitedError,
  OWNER_DAILY_LIMITED: RateLimitedError,
  CHECK_BUDGET_EXHAUSTED: RateLimitedError,
  INTERNAL_ERROR: ApiServerError,
  SERVICE_UNAVAILABLE: ServiceUnavailableError,
} as const satisfies Record<string, ApiErrorClass>;

/** An error code the API answers. */
export type ApiErrorCode = keyof typeof API_ERROR_CLASSES;

/**
 * The error for an answer: by its `code` when the API gave a known one, otherwise by HTTP status (an
 * answer API Gateway gives itself, such as `{"message":"Unauthorized"}`, or a code newer than this client).
 */
export function apiErrorFor(
  status: number,
  code: string | undefined,
  message: string,
  retryAfterMs?: number,
): ApiError {
  const known = code !== undefined && Object.hasOwn(API_ERROR_CLASSES, code);
  const ErrorClass: ApiErrorClass = known ? API_ERROR_CLASSES[code as ApiErrorCode] : classForStatus(status);
  return new ErrorClass(status, code ?? codeForStatus(status), message, retryAfterMs);
}

function classForStatus(status: number): ApiErrorClass {
  if (status === 401 || status === 403) return NotAuthorizedError;
  if (status === 404 || status === 405) return RouteNotFoundError;
  if (status === 429) return RateLimitedError;
  if (status === 503) return ServiceUnavailableError;
  if (status >= 500) return ApiServerError;
  if (status >= 400) return InvalidRequestError;
  return ApiError;
}

function codeForStatus(status: number): string {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 429) return 'TOO_MANY_REQUESTS';
  return `HTTP_${status}`;
}

/** S3 refused the upload (`code` is S3's, e.g. `EntityTooLarge`, `AccessDenied`); ask for a new check. */
export class UploadRejectedError extends LivenessClientError {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(`the upload was refused with ${status} ${code}`);
    this.name = 'UploadRejectedError';
  }
}

/** The upload form expired before the upload started; ask for a new check. */
export class UploadExpiredError extends LivenessClientError {
  constructor(readonly expiresAt: string) {
    super(`the upload form expired at ${expiresAt}`);
    this.name = 'UploadExpiredError';
  }
}

/** No final verdict before the deadline. The check goes on: read it later, or wait for its event. */
export class VerdictTimeoutError extends LivenessClientError {
  constructor(
    readonly checkId: string,
    /** The last status read, if any read succeeded. */
    readonly lastStatus: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(`check ${checkId} has no verdict yet (last status ${lastStatus ?? 'unknown'})`, options);
    this.name = 'VerdictTimeoutError';
  }
}
