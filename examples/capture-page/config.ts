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
}
