import { DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkBatch } from '../../../functions/checker/checker.js';
import testEvent from '../../fixtures/sqs/s3-test-event.json' with { type: 'json' };
import {
  claimedLeaseIds,
  finalWrites,
  KEY,
  makeDeps,
  metricNames,
  mockS3,
  notificationBody,
  refusedForGood,
  resetS3,
  selfie,
  sqsEventOf,
  stored,
} from './helpers.js';

const s3Mock = mockS3();

const LAST = 3;
/** Less than a record needs to start: the message is left, or on its last receive ended. */
const NO_TIME = { remainingMs: () => 10_000 };

beforeEach(() => {
  resetS3(s3Mock);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a last receive with no time left', () => {
  it('acknowledges a test event and sends a malformed body on to the DLQ, recording nothing', async () => {
    const event = sqsEventOf([JSON.stringify(testEvent), '{not json'], LAST);
    const deps = makeDeps([]);
    const response = await checkBatch(event, deps, NO_TIME);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(deps.repository.calls).toHaveLength(0);
  });

  it('records nothing for a key outside the selfie prefix', async () => {
    const event = sqsEventOf([notificationBody('uploads/elsewhere.jpg', 100)], LAST);
    const deps = makeDeps([]);
    const response = await checkBatch(event, deps, NO_TIME);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(deps.repository.calls).toHaveLength(0);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('records nothing for a record naming another bucket', async () => {
    const event = sqsEventOf([notificationBody(KEY, 0, 'someone-elses-bucket')], LAST);
    const deps = makeDeps([]);
    const response = await checkBatch(event, deps, NO_TIME);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(deps.repository.calls).toHaveLength(0);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it("records the FAILED in its own bucket without the notification's size", async () => {
    const deps = makeDeps([]);
    await checkBatch(sqsEventOf([notificationBody(KEY, 12_345)], LAST), deps, NO_TIME);
    expect(stored(deps)).toMatchObject({ status: 'FAILED', bucket: 'selfie-bucket', objectKey: KEY });
    expect(stored(deps)).not.toHaveProperty('objectSize');
  });

  it('counts the FAILED it records', async () => {
    const deps = makeDeps([]);
    const addMetric = vi.spyOn(deps.metrics, 'addMetric');
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps, NO_TIME);
    expect(metricNames(addMetric)).toContain('ChecksFailed');
  });

  it('counts a FAILED it cannot record, keeps the selfie, and still sends the message on', async () => {
    const deps = makeDeps([]);
    deps.repository.fail('finalize', refusedForGood);
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
    // An earlier receive paid for an answer it could not write; the item is gone since (TTL, an operator).
    const deps = makeDeps([{ kind: 'passed', transactionId: '42' }]);
    deps.repository.fail('finalize', refusedForGood, { times: 1 });
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], 2), deps);
    deps.repository.items.clear();
    s3Mock.resetHistory();
    const response = await checkBatch(
      sqsEventOf([notificationBody(KEY, selfie.length)], LAST),
      deps,
      NO_TIME,
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    // The kept answer's lease guard finds no item: nothing is recorded, nothing deleted.
    expect(finalWrites(deps).map((write) => write.guard.kind)).toEqual(['lease', 'lease']);
    expect(stored(deps)).toBeUndefined();
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });

  it("writes the vendor answer kept from the message's earlier delivery under its lease, not FAILED", async () => {
    const deps = makeDeps([{ kind: 'passed', transactionId: '42' }]);
    // The second receive pays for a PASSED that DynamoDB refuses to write.
    deps.repository.fail('finalize', refusedForGood, { times: 1 });
    const second = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], 2), deps);
    expect(second.batchItemFailures).toHaveLength(1);
    expect(deps.outcomeMemory.size).toBe(1);
    const [paidUnder] = claimedLeaseIds(deps);
    deps.repository.calls.length = 0;
    s3Mock.resetHistory();

    const addMetric = vi.spyOn(deps.metrics, 'addMetric');
    const last = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps, NO_TIME);
    // A message left for want of time still goes on to the DLQ (decision 1), even with its verdict written.
    expect(last.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(deps.vendorCalls()).toBe(1);
    expect(finalWrites(deps)).toHaveLength(1);
    expect(finalWrites(deps)[0]?.guard).toEqual({ kind: 'lease', leaseId: paidUnder });
    expect(stored(deps)).toMatchObject({ status: 'PASSED', result: { transactionId: '42' } });
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
    const deps = makeDeps([]);
    deps.repository.fail('finalize', refusedForGood);
    const addMetric = vi.spyOn(deps.metrics, 'addMetric');
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(metricNames(addMetric)).toContain('LastReceiveWriteFailures');
    expect(stored(deps)).toBeUndefined();
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });
});

describe('a last receive whose verdict write failed', () => {
  it('writes the paid verdict again and acknowledges the message', async () => {
    const deps = makeDeps([{ kind: 'passed', transactionId: '42' }]);
    deps.repository.fail('finalize', refusedForGood, { times: 1 });
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.vendorCalls()).toBe(1);
    expect(finalWrites(deps).map((w) => w.outcome.status)).toEqual(['PASSED', 'PASSED']);
    expect(stored(deps)?.status).toBe('PASSED');
    expect(s3Mock).toReceiveCommandWith(DeleteObjectCommand, { Key: KEY });
  });

  it('writes a vendor failure again and still sends the message on to the DLQ', async () => {
    const deps = makeDeps([{ kind: 'retryable', reason: 'VENDOR_ERROR', httpStatus: 500, message: 'boom' }]);
    deps.repository.fail('finalize', refusedForGood, { times: 1 });
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(finalWrites(deps)).toHaveLength(2);
    expect(stored(deps)).toMatchObject({ status: 'FAILED', failure: { reason: 'VENDOR_UNAVAILABLE' } });
    expect(s3Mock).toReceiveCommandWith(DeleteObjectCommand, { Key: KEY });
  });

  it('never downloads or pays again for it', async () => {
    const deps = makeDeps([{ kind: 'passed', transactionId: '42' }]);
    deps.repository.fail('finalize', refusedForGood, { times: 1 });
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps);
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(1);
    expect(deps.vendorCalls()).toBe(1);
  });
});
