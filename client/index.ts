/**
 * The app-side client of the selfie liveness pipeline: `fetch` only, no dependencies, for browsers and
 * Node. See docs/apps.md.
 */
export { type ApiRequest, type AuthHook, bearerToken } from './auth.js';
export {
  type CheckSelfieOptions,
  createLivenessClient,
  type LivenessClient,
  type LivenessClientOptions,
} from './client.js';
export * from './errors.js';
export {
  type AppSituation,
  type Hint,
  type HintAction,
  type HintedReason,
  hintForCheck,
  hintForReason,
  type PhotoHint,
  type PictureSource,
  REASON_HINTS,
  reasonForCameraError,
  reasonForError,
} from './hints.js';
export { type CheckedSelfie, precheckSelfie } from './precheck.js';
export type * from './types.js';
export type { UploadOptions, UploadProgress, XhrLike } from './upload.js';
export { DEFAULT_POLLING, type PollingOptions, type WaitOptions } from './wait.js';
