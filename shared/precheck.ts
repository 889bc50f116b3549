/**
 * The pre-check rules every selfie meets before a paid call: the checker applies them to each upload,
 * and the app client (`client/`) to a selfie before it uploads it, with the same limits.
 */
import type { PrecheckReason } from './check.js';
import { type ImageInfo, sniffImage } from './image.js';

/** Why a selfie fails our own pre-check; recorded as REJECTED with `source: 'precheck'`. */
export interface PrecheckFailure {
  reason: PrecheckReason;
  message: string;
}

/** The limits the rules apply: the installation's largest object and smallest and largest image side. */
export interface PrecheckLimits {
  maxObjectBytes: number;
  minImageSidePx: number;
  maxImageSidePx: number;
}

/** The size rules, on a size S3 (or the app's own file) reported: never on a queue message's say-so. */
export function precheckSize(
  size: number,
  limits: Pick<PrecheckLimits, 'maxObjectBytes'>,
): PrecheckFailure | undefined {
  if (size === 0) return { reason: 'EMPTY_OBJECT', message: 'the uploaded object is empty' };
  if (size > limits.maxObjectBytes) return objectTooLarge(limits);
  return undefined;
}

/** The failure for an object over the size limit. */
export function objectTooLarge(limits: Pick<PrecheckLimits, 'maxObjectBytes'>): PrecheckFailure {
  return { reason: 'OBJECT_TOO_LARGE', message: `the selfie is larger than ${limits.maxObjectBytes} bytes` };
}

/**
 * Every rule, on the downloaded bytes: size, a supported image format, and dimensions from
 * `minImageSidePx` to `maxImageSidePx` on each side (a zero side or one over the maximum is
 * `IMAGE_DIMENSIONS_INVALID`, one under the minimum `IMAGE_TOO_SMALL`).
 */
export function precheckImage(bytes: Uint8Array, limits: PrecheckLimits): PrecheckFailure | ImageInfo {
  const size = precheckSize(bytes.length, limits);
  if (size) return size;
  const image = sniffImage(bytes);
  if (!image) return { reason: 'UNSUPPORTED_IMAGE_FORMAT', message: 'the selfie is not a PNG or JPEG image' };
  const { width, height } = image;
  if (width === 0 || height === 0) {
    return {
      reason: 'IMAGE_DIMENSIONS_INVALID',
      message: `the image dimensions ${width}x${height} are not plausible`,
    };
  }
  if (width > limits.maxImageSidePx || height > limits.maxImageSidePx) {
    return {
      reason: 'IMAGE_DIMENSIONS_INVALID',
      message: `the image is ${width}x${height}; at most ${limits.maxImageSidePx} px on either side is accepted`,
    };
  }
  if (width < limits.minImageSidePx || height < limits.minImageSidePx) {
    return {
      reason: 'IMAGE_TOO_SMALL',
      message: `the image is ${width}x${height}; at least ${limits.minImageSidePx}x${limits.minImageSidePx} is needed`,
    };
  }
  return image;
}

/** Whether a pre-check answer is a failure. */
export function isPrecheckFailure(value: PrecheckFailure | ImageInfo): value is PrecheckFailure {
  return 'reason' in value;
}
