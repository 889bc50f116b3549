/**
 * What to tell the person in front of the camera, for every reason a check can end without a pass
 * and for what can go wrong in the app itself. The one table: the reference capture page shows it,
 * docs/apps.md prints it (a test keeps the two equal). Reasons are the stable names of the events
 * and the API; never show the vendor's `message`.
 */
import type { IMAGE_REFUSAL_REASONS, RejectionReason } from '../shared/apptenticate/codes.js';
import type { FailureReason, PrecheckReason } from '../shared/check.js';
import {
  CheckNotFoundError,
  NetworkError,
  NotAuthorizedError,
  RateLimitedError,
  SelfieRejectedError,
  UploadExpiredError,
  VerdictTimeoutError,
} from './errors.js';
import type { CheckView } from './types.js';

/**
 * What the person should do: `retake` a selfie (framing, light, size, distance), `spoof` (the check
 * doubts a live person: retake, live, in person), `choose-another` photo or file, `camera` (the
 * camera did not start: do what the text says, then open it again), or `try-later`.
 */
export type HintAction = 'retake' | 'spoof' | 'choose-another' | 'camera' | 'try-later';

/** Where the picture came from: the camera, or a photo the person chose (a file). */
export type PictureSource = 'camera' | 'photo';

/** A hint for a person: a short title and one or two plain sentences. */
export interface Hint {
  action: HintAction;
  title: string;
  text: string;
  /**
   * What to say instead when the picture was a chosen photo, for the hints that speak of the
   * camera or its oval; {@link hintForReason} picks it for `'photo'`.
   */
  photo?: PhotoHint;
}

/** A hint for a chosen photo (see {@link Hint.photo}). */
export type PhotoHint = Omit<Hint, 'photo'>;

/** What the app itself runs into (no check status): the camera, the network, the limits, time. */
export type AppSituation =
  | 'CAMERA_DENIED'
  | 'CAMERA_NOT_FOUND'
  | 'CAMERA_BUSY'
  | 'CAMERA_UNAVAILABLE'
  | 'CHECK_NOT_FOUND'
  | 'CONNECTION_FAILED'
  | 'RATE_LIMITED'
  | 'DAILY_LIMIT_REACHED'
  | 'CHECKS_UNAVAILABLE'
  | 'NOT_SIGNED_IN'
  | 'STILL_CHECKING';

/** Every reason with a hint: vendor rejections, pre-check rejections, failures, expiry, app situations. */
export type HintedReason =
  | RejectionReason
  | (typeof IMAGE_REFUSAL_REASONS)[number]
  | PrecheckReason
  | FailureReason
  | 'EXPIRED'
  | AppSituation;

const RETAKE = 'Please retake your selfie';
const SPOOF = 'We could not confirm a live selfie';
const ANOTHER = 'Please use another photo';
const LATER = 'Please try again later';
const AGAIN = 'Please start again';
const BUSY = 'We could not finish the check this time. Please try again in a few minutes.';

