/**
 * The check: one DynamoDB item per selfie, and the state machine every writer follows.
 *
 * `AWAITING_UPLOAD` -> `CHECKING` -> `PASSED` | `REJECTED` | `FAILED`; `AWAITING_UPLOAD` -> `EXPIRED`.
 * The nested `result`, `rejection` and `failure` maps have exactly the shape of the public event
 * contract and the API, so no layer re-shapes them.
 */

/** The key prefix of uploaded selfies unless the installation configures another one. */
export const DEFAULT_SELFIE_PREFIX = 'selfies/';

/** The largest selfie accepted unless configured otherwise: the vendor's assumed 2 MiB limit. */
export const DEFAULT_MAX_OBJECT_BYTES = 2 * 1024 * 1024;

/** How long check items live (DynamoDB TTL) unless configured otherwise. */
export const DEFAULT_CHECK_RETENTION_DAYS = 30;

/** Every status a check can be in. */
export const CHECK_STATUSES = [
  'AWAITING_UPLOAD',
  'CHECKING',
  'PASSED',
  'REJECTED',
  'FAILED',
  'EXPIRED',
] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** The statuses a check never leaves. */
export const FINAL_STATUSES = ['PASSED', 'REJECTED', 'FAILED', 'EXPIRED'] as const;
export type FinalStatus = (typeof FINAL_STATUSES)[number];

/** Whether a status is final. */
export function isFinalStatus(status: unknown): status is FinalStatus {
  return typeof status === 'string' && (FINAL_STATUSES as readonly string[]).includes(status);
}

/**
 * Whether a check is final as one of the pipeline's deciders made it: a final status and a
 * `decidedAt`. Only `CheckRepository.finalize` (the checker's and the sweeper's one way to end a
 * check) writes `decidedAt`, and only their roles may write it; a final status without it was
 * written by someone else (a `PutItem` of an item already `PASSED`) and is never announced.
 */
export function isDecidedFinal(item: { status?: unknown; decidedAt?: unknown }): boolean {
  return isFinalStatus(item.status) && typeof item.decidedAt === 'string' && item.decidedAt.length > 0;
}

/** The devices Apptenticate knows. */
export const DEVICES = ['DESKTOP', 'IOS', 'ANDROID'] as const;
export type Device = (typeof DEVICES)[number];

/** Whether a value is a device Apptenticate knows. */
export function isDevice(value: unknown): value is Device {
  return typeof value === 'string' && (DEVICES as readonly string[]).includes(value);
}

/** The longest `reference`, in UTF-16 code units (JavaScript string length), as the event contract says. */
export const MAX_REFERENCE_LENGTH = 128;

/**
 * The characters a `reference` may hold, as a JSON Schema (ECMAScript) pattern: ASCII letters and
 * digits and `. _ : @ / + = -`: enough for UUIDs, `user-123`, `order:456`, `a@b.c` and base64. Nothing
 * that opens markup or ends a quoted string (`< > & " ' \``, backslash), no whitespace or invisible
 * characters, no letters of other scripts that look like ASCII ones.
 */
export const REFERENCE_PATTERN = '^[A-Za-z0-9._:@/+=-]+$';

/** The allowed characters in words, for error messages and docs. */
export const REFERENCE_CHARACTERS = 'ASCII letters, digits and . _ : @ / + = -';

const REFERENCE = new RegExp(REFERENCE_PATTERN);

/** Why a value is not a valid `reference`: the API answers with it, the checker ignores the value. */
export type ReferenceProblem = 'NOT_A_STRING' | 'LENGTH' | 'FORBIDDEN_CHARACTER';

/**
 * The one rule for the app's `reference`, wherever it comes from (the API's body, object metadata):
 * a string of 1 to {@link MAX_REFERENCE_LENGTH} characters, each one of {@link REFERENCE_PATTERN}'s
 * (dashboards and subscribers render it as given). `undefined` when the value follows it.
 */
export function referenceProblem(value: unknown): ReferenceProblem | undefined {
  if (typeof value !== 'string') return 'NOT_A_STRING';
  if (value.length === 0 || value.length > MAX_REFERENCE_LENGTH) return 'LENGTH';
  if (!REFERENCE.test(value)) return 'FORBIDDEN_CHARACTER';
  return undefined;
}

/**
 * The longest owner id stored on a check: a JWT `sub` (OIDC: at most 255 ASCII characters), an
 * IAM principal ARN, or a Cognito identity id.
 */
export const MAX_OWNER_LENGTH = 1024;

/** What Apptenticate said about a selfie it accepted for checking. */
export interface CheckResult {
  valid: boolean;
  transactionId?: string;
  score?: number;
  quality?: number;
  liveness?: number;
}

