import { describe, expect, it } from 'vitest';
import { decide } from '../../../functions/checker/decide.js';

describe('decide', () => {
  it('takes a pass as PASSED with the transaction id and scores', () => {
    const outcome = {
      kind: 'passed' as const,
      transactionId: 't-1',
      score: 2.5,
      quality: 0.8,
      liveness: 0.9,
    };
    expect(decide(outcome, false)).toEqual({
      kind: 'final',
      toDlq: false,
      outcome: {
        status: 'PASSED',
        result: { valid: true, transactionId: 't-1', score: 2.5, quality: 0.8, liveness: 0.9 },
      },
    });
  });

  it('takes a rejection code as REJECTED by apptenticate, with its message and scores', () => {
    const outcome = {
      kind: 'rejected' as const,
      code: 700,
      reason: 'FACE_TOO_CLOSE' as const,
      message: 'Face to close.',
      transactionId: 't-2',
      score: 0.4,
      httpStatus: 200,
    };
    expect(decide(outcome, false)).toEqual({
      kind: 'final',
      toDlq: false,
      outcome: {
        status: 'REJECTED',
        rejection: { code: 700, reason: 'FACE_TOO_CLOSE', source: 'apptenticate', message: 'Face to close.' },
        result: { valid: false, transactionId: 't-2', score: 0.4 },
      },
    });
  });

  it.each([711, 712])(
    'retries transient code %i before the last receive, and takes it as the verdict on it',
    (code) => {
      const outcome = {
        kind: 'rejected' as const,
        code,
        reason: 'LIVENESS_INTERNAL_ERROR' as const,
        httpStatus: 200,
      };
      expect(decide(outcome, false)).toEqual({ kind: 'retry', reason: `transient rejection code ${code}` });
      expect(decide(outcome, true)).toMatchObject({
        kind: 'final',
        toDlq: false,
        outcome: { status: 'REJECTED', rejection: { code, source: 'apptenticate' } },
      });
    },
  );

  it('takes a refused image as REJECTED by apptenticate, without a result', () => {
    const outcome = {
      kind: 'image-refused' as const,
      reason: 'IMAGE_REFUSED' as const,
      httpStatus: 400,
      message: 'Upload a valid image.',
    };
    expect(decide(outcome, false)).toEqual({
      kind: 'final',
      toDlq: false,
      outcome: {
        status: 'REJECTED',
        rejection: { reason: 'IMAGE_REFUSED', source: 'apptenticate', message: 'Upload a valid image.' },
      },
    });
  });

  it('retries an unavailable vendor, and on the last receive records FAILED and still goes on to the DLQ', () => {
    const outcome = {
      kind: 'retryable' as const,
      reason: 'RATE_LIMITED' as const,
      httpStatus: 429,
      message: 'slow',
    };
    expect(decide(outcome, false)).toEqual({ kind: 'retry', reason: 'RATE_LIMITED' });
    expect(decide(outcome, true)).toEqual({
      kind: 'final',
      toDlq: true,
      outcome: {
        status: 'FAILED',
        failure: { reason: 'VENDOR_UNAVAILABLE', message: 'Apptenticate stayed unavailable (RATE_LIMITED)' },
      },
    });
  });

  it('retries refused tokens, and on the last receive records FAILED and still goes on to the DLQ', () => {
    const outcome = { kind: 'auth-refused' as const, httpStatus: 401, message: 'refused' };
    expect(decide(outcome, false)).toEqual({ kind: 'retry', reason: 'AUTH_REFUSED' });
    expect(decide(outcome, true)).toEqual({
      kind: 'final',
      toDlq: true,
      outcome: {
        status: 'FAILED',
        failure: {
          reason: 'VENDOR_AUTH_REFUSED',
          message: 'Apptenticate refused our tokens on every attempt',
        },
      },
    });
  });

  it('records a refused request as FAILED with its HTTP status, at once', () => {
    const outcome = {
      kind: 'terminal' as const,
      reason: 'REQUEST_REFUSED' as const,
      httpStatus: 400,
      message: 'bad',
    };
    expect(decide(outcome, false)).toEqual({
      kind: 'final',
      toDlq: false,
      outcome: {
        status: 'FAILED',
        failure: { reason: 'VENDOR_REQUEST_REFUSED', message: 'Apptenticate refused the request (HTTP 400)' },
      },
    });
    const { httpStatus: _, ...withoutStatus } = outcome;
    expect(decide(withoutStatus, false)).toMatchObject({
      outcome: { failure: { message: 'Apptenticate refused the request (HTTP ?)' } },
    });
  });

  it('records an answer it cannot interpret as FAILED, at once', () => {
    const outcome = {
      kind: 'terminal' as const,
      reason: 'RESPONSE_INVALID' as const,
      httpStatus: 200,
      message: '?',
    };
    expect(decide(outcome, false)).toEqual({
      kind: 'final',
      toDlq: false,
      outcome: {
        status: 'FAILED',
        failure: {
          reason: 'VENDOR_RESPONSE_INVALID',
          message: 'Apptenticate answered something we cannot interpret',
        },
      },
    });
  });
});
