/** The checker's own pre-check, run by the app before an upload, with the installation's limits. */
import { isPrecheckFailure, precheckImage, precheckSize } from '../shared/precheck.js';
import { SelfieRejectedError } from './errors.js';
import type { SelfieContentType, UploadLimits } from './types.js';

/** A selfie that meets every limit given, ready to upload. */
export interface CheckedSelfie {
  blob: Blob;
  contentType: SelfieContentType;
  width: number;
  height: number;
}

/**
 * Checks a selfie against the limits the pipeline enforces (size, PNG or JPEG and an accepted content
 * type, dimensions), by the checker's own rules (`shared/precheck.ts`); a limit not given is not
 * checked here (the pipeline still checks it). Throws a {@link SelfieRejectedError} whose `reason`
 * is the one the pipeline would record.
 */
export async function precheckSelfie(
  selfie: Blob | Uint8Array,
  limits: Partial<UploadLimits> = {},
): Promise<CheckedSelfie> {
  const rules = {
    maxObjectBytes: limits.maxBytes ?? Number.MAX_SAFE_INTEGER,
    minImageSidePx: limits.minSidePx ?? 1,
    maxImageSidePx: limits.maxSidePx ?? Number.MAX_SAFE_INTEGER,
  };
  // Settled on the size alone, before reading a file that may be very large.
  precheckSelfieSize(selfie instanceof Uint8Array ? selfie.length : selfie.size, rules.maxObjectBytes);
  const bytes = selfie instanceof Uint8Array ? selfie : new Uint8Array(await selfie.arrayBuffer());
  const image = precheckImage(bytes, rules);
  if (isPrecheckFailure(image)) throw new SelfieRejectedError(image.reason, image.message);
  if (limits.contentTypes && !limits.contentTypes.includes(image.contentType)) {
    throw new SelfieRejectedError(
      'UNSUPPORTED_IMAGE_FORMAT',
      `the selfie is ${image.contentType}; accepted: ${limits.contentTypes.join(', ')}`,
    );
  }
  return {
    blob: new Blob([bytes.slice()], { type: image.contentType }),
    contentType: image.contentType,
    width: image.width,
    height: image.height,
  };
}

/** The size rules alone (empty, over `maxBytes`): throws a {@link SelfieRejectedError}. */
export function precheckSelfieSize(size: number, maxBytes: number): void {
  const failure = precheckSize(size, { maxObjectBytes: maxBytes });
  if (failure) throw new SelfieRejectedError(failure.reason, failure.message);
}
