/**
 * One object of a notification: read, pre-check, claim, the paid vendor call, the verdict write and
 * the selfie delete; or, when someone else holds or decided the check, no vendor call at all. Only
 * what S3 answers decides: a notification names an object, and anyone who may send to the queue can
 * write one, so an object that is not there decides nothing.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { LivenessOutcome } from '../../shared/apptenticate/outcome.js';
import { type CheckItem, type FinalOutcome, isFinalStatus } from '../../shared/check.js';
import type { ObjectFacts } from '../../shared/check-repository.js';
import {
  isPrecheckFailure,
  objectTooLarge,
  type PrecheckFailure,
  precheckImage,
} from '../../shared/precheck.js';
import type { CheckerDeps } from './checker.js';
import { decide } from './decide.js';
import { type Delivery, type Disposition, isLeaseOfMessage } from './delivery.js';
import type { CreatedObject } from './notification.js';
import type { KeptOutcome } from './outcome-memory.js';
import { deleteSelfie, readSelfie } from './selfie.js';
import { logVendorFailure, logVerdict, recordVendorMetrics } from './verdict-metrics.js';
import { withWriteRetries } from './write-retries.js';

/** Checks one object of a message; the vendor is called only under the message's own claim. */
export async function checkObject(
  object: CreatedObject,
  checkId: string,
  delivery: Delivery,
  deps: CheckerDeps,
): Promise<Disposition> {
  const { logger, config } = deps;
  const { leaseId, lastReceive } = delivery;
  const { deadline, writes } = delivery.time;
  const log = { checkId, receiveCount: delivery.receiveCount };
  const facts: ObjectFacts = { bucket: config.selfieBucket, objectKey: object.key };

  // An earlier delivery of this message paid for an answer and could not write it: write it now,
  // under the lease it was paid under, which no other delivery took over if the write applies.
  const kept = deps.outcomeMemory.recall(checkId, delivery.messageId, deps.clock.now().getTime());
  if (kept) {
    logger.info('writing a vendor answer kept from an earlier delivery', log);
    deps.metrics.addMetric('KeptVerdictsWritten', MetricUnit.Count, 1);
    return await writeVerdict(object, checkId, kept, delivery, log, deps);
  }

  const selfie = await readSelfie(object, deps, deadline.signal);
  if (selfie.kind === 'missing') {
    // Not in the bucket: a forged message, or a late duplicate whose selfie went with its verdict.
    // A real check whose selfie vanished is the sweeper's (no upload: EXPIRED; a claim: LEASE_EXPIRED).
    deps.metrics.addMetric('MissingObjectNotifications', MetricUnit.Count, 1);
    logger.info('skipping a notification for an object not in the bucket', log);
    return 'ack';
  }
  facts.objectSize = selfie.size;
  Object.assign(facts, selfie.metadata);
  if (selfie.kind === 'oversize') {
    return await recordUnclaimed(
      checkId,
      facts,
      rejectedByPrecheck(objectTooLarge(config)),
      delivery,
      log,
      deps,
      object.eventTime,
    );
  }
  const image = precheckImage(selfie.bytes, config);
  if (isPrecheckFailure(image))
    return await recordUnclaimed(
      checkId,
      facts,
      rejectedByPrecheck(image),
      delivery,
      log,
      deps,
      object.eventTime,
    );

  const claim = await deps.repository.claim({
    checkId,
    object: facts,
    leaseId,
    leaseMs: config.leaseSeconds * 1000,
    now: deps.clock.now(),
    abortSignal: deadline.signal,
  });
  if (!claim.written) return await skipClaimed(checkId, object, claim.current, delivery, log, deps);

  const device = claim.item.device;
  const started = performance.now();
  let outcome: LivenessOutcome;
  try {
    outcome = await deps.liveness.checkLiveness(
      {
        selfie: selfie.bytes,
        contentType: image.contentType,
        fileName: `${checkId}.${image.format === 'png' ? 'png' : 'jpg'}`,
        ...(device ? { device } : {}),
      },
      { deadline },
    );
  } catch (error) {
    // No verdict was had (e.g. the token secret could not be read): free the check for the next delivery.
    await deps.repository
      .release({ checkId, leaseId, now: deps.clock.now(), abortSignal: writes })
      .catch(() => undefined);
    throw error;
  }
  const latencyMs = performance.now() - started;
  recordVendorMetrics(outcome, latencyMs, deps.metrics);
  logVendorFailure(outcome, latencyMs, log, deps);

  const decision = decide(outcome, lastReceive);
  if (decision.kind === 'retry') {
    logger.warn('vendor call will be retried', { ...log, outcome: outcome.kind, reason: decision.reason });
    // A call the record's deadline aborted lands here too: no verdict, and the claim is freed.
    await deps.repository.release({ checkId, leaseId, now: deps.clock.now(), abortSignal: writes });
    return 'retry';
  }
  // Paid for: kept until written, so neither a throttled write nor a redelivery pays for it again.
  const answer = { outcome: decision.outcome, leaseId, toDlq: decision.toDlq };
  const { messageId } = delivery;
  deps.outcomeMemory.remember({ checkId, messageId, nowMs: deps.clock.now().getTime(), ...answer });
  return await writeVerdict(object, checkId, answer, delivery, log, deps);
}

