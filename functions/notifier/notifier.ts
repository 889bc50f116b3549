import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { describeError, RetryableError } from '../../shared/errors.js';
import { buildEventDetail } from '../../shared/events/build-event.js';
import type { LivenessEventDetail } from '../../shared/events/index.js';
import { UNATTESTED_FINAL_STATUS_METRIC } from '../../shared/metric-names.js';
import type { NotifierDeps, NotifierOptions } from './deps.js';
import {
  chunkEvents,
  type PendingEvent,
  PUT_EVENTS_MAX_BYTES,
  putEventsEntrySize,
  putWithRetries,
  toPutEventsEntry,
} from './put-events.js';
import { decideRecord } from './stream-record.js';

export type { NotifierDeps, NotifierOptions } from './deps.js';

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
 * on-failure destination, where an operator sees it. A record of a check entering a final status
 * without `decidedAt` (written by someone other than the checker or the sweeper) is not published:
 * it is logged as an error, counted in `UnattestedFinalStatuses` and acknowledged, since retrying it
 * would only hold the shard and the DLQ would invite republishing it.
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
  let unattested = 0;
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
    if (decision.action === 'unattested') {
      unattested++;
      logger.error('final status without decidedAt not published', {
        checkId: decision.checkId,
        status: decision.status,
        eventName: record.eventName,
        sequenceNumber,
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
  if (unattested > 0) {
    metrics.addMetric(UNATTESTED_FINAL_STATUS_METRIC.metricName, MetricUnit.Count, unattested);
  }
  logger.info('stream batch processed', {
    records: records.length,
    skipped,
    unattested,
    published,
    failedRecords: failed.size,
  });
  return { batchItemFailures: reportFailures(records, failed) };
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
