import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { type CheckItem, isFinalStatus } from '../../shared/check.js';
import type { Clock } from '../../shared/clock.js';
import { describeError, isRetryableAwsError, RetryableError } from '../../shared/errors.js';
import { buildEventDetail, DETAIL_TYPES, type LivenessEventDetail } from '../../shared/events/index.js';

/** PutEvents takes at most 10 entries per call. */
export const PUT_EVENTS_MAX_ENTRIES = 10;
/** PutEvents takes at most 256 KiB per call, measured as {@link putEventsEntrySize} sums. */
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;

/**
 * Per-entry error codes worth another try within the invocation. Anything else (AccessDenied,
 * MalformedDetail, NotAuthorizedForSourceException, a missing bus, ...) will not heal by retrying now.
 */
const RETRYABLE_ENTRY_CODES = new Set([
  'ThrottlingException',
  'InternalFailure',
  'InternalException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

/** The notifier's collaborators. */
export interface NotifierDeps {
  eventBridge: EventBridgeClient;
  logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  metrics: Pick<Metrics, 'addMetric'>;
  clock: Clock;
}

/** Where events go, and how hard to try within one invocation. */
export interface NotifierOptions {
  eventBusName: string;
  eventSource: string;
  /** PutEvents attempts per entry within one invocation (the SDK's own retries come on top). @default 3 */
  maxAttempts?: number;
  /** First backoff between attempts, doubled each time, with jitter. @default 100 */
  baseDelayMs?: number;
  /** Longest backoff between attempts. @default 1000 */
  maxDelayMs?: number;
  /**
   * The PutEvents size limit, per entry and per call. Only worth changing if AWS changes it (or in
   * tests: every field of a detail is bounded, so a real entry stays far below 256 KiB).
   * @default PUT_EVENTS_MAX_BYTES
   */
  maxRequestBytes?: number;
}

/** Why a stream record is not published. */
export type SkipReason = 'REMOVE' | 'NO_NEW_IMAGE' | 'NOT_FINAL' | 'ALREADY_FINAL';

/** What to do with one stream record. */
export type RecordDecision =
  | { action: 'publish'; item: CheckItem; oldImageMissing: boolean }
  | { action: 'skip'; reason: SkipReason }
  | { action: 'unpublishable'; reason: 'IMAGE_UNREADABLE'; error: unknown };

/**
 * Decides whether a stream record announces a transition into a final status: the new image is
 * final and the old one is not (or there is none: an item created final). REMOVE records (TTL) and
 * records without a full new image (moto's keys-only INSERT, a KEYS_ONLY stream) are skipped.
 * A MODIFY without an old image (a NEW_IMAGE stream) is published anyway: a duplicate is harmless
 * (subscribers drop it by `eventId`), a lost event is not.
 */
export function decideRecord(record: DynamoDBRecord): RecordDecision {
  if (record.eventName === 'REMOVE') return { action: 'skip', reason: 'REMOVE' };
  const newImage = record.dynamodb?.NewImage;
  const oldImage = record.dynamodb?.OldImage;
  let item: Partial<CheckItem>;
  let old: Partial<CheckItem> | undefined;
  try {
    if (!newImage) return { action: 'skip', reason: 'NO_NEW_IMAGE' };
    item = unmarshall(newImage as Record<string, AttributeValue>) as Partial<CheckItem>;
    old = oldImage
      ? (unmarshall(oldImage as Record<string, AttributeValue>) as Partial<CheckItem>)
      : undefined;
  } catch (error) {
    return { action: 'unpublishable', reason: 'IMAGE_UNREADABLE', error };
  }
  if (typeof item.checkId !== 'string' || item.status === undefined)
    return { action: 'skip', reason: 'NO_NEW_IMAGE' };
  if (!isFinalStatus(item.status)) return { action: 'skip', reason: 'NOT_FINAL' };
  if (old && isFinalStatus(old.status)) return { action: 'skip', reason: 'ALREADY_FINAL' };
  return {
    action: 'publish',
    item: item as CheckItem,
    oldImageMissing: record.eventName === 'MODIFY' && !old,
  };
}

/**
 * The size EventBridge charges an entry against the 256 KiB limit: the UTF-8 bytes of `Source`,
 * `DetailType`, `Detail` and each of `Resources`, plus 14 bytes for `Time` when set.
 */
export function putEventsEntrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time ? 14 : 0;
  if (entry.Source) size += Buffer.byteLength(entry.Source, 'utf8');
  if (entry.DetailType) size += Buffer.byteLength(entry.DetailType, 'utf8');
  if (entry.Detail) size += Buffer.byteLength(entry.Detail, 'utf8');
  for (const resource of entry.Resources ?? []) size += Buffer.byteLength(resource, 'utf8');
  return size;
}

/** The PutEvents entry announcing a detail. `Time` is the decision time, so every republication is alike. */
export function toPutEventsEntry(
  detail: LivenessEventDetail,
  options: NotifierOptions,
): PutEventsRequestEntry {
  return {
    EventBusName: options.eventBusName,
    Source: options.eventSource,
    DetailType: DETAIL_TYPES[detail.status],
    Detail: JSON.stringify(detail),
    Time: new Date(detail.decidedAt),
  };
}

/** One event to put, and the stream records (duplicates within the batch) it stands for. */
interface PendingEvent {
  detail: LivenessEventDetail;
  entry: PutEventsRequestEntry;
  size: number;
  sequenceNumbers: string[];
}

interface EntryFailure {
  errorCode: string;
  errorMessage?: string;
  /** Set when the entry was retryable but every attempt failed. */
  attempts?: number;
}

/**
 * Publishes one event per check transition into a final status found in a DynamoDB stream batch,
 * and returns the partial batch response.
 *
 * Every record whose event could not be put is reported by its sequence number. Lambda resumes
 * the shard from the lowest reported one, so records after it are delivered again and their
 * events published again: duplicates, with the same `eventId`. Records after a failure are still
 * published now, because when the event source mapping gives up (retry limit or record age) it
 * discards the rest of the batch, and they would otherwise only be named in the on-failure
 * destination. A record that can never be published (its entry alone exceeds 256 KiB, or the
 * item breaks the contract) is logged as an error, counted in `UnpublishableEvents` and reported
 * too: it holds the shard until the mapping's bounded retries end and then lands in the
 * on-failure destination, where an operator sees it.
 */
export async function publishFinalTransitions(
  records: readonly DynamoDBRecord[],
  deps: NotifierDeps,
  options: NotifierOptions,
): Promise<DynamoDBBatchResponse> {
  const { logger, metrics } = deps;
  const maxBytes = options.maxRequestBytes ?? PUT_EVENTS_MAX_BYTES;
  const failed = new Set<string>();
  const byEventId = new Map<string, PendingEvent>();
  let skipped = 0;
  let unpublishable = 0;
  const reportUnpublishable = (data: Record<string, unknown>) => {
    unpublishable++;
    logger.error('event cannot be published', data);
  };

  for (const record of records) {
    const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
    const decision = decideRecord(record);
    if (decision.action === 'skip') {
      skipped++;
      logger.debug('stream record skipped', {
        sequenceNumber,
        eventName: record.eventName,
        reason: decision.reason,
      });
      continue;
    }
    if (decision.action === 'unpublishable') {
      reportUnpublishable({
        sequenceNumber,
        reason: decision.reason,
        error: describeError(decision.error),
      });
      failed.add(sequenceNumber);
      continue;
    }
    const { item } = decision;
    if (decision.oldImageMissing) {
      logger.warn('stream record has no old image', { checkId: item.checkId, sequenceNumber });
    }
    let detail: LivenessEventDetail;
    try {
      detail = buildEventDetail(item);
    } catch (error) {
      reportUnpublishable({
        checkId: item.checkId,
        sequenceNumber,
        reason: 'INVALID_ITEM',
        error: describeError(error),
      });
      failed.add(sequenceNumber);
      continue;
    }
    const duplicate = byEventId.get(detail.eventId);
    if (duplicate) {
      duplicate.sequenceNumbers.push(sequenceNumber);
      continue;
    }
    const entry = toPutEventsEntry(detail, options);
    const size = putEventsEntrySize(entry);
    if (size > maxBytes) {
      reportUnpublishable({ checkId: item.checkId, sequenceNumber, reason: 'ENTRY_TOO_LARGE', size });
      failed.add(sequenceNumber);
      continue;
    }
    byEventId.set(detail.eventId, { detail, entry, size, sequenceNumbers: [sequenceNumber] });
  }

  let published = 0;
  let publishFailures = 0;
  for (const chunk of chunkEvents([...byEventId.values()], maxBytes)) {
    const failures = await putWithRetries(chunk, deps, options);
    for (const event of chunk) {
      const failure = failures.get(event);
      if (!failure) {
        published++;
        continue;
      }
      publishFailures++;
      logger.error('event publish failed', {
        checkId: event.detail.checkId,
        eventId: event.detail.eventId,
        status: event.detail.status,
        ...failure,
      });
      for (const sequenceNumber of event.sequenceNumbers) failed.add(sequenceNumber);
    }
  }

  metrics.addMetric('EventsPublished', MetricUnit.Count, published);
  metrics.addMetric('PublishFailures', MetricUnit.Count, publishFailures + unpublishable);
  if (unpublishable > 0) metrics.addMetric('UnpublishableEvents', MetricUnit.Count, unpublishable);
  logger.info('stream batch processed', {
    records: records.length,
    skipped,
    published,
    failedRecords: failed.size,
  });
  return { batchItemFailures: reportFailures(records, failed) };
}

/** Splits events into PutEvents calls of at most 10 entries and 256 KiB, keeping stream order. */
function chunkEvents(events: PendingEvent[], maxBytes: number): PendingEvent[][] {
  const chunks: PendingEvent[][] = [];
  let current: PendingEvent[] = [];
  let bytes = 0;
  for (const event of events) {
    if (current.length === PUT_EVENTS_MAX_ENTRIES || bytes + event.size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(event);
    bytes += event.size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Puts one chunk, inspects every entry's result (PutEvents answers HTTP 200 with per-entry
 * failures), and puts again only the entries that failed with a retryable code, with bounded
 * exponential backoff. Returns the entries that are still not published.
 */
async function putWithRetries(
  chunk: PendingEvent[],
  deps: NotifierDeps,
  options: NotifierOptions,
): Promise<Map<PendingEvent, EntryFailure>> {
  const maxAttempts = options.maxAttempts ?? 3;
  const failures = new Map<PendingEvent, EntryFailure>();
  let toSend = chunk;
  for (let attempt = 1; toSend.length > 0; attempt++) {
    const retry = new Map<PendingEvent, EntryFailure>();
    try {
      const output = await deps.eventBridge.send(
        new PutEventsCommand({ Entries: toSend.map((e) => e.entry) }),
      );
      const results = output.Entries ?? [];
      toSend.forEach((event, index) => {
        const result = results[index];
        if (results.length !== toSend.length || !result) {
          // Results are matched to entries by position; without one per entry, nothing can be trusted.
          retry.set(event, { errorCode: 'IncompletePutEventsResult' });
        } else if (result.EventId && !result.ErrorCode) {
          deps.metrics.addMetric(
            'PublishDelay',
            MetricUnit.Milliseconds,
            Math.max(0, deps.clock.now().getTime() - Date.parse(event.detail.decidedAt)),
          );
          deps.logger.info('event published', {
            checkId: event.detail.checkId,
            eventId: event.detail.eventId,
            status: event.detail.status,
          });
        } else {
          const failure = {
            errorCode: result.ErrorCode ?? 'UnknownError',
            errorMessage: result.ErrorMessage,
          };
          (RETRYABLE_ENTRY_CODES.has(failure.errorCode) ? retry : failures).set(event, failure);
        }
      });
    } catch (error) {
      const failure = { errorCode: describeError(error).name, errorMessage: describeError(error).message };
      for (const event of toSend) (isRetryableAwsError(error) ? retry : failures).set(event, failure);
    }
    if (retry.size === 0) break;
    if (attempt >= maxAttempts) {
      for (const [event, failure] of retry) failures.set(event, { ...failure, attempts: attempt });
      break;
    }
    deps.logger.warn('putevents entries will be retried', {
      entries: retry.size,
      attempt,
      errorCodes: [...new Set([...retry.values()].map((f) => f.errorCode))],
    });
    await deps.clock.sleep(backoff(attempt, options));
    toSend = [...retry.keys()];
  }
  return failures;
}

/** Exponential backoff with jitter: between half and all of `base * 2^(attempt-1)`, capped. */
function backoff(attempt: number, options: NotifierOptions): number {
  const ceiling = Math.min(options.maxDelayMs ?? 1000, (options.baseDelayMs ?? 100) * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** The batch item failures, in stream order, one per failed record. */
function reportFailures(
  records: readonly DynamoDBRecord[],
  failed: ReadonlySet<string>,
): DynamoDBBatchResponse['batchItemFailures'] {
  if (failed.has('')) {
    // Lambda could not resume from a record without a sequence number: retry the whole batch.
    throw new RetryableError('a stream record that failed to publish has no sequence number');
  }
  const reported = new Set<string>();
  const failures: DynamoDBBatchResponse['batchItemFailures'] = [];
  for (const record of records) {
    const sequenceNumber = record.dynamodb?.SequenceNumber;
    if (sequenceNumber && failed.has(sequenceNumber) && !reported.has(sequenceNumber)) {
      reported.add(sequenceNumber);
      failures.push({ itemIdentifier: sequenceNumber });
    }
  }
  return failures;
}
