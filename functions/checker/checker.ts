import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { TRANSIENT_REJECTION_CODES } from '../../shared/apptenticate/codes.js';
import type { LivenessChecker, LivenessOutcome } from '../../shared/apptenticate/outcome.js';
import {
  type CheckItem,
  type Device,
  type FinalOutcome,
  isDevice,
  isFinalStatus,
  referenceProblem,
} from '../../shared/check.js';
import type { CheckRepository, ObjectFacts, WriteResult } from '../../shared/check-repository.js';
import type { Clock } from '../../shared/clock.js';
import { type Deadline, deadlineIn } from '../../shared/deadline.js';
import { classifyAwsError, describeError, RetryableError } from '../../shared/errors.js';
import {
  INVOCATION_END_RESERVE_MS,
  OUTCOME_WRITE_MARGIN_MS,
  recordBudgetMs,
  recordStartMs,
} from './budget.js';
import type { CheckerConfig } from './config.js';
import { type CreatedObject, checkIdForKey, parseNotification } from './notification.js';
import type { KeptOutcome, OutcomeMemory } from './outcome-memory.js';
import {
  isPrecheckFailure,
  objectTooLarge,
  type PrecheckFailure,
  precheckImage,
  precheckSize,
} from './precheck.js';

/** Everything the checker talks to, injected so tests can swap any of it. */
export interface CheckerDeps {
  config: Readonly<CheckerConfig>;
  s3: S3Client;
  /** The transitions the checker makes; tests pass a plain fake. */
  repository: Pick<CheckRepository, 'claim' | 'release' | 'finalize'>;
  liveness: LivenessChecker;
  logger: Logger;
  metrics: Metrics;
  /** Its `sleep` waits between retries of a final write; tests pass one that does not wait. */
  clock: Clock;
  /** Vendor answers paid for and not yet written, for a redelivery of the same message on this container. */
  outcomeMemory: OutcomeMemory;
  /** A signal that aborts after `ms`; tests pass a controlled one. @default `AbortSignal.timeout` */
  deadlineSignal?: (ms: number) => AbortSignal;
}

/** Per invocation: how much time is left (Lambda's `context.getRemainingTimeInMillis`). */
export interface Invocation {
  remainingMs: () => number;
}

const UNBOUNDED: Invocation = { remainingMs: () => Number.POSITIVE_INFINITY };

/**
 * One record's time. `deadline` bounds everything before the outcome write (the selfie read, the
 * claim, every vendor call); `writes` bounds the outcome write (verdict, delete or release), which
 * has at least `OUTCOME_WRITE_MARGIN_MS` after the deadline and at most until the invocation ends.
 */
interface RecordTime {
  deadline: Deadline;
  writes: AbortSignal;
}

/** What became of one message: acknowledged (deleted from the queue) or left for SQS to deliver again. */
type Disposition = 'ack' | 'retry';

/**
 * Checks every selfie of an SQS batch of S3 notifications, at most `batchConcurrency` at a time, and
 * reports the messages SQS should deliver again. Each message's outcome is independent.
 */
export async function checkBatch(
  event: SQSEvent,
  deps: CheckerDeps,
  invocation: Invocation = UNBOUNDED,
): Promise<SQSBatchResponse> {
  const needed = recordStartMs(deps.config);
  // Messages on their last receive start first: if the invocation runs short of time, the records it
  // leaves are those SQS will deliver again, not those that would end FAILED for want of time.
  const order = event.Records.map((_, i) => i).sort(
    (a, b) => receiveCountOf(event.Records[b]) - receiveCountOf(event.Records[a]),
  );
  // Powertools' BatchProcessor runs records all at once or one by one; we need a bound in between.
  const started = await mapWithConcurrency(
    order.map((i) => event.Records[i] as SQSRecord),
    deps.config.batchConcurrency,
    async (record) => {
      const remaining = invocation.remainingMs();
      if (remaining < needed) {
        deps.logger.warn('not starting a message the invocation has no time left for', {
          messageId: record.messageId,
        });
        return await leaveForLater(record, deps, invocation);
      }
      return await checkMessage(record, deps, invocation, recordTime(remaining, deps));
    },
  );
  const dispositions: Disposition[] = [];
  order.forEach((recordIndex, i) => {
    dispositions[recordIndex] = started[i] as Disposition;
  });
  return {
    batchItemFailures: event.Records.flatMap((record, i) =>
      dispositions[i] === 'retry' ? [{ itemIdentifier: record.messageId }] : [],
    ),
  };
}

