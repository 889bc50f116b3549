import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { SQSRecord } from 'aws-lambda';
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
