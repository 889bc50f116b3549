import { DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkBatch } from '../../../functions/checker/checker.js';
import testEvent from '../../fixtures/sqs/s3-test-event.json' with { type: 'json' };
import { conditionalRefusal } from '../../support/dynamodb.js';
import {
  claimedLeaseIds,
  ddbMock,
  finalWrites,
  KEY,
  makeDeps,
  metricNames,
  resetAws,
  s3Mock,
  selfie,
} from './fakes.js';
import { notificationBody, sqsEventOf } from './support.js';

const LAST = 3;
/** Less than a record needs to start: the message is left, or on its last receive ended. */
const NO_TIME = { remainingMs: () => 10_000 };

const refusedForGood = () =>
  Object.assign(new Error('One or more parameter values were invalid'), {
    name: 'ValidationException',
    $fault: 'client',
  });

/** The claim succeeds; the verdict writes answer in turn from `answers` (then succeed). */
function verdictWrites(...answers: ('refuse' | 'ok')[]) {
  ddbMock.on(UpdateCommand).callsFake((input) => {
    const values = input.ExpressionAttributeValues;
    if (values[':final'] !== undefined && answers.shift() === 'refuse') throw refusedForGood();
    return {
      Attributes: {
        checkId: input.Key.checkId,
        status: values[':final'] ?? 'CHECKING',
        attempts: 1,
        version: 2,
      },
    };
  });
}

beforeEach(() => {
  resetAws();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a last receive with no time left', () => {
  it('acknowledges a test event and sends a malformed body on to the DLQ, recording nothing', async () => {
    const event = sqsEventOf([JSON.stringify(testEvent), '{not json'], LAST);
    const response = await checkBatch(event, makeDeps([]), NO_TIME);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('records nothing for a key outside the selfie prefix', async () => {
    const event = sqsEventOf([notificationBody('uploads/elsewhere.jpg', 100)], LAST);
    const response = await checkBatch(event, makeDeps([]), NO_TIME);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(ddbMock.calls()).toHaveLength(0);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('records nothing for a record naming another bucket', async () => {
    const event = sqsEventOf([notificationBody(KEY, 0, 'someone-elses-bucket')], LAST);
    const response = await checkBatch(event, makeDeps([]), NO_TIME);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(ddbMock.calls()).toHaveLength(0);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it("records the FAILED in its own bucket without the notification's size", async () => {
    await checkBatch(sqsEventOf([notificationBody(KEY, 12_345)], LAST), makeDeps([]), NO_TIME);
    const values = finalWrites()[0]?.ExpressionAttributeValues;
    expect(values).toMatchObject({ ':final': 'FAILED', ':bucket': 'selfie-bucket', ':key': KEY });
    expect(values).not.toHaveProperty(':size');
  });

  it('counts the FAILED it records', async () => {
    const deps = makeDeps([]);
    const addMetric = vi.spyOn(deps.metrics, 'addMetric');
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps, NO_TIME);
    expect(metricNames(addMetric)).toContain('ChecksFailed');
  });

  it('counts a FAILED it cannot record, keeps the selfie, and still sends the message on', async () => {
    ddbMock.on(UpdateCommand).rejects(refusedForGood());
    const deps = makeDeps([]);
    const addMetric = vi.spyOn(deps.metrics, 'addMetric');
    const response = await checkBatch(
      sqsEventOf([notificationBody(KEY, selfie.length)], LAST),
      deps,
      NO_TIME,
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(metricNames(addMetric)).toContain('LastReceiveWriteFailures');
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });

  it('leaves the selfie alone when the check is gone', async () => {
    ddbMock.on(UpdateCommand).rejects(conditionalRefusal());
    const response = await checkBatch(
      sqsEventOf([notificationBody(KEY, selfie.length)], LAST),
      makeDeps([]),
      NO_TIME,
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });

  it("writes the vendor answer kept from the message's earlier delivery under its lease, not FAILED", async () => {
    const deps = makeDeps([{ kind: 'passed', transactionId: '42' }]);
    // The second receive pays for a PASSED that DynamoDB refuses to write.
    verdictWrites('refuse');
    const second = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], 2), deps);
    expect(second.batchItemFailures).toHaveLength(1);
    expect(deps.outcomeMemory.size).toBe(1);
    const [paidUnder] = claimedLeaseIds();
    ddbMock.resetHistory();
    s3Mock.resetHistory();

    const addMetric = vi.spyOn(deps.metrics, 'addMetric');
    const last = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps, NO_TIME);
    // A message left for want of time still goes on to the DLQ (decision 1), even with its verdict written.
    expect(last.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(deps.vendorCalls()).toBe(1);
    expect(finalWrites()).toHaveLength(1);
    expect(finalWrites()[0]?.ConditionExpression).toBe('#status = :checking AND #leaseId = :leaseId');
    expect(finalWrites()[0]?.ExpressionAttributeValues).toMatchObject({
      ':final': 'PASSED',
      ':result': { transactionId: '42' },
      ':leaseId': paidUnder,
    });
    expect(metricNames(addMetric)).toContain('ChecksPassed');
    expect(deps.outcomeMemory.size).toBe(0);
    expect(s3Mock).toReceiveCommandWith(DeleteObjectCommand, { Key: KEY });
  });
});

describe('a last receive after a fault', () => {
  it('sends the message on to the DLQ when not even FAILED can be recorded', async () => {
    s3Mock
      .on(GetObjectCommand)
      .rejects(
        Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $fault: 'server' }),
      );
    ddbMock.on(UpdateCommand).rejects(refusedForGood());
    const deps = makeDeps([]);
    const addMetric = vi.spyOn(deps.metrics, 'addMetric');
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(metricNames(addMetric)).toContain('LastReceiveWriteFailures');
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });
});

describe('a last receive whose verdict write failed', () => {
  it('writes the paid verdict again and acknowledges the message', async () => {
    verdictWrites('refuse', 'ok');
    const deps = makeDeps([{ kind: 'passed', transactionId: '42' }]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.vendorCalls()).toBe(1);
    expect(finalWrites().map((w) => w.ExpressionAttributeValues?.[':final'])).toEqual(['PASSED', 'PASSED']);
    expect(s3Mock).toReceiveCommandWith(DeleteObjectCommand, { Key: KEY });
  });

  it('writes a vendor failure again and still sends the message on to the DLQ', async () => {
    verdictWrites('refuse', 'ok');
    const deps = makeDeps([{ kind: 'retryable', reason: 'VENDOR_ERROR', httpStatus: 500, message: 'boom' }]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(finalWrites().at(-1)?.ExpressionAttributeValues).toMatchObject({
      ':final': 'FAILED',
      ':failure': { reason: 'VENDOR_UNAVAILABLE' },
    });
    expect(s3Mock).toReceiveCommandWith(DeleteObjectCommand, { Key: KEY });
  });

  it('never downloads or pays again for it', async () => {
    verdictWrites('refuse', 'ok');
    const deps = makeDeps([{ kind: 'passed', transactionId: '42' }]);
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps);
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(1);
    expect(deps.vendorCalls()).toBe(1);
  });
});