function receiveCountOf(record: SQSRecord | undefined): number {
  return Number(record?.attributes.ApproximateReceiveCount) || 1;
}

/** The record's deadline: its budget, and never later than the invocation's end less the write margin. */
function recordTime(remainingMs: number, deps: CheckerDeps): RecordTime {
  const timer = deps.deadlineSignal ?? ((ms: number) => AbortSignal.timeout(ms));
  const clock = () => deps.clock.now().getTime();
  const budget = Math.min(recordBudgetMs(deps.config), remainingMs - OUTCOME_WRITE_MARGIN_MS);
  const writesMs = remainingMs - INVOCATION_END_RESERVE_MS;
  return {
    deadline: deadlineIn(budget, clock, timer),
    writes: Number.isFinite(writesMs) ? timer(Math.max(0, writesMs)) : new AbortController().signal,
  };
}

async function checkMessage(
  record: SQSRecord,
  deps: CheckerDeps,
  invocation: Invocation,
  time: RecordTime,
): Promise<Disposition> {
  const { logger, metrics, config } = deps;
  const messageId = record.messageId;
  try {
    const notification = parseNotification(record.body);
    if (notification.kind === 'test-event') {
      logger.info('skipping s3 test event', { messageId });
      return 'ack';
    }
    if (notification.kind === 'malformed') {
      // Never succeeds, but is not dropped: it reaches the DLQ after the receive limit.
      logger.error('malformed notification', { messageId, reason: notification.reason });
      metrics.addMetric('MalformedMessages', MetricUnit.Count, 1);
      return 'retry';
    }
    const delivery = deliveryOf(record, deps.config, invocation, time);
    let disposition: Disposition = 'ack';
    for (const object of notification.objects) {
      if (!object.key.startsWith(config.selfiePrefix)) {
        logger.warn('skipping key outside the selfie prefix', { messageId, bucket: object.bucket });
        continue;
      }
      const checkId = checkIdForKey(object.key, config.selfiePrefix);
      let result: Disposition;
      try {
        result = await checkObject(object, checkId, delivery, deps);
      } catch (error) {
        result = await afterError(error, object, checkId, delivery, deps);
      }
      if (result === 'retry') disposition = 'retry';
    }
    return disposition;
  } catch (error) {
    // AWS faults and anything unforeseen: SQS delivers again, and the DLQ holds what never succeeds.
    const level = error instanceof RetryableError ? 'warn' : 'error';
    logger[level]('message will be retried after an error', { messageId, error: describeError(error) });
    return 'retry';
  }
}

/** One receive of a message, as every check it names sees it. */
interface Delivery {
  leaseId: string;
  lastReceive: boolean;
  receiveCount: number;
  invocation: Invocation;
  time: RecordTime;
}

function deliveryOf(
  record: SQSRecord,
  config: Readonly<CheckerConfig>,
  invocation: Invocation,
  time: RecordTime,
): Delivery {
  const receiveCount = receiveCountOf(record);
  return {
    // The claim belongs to the message: SQS keeps a message's id across its redeliveries, so a
    // redelivery resumes its own claim at once, while another message (a duplicate) finds it taken.
    leaseId: leaseIdFor(record.messageId),
    lastReceive: receiveCount >= config.maxReceiveCount,
    receiveCount,
    invocation,
    time,
  };
}

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
async function afterError(
  error: unknown,
  object: CreatedObject,
  checkId: string,
  delivery: Delivery,
  deps: CheckerDeps,
): Promise<Disposition> {
  const log = { checkId, receiveCount: delivery.receiveCount, error: describeError(error) };
  if (!delivery.lastReceive) {
    // AWS faults and anything unforeseen: SQS delivers again, and the DLQ holds what never succeeds.
    deps.logger[error instanceof RetryableError ? 'warn' : 'error'](
      'check will be retried after an error',
      log,
    );
    return 'retry';
  }
  deps.logger.error('check failed on the last receive of its message', log);
  return await endOnLastReceive(object, checkId, INTERNAL_ERROR, delivery, deps);
}

