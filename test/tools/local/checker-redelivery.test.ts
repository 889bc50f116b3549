import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  liveLeaseExpiries,
  localRedeliverySeconds,
  scheduleRedeliveries,
} from '../../../tools/local/checker-redelivery.js';
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

describe('scheduleRedeliveries', () => {
  const now = 1_000_000;
  const [heldId, freeId, okId] = Array.from({ length: 3 }, () => crypto.randomUUID());
  const record = (messageId: string, checkId: string) => ({
    messageId,
    receiptHandle: `receipt-${messageId}`,
    body: JSON.stringify({
      Records: [
        {
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Post',
          s3: { bucket: { name: 'b' }, object: { key: `selfies/${checkId}`, size: 1000 } },
        },
      ],
    }),
  });
  const event = {
    Records: [record('m-held', `${heldId}`), record('m-free', `${freeId}`), record('m-ok', `${okId}`)],
  } as unknown as SQSEvent;
  const failures = {
    batchItemFailures: [{ itemIdentifier: 'm-held' }, { itemIdentifier: 'm-free' }],
  };

  const setup = () => {
    const dynamodb = mockClient(DynamoDBClient);
    const sqs = mockClient(SQSClient);
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    const options = {
      sqs: new SQSClient({}),
      queueUrl: 'queue',
      table: { dynamodb: new DynamoDBClient({}), tableName: 'checks', selfiePrefix: 'selfies/' },
      retryDelaySeconds: 11,
      visibilityTimeoutSeconds: 114,
      now: () => now,
    };
    return { dynamodb, sqs, options };
  };

  it('makes each reported failure visible again after the local delay, or past its live lease', async () => {
    const { dynamodb, sqs, options } = setup();
    dynamodb.on(GetItemCommand).callsFake(async (input: { Key: { checkId: { S: string } } }) =>
      input.Key.checkId.S === heldId
        ? {
            Item: {
              checkId: { S: heldId },
              status: { S: 'CHECKING' },
              leaseExpiresAt: { N: String(now + 19_500) },
            },
          }
        : { Item: { checkId: { S: `${freeId}` }, status: { S: 'AWAITING_UPLOAD' } } },
    );

    await scheduleRedeliveries(event, failures, options);

    expect(sqs).toHaveReceivedCommandTimes(ChangeMessageVisibilityCommand, 2);
    expect(sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, {
      ReceiptHandle: 'receipt-m-held',
      VisibilityTimeout: 21,
    });
    expect(sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, {
      ReceiptHandle: 'receipt-m-free',
      VisibilityTimeout: 11,
    });
  });

  it('leaves a message whose lease it cannot read to the visibility timeout and still reschedules the others', async () => {
    // A throw here would fail the played invocation as a whole: every message of the batch, the
    // checked ones included, would wait out the visibility timeout, which no checker fault caused.
    const { dynamodb, sqs, options } = setup();
    dynamodb.on(GetItemCommand).callsFake(async (input: { Key: { checkId: { S: string } } }) => {
      if (input.Key.checkId.S === heldId) throw new Error('socket hang up');
      return {};
    });
    const errors: string[] = [];

    await scheduleRedeliveries(event, failures, {
      ...options,
      onError: (messageId) => errors.push(messageId),
    });

    expect(sqs).toHaveReceivedCommandTimes(ChangeMessageVisibilityCommand, 1);
    expect(sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, {
      ReceiptHandle: 'receipt-m-free',
      VisibilityTimeout: 11,
    });
    expect(errors).toEqual(['m-held']);
  });
});
