/** PutEvents for the notifier: entries, their size, calls within the limits, retries of failed entries. */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { describeError, isRetryableAwsError } from '../../shared/errors.js';
import { DETAIL_TYPES, type LivenessEventDetail } from '../../shared/events/index.js';
import type { NotifierDeps, NotifierOptions } from './deps.js';

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
export interface PendingEvent {
  detail: LivenessEventDetail;
  entry: PutEventsRequestEntry;
  size: number;
  sequenceNumbers: string[];
}

/** Why an entry is not published. */
export interface EntryFailure {
  errorCode: string;
  errorMessage?: string;
  /** Set when the entry was retryable but every attempt failed. */
  attempts?: number;
}

/** Splits events into PutEvents calls of at most 10 entries and 256 KiB, keeping stream order. */
export function chunkEvents(events: PendingEvent[], maxBytes: number): PendingEvent[][] {
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
export async function putWithRetries(
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