/** A message the invocation has no time for: SQS delivers it again, or, on its last receive, its checks end FAILED. */
async function leaveForLater(
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
    if (!object.key.startsWith(deps.config.selfiePrefix)) continue;
    const checkId = checkIdForKey(object.key, deps.config.selfiePrefix);
    await endOnLastReceive(object, checkId, NO_TIME_LEFT, delivery, deps);
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
  object: CreatedObject,
  checkId: string,
  failure: typeof INTERNAL_ERROR | typeof NO_TIME_LEFT,
  delivery: Delivery,
  deps: CheckerDeps,
): Promise<Disposition> {
  const log = { checkId, receiveCount: delivery.receiveCount };
  const { leaseId } = delivery;
  const kept = deps.outcomeMemory.recall(checkId, leaseId, deps.clock.now().getTime());
  const outcome: FinalOutcome = kept?.outcome ?? { status: 'FAILED', failure: { ...failure } };
  let written: WriteResult;
  try {
    written = await withWriteRetries(
      () =>
        deps.repository.finalize({
          checkId,
          outcome,
          guard: kept ? { kind: 'lease', leaseId } : { kind: 'own-or-unclaimed', leaseId },
          now: deps.clock.now(),
          object: { bucket: object.bucket, objectKey: object.key, objectSize: object.size },
          abortSignal: delivery.time.writes,
        }),
      delivery.invocation,
      log,
      deps,
    );
  } catch (error) {
    // Nothing recorded: the DLQ holds the message, the sweeper settles an API check, the lifecycle rule the selfie.
    deps.logger.error('could not record the outcome on the last receive', {
      ...log,
      error: describeError(error),
    });
    deps.metrics.addMetric('LastReceiveWriteFailures', MetricUnit.Count, 1);
    return 'retry';
  }
  if (written.written) {
    deps.outcomeMemory.forget(checkId, leaseId);
    logVerdict(written.item, log, deps);
  } else if (!isFinalStatus(written.current?.status)) {
    // Another message holds a live lease: its own delivery finishes the check and deletes the selfie.
    deps.logger.warn('leaving the check to the message that holds it', {
      ...log,
      status: written.current?.status,
    });
    return 'retry';
  }
  const deleted = await deleteSelfie(object, checkId, deps, delivery.time.writes);
  // A kept vendor verdict that finally got written is a success like any other.
  return written.written && kept && !kept.toDlq && deleted ? 'ack' : 'retry';
}

/** The lease id of a message's claims: its SQS message id, which its redeliveries keep. */
export function leaseIdFor(messageId: string): string {
  return messageId;
}

async function checkObject(
  object: CreatedObject,
  checkId: string,
  delivery: Delivery,
  deps: CheckerDeps,
): Promise<Disposition> {
  const { logger, config } = deps;
  const { leaseId, lastReceive } = delivery;
  const { deadline, writes } = delivery.time;
  const log = { checkId, receiveCount: delivery.receiveCount };
  const facts: ObjectFacts = { bucket: object.bucket, objectKey: object.key, objectSize: object.size };

  // Cheap rejections first, from the notification alone: no download, no claim, no paid call. A
  // notification without a size settles nothing: the read below finds the object's real size.
  const early = object.size === undefined ? undefined : precheckSize(object.size, config);
  if (early) return await recordUnclaimed(checkId, facts, rejectedByPrecheck(early), delivery, log, deps);

  // An earlier delivery of this message paid for an answer and could not write it: write it now.
  const kept = deps.outcomeMemory.recall(checkId, leaseId, deps.clock.now().getTime());
  if (kept) {
    logger.info('writing a vendor answer kept from an earlier delivery', log);
    deps.metrics.addMetric('KeptVerdictsWritten', MetricUnit.Count, 1);
    return await writeVerdict(object, checkId, kept, delivery, log, deps);
  }

  const selfie = await readSelfie(object, deps, deadline.signal);
  if (selfie.kind === 'missing') {
    const failure = {
      reason: 'OBJECT_NOT_FOUND' as const,
      message: 'the selfie was deleted before it could be checked',
    };
    return await recordUnclaimed(checkId, facts, { status: 'FAILED', failure }, delivery, log, deps);
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
    );
  }
  const image = precheckImage(selfie.bytes, config);
  if (isPrecheckFailure(image))
    return await recordUnclaimed(checkId, facts, rejectedByPrecheck(image), delivery, log, deps);

  const claim = await deps.repository.claim({
    checkId,
    object: facts,
    leaseId,
    leaseMs: config.leaseSeconds * 1000,
    now: deps.clock.now(),
    abortSignal: deadline.signal,
  });
  if (!claim.written) return await skipClaimed(checkId, object, claim.current, log, deps, writes);

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
  recordVendorMetrics(outcome, performance.now() - started, deps.metrics);

  const decision = decide(outcome, lastReceive);
  if (decision.kind === 'retry') {
    logger.warn('vendor call will be retried', { ...log, outcome: outcome.kind, reason: decision.reason });
    // A call the record's deadline aborted lands here too: no verdict, and the claim is freed.
    await deps.repository.release({ checkId, leaseId, now: deps.clock.now(), abortSignal: writes });
    return 'retry';
  }
  // Paid for: kept until written, so neither a throttled write nor a redelivery pays for it again.
  const answer = { outcome: decision.outcome, toDlq: decision.toDlq };
  deps.outcomeMemory.remember({ checkId, leaseId, nowMs: deps.clock.now().getTime(), ...answer });
  return await writeVerdict(object, checkId, answer, delivery, log, deps);
}

