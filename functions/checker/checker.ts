/**
 * The checker's core: an SQS batch of S3 notifications, each message's objects checked in turn.
 * What happens to one object is in `check-object.ts`; a message's last receive in `last-receive.ts`.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { describeError, RetryableError } from '../../shared/errors.js';
import { recordStartMs } from './budget.js';
import { checkObject } from './check-object.js';
import {
  type CheckerDeps,
  type Disposition,
  type Invocation,
  objectContext,
  type RecordTime,
} from './context.js';
import { deliveryOf, receiveCountOf, recordTime } from './delivery.js';
import { afterError, leaveForLater } from './last-receive.js';
import { checkIdForKey, parseNotification } from './notification.js';

export type { CheckerDeps, Invocation } from './context.js';

const UNBOUNDED: Invocation = { remainingMs: () => Number.POSITIVE_INFINITY };

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
      if (object.bucket !== config.selfieBucket) {
        // A forged message can name any bucket: only an object in our own may decide a check.
        logger.warn('skipping a notification for another bucket', { messageId, bucket: object.bucket });
        metrics.addMetric('ForeignBucketNotifications', MetricUnit.Count, 1);
        continue;
      }
      if (!object.key.startsWith(config.selfiePrefix)) {
        logger.warn('skipping key outside the selfie prefix', { messageId, bucket: object.bucket });
        continue;
      }
      const ctx = objectContext(object, checkIdForKey(object.key, config.selfiePrefix), delivery, deps);
      let result: Disposition;
      try {
        result = await checkObject(ctx);
      } catch (error) {
        result = await afterError(error, ctx);
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