/** Who rejected the selfie: the vendor, or our own pre-check before any paid call. */
export type RejectionSource = 'apptenticate' | 'precheck';

/** Why a selfie was rejected. `reason` is a stable name; `message` is informative only. */
export interface CheckRejection {
  /** The vendor's code (700-715, or an unknown number), absent for pre-check rejections. */
  code?: number;
  reason: string;
  message?: string;
  source: RejectionSource;
}

/** Why no verdict could be had. */
export interface CheckFailure {
  reason: FailureReason;
  message: string;
}

/** Our own pre-check reasons, recorded as REJECTED with `source: 'precheck'`. */
export const PRECHECK_REASONS = [
  'EMPTY_OBJECT',
  'OBJECT_TOO_LARGE',
  'UNSUPPORTED_IMAGE_FORMAT',
  'IMAGE_TOO_SMALL',
  'IMAGE_DIMENSIONS_INVALID',
] as const;
export type PrecheckReason = (typeof PRECHECK_REASONS)[number];

/** Stable failure reasons, recorded as FAILED. */
export const FAILURE_REASONS = [
  /** The vendor stayed unreachable, slow, rate-limited or in error past every retry. */
  'VENDOR_UNAVAILABLE',
  /** The vendor refused our credentials or tokens past every retry. */
  'VENDOR_AUTH_REFUSED',
  /** The vendor refused the request itself (a 4xx that is neither a verdict nor about the selfie file). */
  'VENDOR_REQUEST_REFUSED',
  /** The vendor answered something we cannot interpret. */
  'VENDOR_RESPONSE_INVALID',
  /** The selfie was gone before it could be checked. */
  'OBJECT_NOT_FOUND',
  /** The check's lease ran out and nobody finished it (set by the sweeper). */
  'LEASE_EXPIRED',
  /** An AWS dependency kept failing past every retry. */
  'INTERNAL_ERROR',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** What the sweeper looks for under each partition of its index. */
export type SweepStatus = 'AWAITING_UPLOAD' | 'UPLOADED' | 'CHECKING';

/** The check item as stored in DynamoDB. */
export interface CheckItem {
  checkId: string;
  status: CheckStatus;
  /** Incremented by every write; lets readers order images and detect lost updates. */
  version: number;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601. */
  updatedAt: string;
  /** ISO 8601, set when the status became final. */
  decidedAt?: string;
  device?: Device;
  /** The app's opaque reference (not PII by contract), at most 128 characters. */
  reference?: string;
  /**
   * Who created the check through the API (the JWT `sub`, the IAM principal, or the Cognito
   * identity); only they may read it. Absent for direct uploads and for checks created before owners.
   */
  owner?: string;
  /** Content type pinned by the upload policy, when the check was issued by the API. */
  contentType?: string;
  /** ISO 8601: when the upload URL stops working (AWAITING_UPLOAD only). */
  uploadExpiresAt?: string;
  bucket?: string;
  objectKey?: string;
  objectSize?: number;
  /** How many times a checker claimed this check (each claim may call the vendor once). */
  attempts: number;
  /** Epoch milliseconds: until when the current claim holds (CHECKING only). */
  leaseExpiresAt?: number;
  /** Id of the current claim (the claiming SQS message's id); only its holder may write the verdict. */
  leaseId?: string;
  /**
   * Present while the check is not final, so the sweeper's sparse index holds only live checks. The
   * entry is written when the check enters the index (created by the API, or by a claim for a direct
   * upload) and stays as it is until the check is final: a claim does not move it (decision 13), so
   * a check under `AWAITING_UPLOAD` or `UPLOADED` may since have been claimed.
   * `UPLOADED`: the sweeper found its selfie in the bucket after the upload form expired (a queue
   * backlog); unless claimed, it waits for the checker until `sweepAt`.
   */
  sweepStatus?: SweepStatus;
  /**
   * ISO 8601, the entry's time: the upload expiry (`AWAITING_UPLOAD`), the first claim
   * (`CHECKING`: a direct upload), or the end of the wait for a claim (`UPLOADED`).
   */
  sweepAt?: string;
  result?: CheckResult;
  rejection?: CheckRejection;
  failure?: CheckFailure;
  /** Epoch seconds; DynamoDB TTL removes the item after this time. */
  expiresAt: number;
}

/** The outcome a writer wants to make final. */
export type FinalOutcome =
  | { status: 'PASSED'; result: CheckResult }
  | { status: 'REJECTED'; rejection: CheckRejection; result?: CheckResult }
  | { status: 'FAILED'; failure: CheckFailure }
  | { status: 'EXPIRED' };