/** Writes a paid vendor answer under the lease it was paid under, retrying AWS faults within the budget. */
async function writeVerdict(
  object: CreatedObject,
  checkId: string,
  answer: KeptOutcome,
  delivery: Delivery,
  log: Record<string, unknown>,
  deps: CheckerDeps,
): Promise<Disposition> {
  const { leaseId } = answer;
  const { writes } = delivery.time;
  const written = await withWriteRetries(
    () =>
      deps.repository.finalize({
        checkId,
        outcome: answer.outcome,
        guard: { kind: 'lease', leaseId },
        now: deps.clock.now(),
        abortSignal: writes,
      }),
    delivery.invocation,
    log,
    deps,
  );
  deps.outcomeMemory.forget(checkId, delivery.messageId);
  if (!written.written) {
    // Our lease ran out and another delivery took the check over; its verdict stands. A final status
    // may also be our own write whose answer was lost on the way back: either way the selfie can go.
    deps.logger.warn('verdict refused because the lease was lost', {
      ...log,
      current: written.current?.status,
    });
    if (!isFinalStatus(written.current?.status)) return leaveToHolder(written.current, delivery);
    return (await deleteSelfie(object, checkId, deps, writes)) ? 'ack' : 'retry';
  }
  logVerdict(written.item, log, deps, object.eventTime);
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
async function recordUnclaimed(
  checkId: string,
  facts: ObjectFacts,
  outcome: FinalOutcome,
  delivery: Delivery,
  log: Record<string, unknown>,
  deps: CheckerDeps,
  uploadedAt?: string,
): Promise<Disposition> {
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
    delivery.invocation,
    log,
    deps,
  );
  const object = { bucket: facts.bucket, key: facts.objectKey };
  if (!written.written) return await skipClaimed(checkId, object, written.current, delivery, log, deps);
  logVerdict(written.item, log, deps, uploadedAt);
  return (await deleteSelfie(object, checkId, deps, writes)) ? 'ack' : 'retry';
}

/** Someone else holds or has decided the check: never call the vendor again for it. */
async function skipClaimed(
  checkId: string,
  object: CreatedObject,
  current: CheckItem | undefined,
  delivery: Delivery,
  log: Record<string, unknown>,
  deps: CheckerDeps,
): Promise<Disposition> {
  const { writes } = delivery.time;
  if (current && isFinalStatus(current.status)) {
    const reused = createdAfter(object, current.decidedAt);
    if (reused) {
      // Keys are single-use (decision 6): an object created after the verdict is a new upload to
      // a decided key, not a duplicate; it gets no check of its own.
      deps.metrics.addMetric('ReusedKeyUploads', MetricUnit.Count, 1);
      deps.logger.warn('selfie key reused after its check was decided; deleting the new upload unchecked', {
        ...log,
        status: current.status,
      });
    } else {
      deps.metrics.addMetric('DuplicateNotifications', MetricUnit.Count, 1);
      deps.logger.info('skipping duplicate of a decided check', { ...log, status: current.status });
    }
    // A late duplicate or a re-upload after the verdict: the selfie is not needed any more. A
    // re-upload replaced the checked selfie, so it goes even when selfies are retained: what is
    // kept is only ever the image that was checked (decision 7).
    return (await deleteSelfie(object, checkId, deps, writes, { evenIfRetained: reused })) ? 'ack' : 'retry';
  }
  if (isLeaseOfMessage(current?.leaseId, delivery.messageId)) {
    deps.metrics.addMetric('OverlappingDeliveries', MetricUnit.Count, 1);
    deps.logger.info('leaving the check to another delivery of the same message', log);
  } else {
    deps.metrics.addMetric('DuplicateNotifications', MetricUnit.Count, 1);
    deps.logger.info('skipping check in progress elsewhere', { ...log, status: current?.status });
  }
  return leaveToHolder(current, delivery);
}

/**
 * What becomes of a message whose check another delivery holds (decision 14): another message
 * carries the retry, so this one is acknowledged; another delivery of this same message may still
 * fail, and acknowledging would delete the message it needs, so SQS keeps it until then.
 */
function leaveToHolder(current: CheckItem | undefined, delivery: Delivery): Disposition {
  return isLeaseOfMessage(current?.leaseId, delivery.messageId) ? 'retry' : 'ack';
}

/** Whether S3 created the object after the check was decided (so it cannot be the checked upload). */
function createdAfter(object: CreatedObject, decidedAt: string | undefined): boolean {
  const created = object.eventTime === undefined ? Number.NaN : Date.parse(object.eventTime);
  const decided = decidedAt === undefined ? Number.NaN : Date.parse(decidedAt);
  return created > decided;
}
