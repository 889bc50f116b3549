/** What the pipeline's API for apps sends and answers (docs/api.md), as the client sees it. */
import type { CheckStatus, Device } from '../shared/check.js';
import type {
  LivenessEventFailure,
  LivenessEventRejection,
  LivenessEventResult,
} from '../shared/events/contract.js';

export type { CheckStatus, Device } from '../shared/check.js';

/** The content types an upload form can pin. */
export type SelfieContentType = 'image/jpeg' | 'image/png';

/** The body of `POST /checks`; every field is optional. */
export interface CreateCheckRequest {
  device?: Device;
  /**
   * The app's opaque id for this check (not personal data): 1 to 128 characters, ASCII letters,
   * digits and `. _ : @ / + = -` only; anything else is answered `400 INVALID_REFERENCE`.
   */
  reference?: string;
  /** @default 'image/jpeg' */
  contentType?: SelfieContentType;
}

/** The presigned POST of a check: a credential, never log or show it. */
export interface UploadForm {
  url: string;
  fields: Record<string, string>;
  /** ISO 8601: S3 refuses the form after this. */
  expiresAt: string;
  /** The largest selfie the form accepts, in bytes. */
  maxBytes: number;
}

/** The answer of `POST /checks`. */
export interface IssuedCheck {
  checkId: string;
  status: 'AWAITING_UPLOAD';
  upload: UploadForm;
}

/**
 * `result` as `GET /checks/{checkId}` answers it. To an app whose users sign in (a JWT, or a Cognito
 * identity-pool identity) it carries `valid` and `transactionId` only: the scores are answered to
 * services (IAM callers) alone, and always carried by the events.
 */
export interface CheckResult {
  /** Apptenticate's verdict: `true` for a live person. */
  valid: boolean;
  /** Apptenticate's transaction id, for support cases. */
  transactionId?: string;
  /**
   * The vendor's liveness score: unbounded, higher is more live, meant for calibration (its own
   * example gives 2.66). Its scale and the minimum a pass needs (code 715 when not met) are not
   * documented. IAM callers only; absent for apps whose users sign in.
   */
  score?: LivenessEventResult['score'];
  /**
   * How fit the image is for the check, 0 to 1; under 0.5 the vendor rejects it itself. IAM
   * callers only; absent for apps whose users sign in.
   */
  quality?: LivenessEventResult['quality'];
  /**
   * How real the face is, 0 to 1; under 0.5 the vendor rejects it itself. IAM callers only; absent
   * for apps whose users sign in.
   */
  liveness?: LivenessEventResult['liveness'];
}

/**
 * The answer of `GET /checks/{checkId}`: `rejection` and `failure` as in the events, `result` too
 * except that a user's read carries no scores ({@link CheckResult}).
 */
export interface CheckView {
  checkId: string;
  status: CheckStatus;
  reference?: string;
  device?: Device;
  createdAt: string;
  updatedAt: string;
  decidedAt?: string;
  /** For `PASSED`, and `REJECTED` when the vendor gave one; scores for IAM callers only. */
  result?: CheckResult;
  /** For `REJECTED`. */
  rejection?: LivenessEventRejection;
  /** For `FAILED`. */
  failure?: LivenessEventFailure;
}

/**
 * The limits the pipeline enforces on a selfie, to check before uploading. Serve them to apps from
 * the installation's settings (`npm start` serves them in `/capture-config.json`, as its `limits`);
 * the upload form's `maxBytes` is always applied too.
 */
export interface UploadLimits {
  /** The content types `POST /checks` accepts. */
  contentTypes: readonly string[];
  /** The largest selfie, in bytes. */
  maxBytes: number;
  /** Smaller images (either side) are rejected as `IMAGE_TOO_SMALL`. */
  minSidePx: number;
  /** Larger images (either side) are rejected as `IMAGE_DIMENSIONS_INVALID`. */
  maxSidePx: number;
}
