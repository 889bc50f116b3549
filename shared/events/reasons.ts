/**
 * The reason names this release publishes in `detail.rejection.reason` and `detail.failure.reason`.
 * Stable: a name is never renamed or reused for something else. New names may be added within a
 * schema version, so a subscriber treats a name it does not know like its status in general.
 */
import { IMAGE_REFUSAL_REASONS, REJECTION_CODES } from '../apptenticate/codes.js';
import { FAILURE_REASONS, PRECHECK_REASONS } from '../check.js';

/** Apptenticate's documented rejection codes (700-715) and the reason each is published as. */
export const REJECTION_REASON_BY_CODE: Readonly<Record<number, string>> = Object.freeze(
  Object.fromEntries(Object.entries(REJECTION_CODES).map(([code, { reason }]) => [Number(code), reason])),
);

/** Every rejection reason this release publishes, vendor codes first, then `UNKNOWN_CODE`, the vendor's refusals of the file and the pre-check's. */
export const KNOWN_REJECTION_REASONS: readonly string[] = Object.freeze([
  ...new Set<string>([
    ...Object.values(REJECTION_REASON_BY_CODE),
    'UNKNOWN_CODE',
    ...IMAGE_REFUSAL_REASONS,
    ...PRECHECK_REASONS,
  ]),
]);

/** Every failure reason this release publishes. */
export const KNOWN_FAILURE_REASONS: readonly string[] = Object.freeze([...FAILURE_REASONS]);

/** Whether this release publishes `reason` as a rejection reason. */
export function isKnownRejectionReason(reason: string): boolean {
  return KNOWN_REJECTION_REASONS.includes(reason);
}

/** Whether this release publishes `reason` as a failure reason. */
export function isKnownFailureReason(reason: string): boolean {
  return KNOWN_FAILURE_REASONS.includes(reason);
}
