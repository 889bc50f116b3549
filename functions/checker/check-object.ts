/**
 * One object of a notification: read, pre-check, claim, the paid vendor call, the verdict write and
 * the selfie delete; or, when someone else holds or decided the check, no vendor call at all. Only
 * what S3 answers decides: a notification names an object, and anyone who may send to the queue can
 * write one, so an object that is not there decides nothing.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { LivenessOutcome, LivenessRequest } from '../../shared/apptenticate/outcome.js';
import { type CheckItem, type FinalOutcome, isFinalStatus } from '../../shared/check.js';
import {
  isPrecheckFailure,
  objectTooLarge,
  type PrecheckFailure,
  precheckImage,
} from '../../shared/precheck.js';
import type { Disposition, ObjectContext } from './context.js';
import { decide } from './decide.js';
import { isLeaseOfMessage } from './delivery.js';
import type { KeptOutcome } from './outcome-memory.js';
import { deleteSelfie, readSelfie } from './selfie.js';
import { logVendorFailure, logVerdict, recordVendorMetrics } from './verdict-metrics.js';
import { withWriteRetries } from './write-retries.js';

/** Checks one object of a message; the vendor is called only under the message's own claim. */
export async function checkObject(ctx: ObjectContext): Promise<Disposition> {
  const { object, checkId, facts, delivery, logger, deps } = ctx;
  // An earlier delivery of this message paid for an answer and could not write it: write it now,
  // under the lease it was paid under, which no other delivery took over if the write applies.
  const kept = deps.outcomeMemory.recall(checkId, delivery.messageId, deps.clock.now().getTime());
  if (kept) {
    logger.info('writing a vendor answer kept from an earlier delivery');
    deps.metrics.addMetric('KeptVerdictsWritten', MetricUnit.Count, 1);
    return await writeVerdict(ctx, kept);
  }

  const selfie = await readSelfie(object, deps, delivery.time.deadline.signal);
  if (selfie.kind === 'missing') {
    // Not in the bucket: a forged message, or a late duplicate whose selfie went with its verdict.
    // A real check whose selfie vanished is the sweeper's (no upload: EXPIRED; a claim: LEASE_EXPIRED).
    deps.metrics.addMetric('MissingObjectNotifications', MetricUnit.Count, 1);
    logger.info('skipping a notification for an object not in the bucket');
    return 'ack';
  }
  facts.objectSize = selfie.size;
  Object.assign(facts, selfie.metadata);
  if (selfie.kind === 'oversize')
    return await recordUnclaimed(ctx, rejectedByPrecheck(objectTooLarge(deps.config)));
  const image = precheckImage(selfie.bytes, deps.config);
  if (isPrecheckFailure(image)) return await recordUnclaimed(ctx, rejectedByPrecheck(image));

  const claim = await deps.repository.claim({
    checkId,
    object: facts,
    leaseId: delivery.leaseId,
    leaseMs: deps.config.leaseSeconds * 1000,
    now: deps.clock.now(),
    abortSignal: delivery.time.deadline.signal,
  });
  if (!claim.written) return await skipClaimed(ctx, claim.current);

  const device = claim.item.device;
  const request = {
    selfie: selfie.bytes,
    contentType: image.contentType,
    fileName: `${checkId}.${image.format === 'png' ? 'png' : 'jpg'}`,
    ...(device ? { device } : {}),
  };
  const outcome = await callVendor(ctx, request);
  const decision = decide(outcome, delivery.lastReceive);
  if (decision.kind === 'retry') {
    logger.warn('vendor call will be retried', { outcome: outcome.kind, reason: decision.reason });
    // A call the record's deadline aborted lands here too: no verdict, and the claim is freed.
    await release(ctx);
    return 'retry';
  }
  // Paid for: kept until written, so neither a throttled write nor a redelivery pays for it again.
  const answer = { outcome: decision.outcome, leaseId: delivery.leaseId, toDlq: decision.toDlq };
  const { messageId } = delivery;
  deps.outcomeMemory.remember({ checkId, messageId, nowMs: deps.clock.now().getTime(), ...answer });
  return await writeVerdict(ctx, answer);
}

/** The paid call under the claim, counted and timed; when it throws (no verdict was had), the claim is freed. */
async function callVendor(ctx: ObjectContext, request: LivenessRequest): Promise<LivenessOutcome> {
  const { deps } = ctx;
  const started = performance.now();
  let outcome: LivenessOutcome;
  try {
    outcome = await deps.liveness.checkLiveness(request, { deadline: ctx.delivery.time.deadline });
  } catch (error) {
    // e.g. the token secret could not be read: free the check for the next delivery.
    await release(ctx).catch(() => undefined);
    throw error;
  }
  const latencyMs = performance.now() - started;
  recordVendorMetrics(outcome, latencyMs, deps.metrics);
  logVendorFailure(outcome, latencyMs, ctx.logger);
  return outcome;
}

/** Gives the delivery's claim back, so the next delivery can claim at once. */
async function release(ctx: ObjectContext): Promise<void> {
  const { checkId, delivery, deps } = ctx;
  const input = {
    checkId,
    leaseId: delivery.leaseId,
    now: deps.clock.now(),
    abortSignal: delivery.time.writes,
  };
  await deps.repository.release(input);
}

