import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveLeaseExpiries, localRedeliverySeconds } from '../../../tools/local/checker-redelivery.js';
import { localAwsClients } from '../../../tools/local/provision.js';
import { createCheckTable } from '../../../tools/local/provision-table.js';
import { type Moto, startMoto } from '../../support/moto.js';

describe('localRedeliverySeconds', () => {
  const now = 1_000_000;
  const base = { retryDelaySeconds: 1, visibilityTimeoutSeconds: 360, nowMs: now };

  it('keeps the shortened delay when no lease is live', () => {
    expect(localRedeliverySeconds({ ...base, leaseExpiries: [] })).toBe(1);
    expect(localRedeliverySeconds({ ...base, leaseExpiries: [now - 5000] })).toBe(1);
  });

  it('waits past the end of a live lease, so the redelivery can take the check over as on AWS', () => {
    expect(localRedeliverySeconds({ ...base, leaseExpiries: [now + 9_200] })).toBe(11);
    expect(localRedeliverySeconds({ ...base, leaseExpiries: [now + 2_000, now + 30_000] })).toBe(31);
  });

  it('never waits longer than the visibility timeout, which is what AWS waits', () => {
    expect(localRedeliverySeconds({ ...base, leaseExpiries: [now + 1_000_000] })).toBe(360);
  });
});

describe('liveLeaseExpiries', () => {
  let moto: Moto;
  const tableName = 'redelivery-checks';
  let dynamodb: ReturnType<typeof localAwsClients>['dynamodb'];

  beforeAll(async () => {
    moto = await startMoto();
    ({ dynamodb } = localAwsClients({ endpoint: moto.endpoint, region: 'us-east-1' }));
    await createCheckTable(dynamodb, tableName);
  });

  afterAll(async () => {
    await moto?.stop();
  });

  const notification = (...keys: string[]) => ({
    body: JSON.stringify({
      Records: keys.map((key) => ({
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Post',
        s3: { bucket: { name: 'b' }, object: { key, size: 1000 } },
      })),
    }),
  });

  it('reads the lease of each CHECKING check the notification names, and nothing else', async () => {
    const put = async (checkId: string, status: string, leaseExpiresAt?: number) =>
      await dynamodb.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            checkId: { S: checkId },
            status: { S: status },
            ...(leaseExpiresAt ? { leaseExpiresAt: { N: String(leaseExpiresAt) } } : {}),
          },
        }),
      );
    // Ids the API issues are UUIDs, and the key is `selfies/<checkId>`.
    const [held, done, waiting, absent] = Array.from({ length: 4 }, () => crypto.randomUUID());
    await put(`${held}`, 'CHECKING', 5_000);
    await put(`${done}`, 'PASSED', 4_000);
    await put(`${waiting}`, 'AWAITING_UPLOAD');
    const table = { dynamodb, tableName, selfiePrefix: 'selfies/' };
    expect(
      await liveLeaseExpiries(
        notification(
          `selfies/${held}`,
          `selfies/${done}`,
          `selfies/${waiting}`,
          `selfies/${absent}`,
          `other/${held}`,
        ),
        table,
      ),
    ).toEqual([5_000]);
    expect(await liveLeaseExpiries({ body: 'not json' }, table)).toEqual([]);
  });
});
