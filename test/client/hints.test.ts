import { describe, expect, it } from 'vitest';
import {
  CheckNotFoundError,
  hintForCheck,
  hintForReason,
  InvalidRequestError,
  NetworkError,
  NotAuthorizedError,
  RateLimitedError,
  REASON_HINTS,
  RouteNotFoundError,
  reasonForCameraError,
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
    const hints = Object.entries(REASON_HINTS).flatMap(([reason, hint]) => [
      [reason, hint] as const,
      ...('photo' in hint ? [[`${reason} (photo)`, hint.photo] as const] : []),
    ]);
    for (const [reason, hint] of hints) {
      expect(hint.text, reason).toMatch(/^[A-Z].*\.$/);
      expect(hint.text.length, reason).toBeLessThanOrEqual(140);
      expect(`${hint.title} ${hint.text}`, reason).not.toMatch(
        /[A-Z]{2,}_[A-Z]|apptenticate|vendor|liveness|precheck|pre-check|HTTP|API|\b\d{3}\b/i,
      );
    }
  });

  it('speaks of the camera and its oval only when the picture came from the camera', () => {
    const cameraWords = /oval|the camera at|arm’s length and fit|move closer|hold still/i;
    for (const reason of Object.keys(REASON_HINTS)) {
      const photo = hintForReason(reason, 'photo');
      expect(`${photo.title} ${photo.text}`, reason).not.toMatch(cameraWords);
    }
    // The hints that do speak of the oval have a photo wording of their own.
    const withOval = Object.entries(REASON_HINTS).filter(([, hint]) => /oval/.test(hint.text));
    expect(withOval.length).toBeGreaterThan(5);
    for (const [reason, hint] of withOval) expect(hintForReason(reason, 'photo'), reason).not.toBe(hint);
    expect(hintForReason('FACE_NOT_DETECTED')).toBe(REASON_HINTS.FACE_NOT_DETECTED);
  });

  it('asks for a larger photo, not a retake, when a chosen photo is too small', () => {
    expect(hintForReason('IMAGE_TOO_SMALL', 'photo')).toMatchObject({
      action: 'choose-another',
      text: expect.stringMatching(/^The photo is too small to check\. Choose a larger photo/),
    });
    expect(hintForReason('IMAGE_TOO_SMALL', 'camera').action).toBe('retake');
    expect(
      hintForCheck(
        { status: 'REJECTED', rejection: { reason: 'FACE_TOO_SMALL', source: 'apptenticate' } },
        'photo',
      ),
    ).toMatchObject({ action: 'choose-another', title: 'Please use another photo' });
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
    expect(reasonForError(new CheckNotFoundError(404, 'CHECK_NOT_FOUND', 'm'))).toBe('CHECK_NOT_FOUND');
    expect(reasonForError(new InvalidRequestError(400, 'INVALID_DEVICE', 'm'))).toBe('INTERNAL_ERROR');
    expect(reasonForError(new RouteNotFoundError(404, 'NOT_FOUND', 'm'))).toBe('INTERNAL_ERROR');
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

describe('reasonForCameraError', () => {
  it.each([
    ['NotAllowedError', 'CAMERA_DENIED'],
    ['SecurityError', 'CAMERA_DENIED'],
    ['NotFoundError', 'CAMERA_NOT_FOUND'],
    ['OverconstrainedError', 'CAMERA_NOT_FOUND'],
    ['NotReadableError', 'CAMERA_BUSY'],
    ['AbortError', 'CAMERA_BUSY'],
    ['TypeError', 'CAMERA_UNAVAILABLE'],
  ])("tells getUserMedia's %s apart as %s", (name, reason) => {
    expect(reasonForCameraError(new DOMException('m', name))).toBe(reason);
  });

  it('gives each camera situation its own advice, and the way to allow a refused camera', () => {
    const situations = ['CAMERA_DENIED', 'CAMERA_NOT_FOUND', 'CAMERA_BUSY', 'CAMERA_UNAVAILABLE'] as const;
    const texts = new Set(situations.map((reason) => REASON_HINTS[reason].text));
    expect(texts.size).toBe(situations.length);
    for (const reason of situations) expect(REASON_HINTS[reason].action).toBe('camera');
    expect(REASON_HINTS.CAMERA_DENIED.text).toMatch(/Allow/);
    expect(reasonForCameraError(undefined)).toBe('CAMERA_UNAVAILABLE');
  });
});
