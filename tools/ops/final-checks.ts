/**
 * Finding the checks that reached a final status in a time window, in the check table.
 *
 * The table has one index, the sweeper's `bySweep`, and it is sparse: a check leaves it when it
 * becomes final. So final checks are found by a Scan with a filter on `decidedAt`: it reads the
 * whole table (30 days of checks by default), page by page, and is billed for everything it reads,
 * not for what it returns: about 0.5 read request units per 4 KB, about $0.02 per million 1 KB
 * items on demand in us-east-1. That is cheap for a recovery tool run now and then; an index for it
 * would cost a write on every check (docs/decisions/0009-republish-scans-the-check-table.md).
 */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type CheckItem, FINAL_STATUSES, type FinalStatus } from '../../shared/check.js';

/** The window and statuses to look for. */
export interface FinalCheckQuery {
  since: Date;
  until: Date;
  /** @default every final status */
  statuses?: readonly FinalStatus[];
}

/** What a scan found, and what it cost. */
export interface FinalCheckScan {
  items: CheckItem[];
  /** Items the scan read (the whole table). */
  scanned: number;
  /** Read request units consumed, as DynamoDB reported them. */
  readUnits: number;
}

/** Every check that reached one of the statuses between `since` and `until` (inclusive), by `decidedAt`. */
export async function scanFinalChecks(
  client: DynamoDBClient,
  tableName: string,
  query: FinalCheckQuery,
): Promise<FinalCheckScan> {
  const doc = DynamoDBDocumentClient.from(client);
  const statuses = query.statuses ?? FINAL_STATUSES;
  const values: Record<string, unknown> = {
    ':since': query.since.toISOString(),
    ':until': query.until.toISOString(),
  };
  statuses.forEach((status, i) => {
    values[`:s${i}`] = status;
  });
  const items: CheckItem[] = [];
  let scanned = 0;
  let readUnits = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: tableName,
        // decidedAt is ISO 8601 in UTC with milliseconds: string order is time order.
        FilterExpression: `#status IN (${statuses.map((_, i) => `:s${i}`).join(', ')}) AND #decidedAt BETWEEN :since AND :until`,
        ExpressionAttributeNames: { '#status': 'status', '#decidedAt': 'decidedAt' },
        ExpressionAttributeValues: values,
        ReturnConsumedCapacity: 'TOTAL',
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    items.push(...((page.Items ?? []) as CheckItem[]));
    scanned += page.ScannedCount ?? 0;
    readUnits += page.ConsumedCapacity?.CapacityUnits ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  items.sort((a, b) => (a.decidedAt ?? '').localeCompare(b.decidedAt ?? ''));
  return { items, scanned, readUnits };
}