/** Writes a paid vendor answer under the message's lease, retrying AWS faults within the budget. */
async function writeVerdict(
  object: CreatedObject,
  checkId: string,
  answer: KeptOutcome,
  delivery: Delivery,
  log: Record<string, unknown>,
  deps: CheckerDeps,
): Promise<Disposition> {
  const { leaseId } = delivery;
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
  deps.outcomeMemory.forget(checkId, leaseId);
  if (!written.written) {
    // Our lease ran out and another delivery took the check over; its verdict stands. A final status
    // may also be our own write whose answer was lost on the way back: either way the selfie can go.
    deps.logger.warn('verdict refused because the lease was lost', {
      ...log,
      current: written.current?.status,
    });
    if (!isFinalStatus(written.current?.status)) return 'ack';
    return (await deleteSelfie(object, checkId, deps, writes)) ? 'ack' : 'retry';
  }
  logVerdict(written.item, log, deps);
  const deleted = await deleteSelfie(object, checkId, deps, writes);
  // Past every retry we still record FAILED first, then let the message go on to the DLQ for operators.
  return answer.toDlq || !deleted ? 'retry' : 'ack';
}

/** Time a final write leaves for the selfie delete and the batch response. */
const WRITE_RESERVE_MS = 3_000;
/** At most this long asleep between the attempts of one final write, whatever the budget. */
const WRITE_RETRY_WINDOW_MS = 15_000;
const WRITE_BACKOFF_BASE_MS = 100;
const WRITE_BACKOFF_CAP_MS = 2_000;

/**
 * Runs a final write, and again after a retryable AWS fault (throttling, 5xx, network) with growing
 * jittered backoff, while the invocation has time for it (the SDK's own 3 attempts are inside each).
 * A write refused for good, or out of time, throws for the caller's catch.
 */
async function withWriteRetries<T>(
  write: () => Promise<T>,
  invocation: Invocation,
  log: Record<string, unknown>,
  deps: CheckerDeps,
): Promise<T> {
  let slept = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      const ceiling = Math.min(WRITE_BACKOFF_CAP_MS, WRITE_BACKOFF_BASE_MS * 2 ** (attempt - 1));
      // Equal jitter: at least half the ceiling, so the waits keep growing.
      const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
      const retry =
        error instanceof RetryableError &&
        slept + delay <= WRITE_RETRY_WINDOW_MS &&
        invocation.remainingMs() - delay >= WRITE_RESERVE_MS;
      if (!retry) throw error;
      deps.logger.warn('final write will be retried', { ...log, attempt, error: describeError(error) });
      deps.metrics.addMetric('FinalWriteRetries', MetricUnit.Count, 1);
      await deps.clock.sleep(delay);
      slept += delay;
    }
  }
}

type Decision =
  | { kind: 'final'; outcome: FinalOutcome; toDlq: boolean }
  | { kind: 'retry'; reason: string; toDlq?: never };

function decide(outcome: LivenessOutcome, lastReceive: boolean): Decision {
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
  const object = { bucket: facts.bucket, key: facts.objectKey, size: facts.objectSize };
  if (!written.written) return await skipClaimed(checkId, object, written.current, log, deps, writes);
  logVerdict(written.item, log, deps);
  if (outcome.status === 'FAILED') return 'ack'; // nothing left to delete
  return (await deleteSelfie(object, checkId, deps, writes)) ? 'ack' : 'retry';
}

/** Someone else holds or has decided the check: never call the vendor again for it. */
async function skipClaimed(
  checkId: string,
  object: CreatedObject,
  current: CheckItem | undefined,
  log: Record<string, unknown>,
  deps: CheckerDeps,
  writes: AbortSignal,
): Promise<Disposition> {
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
  deps.metrics.addMetric('DuplicateNotifications', MetricUnit.Count, 1);
  // The holder's own message carries the retry; if it dies, its redelivery takes the lease over.
  deps.logger.info('skipping check in progress elsewhere', { ...log, status: current?.status });
  return 'ack';
}

