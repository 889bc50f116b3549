/** What the server tells the capture page: where the API is, and the installation's limits. */
import type { UploadLimits } from '../../client/index.js';

/** Where the page reads its {@link CapturePageConfig}, next to itself. */
export const CAPTURE_CONFIG_PATH = '/capture-config.json';

/** The page's configuration, served from the installation's settings (never a copy of them). */
export interface CapturePageConfig {
  /** The API's base URL (may be another origin than the page's: the API answers CORS). */
  apiUrl: string;
  /** The limits the pipeline enforces on a selfie. */
  limits: UploadLimits;
  /**
   * How long the page waits for a verdict before it offers to check the same check again.
   * @default 60000
   */
  verdictWaitMs?: number;
  /**
   * Where "Continue" takes the person after a pass, with `checkId` and `status` added to its query.
   * @default none: the page stays and says the person may close it
   */
  returnUrl?: string;
  /**
   * Offer "Choose a photo" beside the camera. Off by default: a chosen file skips the camera, so
   * anyone holding a picture of the person (a profile photo, a photo of a screen) can send it, and
   * a single-image liveness check is left to tell it from a live capture alone. Turn it on only
   * for people without a working camera, where the risk allows (docs/apps.md, "What a
   * single-image liveness check cannot prove").
   * @default false
   */
  allowPhoto?: boolean;
  /**
   * The host app's origin: after a pass, "Continue" posts a {@link LivenessDoneMessage} to the
   * window that opened or frames the page, for this origin only.
   * @default none: no message is posted
   */
  hostOrigin?: string;
}

/** What the page hands the host app when the person continues after a pass. */
export interface LivenessDone {
  checkId: string;
  status: 'PASSED';
}

/** The name of the page's completion event, and the `type` of its message to the host window. */
export const LIVENESS_DONE = 'liveness:done';

/** Posted to the opener or parent window (see {@link CapturePageConfig.hostOrigin}). */
export interface LivenessDoneMessage extends LivenessDone {
  type: typeof LIVENESS_DONE;
}
