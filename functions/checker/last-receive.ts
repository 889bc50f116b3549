/**
 * A check that threw, or a message the invocation has no time for: SQS delivers it again, or, on the
 * message's last receive, every check it names ends in a final status.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import { type FinalOutcome, isFinalStatus } from '../../shared/check.js';
import type { WriteResult } from '../../shared/check-repository.js';
import { describeError, RetryableError } from '../../shared/errors.js';
import {
  type CheckerDeps,
  type Disposition,
  type Invocation,
  type ObjectContext,
  objectContext,
} from './context.js';
import { deliveryOf, recordTime } from './delivery.js';
import { checkIdForKey, parseNotification } from './notification.js';
import { deleteSelfie } from './selfie.js';
import { logVerdict } from './verdict-metrics.js';
import { withWriteRetries } from './write-retries.js';

/** Recorded when a check cannot be completed on its message's last receive: safe to publish. */
const INTERNAL_ERROR = {
  reason: 'INTERNAL_ERROR',
  message: 'the selfie could not be checked: an internal error persisted past every retry',
} as const;
const NO_TIME_LEFT = {
  reason: 'INTERNAL_ERROR',
  message: 'the selfie could not be checked: its last delivery came with no time left to check it',
} as const;

/** A check that threw: SQS delivers the message again, or, on its last receive, the check ends FAILED. */
export async function afterError(error: unknown, ctx: ObjectContext): Promise<Disposition> {
  const data = { error: describeError(error) };
  if (!ctx.delivery.lastReceive) {
    // AWS faults and anything unforeseen: SQS delivers again, and the DLQ holds what never succeeds.
    ctx.logger[error instanceof RetryableError ? 'warn' : 'error'](
      'check will be retried after an error',
      data,
    );
    return 'retry';
  }
  ctx.logger.error('check failed on the last receive of its message', data);
  return await endOnLastReceive(ctx, INTERNAL_ERROR);
}

/** A message the invocation has no time for: SQS delivers it again, or, on its last receive, its checks end FAILED. */
export async function leaveForLater(
  record: SQSRecord,
  deps: CheckerDeps,
  invocation: Invocation,
): Promise<Disposition> {
  const delivery = deliveryOf(record, deps.config, invocation, recordTime(invocation.remainingMs(), deps));
  if (!delivery.lastReceive) return 'retry';
  const notification = parseNotification(record.body);
  // A malformed notification has no check to record: it goes on to the DLQ as it is.
  if (notification.kind !== 'objects') return notification.kind === 'test-event' ? 'ack' : 'retry';
  for (const object of notification.objects) {
    // Only what `checkMessage` would check: another bucket's notification decides nothing.
    if (object.bucket !== deps.config.selfieBucket || !object.key.startsWith(deps.config.selfiePrefix))
      continue;
    const checkId = checkIdForKey(object.key, deps.config.selfiePrefix);
    await endOnLastReceive(objectContext(object, checkId, delivery, deps), NO_TIME_LEFT);
  }
  return 'retry';
}

/**
 * Ends a check on its message's last receive: the vendor answer this container kept for the message,
 * else FAILED (`INTERNAL_ERROR`), written under the message's own lease or unclaimed (which creates the
 * item of a direct upload), never over another live lease or a final status; then the selfie goes.
 * The message still goes on to the DLQ for operators, as after a vendor failure.
 */
async function endOnLastReceive(
  ctx: ObjectContext,
  failure: typeof INTERNAL_ERROR | typeof NO_TIME_LEFT,
): Promise<Disposition> {
  const { object, checkId, delivery, logger, deps } = ctx;
  const { leaseId, messageId } = delivery;
  const kept = deps.outcomeMemory.recall(checkId, messageId, deps.clock.now().getTime());
  const outcome: FinalOutcome = kept?.outcome ?? { status: 'FAILED', failure: { ...failure } };
  let written: WriteResult;
  try {
    written = await withWriteRetries(
      () =>
        deps.repository.finalize({
          checkId,
          outcome,
          guard: kept ? { kind: 'lease', leaseId: kept.leaseId } : { kind: 'own-or-unclaimed', leaseId },
          now: deps.clock.now(),
          // Not the context's facts: what an aborted read found is not stored, and the size stays
          // unknown rather than what the notification claims.
          object: { bucket: deps.config.selfieBucket, objectKey: object.key },
          abortSignal: delivery.time.writes,
        }),
      { delivery, logger, deps },
    );
  } catch (error) {
    // Nothing recorded: the DLQ holds the message, the sweeper settles an API check, the lifecycle rule the selfie.
    logger.error('could not record the outcome on the last receive', { error: describeError(error) });
    deps.metrics.addMetric('LastReceiveWriteFailures', MetricUnit.Count, 1);
    return 'retry';
  }
  if (written.written) {
    deps.outcomeMemory.forget(checkId, messageId);
    logVerdict(written.item, logger, deps.metrics);
  } else if (!isFinalStatus(written.current?.status)) {
    // Another message holds a live lease: its own delivery finishes the check and deletes the selfie.
    logger.warn('leaving the check to the message that holds it', { status: written.current?.status });
    return 'retry';
  }
  const deleted = await deleteSelfie(object, checkId, deps, delivery.time.writes);
  // A kept vendor verdict that finally got written is a success like any other.
  return written.written && kept && !kept.toDlq && deleted ? 'ack' : 'retry';
}