/** The hint for each reason; `EXPIRED` is the status of a check whose upload never arrived in time. */
export const REASON_HINTS = {
  // The vendor's rejections (REJECTED, source apptenticate).
  FACE_TOO_CLOSE: {
    action: 'retake',
    title: RETAKE,
    text: 'Your face is too close. Hold the camera at arm’s length and fit your whole face inside the oval.',
    photo: {
      action: 'choose-another',
      title: ANOTHER,
      text: 'Your face is too close in this photo. Choose one taken from arm’s length, with your whole face in it.',
    },
  },
  FACE_TOO_CLOSE_TO_BORDERS: {
    action: 'retake',
    title: RETAKE,
    text: 'Your face is too near the edge of the picture. Center it inside the oval, with some space around it.',
    photo: {
      action: 'choose-another',
      title: ANOTHER,
      text: 'Your face is too near the edge of the photo. Choose one with your face in the middle and space around it.',
    },
  },
  FACE_INCOMPLETE: {
    action: 'retake',
    title: RETAKE,
    text: 'Part of your face is cut off. Keep your whole face, from chin to hairline, inside the oval.',
    photo: {
      action: 'choose-another',
      title: ANOTHER,
      text: 'Part of your face is cut off. Choose a photo that shows your whole face, from chin to hairline.',
    },
  },
  FACE_OBSTRUCTED: {
    action: 'retake',
    title: RETAKE,
    text: 'Something covers your face. Take off sunglasses, a mask or a hat, and keep your hands and hair away from your face.',
    photo: {
      action: 'choose-another',
      title: ANOTHER,
      text: 'Something covers your face. Choose a photo without sunglasses, a mask or a hat, with hands and hair away.',
    },
  },
  FACE_NOT_DETECTED: {
    action: 'retake',
    title: RETAKE,
    text: 'We could not find a face. Look straight at the camera in good light, with your face inside the oval.',
    photo: {
      action: 'choose-another',
      title: ANOTHER,
      text: 'We could not find a face. Choose a photo of your face, looking straight ahead, in good light.',
    },
  },
  TOO_MANY_FACES: {
    action: 'retake',
    title: RETAKE,
    text: 'More than one face is in the picture. Make sure only you are in front of the camera.',
    photo: {
      action: 'choose-another',
      title: ANOTHER,
      text: 'More than one face is in the photo. Choose a photo of you alone.',
    },
  },
  FACE_TOO_SMALL: {
    action: 'retake',
    title: RETAKE,
    text: 'Your face is too small in the picture. Move closer, so that your face fills the oval.',
    photo: {
      action: 'choose-another',
      title: ANOTHER,
      text: 'Your face is too small in the photo. Choose one where your face fills most of the picture.',
    },
  },
  FACE_ANGLE_INCORRECT: {
    action: 'retake',
    title: RETAKE,
    text: 'Your head is turned or tilted. Look straight into the camera and keep your head level.',
    photo: {
      action: 'choose-another',
      title: ANOTHER,
      text: 'Your head is turned or tilted. Choose a photo where you look straight ahead, head level.',
    },
  },
  IMAGE_UNREADABLE: {
    action: 'retake',
    title: RETAKE,
    text: 'Your photo could not be read. Please take a new selfie with the camera.',
  },
  IMAGE_PROCESSING_ERROR: {
    action: 'retake',
    title: RETAKE,
    text: 'Your photo could not be processed. Please take a new selfie with the camera.',
  },
  FACE_BORDERS_ERROR: {
    action: 'retake',
    title: RETAKE,
    text: 'We could not see the outline of your face. Use even light and a plain background, with your face inside the oval.',
    photo: {
      action: 'choose-another',
      title: ANOTHER,
      text: 'We could not see the outline of your face. Choose a photo in even light, on a plain background.',
    },
  },
  LIVENESS_INTERNAL_ERROR: { action: 'try-later', title: LATER, text: BUSY },
  UNKNOWN_ERROR: { action: 'try-later', title: LATER, text: BUSY },
  QUALITY_TOO_LOW: {
    action: 'retake',
    title: RETAKE,
    text: 'The picture is too dark or blurry. Face a window or a lamp (not with the light behind you), hold still, and try again.',
    photo: {
      action: 'choose-another',
      title: ANOTHER,
      text: 'The photo is too dark or blurry. Choose a sharp photo taken in bright light, or take a selfie with the camera.',
    },
  },
  IMAGE_CONDITIONS_NOT_MET: {
    action: 'retake',
    title: RETAKE,
    text: 'The light or sharpness is not good enough. Find bright, even light in front of you, hold still, and try again.',
    photo: {
      action: 'choose-another',
      title: ANOTHER,
      text: 'The light or sharpness is not good enough. Choose a sharp photo in bright, even light, or use the camera.',
    },
  },
  LIVENESS_SCORE_TOO_LOW: {
    action: 'spoof',
    title: SPOOF,
    text: 'Take the selfie yourself, live, with the camera. Photos of a photo or of a screen, and masks, are not accepted.',
  },
  IMAGE_REFUSED: {
    action: 'retake',
    title: RETAKE,
    text: 'Your photo could not be used. Please take a new selfie with the camera.',
  },
  UNKNOWN_CODE: {
    action: 'retake',
    title: RETAKE,
    text: 'Your selfie was not accepted. Take a new one in good light, looking straight at the camera.',
  },
  // The pipeline's own pre-check (REJECTED, source precheck), which the app runs before uploading too.
  EMPTY_OBJECT: {
    action: 'choose-another',
    title: ANOTHER,
    text: 'The file is empty. Take a selfie with the camera, or choose another photo.',
  },
  OBJECT_TOO_LARGE: {
    action: 'choose-another',
    title: ANOTHER,
    text: 'The photo is too large. Take a selfie with the camera, or choose a smaller photo.',
  },
  UNSUPPORTED_IMAGE_FORMAT: {
    action: 'choose-another',
    title: ANOTHER,
    text: 'This file is not a photo we can use. Choose a JPEG or PNG photo, or take a selfie with the camera.',
  },
  IMAGE_TOO_SMALL: {
    action: 'retake',
    title: RETAKE,
    text: 'The picture is too small to check. Take the selfie with a better camera, or choose a larger photo.',
    photo: {
      action: 'choose-another',
      title: ANOTHER,
      text: 'The photo is too small to check. Choose a larger photo, or take a selfie with the camera.',
    },
  },
  IMAGE_DIMENSIONS_INVALID: {
    action: 'choose-another',
    title: ANOTHER,
    text: 'The photo’s size is not usable. Take a selfie with the camera, or choose another photo.',
  },
  // No verdict (FAILED): never the person's fault, never worth an immediate retake.
  VENDOR_UNAVAILABLE: { action: 'try-later', title: LATER, text: BUSY },
  VENDOR_AUTH_REFUSED: { action: 'try-later', title: LATER, text: BUSY },
  VENDOR_REQUEST_REFUSED: { action: 'try-later', title: LATER, text: BUSY },
  VENDOR_RESPONSE_INVALID: { action: 'try-later', title: LATER, text: BUSY },
  OBJECT_NOT_FOUND: {
    action: 'try-later',
    title: LATER,
    text: 'Your photo did not reach us. Please try again.',
  },
  LEASE_EXPIRED: { action: 'try-later', title: LATER, text: BUSY },
  INTERNAL_ERROR: { action: 'try-later', title: LATER, text: BUSY },
  // The upload never arrived in time (EXPIRED).
  EXPIRED: {
    action: 'try-later',
    title: LATER,
    text: 'Your photo did not arrive in time. Please try again, on a stable connection.',
  },
  // The app's own situations.
  CAMERA_DENIED: {
    action: 'camera',
    title: 'The camera is blocked',
    text: 'Allow the camera for this page: tap the lock or camera icon by the address, set Camera to Allow, then try again.',
  },
  CAMERA_NOT_FOUND: {
    action: 'camera',
    title: 'No camera found',
    text: 'We could not find a camera on this device. Connect one and try again, or use a phone with a front camera.',
  },
  CAMERA_BUSY: {
    action: 'camera',
    title: 'The camera is in use',
    text: 'Another app or tab is using the camera. Close it (a video call, for example), then try again.',
  },
  CAMERA_UNAVAILABLE: {
    action: 'camera',
    title: 'The camera is not available',
    text: 'This browser cannot use the camera on this page. Open it in an up-to-date browser, then try again.',
  },
  CHECK_NOT_FOUND: {
    action: 'retake',
    title: AGAIN,
    text: 'We could not find your check any more. Please start again with a new selfie.',
  },
  CONNECTION_FAILED: {
    action: 'try-later',
    title: LATER,
    text: 'We could not reach the server. Check your connection and try again.',
  },
  RATE_LIMITED: {
    action: 'try-later',
    title: LATER,
    text: 'You have made several attempts in a short time. Please wait a few minutes and try again.',
  },
  DAILY_LIMIT_REACHED: {
    action: 'try-later',
    title: LATER,
    text: 'You have made the most attempts allowed for today. Please try again tomorrow.',
  },
  CHECKS_UNAVAILABLE: {
    action: 'try-later',
    title: LATER,
    text: 'We cannot check selfies at the moment. This is not your fault. Please try again later.',
  },
  NOT_SIGNED_IN: {
    action: 'try-later',
    title: 'Please sign in again',
    text: 'Your session has ended. Sign in again, then retake the check.',
  },
  STILL_CHECKING: {
    action: 'try-later',
    title: 'Your selfie is still being checked',
    text: 'This is taking longer than usual. We will let you know the result; you can close this page.',
  },
} as const satisfies Record<HintedReason, Hint>;

