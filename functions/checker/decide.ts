/** What a vendor answer means for a check: a verdict to record, or another try. */
import { TRANSIENT_REJECTION_CODES } from '../../shared/apptenticate/codes.js';
import type { LivenessOutcome } from '../../shared/apptenticate/outcome.js';
import type { CheckItem, FinalOutcome } from '../../shared/check.js';

/** What to do with a vendor answer. */
export type Decision =
  | { kind: 'final'; outcome: FinalOutcome; toDlq: boolean }
  | { kind: 'retry'; reason: string; toDlq?: never };

/**
 * The vendor's answer as a final outcome (`toDlq`: the message still goes on to the DLQ) or as a
 * retry; on the message's last receive nothing is retried.
 */
export function decide(outcome: LivenessOutcome, lastReceive: boolean): Decision {
  switch (outcome.kind) {
    case 'passed':
      return { kind: 'final', toDlq: false, outcome: { status: 'PASSED', result: resultOf(true, outcome) } };
    case 'rejected': {
      // 711/712 may be the vendor's own hiccup: retried like a 5xx, then taken as the verdict.
      if (TRANSIENT_REJECTION_CODES.has(outcome.code) && !lastReceive) {
        return { kind: 'retry', reason: `transient rejection code ${outcome.code}` };
      }
      const rejection = {
        code: outcome.code,
        reason: outcome.reason,
        source: 'apptenticate' as const,
        ...(outcome.message !== undefined ? { message: outcome.message } : {}),
      };
      return {
        kind: 'final',
        toDlq: false,
        outcome: { status: 'REJECTED', rejection, result: resultOf(false, outcome) },
      };
    }
    case 'image-refused': {
      // The vendor refused the file itself (HTTP 413, or a 400 about the selfie field): a verdict.
      const rejection = { reason: outcome.reason, source: 'apptenticate' as const, message: outcome.message };
      return { kind: 'final', toDlq: false, outcome: { status: 'REJECTED', rejection } };
    }
    case 'auth-refused':
    case 'retryable': {
      if (!lastReceive)
        return { kind: 'retry', reason: outcome.kind === 'retryable' ? outcome.reason : 'AUTH_REFUSED' };
      const failure =
        outcome.kind === 'auth-refused'
          ? {
              reason: 'VENDOR_AUTH_REFUSED' as const,
              message: 'Apptenticate refused our tokens on every attempt',
            }
          : {
              reason: 'VENDOR_UNAVAILABLE' as const,
              message: `Apptenticate stayed unavailable (${outcome.reason})`,
            };
      return { kind: 'final', toDlq: true, outcome: { status: 'FAILED', failure } };
    }
    case 'terminal': {
      const failure =
        outcome.reason === 'REQUEST_REFUSED'
          ? {
              reason: 'VENDOR_REQUEST_REFUSED' as const,
              message: `Apptenticate refused the request (HTTP ${outcome.httpStatus ?? '?'})`,
            }
          : {
              reason: 'VENDOR_RESPONSE_INVALID' as const,
              message: 'Apptenticate answered something we cannot interpret',
            };
      return { kind: 'final', toDlq: false, outcome: { status: 'FAILED', failure } };
    }
  }
}

function resultOf(
  valid: boolean,
  outcome: { transactionId?: string; score?: number; quality?: number; liveness?: number },
): NonNullable<CheckItem['result']> {
  return {
    valid,
    ...(outcome.transactionId !== undefined ? { transactionId: outcome.transactionId } : {}),
    ...(outcome.score !== undefined ? { score: outcome.score } : {}),
    ...(outcome.quality !== undefined ? { quality: outcome.quality } : {}),
    ...(outcome.liveness !== undefined ? { liveness: outcome.liveness } : {}),
  };
}