/** Whether S3 created the object after the check was decided (so it cannot be the checked upload). */
function createdAfter(object: CreatedObject, decidedAt: string | undefined): boolean {
  const created = object.eventTime === undefined ? Number.NaN : Date.parse(object.eventTime);
  const decided = decidedAt === undefined ? Number.NaN : Date.parse(decidedAt);
  return created > decided;
}

type SelfieRead =
  | { kind: 'ok'; bytes: Uint8Array; size: number; metadata: ObjectMetadata }
  | { kind: 'oversize'; size: number; metadata: ObjectMetadata }
  | { kind: 'missing' };

interface ObjectMetadata {
  device?: Device;
  reference?: string;
}

async function readSelfie(
  object: CreatedObject,
  deps: CheckerDeps,
  abortSignal: AbortSignal,
): Promise<SelfieRead> {
  try {
    const response = await deps.s3.send(new GetObjectCommand({ Bucket: object.bucket, Key: object.key }), {
      abortSignal,
    });
    const metadata = metadataOf(response.Metadata, deps);
    const declared = response.ContentLength ?? 0;
    if (declared > deps.config.maxObjectBytes) {
      // The notification can undercount (an overwrite): never buffer more than the limit.
      await response.Body?.transformToWebStream().cancel();
      return { kind: 'oversize', size: declared, metadata };
    }
    const bytes = (await response.Body?.transformToByteArray()) ?? new Uint8Array();
    return { kind: 'ok', bytes, size: bytes.length, metadata };
  } catch (error) {
    if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey')
      return { kind: 'missing' };
    throw classifyAwsError(error, 'S3 GetObject');
  }
}

/** Device and reference from `x-amz-meta-*`, for uploads that did not come through the API. */
function metadataOf(metadata: Record<string, string> | undefined, deps: CheckerDeps): ObjectMetadata {
  const result: ObjectMetadata = {};
  const device = metadata?.device?.toUpperCase();
  if (device !== undefined) {
    if (isDevice(device)) result.device = device;
    else deps.logger.warn('ignoring unknown device in object metadata', {});
  }
  const reference = metadata?.reference;
  if (reference !== undefined) {
    if (referenceProblem(reference) === undefined) result.reference = reference;
    else deps.logger.warn('ignoring invalid reference in object metadata', {});
  }
  return result;
}

async function deleteSelfie(
  object: CreatedObject,
  checkId: string,
  deps: CheckerDeps,
  abortSignal: AbortSignal,
  options: { evenIfRetained?: boolean } = {},
): Promise<boolean> {
  if (deps.config.retainSelfies && !options.evenIfRetained) return true;
  try {
    await deps.s3.send(new DeleteObjectCommand({ Bucket: object.bucket, Key: object.key }), { abortSignal });
    return true;
  } catch (error) {
    // Retrying the message finds the check decided and deletes again; the lifecycle rule is the backstop.
    deps.logger.error('selfie delete failed', { checkId, error: describeError(error) });
    deps.metrics.addMetric('SelfieDeleteFailures', MetricUnit.Count, 1);
    return false;
  }
}

function recordVendorMetrics(outcome: LivenessOutcome, latencyMs: number, metrics: Metrics): void {
  metrics.addMetric('VendorCalls', MetricUnit.Count, 1);
  metrics.addMetric('VendorLatency', MetricUnit.Milliseconds, Math.round(latencyMs));
  const vendorError =
    outcome.kind === 'retryable' ||
    outcome.kind === 'terminal' ||
    outcome.kind === 'auth-refused' ||
    (outcome.kind === 'rejected' && TRANSIENT_REJECTION_CODES.has(outcome.code));
  if (vendorError) metrics.addMetric('VendorErrors', MetricUnit.Count, 1);
}

function logVerdict(item: CheckItem, log: Record<string, unknown>, deps: CheckerDeps): void {
  const metric = {
    PASSED: 'ChecksPassed',
    REJECTED: 'ChecksRejected',
    FAILED: 'ChecksFailed',
    EXPIRED: 'ChecksExpired',
  } as const;
  if (isFinalStatus(item.status)) deps.metrics.addMetric(metric[item.status], MetricUnit.Count, 1);
  deps.logger.info('verdict recorded', {
    ...log,
    status: item.status,
    attempts: item.attempts,
    transactionId: item.result?.transactionId,
    reason: item.rejection?.reason ?? item.failure?.reason,
  });
}

/** Maps `items` through `fn` with at most `limit` calls in flight, keeping the order of results. */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
