/**
 * Turns a camera frame or a picked photo into a selfie the pipeline accepts: scaled down so that no
 * side exceeds the installation's limit (and a long side of 1280 px, plenty for a face), encoded as
 * JPEG under the byte limit, then checked by the pipeline's own rules before anything is sent.
 */
import {
  type CheckedSelfie,
  precheckSelfie,
  SelfieRejectedError,
  type UploadLimits,
} from '../../client/index.js';

/** A long side that keeps a face sharp and an upload small. */
export const PREFERRED_LONG_SIDE_PX = 1280;
const QUALITIES = [0.92, 0.85, 0.75, 0.65];

/** A picture to encode: a video frame, a decoded photo; or the part of it at `x`, `y` (a crop). */
export interface Picture {
  source: CanvasImageSource;
  /** The left edge of the part to encode, in the source's pixels. @default 0 */
  x?: number;
  /** The top edge of the part to encode, in the source's pixels. @default 0 */
  y?: number;
  width: number;
  height: number;
}

/** Scales and encodes a picture within the limits; throws a `SelfieRejectedError` when it cannot. */
export async function encodeSelfie(picture: Picture, limits: UploadLimits): Promise<CheckedSelfie> {
  const type = limits.contentTypes.includes('image/jpeg') ? 'image/jpeg' : 'image/png';
  const longSide = Math.max(picture.width, picture.height);
  let scale = Math.min(1, Math.min(PREFERRED_LONG_SIDE_PX, limits.maxSidePx) / longSide);
  for (let attempt = 0; attempt < 6; attempt++) {
    const width = Math.max(1, Math.floor(picture.width * scale));
    const height = Math.max(1, Math.floor(picture.height * scale));
    if (Math.min(width, height) < limits.minSidePx) {
      throw new SelfieRejectedError(
        'IMAGE_TOO_SMALL',
        `the picture is ${width}x${height}; at least ${limits.minSidePx}x${limits.minSidePx} is needed`,
      );
    }
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext('2d');
    if (!context) throw new Error('this browser cannot draw on a canvas');
    context.drawImage(
      picture.source,
      picture.x ?? 0,
      picture.y ?? 0,
      picture.width,
      picture.height,
      0,
      0,
      width,
      height,
    );
    for (const quality of type === 'image/jpeg' ? QUALITIES : [1]) {
      const blob = await toBlob(canvas, type, quality);
      if (blob.size <= limits.maxBytes) return await precheckSelfie(blob, limits);
    }
    scale *= 0.75;
  }
  throw new SelfieRejectedError('OBJECT_TOO_LARGE', `the picture does not fit in ${limits.maxBytes} bytes`);
}

/** Decodes a picked file; anything that is not a picture the browser can read is `UNSUPPORTED_IMAGE_FORMAT`. */
export async function decodeFile(file: File): Promise<Picture> {
  if (file.size === 0) throw new SelfieRejectedError('EMPTY_OBJECT', 'the file is empty');
  if (file.type !== '' && !file.type.startsWith('image/')) {
    throw new SelfieRejectedError('UNSUPPORTED_IMAGE_FORMAT', 'the file is not a picture');
  }
  try {
    const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    return { source: bitmap, width: bitmap.width, height: bitmap.height };
  } catch {
    throw new SelfieRejectedError(
      'UNSUPPORTED_IMAGE_FORMAT',
      'the file is not a picture this browser can read',
    );
  }
}

function toBlob(canvas: HTMLCanvasElement, type: string, quality: number): Promise<Blob> {
  return new Promise((resolve, reject) => {
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error('the picture could not be encoded'))),
      type,
      quality,
    );
  });
}
