import { readFileSync } from 'node:fs';
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type NotifierDeps, publishFinalTransitions } from '../../../functions/notifier/notifier.js';
import { CheckRepository } from '../../../shared/check-repository.js';
import { systemClock } from '../../../shared/clock.js';
import { eventIdFor, type LivenessEvent } from '../../../shared/events/index.js';
import { createCheckTable } from '../../../tools/local/provision-table.js';
import { errorsOf, validateDetail, validateEvent } from '../../shared/events/validator.js';
import { awsClientConfig, type Moto, startMoto } from '../../support/moto.js';
import { StreamReader } from './helpers.js';

const TABLE = 'checks';
const BUS = 'liveness-bus';
const CHECK_ID = '7e57c0de-1d2c-4b3a-9f8e-0a1b2c3d4e5f';
const allFinalPattern = readFileSync(
  new URL('../../../examples/subscriber/patterns/all-final.json', import.meta.url),
  'utf8',
);

/** Attribute names for the `#name` placeholders an expression uses (`status`, `reference` and `result` are reserved words). */
function names(expression: string): Record<string, string> {
  return Object.fromEntries(
    [...expression.matchAll(/#(\w+)/g)].map(([placeholder, name]) => [placeholder, name ?? '']),
  );
}

describe('notifier on moto: DynamoDB stream -> PutEvents -> rule -> SQS', () => {
  let moto: Moto;
  let dynamodb: DynamoDBClient;
  let sqs: SQSClient;
  let stream: StreamReader;
  let queueUrl: string;
  let deps: NotifierDeps;
  let addMetric: ReturnType<typeof vi.fn<(name: string, unit: string, value: number) => void>>;
  const options = { eventBusName: BUS, eventSource: 'selfie-liveness' };

  beforeAll(async () => {
    moto = await startMoto();
    const config = awsClientConfig(moto.endpoint);
    dynamodb = new DynamoDBClient(config);
    sqs = new SQSClient(config);
    const eventBridge = new EventBridgeClient(config);
    const { streamArn } = await createCheckTable(dynamodb, TABLE);
    stream = new StreamReader(new DynamoDBStreamsClient(config), streamArn);

    await eventBridge.send(new CreateEventBusCommand({ Name: BUS }));
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'liveness-events' }))).QueueUrl ?? '';
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    await eventBridge.send(
      new PutRuleCommand({ Name: 'all-final', EventBusName: BUS, EventPattern: allFinalPattern }),
    );
    await eventBridge.send(
      new PutTargetsCommand({
        Rule: 'all-final',
        EventBusName: BUS,
        Targets: [{ Id: 'queue', Arn: Attributes?.QueueArn }],
      }),
    );
    const silent = () => vi.fn<(...args: unknown[]) => void>();
    addMetric = vi.fn();
    deps = {
      eventBridge,
      logger: { debug: silent(), info: silent(), warn: silent(), error: silent() },
      metrics: { addMetric } as unknown as NotifierDeps['metrics'],
      clock: systemClock,
    };
  });

  afterAll(async () => {
    await moto?.stop();
  });

  async function drainQueue(): Promise<LivenessEvent[]> {
    const events: LivenessEvent[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      if (Messages.length === 0) return events;
      events.push(...Messages.map((message) => JSON.parse(message.Body ?? '{}') as LivenessEvent));
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
    }
  }

  async function update(expression: string, values: Record<string, unknown>, condition?: string) {
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: { checkId: { S: CHECK_ID } },
        UpdateExpression: expression,
        ExpressionAttributeNames: names(expression),
        ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true }),
        ...(condition ? { ConditionExpression: condition } : {}),
      }),
    );
  }

  it('publishes nothing while a check is created and claimed', async () => {
    // An UpdateItem that creates the item: moto emits a keys-only INSERT, then the full one.
    await update(
      'SET #status = :status, version = :one, createdAt = :now, updatedAt = :now, attempts = :zero, ' +
        'device = :device, #reference = :reference, expiresAt = :ttl',
      {
        ':status': 'AWAITING_UPLOAD',
        ':one': 1,
        ':zero': 0,
        ':now': '2026-11-25T10:00:00.000Z',
        ':device': 'ANDROID',
        ':reference': 'order-4711',
        ':ttl': 1_798_192_000,
      },
      'attribute_not_exists(checkId)',
    );
    await update(
      'SET #status = :status, version = version + :one, attempts = attempts + :one, leaseId = :lease',
      {
        ':status': 'CHECKING',
        ':one': 1,
        ':lease': 'lease-1',
      },
    );

    const event = await stream.nextEvent();
    const response = await publishFinalTransitions(event.Records, deps, options);

    // moto 5.2.1: the item-creating UpdateItem gives a keys-only INSERT, then the full INSERT.
    expect(event.Records.map((record) => record.eventName)).toEqual(['INSERT', 'INSERT', 'MODIFY']);
    expect(event.Records[0]?.dynamodb?.NewImage).toEqual({ checkId: { S: CHECK_ID } });
    expect(response.batchItemFailures).toEqual([]);
    expect(await drainQueue()).toEqual([]);
  });

  it('delivers one schema-valid event when the check becomes PASSED, and none for a later write', async () => {
    await update(
      'SET #status = :status, version = version + :one, updatedAt = :decided, decidedAt = :decided, ' +
        '#result = :result REMOVE leaseId',
      {
        ':status': 'PASSED',
        ':one': 1,
        ':decided': '2026-11-25T10:00:07.412Z',
        ':result': { valid: true, transactionId: 'tx-8c1f2a', score: 0.98, quality: 0.91, liveness: 0.97 },
      },
    );
    // A later write to the final check (as a selfie cleanup would make) is not a transition.
    await update('SET version = version + :one', { ':one': 1 });

    const event = await stream.nextEvent();
    const response = await publishFinalTransitions(event.Records, deps, options);

    expect(event.Records.map((record) => record.eventName)).toEqual(['MODIFY', 'MODIFY']);
    expect(response.batchItemFailures).toEqual([]);
    const delivered = await drainQueue();
    expect(delivered).toHaveLength(1);
    const [received] = delivered;
    expect(validateEvent(received), errorsOf(validateEvent)).toBe(true);
    expect(validateDetail(received?.detail), errorsOf(validateDetail)).toBe(true);
    expect(received).toMatchObject({ 'detail-type': 'Liveness Check Passed', source: 'selfie-liveness' });
    expect(received?.detail).toEqual({
      schemaVersion: 1,
      eventId: eventIdFor(CHECK_ID, 'PASSED', '2026-11-25T10:00:00.000Z'),
      checkId: CHECK_ID,
      status: 'PASSED',
      reference: 'order-4711',
      device: 'ANDROID',
      createdAt: '2026-11-25T10:00:00.000Z',
      decidedAt: '2026-11-25T10:00:07.412Z',
      result: { valid: true, transactionId: 'tx-8c1f2a', score: 0.98, quality: 0.91, liveness: 0.97 },
      attempts: 1,
    });
  });

  it("publishes nothing for an item PutItem'd as PASSED, and the event of a real finalize", async () => {
    const forged = '0badc0de-1d2c-4b3a-9f8e-0a1b2c3d4e60';
    const decided = '1decaf00-1d2c-4b3a-9f8e-0a1b2c3d4e61';
    // What a principal with dynamodb:PutItem could write: a whole item, already PASSED, no decidedAt.
    await dynamodb.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: marshall({
          checkId: forged,
          status: 'PASSED',
          version: 1,
          createdAt: '2026-11-25T11:00:00.000Z',
          updatedAt: '2026-11-25T11:00:00.000Z',
          reference: 'order-9001',
          owner: 'user-mallory',
          attempts: 1,
          expiresAt: 1_798_192_000,
          result: { valid: true, transactionId: 'tx-forged', score: 0.99 },
        }),
      }),
    );
    const repository = new CheckRepository(dynamodb, TABLE, 30 * 86_400);
    const now = new Date('2026-11-25T11:00:00.000Z');
    await repository.createAwaitingUpload({
      checkId: decided,
      now,
      uploadExpiresAt: new Date('2026-11-25T11:15:00.000Z'),
      reference: 'order-9002',
      owner: 'user-7f3a',
    });
    const finalized = await repository.finalize({
      checkId: decided,
      outcome: { status: 'PASSED', result: { valid: true, transactionId: 'tx-real' } },
      guard: { kind: 'unclaimed' },
      now: new Date('2026-11-25T11:00:09.000Z'),
    });
    expect(finalized.written).toBe(true);
    addMetric.mockClear();

    const event = await stream.nextEvent();
    const response = await publishFinalTransitions(event.Records, deps, options);

    expect(response.batchItemFailures).toEqual([]);
    const delivered = await drainQueue();
    expect(delivered.map((received) => received.detail.checkId)).toEqual([decided]);
    expect(delivered[0]?.detail).toMatchObject({
      status: 'PASSED',
      owner: 'user-7f3a',
      decidedAt: '2026-11-25T11:00:09.000Z',
    });
    const unattested = addMetric.mock.calls.filter(([name]) => name === 'UnattestedFinalStatuses');
    expect(unattested.map(([, , value]) => value)).toEqual([1]);
  });
});
