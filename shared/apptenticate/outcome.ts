import type { Device } from '../check.js';
import type { Deadline } from '../deadline.js';
import type { IMAGE_REFUSAL_REASONS, RejectionReason } from './codes.js';

/** Scores Apptenticate returns with `details=true`. */
export interface LivenessScores {
  score?: number;
  quality?: number;
  liveness?: number;
}

/**
 * Why a vendor call may succeed if tried again later. `TOKEN_REFRESH_FAILED`: the refresh endpoint
 * answered something other than a token or a refusal of the refresh token (a 400/403/404, an HTML
 * page): not the selfie's fault, so the check is retried rather than failed.
 */
export type RetryableReason =
  | 'RATE_LIMITED'
  | 'VENDOR_ERROR'
  | 'TIMEOUT'
  | 'CONNECTION_FAILED'
  | 'TOKEN_REFRESH_FAILED';

/**
 * Why the vendor refused the selfie file itself, without a rejection code: `OBJECT_TOO_LARGE` for
 * HTTP 413, `IMAGE_REFUSED` for a 400 whose only field error is the `selfie` file (DRF's answer to a
 * file that is not an image, is corrupt, empty or over its size limit). A verdict on the image.
 */
export type ImageRefusalReason = (typeof IMAGE_REFUSAL_REASONS)[number];

/**
 * Every answer of the liveness endpoint, and every way of not getting one, as one typed outcome.
 * The client never throws for a vendor answer; it throws only for programming errors.
 */
export type LivenessOutcome =
  | ({ kind: 'passed'; transactionId?: string } & LivenessScores)
  | ({
      kind: 'rejected';
      code: number;
      reason: RejectionReason;
      /** The vendor's message, informative only (may be Spanish). Never branch on it. */
      message?: string;
      transactionId?: string;
      /** HTTP status the rejection came with (200 or a 4xx, the vendor does not say which). */
      httpStatus: number;
    } & LivenessScores)
  | { kind: 'image-refused'; reason: ImageRefusalReason; httpStatus: number; message: string }
  | { kind: 'auth-refused'; httpStatus: number; message: string }
  | { kind: 'retryable'; reason: RetryableReason; httpStatus?: number; message: string }
  | {
      kind: 'terminal';
      reason: 'REQUEST_REFUSED' | 'RESPONSE_INVALID';
      httpStatus?: number;
      message: string;
    };

/** The selfie and options for one liveness call. */
export interface LivenessRequest {
  selfie: Uint8Array;
  /** `image/jpeg` or `image/png`. */
  contentType: string;
  /** File name sent in the multipart part; never the client's own file name. */
  fileName: string;
  device?: Device;
}

/**
 * What the checker needs from the vendor side: one liveness call with tokens handled
 * (cached access token, one refresh and retry on 401, recovery when the refresh token is refused).
 */
export interface LivenessChecker {
  /**
   * `deadline`: the record's; every vendor call of this check (refreshes, the liveness call, the
   * retry after a 401) stops at it with a retryable `TIMEOUT`, and no liveness call is started that
   * could not finish before it.
   */
  checkLiveness(request: LivenessRequest, options?: { deadline?: Deadline }): Promise<LivenessOutcome>;
}

/** A vendor call that did not get a usable answer but may succeed later. */
export interface VendorRetryable {
  kind: 'retryable';
  reason: RetryableReason;
  httpStatus?: number;
  message: string;
}

/** A vendor call that will not succeed if repeated as is. */
export interface VendorTerminal {
  kind: 'terminal';
  reason: 'REQUEST_REFUSED' | 'RESPONSE_INVALID';
  httpStatus?: number;
  message: string;
}

/** The vendor refused the credentials or the token we presented (HTTP 401). */
export interface VendorRefused {
  kind: 'refused';
  httpStatus: number;
  message: string;
}

/** Every answer of `POST /api/token/`, and every way of not getting one. */
export type LoginOutcome =
  | { kind: 'ok'; access: string; refresh: string }
  | VendorRefused
  | VendorRetryable
  | VendorTerminal;

/**
 * Every answer of `POST /api/token/refresh/`, and every way of not getting one. `refresh` is
 * present only if the vendor rotates refresh tokens (SimpleJWT's `ROTATE_REFRESH_TOKENS`).
 */
export type RefreshOutcome =
  | { kind: 'ok'; access: string; refresh?: string }
  | VendorRefused
  | VendorRetryable
  | VendorTerminal;