/**
 * The hint for a reason, worded for where the picture came from (`'photo'`: a chosen file, so no
 * camera or oval is spoken of); an unknown reason (newer than this table) gets a plain "try later".
 */
export function hintForReason(reason: string, picture: PictureSource = 'camera'): Hint {
  if (!Object.hasOwn(REASON_HINTS, reason)) return { action: 'try-later', title: LATER, text: BUSY };
  const hint: Hint = REASON_HINTS[reason as HintedReason];
  return picture === 'photo' && hint.photo ? hint.photo : hint;
}

/** The hint for a final check that did not pass; `undefined` for `PASSED` and for a status not yet final. */
export function hintForCheck(
  check: Pick<CheckView, 'status' | 'rejection' | 'failure'>,
  picture: PictureSource = 'camera',
): Hint | undefined {
  switch (check.status) {
    case 'REJECTED':
      return hintForReason(check.rejection?.reason ?? 'UNKNOWN_CODE', picture);
    case 'FAILED':
      return hintForReason(check.failure?.reason ?? 'INTERNAL_ERROR', picture);
    case 'EXPIRED':
      return REASON_HINTS.EXPIRED;
    default:
      return undefined;
  }
}

/** The 429 codes that mean more than "too fast": a limit that lasts the day. */
const RATE_LIMIT_SITUATIONS: Readonly<Record<string, AppSituation>> = {
  OWNER_DAILY_LIMITED: 'DAILY_LIMIT_REACHED',
  CHECK_BUDGET_EXHAUSTED: 'CHECKS_UNAVAILABLE',
};

