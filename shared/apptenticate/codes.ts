/**
 * Apptenticate's rejection codes and the stable reason names we publish for them.
 * The vendor's documented messages carry typos; they are data here, never logic.
 */
export const REJECTION_CODES = {
  700: { reason: 'FACE_TOO_CLOSE', message: 'Face to close.' },
  701: { reason: 'FACE_TOO_CLOSE_TO_BORDERS', message: 'Face to close to borders.' },
  702: { reason: 'FACE_INCOMPLETE', message: 'Incomplete face.' },
  703: { reason: 'FACE_OBSTRUCTED', message: 'Obstructed face.' },
  704: { reason: 'FACE_NOT_DETECTED', message: 'Face not detected.' },
  705: { reason: 'TOO_MANY_FACES', message: 'Too many faces.' },
  706: { reason: 'FACE_TOO_SMALL', message: 'Face reduced in pixels' },
  707: { reason: 'FACE_ANGLE_INCORRECT', message: 'Incorrect angle of the face.' },
  708: { reason: 'IMAGE_UNREADABLE', message: 'Error reading image.' },
  709: { reason: 'IMAGE_PROCESSING_ERROR', message: 'Error processing image.' },
  710: { reason: 'FACE_BORDERS_ERROR', message: 'Error predicting face borders.' },
  711: { reason: 'LIVENESS_INTERNAL_ERROR', message: 'Internal liveness error' },
  712: { reason: 'UNKNOWN_ERROR', message: 'Unkown error.' },
  713: { reason: 'QUALITY_TOO_LOW', message: 'Livenes image quality not acceptable.' },
  714: { reason: 'IMAGE_CONDITIONS_NOT_MET', message: 'Minimum image conditions for liveness not met.' },
  715: { reason: 'LIVENESS_SCORE_TOO_LOW', message: 'Minimum score for liveness not met.' },
} as const satisfies Record<number, { reason: string; message: string }>;

export type KnownRejectionCode = keyof typeof REJECTION_CODES;
export type RejectionReason = (typeof REJECTION_CODES)[KnownRejectionCode]['reason'] | 'UNKNOWN_CODE';

/**
 * Why the vendor refused the selfie file itself, without a rejection code (see `ImageRefusalReason`
 * in `outcome.ts`): its HTTP 413, and its 400 naming only the selfie file.
 */
export const IMAGE_REFUSAL_REASONS = ['OBJECT_TOO_LARGE', 'IMAGE_REFUSED'] as const;

/** Every documented code, in order. */
export const KNOWN_REJECTION_CODES = Object.keys(REJECTION_CODES).map(Number) as KnownRejectionCode[];

/**
 * Codes that may be transient on the vendor's side. The checker retries them like a 5xx and, if
 * they persist until the last allowed receive, records the vendor's rejection as the verdict.
 * See docs/decisions/0002-transient-rejection-codes.md.
 */
export const TRANSIENT_REJECTION_CODES: ReadonlySet<number> = new Set([711, 712]);

/** The stable reason name for a code; unknown codes map to `UNKNOWN_CODE` and keep their number. */
export function reasonForCode(code: number): RejectionReason {
  return code in REJECTION_CODES ? REJECTION_CODES[code as KnownRejectionCode].reason : 'UNKNOWN_CODE';
}
