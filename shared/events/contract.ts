/**
 * The public event contract: what the pipeline announces on EventBridge when a check reaches a
 * final status. Subscribers import these types; `schema.ts` holds the matching JSON Schema, and a
 * test keeps the two from drifting apart.
 *
 * Compatibility promise: within one `schemaVersion`, fields are only ever added, never renamed,
 * removed or retyped. A breaking change gets a new `schemaVersion`.
 */

import type { Device } from '../check.js';

/** The version of `detail` this code publishes. */
export const SCHEMA_VERSION = 1 as const;

/** The `source` of every event unless the installation configures another one. */
export const DEFAULT_EVENT_SOURCE = 'selfie-liveness';

/** The final statuses a check can reach; exactly one event is published per check and status. */
export const EVENT_STATUSES = ['PASSED', 'REJECTED', 'FAILED', 'EXPIRED'] as const;
/** A final status, as carried in `detail.status`. */
export type LivenessEventStatus = (typeof EVENT_STATUSES)[number];

/** The EventBridge `detail-type` of each final status. Stable: subscribers match on them. */
export const DETAIL_TYPES = {
  PASSED: 'Liveness Check Passed',
  REJECTED: 'Liveness Check Rejected',
  FAILED: 'Liveness Check Failed',
  EXPIRED: 'Liveness Check Expired',
} as const satisfies Record<LivenessEventStatus, string>;
/** Any of the four `detail-type`s. */
export type LivenessDetailType = (typeof DETAIL_TYPES)[LivenessEventStatus];

/** The device the selfie was taken on, as Apptenticate knows it. */
export type LivenessEventDevice = Device;

/** The longest `message` an event carries; longer vendor or failure messages are cut. */
export const MESSAGE_MAX_LENGTH = 1024;

/** What Apptenticate said about a selfie it accepted for checking. Fields appear when the vendor gave them. */
export interface LivenessEventResult {
  /** Apptenticate's verdict: `true` for a live person. */
  valid: boolean;
  /** Apptenticate's transaction id, for support cases and billing reconciliation. */
  transactionId?: string;
  score?: number;
  quality?: number;
  liveness?: number;
}

/** Why the selfie was rejected. Branch on `reason` (stable), never on `message`. */
export interface LivenessEventRejection {
  /** Apptenticate's code (700-715, or a code unknown to this release); absent for pre-check rejections. */
  code?: number;
  /**
   * A stable upper-snake-case name: `FACE_TOO_CLOSE` for 700 and so on, `UNKNOWN_CODE` for a code
   * this release does not know, or a pre-check reason (`EMPTY_OBJECT`, `OBJECT_TOO_LARGE`,
   * `UNSUPPORTED_IMAGE_FORMAT`, `IMAGE_TOO_SMALL`, `IMAGE_DIMENSIONS_INVALID`). When the vendor
   * refuses the file itself without a code (`source: 'apptenticate'`, no `code`): `OBJECT_TOO_LARGE`
   * (its HTTP 413) or `IMAGE_REFUSED` (its 400 about the selfie file: not an image, corrupt, too big).
   */
  reason: string;
  /** Human-readable, informative only (the vendor's may be in Spanish, and has typos). */
  message?: string;
  /** `apptenticate` when the vendor rejected the selfie; `precheck` when our own checks did, before any paid call. */
  source: 'apptenticate' | 'precheck';
}

/** Why no verdict could be had. Branch on `reason` (stable), never on `message`. */
export interface LivenessEventFailure {
  /**
   * A stable upper-snake-case name: `VENDOR_UNAVAILABLE`, `VENDOR_AUTH_REFUSED`,
   * `VENDOR_REQUEST_REFUSED`, `VENDOR_RESPONSE_INVALID`, `OBJECT_NOT_FOUND`, `LEASE_EXPIRED` or
   * `INTERNAL_ERROR`; new names may be added within a schema version. `OBJECT_NOT_FOUND` is no
   * longer recorded for a missing selfie (the sweeper ends such a check); older events may carry it.
   */
  reason: string;
  /** Human-readable, informative only. */
  message: string;
}

/** The fields every event carries, whatever its status. */
export interface LivenessEventDetailBase {
  /** The version of this shape; `1` for now. */
  schemaVersion: typeof SCHEMA_VERSION;
  /**
   * Deterministic per check and final status (a UUID v5 of both): a redelivered or republished
   * event carries the same `eventId`, so subscribers drop duplicates by it.
   */
  eventId: string;
  /** The check's id, as `POST /checks` returned it. */
  checkId: string;
  status: LivenessEventStatus;
  /**
   * The app's opaque reference, when the app gave one (not personal data, by contract): ASCII
   * letters, digits and `. _ : @ / + = -` only.
   */
  reference?: string;
  /**
   * Who created the check through the API: the JWT `sub` (a user of the app's identity provider), the
   * Cognito identity id (`cognito-identity:<id>`), or the IAM principal (an assumed role without its
   * session name). Check it against the user you expect before crediting a verdict to them. Absent for
   * uploads made without the API (direct uploads) and for checks created before owners were stored.
   */
  owner?: string;
  /** The device, when known. */
  device?: LivenessEventDevice;
  /** ISO 8601, when the check was created. */
  createdAt: string;
  /** ISO 8601, when the check reached its final status. */
  decidedAt: string;
  /** How many times a checker took the check up (each may have called the vendor once). */
  attempts: number;
}

/** `Liveness Check Passed`: Apptenticate said the selfie shows a live person. */
export interface LivenessCheckPassedDetail extends LivenessEventDetailBase {
  status: 'PASSED';
  result: LivenessEventResult;
}

/**
 * `Liveness Check Rejected`: Apptenticate said no (codes 700-715), or the selfie failed our own
 * pre-check. `result` is present when the vendor returned a transaction id or scores.
 */
export interface LivenessCheckRejectedDetail extends LivenessEventDetailBase {
  status: 'REJECTED';
  rejection: LivenessEventRejection;
  result?: LivenessEventResult;
}

/** `Liveness Check Failed`: no verdict could be had (vendor down past all retries, credentials refused, object gone). */
export interface LivenessCheckFailedDetail extends LivenessEventDetailBase {
  status: 'FAILED';
  failure: LivenessEventFailure;
}

/** `Liveness Check Expired`: the selfie was never uploaded before its upload URL expired. */
export interface LivenessCheckExpiredDetail extends LivenessEventDetailBase {
  status: 'EXPIRED';
}

/** The `detail` of every liveness event; narrow it on `status`. */
export type LivenessEventDetail =
  | LivenessCheckPassedDetail
  | LivenessCheckRejectedDetail
  | LivenessCheckFailedDetail
  | LivenessCheckExpiredDetail;

/** The `detail` of the events with a given status. */
export type LivenessEventDetailFor<S extends LivenessEventStatus> = Extract<
  LivenessEventDetail,
  { status: S }
>;

/** The whole EventBridge event as a subscriber (a Lambda target, an SQS queue) receives it. */
export interface LivenessEvent<D extends LivenessEventDetail = LivenessEventDetail> {
  version: string;
  id: string;
  'detail-type': (typeof DETAIL_TYPES)[D['status']];
  source: string;
  account: string;
  /** ISO 8601: when the check reached its final status. */
  time: string;
  region: string;
  resources: string[];
  detail: D;
}
