import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { checkIdForKey, parseNotification } from '../../functions/checker/notification.js';
import type { CheckItem } from '../../shared/check.js';

/**
 * When the local pipeline delivers a failed checker message again, in seconds from now.
 *
 * On AWS a failed message comes back when its visibility timeout runs out (6x the checker timeout,
 * counted from the receive). Because that exceeds the function timeout plus the lease, a redelivery
 * always finds the lease its previous receive took expired or released. Locally the wait is shortened
 * to `retryDelaySeconds` so retries are quick to watch; alone, that could bring a message back while
 * its own claim is still live, which AWS never does (a checker that took such a delivery for a
 * duplicate left the check CHECKING for good). So the wait is the later of the shortened delay and the
 * end of any live lease on the message's checks (plus a second, as a claim needs `lease < now`), and
 * never longer than the visibility timeout, which is what AWS waits.
 */
export function localRedeliverySeconds(input: {
  retryDelaySeconds: number;
  visibilityTimeoutSeconds: number;
  /** `leaseExpiresAt` (epoch ms) of each of the message's checks that is CHECKING. */
  leaseExpiries: readonly number[];
  nowMs: number;
}): number {
  const liveUntil = Math.max(input.nowMs, ...input.leaseExpiries);
  const leaseWait = liveUntil > input.nowMs ? Math.ceil((liveUntil - input.nowMs) / 1000) + 1 : 0;
  return Math.min(Math.max(input.retryDelaySeconds, leaseWait), input.visibilityTimeoutSeconds);
}

/** The lease expiries of the CHECKING checks a notification names, read from the table (consistently). */
export async function liveLeaseExpiries(
  record: Pick<SQSRecord, 'body'>,
  table: { dynamodb: DynamoDBClient; tableName: string; selfiePrefix: string },
): Promise<number[]> {
  const notification = parseNotification(record.body);
  if (notification.kind !== 'objects') return [];
  const expiries: number[] = [];
  for (const object of notification.objects) {
    if (!object.key.startsWith(table.selfiePrefix)) continue;
    const { Item } = await table.dynamodb.send(
      new GetItemCommand({
        TableName: table.tableName,
        Key: { checkId: { S: checkIdForKey(object.key, table.selfiePrefix) } },
        ConsistentRead: true,
      }),
    );
    const item = Item ? (unmarshall(Item) as Partial<CheckItem>) : undefined;
    if (item?.status === 'CHECKING' && typeof item.leaseExpiresAt === 'number')
      expiries.push(item.leaseExpiresAt);
  }
  return expiries;
}

/** What {@link scheduleRedeliveries} needs: the queue, the table, and the local delay. */
export interface RedeliveryOptions {
  sqs: SQSClient;
  queueUrl: string;
  table: { dynamodb: DynamoDBClient; tableName: string; selfiePrefix: string };
  retryDelaySeconds: number;
  visibilityTimeoutSeconds: number;
  now?: () => number;
  /** Told about a message left to the visibility timeout because its redelivery could not be set. */
  onError?: (messageId: string, error: unknown) => void;
}

/**
 * After a checker invocation: makes each message the checker reported as failed visible again after
 * {@link localRedeliverySeconds}. Never throws: a message whose lease or visibility it cannot
 * read or set (moto busy or down) waits out the visibility timeout, as on AWS; the played invocation
 * must not fail as a whole for the harness's own error, which would leave every message of the batch,
 * the checked ones included, invisible for the visibility timeout.
 */
export async function scheduleRedeliveries(
  event: SQSEvent,
  response: SQSBatchResponse,
  options: RedeliveryOptions,
): Promise<void> {
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  for (const record of event.Records.filter((r) => failed.has(r.messageId))) {
    try {
      const leaseExpiries = await liveLeaseExpiries(record, options.table);
      await options.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: options.queueUrl,
          ReceiptHandle: record.receiptHandle,
          VisibilityTimeout: localRedeliverySeconds({
            retryDelaySeconds: options.retryDelaySeconds,
            visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
            leaseExpiries,
            nowMs: (options.now ?? Date.now)(),
          }),
        }),
      );
    } catch (error) {
      options.onError?.(record.messageId, error);
    }
  }
}