/**
 * The reason to show for an error the client threw: the pre-check's own reason, or the app situation
 * it stands for (a check gone is `CHECK_NOT_FOUND`, "start again"); anything else (a bug such as an
 * `InvalidRequestError`, a wrong base URL, the API or S3 failing) is `INTERNAL_ERROR`, "try again later".
 */
export function reasonForError(error: unknown): HintedReason {
  if (error instanceof SelfieRejectedError) return error.reason;
  if (error instanceof RateLimitedError) {
    return Object.hasOwn(RATE_LIMIT_SITUATIONS, error.code)
      ? (RATE_LIMIT_SITUATIONS[error.code] as AppSituation)
      : 'RATE_LIMITED';
  }
  if (error instanceof NotAuthorizedError) return 'NOT_SIGNED_IN';
  if (error instanceof NetworkError) return 'CONNECTION_FAILED';
  if (error instanceof VerdictTimeoutError) return 'STILL_CHECKING';
  if (error instanceof UploadExpiredError) return 'EXPIRED';
  if (error instanceof CheckNotFoundError) return 'CHECK_NOT_FOUND';
  return 'INTERNAL_ERROR';
}

/**
 * The reason for a camera that did not start, from `getUserMedia`'s error: refused
 * (`NotAllowedError`, or `SecurityError` when a policy forbids it), none there (`NotFoundError`,
 * `OverconstrainedError`), in use or failing (`NotReadableError`, `AbortError`); anything else, such
 * as a browser without camera access on this page, is `CAMERA_UNAVAILABLE`.
 */
export function reasonForCameraError(error: unknown): AppSituation {
  const name = typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError')
    return 'CAMERA_DENIED';
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError')
    return 'CAMERA_NOT_FOUND';
  if (name === 'NotReadableError' || name === 'AbortError' || name === 'TrackStartError')
    return 'CAMERA_BUSY';
  return 'CAMERA_UNAVAILABLE';
}
