import { describe, expect, it } from 'vitest';
import {
  hintForCheck,
  hintForReason,
  NetworkError,
  NotAuthorizedError,
  RateLimitedError,
  REASON_HINTS,
  reasonForError,
  SelfieRejectedError,
  UploadExpiredError,
  UploadRejectedError,
  VerdictTimeoutError,
} from '../../client/index.js';
import { KNOWN_FAILURE_REASONS, KNOWN_REJECTION_REASONS } from '../../shared/events/index.js';

const actionOf = (reason: string) => hintForReason(reason).action;

describe('the reason-to-hint table', () => {
  it('has a hint of its own for every reason the pipeline publishes, and for EXPIRED', () => {
    const missing = [...KNOWN_REJECTION_REASONS, ...KNOWN_FAILURE_REASONS, 'EXPIRED'].filter(
      (reason) => !Object.hasOwn(REASON_HINTS, reason),
    );
    expect(missing).toEqual([]);
  });

  it('asks for a retake for framing, light, a face too small or too close', () => {
    for (const reason of [
      'FACE_TOO_CLOSE',
      'FACE_TOO_CLOSE_TO_BORDERS',
      'FACE_INCOMPLETE',
      'FACE_NOT_DETECTED',
      'FACE_ANGLE_INCORRECT',
      'FACE_TOO_SMALL',
      'QUALITY_TOO_LOW',
      'IMAGE_CONDITIONS_NOT_MET',
      'IMAGE_TOO_SMALL',
    ]) {
      expect([reason, actionOf(reason)]).toEqual([reason, 'retake']);
    }
  });

  it('tells a suspected spoof apart, and sends every failure and expiry to "try later"', () => {
    expect(actionOf('LIVENESS_SCORE_TOO_LOW')).toBe('spoof');
    for (const reason of [...KNOWN_FAILURE_REASONS, 'EXPIRED', 'LIVENESS_INTERNAL_ERROR', 'UNKNOWN_ERROR']) {
      expect([reason, actionOf(reason)]).toEqual([reason, 'try-later']);
    }
  });

  it('speaks to a person: short sentences, no reason names, no vendor, no jargon', () => {
    for (const [reason, hint] of Object.entries(REASON_HINTS)) {
      expect(hint.text, reason).toMatch(/^[A-Z].*\.$/);
      expect(hint.text.length, reason).toBeLessThanOrEqual(140);
      expect(`${hint.title} ${hint.text}`, reason).not.toMatch(
        /[A-Z]{2,}_[A-Z]|apptenticate|vendor|liveness|precheck|pre-check|HTTP|API|\b\d{3}\b/i,
      );
    }
  });

  it('falls back to "try later" for a reason newer than the table', () => {
    expect(hintForReason('A_REASON_FROM_NEXT_YEAR')).toMatchObject({ action: 'try-later' });
    expect(hintForReason('toString')).toMatchObject({ action: 'try-later' });
  });
});

describe('hintForCheck', () => {
  it('gives no hint for a pass or a check still running', () => {
    expect(hintForCheck({ status: 'PASSED' })).toBeUndefined();
    expect(hintForCheck({ status: 'CHECKING' })).toBeUndefined();
  });

  it('hints by the rejection or failure reason, and for EXPIRED', () => {
    expect(
      hintForCheck({
        status: 'REJECTED',
        rejection: { reason: 'FACE_TOO_CLOSE', source: 'apptenticate', code: 700 },
      }),
    ).toBe(REASON_HINTS.FACE_TOO_CLOSE);
    expect(hintForCheck({ status: 'FAILED', failure: { reason: 'VENDOR_UNAVAILABLE', message: 'm' } })).toBe(
      REASON_HINTS.VENDOR_UNAVAILABLE,
    );
    expect(hintForCheck({ status: 'EXPIRED' })).toBe(REASON_HINTS.EXPIRED);
  });
});

describe('reasonForError', () => {
  it('maps what the client throws to the reason a person is shown', () => {
    expect(reasonForError(new SelfieRejectedError('UNSUPPORTED_IMAGE_FORMAT', 'm'))).toBe(
      'UNSUPPORTED_IMAGE_FORMAT',
    );
    expect(reasonForError(new RateLimitedError(429, 'OWNER_RATE_LIMITED', 'm', 30_000))).toBe('RATE_LIMITED');
    expect(reasonForError(new NotAuthorizedError(401, 'UNAUTHORIZED', 'm'))).toBe('NOT_SIGNED_IN');
    expect(reasonForError(new NetworkError('m'))).toBe('CONNECTION_FAILED');
    expect(reasonForError(new VerdictTimeoutError('id', 'CHECKING'))).toBe('STILL_CHECKING');
    expect(reasonForError(new UploadExpiredError('2026-11-30T10:05:00Z'))).toBe('EXPIRED');
    expect(reasonForError(new UploadRejectedError(403, 'AccessDenied'))).toBe('INTERNAL_ERROR');
    expect(reasonForError(new TypeError('a bug'))).toBe('INTERNAL_ERROR');
  });

  it.each([
    ['OWNER_RATE_LIMITED', 'RATE_LIMITED'],
    ['OPEN_CHECKS_LIMITED', 'RATE_LIMITED'],
    ['TOO_MANY_REQUESTS', 'RATE_LIMITED'],
    ['OWNER_DAILY_LIMITED', 'DAILY_LIMIT_REACHED'],
    ['CHECK_BUDGET_EXHAUSTED', 'CHECKS_UNAVAILABLE'],
    ['constructor', 'RATE_LIMITED'],
  ])('tells the person what a 429 %s means for them (%s), always "try later"', (code, reason) => {
    const shown = reasonForError(new RateLimitedError(429, code, 'm', 3_600_000));
    expect(shown).toBe(reason);
    expect(hintForReason(shown).action).toBe('try-later');
  });

  it("tells a person at their day's limit to come back tomorrow, and one refused for the budget that it is not their fault", () => {
    expect(REASON_HINTS.DAILY_LIMIT_REACHED.text).toMatch(/tomorrow/);
    expect(REASON_HINTS.CHECKS_UNAVAILABLE.text).toMatch(/not your fault/);
  });
});