/** Writes a paid vendor answer under the lease it was paid under, retrying AWS faults within the budget. */
async function writeVerdict(ctx: ObjectContext, answer: KeptOutcome): Promise<Disposition> {
  const { object, checkId, delivery, logger, deps } = ctx;
  const { writes } = delivery.time;
  const written = await withWriteRetries(
    () =>
      deps.repository.finalize({
        checkId,
        outcome: answer.outcome,
        guard: { kind: 'lease', leaseId: answer.leaseId },
        now: deps.clock.now(),
        abortSignal: writes,
      }),
    ctx,
  );
  deps.outcomeMemory.forget(checkId, delivery.messageId);
  if (!written.written) {
    // Our lease ran out and another delivery took the check over; its verdict stands. A final status
    // may also be our own write whose answer was lost on the way back: either way the selfie can go.
    logger.warn('verdict refused because the lease was lost', { current: written.current?.status });
    if (!isFinalStatus(written.current?.status)) return leaveToHolder(written.current, ctx);
    return (await deleteSelfie(object, checkId, deps, writes)) ? 'ack' : 'retry';
  }
  logVerdict(written.item, logger, deps.metrics, object.eventTime);
  const deleted = await deleteSelfie(object, checkId, deps, writes);
  // Past every retry we still record FAILED first, then let the message go on to the DLQ for operators.
  return answer.toDlq || !deleted ? 'retry' : 'ack';
}

function rejectedByPrecheck(failure: PrecheckFailure): FinalOutcome {
  return {
    status: 'REJECTED',
    rejection: { reason: failure.reason, message: failure.message, source: 'precheck' },
  };
}

/**
 * Records a verdict that needed no vendor call (the message's own earlier claim counts as unclaimed);
 * a refusal means the check was already decided or another message holds it.
 */
async function recordUnclaimed(ctx: ObjectContext, outcome: FinalOutcome): Promise<Disposition> {
  const { object, checkId, facts, delivery, logger, deps } = ctx;
  const { writes } = delivery.time;
  const written = await withWriteRetries(
    () =>
      deps.repository.finalize({
        checkId,
        outcome,
        guard: { kind: 'own-or-unclaimed', leaseId: delivery.leaseId },
        now: deps.clock.now(),
        object: facts,
        abortSignal: writes,
      }),
    ctx,
  );
  if (!written.written) return await skipClaimed(ctx, written.current);
  logVerdict(written.item, logger, deps.metrics, object.eventTime);
  return (await deleteSelfie(object, checkId, deps, writes)) ? 'ack' : 'retry';
}

/** Someone else holds or has decided the check: never call the vendor again for it. */
async function skipClaimed(ctx: ObjectContext, current: CheckItem | undefined): Promise<Disposition> {
  const { object, checkId, delivery, logger, deps } = ctx;
  if (current && isFinalStatus(current.status)) {
    const reused = createdAfter(object.eventTime, current.decidedAt);
    if (reused) {
      // Keys are single-use (decision 6): an object created after the verdict is a new upload to
      // a decided key, not a duplicate; it gets no check of its own.
      deps.metrics.addMetric('ReusedKeyUploads', MetricUnit.Count, 1);
      logger.warn('selfie key reused after its check was decided; deleting the new upload unchecked', {
        status: current.status,
      });
    } else {
      deps.metrics.addMetric('DuplicateNotifications', MetricUnit.Count, 1);
      logger.info('skipping duplicate of a decided check', { status: current.status });
    }
    // A late duplicate or a re-upload after the verdict: the selfie is not needed any more. A
    // re-upload replaced the checked selfie, so it goes even when selfies are retained: what is
    // kept is only ever the image that was checked (decision 7).
    const options = { evenIfRetained: reused };
    return (await deleteSelfie(object, checkId, deps, delivery.time.writes, options)) ? 'ack' : 'retry';
  }
  if (isLeaseOfMessage(current?.leaseId, delivery.messageId)) {
    deps.metrics.addMetric('OverlappingDeliveries', MetricUnit.Count, 1);
    logger.info('leaving the check to another delivery of the same message');
  } else {
    deps.metrics.addMetric('DuplicateNotifications', MetricUnit.Count, 1);
    logger.info('skipping check in progress elsewhere', { status: current?.status });
  }
  return leaveToHolder(current, ctx);
}

/**
 * What becomes of a message whose check another delivery holds (decision 14): another message
 * carries the retry, so this one is acknowledged; another delivery of this same message may still
 * fail, and acknowledging would delete the message it needs, so SQS keeps it until then.
 */
function leaveToHolder(current: CheckItem | undefined, ctx: ObjectContext): Disposition {
  return isLeaseOfMessage(current?.leaseId, ctx.delivery.messageId) ? 'retry' : 'ack';
}

/** Whether S3 created the object after the check was decided (so it cannot be the checked upload). */
function createdAfter(eventTime: string | undefined, decidedAt: string | undefined): boolean {
  const created = eventTime === undefined ? Number.NaN : Date.parse(eventTime);
  const decided = decidedAt === undefined ? Number.NaN : Date.parse(decidedAt);
  return created > decided;
}
