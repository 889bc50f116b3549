import { DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  INVOCATION_END_RESERVE_MS,
  recordBudgetMs,
  recordStartMs,
} from '../../../functions/checker/budget.js';
import { checkBatch, mapWithConcurrency } from '../../../functions/checker/checker.js';
import { RetryableError, TerminalError } from '../../../shared/errors.js';
import testEvent from '../../fixtures/sqs/s3-test-event.json' with { type: 'json' };
import {
  body,
  CHECK_ID,
  checkItem,
  claimedLeaseIds,
  finalWrites,
  KEY,
  leaseOfMessage,
  makeDeps,
  metricNames,
  mockS3,
  NOW,
  notificationBody,
  refusedForGood,
  resetS3,
  selfie,
  sqsEventOf,
  stored,
  throttled,
} from './helpers.js';

const s3Mock = mockS3();

beforeEach(() => {
  resetS3(s3Mock);
});

describe('checkBatch', () => {
  it('records PASSED with the transaction id and scores, then deletes the selfie', async () => {
    const deps = makeDeps([
      { kind: 'passed', transactionId: '1111', score: 2.6, quality: 0.85, liveness: 0.93 },
    ]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(stored(deps)).toMatchObject({
      status: 'PASSED',
      result: { valid: true, transactionId: '1111', score: 2.6, quality: 0.85, liveness: 0.93 },
    });
    expect(finalWrites(deps)).toHaveLength(1);
    // The lease is this delivery's own: the claim's.
    expect(finalWrites(deps)[0]?.guard).toEqual({ kind: 'lease', leaseId: claimedLeaseIds(deps)[0] });
    expect(s3Mock).toReceiveCommandWith(DeleteObjectCommand, { Bucket: 'selfie-bucket', Key: KEY });
  });

  it.each([
    ['keeps', 'order-42', 'order-42'],
    ['ignores an empty', '', undefined],
    ['ignores a line separator in a', 'a\u2028b', undefined],
  ])('%s reference from object metadata by the shared rule', async (_label, reference, kept) => {
    s3Mock
      .on(GetObjectCommand)
      .callsFake(() => ({ Body: body(selfie), ContentLength: selfie.length, Metadata: { reference } }));
    const deps = makeDeps([]);
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(stored(deps)?.status).toBe('PASSED');
    expect(stored(deps)?.reference).toBe(kept);
  });

  it('records REJECTED with FACE_TOO_CLOSE for code 700', async () => {
    const deps = makeDeps([
      { kind: 'rejected', code: 700, reason: 'FACE_TOO_CLOSE', message: 'Face to close.', httpStatus: 200 },
    ]);
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(stored(deps)).toMatchObject({
      status: 'REJECTED',
      rejection: {
        code: 700,
        reason: 'FACE_TOO_CLOSE',
        message: 'Face to close.',
        source: 'apptenticate',
      },
      result: { valid: false },
    });
  });

  it('leaves a retryable vendor failure to SQS and gives the lease back', async () => {
    const deps = makeDeps([
      { kind: 'retryable', reason: 'RATE_LIMITED', httpStatus: 429, message: 'slow down' },
    ]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(finalWrites(deps)).toEqual([]);
    // Given back: the lease ends now, so the next delivery claims at once.
    expect(stored(deps)).toMatchObject({ status: 'CHECKING', leaseExpiresAt: NOW.getTime() });
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });

  it('records FAILED on the last allowed receive and still sends the message on to the DLQ', async () => {
    const deps = makeDeps([{ kind: 'retryable', reason: 'VENDOR_ERROR', httpStatus: 500, message: 'boom' }]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], 3), deps);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(stored(deps)).toMatchObject({ status: 'FAILED', failure: { reason: 'VENDOR_UNAVAILABLE' } });
  });

  it('records FAILED with VENDOR_AUTH_REFUSED when tokens are refused on the last receive', async () => {
    const deps = makeDeps([{ kind: 'auth-refused', httpStatus: 401, message: 'refused' }]);
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], 3), deps);
    expect(stored(deps)).toMatchObject({ status: 'FAILED', failure: { reason: 'VENDOR_AUTH_REFUSED' } });
  });

  it('gives the lease back and leaves the message to SQS when tokens are refused before the last receive', async () => {
    const deps = makeDeps([{ kind: 'auth-refused', httpStatus: 401, message: 'refused' }]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], 2), deps);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(finalWrites(deps)).toEqual([]);
    expect(claimedLeaseIds(deps)).toEqual([leaseOfMessage('message-0')]);
    expect(deps.repository.callsOf('release')).toMatchObject([{ leaseId: claimedLeaseIds(deps)[0] }]);
    expect(stored(deps)).toMatchObject({ status: 'CHECKING', leaseExpiresAt: NOW.getTime() });
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });

  it('retries transient code 711 before the last receive and takes it as the verdict on the last', async () => {
    const rejected = {
      kind: 'rejected' as const,
      code: 711,
      reason: 'LIVENESS_INTERNAL_ERROR' as const,
      httpStatus: 200,
    };
    const first = makeDeps([rejected]);
    const early = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], 1), first);
    expect(early.batchItemFailures).toHaveLength(1);
    expect(finalWrites(first)).toEqual([]);
    const lastDeps = makeDeps([rejected]);
    const last = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], 3), lastDeps);
    expect(last.batchItemFailures).toEqual([]);
    expect(stored(lastDeps)).toMatchObject({ status: 'REJECTED', rejection: { code: 711 } });
  });

  it('records FAILED with VENDOR_REQUEST_REFUSED for a terminal vendor answer and acknowledges', async () => {
    const deps = makeDeps([{ kind: 'terminal', reason: 'REQUEST_REFUSED', httpStatus: 400, message: 'bad' }]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(stored(deps)).toMatchObject({ status: 'FAILED', failure: { reason: 'VENDOR_REQUEST_REFUSED' } });
  });

  it.each([
    ['IMAGE_REFUSED', 400],
    ['OBJECT_TOO_LARGE', 413],
  ] as const)(
    'records REJECTED with %s by apptenticate when the vendor refuses the image itself (HTTP %i)',
    async (reason, httpStatus) => {
      const deps = makeDeps([{ kind: 'image-refused', reason, httpStatus, message: 'refused' }]);
      const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
      expect(response.batchItemFailures).toEqual([]);
      expect(deps.vendorCalls()).toBe(1);
      expect(finalWrites(deps)).toHaveLength(1);
      const item = stored(deps);
      expect(item?.status).toBe('REJECTED');
      expect(item?.rejection).toEqual({ reason, source: 'apptenticate', message: 'refused' });
      expect(item).not.toHaveProperty('failure');
      expect(item).not.toHaveProperty('result');
      expect(s3Mock).toReceiveCommandWith(DeleteObjectCommand, { Bucket: 'selfie-bucket', Key: KEY });
    },
  );

  it('reads the selfie and checks it when the notification carries no size, instead of calling it empty', async () => {
    const body = JSON.parse(notificationBody(KEY, selfie.length)) as {
      Records: { s3: { object: { size?: number } } }[];
    };
    delete body.Records[0]?.s3.object.size;
    const deps = makeDeps([{ kind: 'passed', transactionId: 'tx-1' }]);
    const response = await checkBatch(sqsEventOf([JSON.stringify(body)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(s3Mock).toReceiveCommand(GetObjectCommand);
    expect(deps.vendorCalls()).toBe(1);
    expect(stored(deps)).toMatchObject({ status: 'PASSED', objectSize: selfie.length });
    // The size is the claim's, read from S3; the verdict under the lease carries none.
    expect(finalWrites(deps)[0]).not.toHaveProperty('object');
  });

  it.each([
    ['empty', 0],
    ['over the size limit', 3 * 1024 * 1024],
  ])(
    'takes no size from the notification: a selfie it calls %s is read and checked as S3 has it',
    async (_label, size) => {
      const deps = makeDeps([{ kind: 'passed', transactionId: 'tx-1' }]);
      const response = await checkBatch(sqsEventOf([notificationBody(KEY, size)]), deps);
      expect(response.batchItemFailures).toEqual([]);
      expect(s3Mock).toReceiveCommandWith(GetObjectCommand, { Bucket: 'selfie-bucket', Key: KEY });
      expect(deps.vendorCalls()).toBe(1);
      expect(stored(deps)).toMatchObject({ status: 'PASSED', objectSize: selfie.length });
      expect(finalWrites(deps)[0]).not.toHaveProperty('object');
    },
  );

  it('rejects EMPTY_OBJECT when the object S3 returns is empty, storing the size S3 reported', async () => {
    s3Mock.on(GetObjectCommand).callsFake(() => ({ Body: body(new Uint8Array()), ContentLength: 0 }));
    const deps = makeDeps([]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.vendorCalls()).toBe(0);
    expect(stored(deps)).toMatchObject({
      status: 'REJECTED',
      rejection: { reason: 'EMPTY_OBJECT', source: 'precheck' },
      objectSize: 0,
    });
  });

  it('decides nothing on a record naming another bucket: no S3 read, no write, counted and logged', async () => {
    const deps = makeDeps([]);
    const addMetric = vi.spyOn(deps.metrics, 'addMetric');
    const warn = vi.spyOn(deps.logger, 'warn');
    const foreign = notificationBody(KEY, 0, 'someone-elses-bucket');
    const response = await checkBatch(sqsEventOf([foreign]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(s3Mock.calls()).toHaveLength(0);
    expect(deps.repository.calls).toHaveLength(0);
    expect(deps.vendorCalls()).toBe(0);
    expect(addMetric.mock.calls).toEqual([['ForeignBucketNotifications', 'Count', 1]]);
    expect(warn).toHaveBeenCalledWith(
      'skipping a notification for another bucket',
      expect.objectContaining({ messageId: 'message-0', bucket: 'someone-elses-bucket' }),
    );
  });

  it('checks the record for its own bucket in a message that also names another', async () => {
    const both = JSON.parse(notificationBody(KEY, selfie.length)) as { Records: unknown[] };
    const foreign = JSON.parse(notificationBody(KEY, selfie.length, 'other')) as { Records: unknown[] };
    both.Records.unshift(...foreign.Records);
    const deps = makeDeps([]);
    const response = await checkBatch(sqsEventOf([JSON.stringify(both)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(s3Mock.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Bucket)).toEqual([
      'selfie-bucket',
    ]);
    expect(deps.vendorCalls()).toBe(1);
  });

  it('never calls the vendor for a check another delivery has decided, and deletes the late upload', async () => {
    const deps = makeDeps([]);
    deps.repository.put(checkItem({ status: 'PASSED' }));
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.vendorCalls()).toBe(0);
    expect(stored(deps)?.status).toBe('PASSED');
    expect(s3Mock).toReceiveCommand(DeleteObjectCommand);
  });

  it.each([
    ['a re-upload to a decided key', '2026-11-25T10:05:00.000Z', 'ReusedKeyUploads'],
    ['a late duplicate of the checked upload', '2026-11-25T09:59:00.000Z', 'DuplicateNotifications'],
  ])(
    'tells %s by its event time against the verdict, and counts it so',
    async (_label, eventTime, metric) => {
      const notification = JSON.parse(notificationBody(KEY, selfie.length)) as {
        Records: { eventTime: string }[];
      };
      for (const record of notification.Records) record.eventTime = eventTime;
      const deps = makeDeps([]);
      deps.repository.put(checkItem({ status: 'PASSED', decidedAt: '2026-11-25T10:00:07.000Z' }));
      const addMetric = vi.spyOn(deps.metrics, 'addMetric');
      const warn = vi.spyOn(deps.logger, 'warn');
      const response = await checkBatch(sqsEventOf([JSON.stringify(notification)]), deps);
      expect(response.batchItemFailures).toEqual([]);
      expect(deps.vendorCalls()).toBe(0);
      expect(s3Mock).toReceiveCommand(DeleteObjectCommand);
      const counted = addMetric.mock.calls.map(([name]) => name);
      expect(counted).toContain(metric);
      expect(counted).not.toContain(
        metric === 'ReusedKeyUploads' ? 'DuplicateNotifications' : 'ReusedKeyUploads',
      );
      if (metric === 'ReusedKeyUploads') {
        expect(warn).toHaveBeenCalledWith(
          'selfie key reused after its check was decided; deleting the new upload unchecked',
          expect.objectContaining({ checkId: CHECK_ID, status: 'PASSED' }),
        );
      }
    },
  );

  it.each([
    ['deletes a re-upload to a decided key', '2026-11-25T10:05:00.000Z', true],
    ['keeps the checked selfie on a late duplicate', '2026-11-25T09:59:00.000Z', false],
  ])(
    'with retainSelfies, %s: a kept selfie is only ever the checked one',
    async (_label, eventTime, deleted) => {
      const notification = JSON.parse(notificationBody(KEY, selfie.length)) as {
        Records: { eventTime: string }[];
      };
      for (const record of notification.Records) record.eventTime = eventTime;
      const deps = makeDeps([], { RETAIN_SELFIES: 'true' });
      deps.repository.put(checkItem({ status: 'PASSED', decidedAt: '2026-11-25T10:00:07.000Z' }));
      const response = await checkBatch(sqsEventOf([JSON.stringify(notification)]), deps);
      expect(response.batchItemFailures).toEqual([]);
      expect(deps.vendorCalls()).toBe(0);
      expect(s3Mock.commandCalls(DeleteObjectCommand)).toHaveLength(deleted ? 1 : 0);
    },
  );

  it('leaves a check in progress elsewhere alone', async () => {
    const deps = makeDeps([]);
    deps.repository.put(checkItem({ status: 'CHECKING', leaseExpiresAt: NOW.getTime() + 60_000 }));
    const addMetric = vi.spyOn(deps.metrics, 'addMetric');
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.vendorCalls()).toBe(0);
    // Another message's claim: a duplicate notification, not an overlapping delivery of this one.
    expect(metricNames(addMetric)).toContain('DuplicateNotifications');
    expect(metricNames(addMetric)).not.toContain('OverlappingDeliveries');
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });

  it('leaves the message to SQS, paying nothing, when another delivery of the same message holds the check', async () => {
    // SQS handed the message to two invocations at once; the other one claimed first and may still fail.
    const deps = makeDeps([]);
    const other = `message-0/${crypto.randomUUID()}`;
    deps.repository.put(checkItem({ leaseId: other, leaseExpiresAt: NOW.getTime() + 60_000 }));
    const addMetric = vi.spyOn(deps.metrics, 'addMetric');
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], 2), deps);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(deps.vendorCalls()).toBe(0);
    expect(claimedLeaseIds(deps)).toEqual([leaseOfMessage('message-0')]);
    expect(claimedLeaseIds(deps)).not.toContain(other);
    expect(stored(deps)).toMatchObject({ status: 'CHECKING', leaseId: other });
    expect(metricNames(addMetric)).toContain('OverlappingDeliveries');
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });

  it('gives every delivery a lease of its own, even two of one message', async () => {
    const deps = makeDeps([]);
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    const [first, second] = claimedLeaseIds(deps);
    expect(first).toEqual(leaseOfMessage('message-0'));
    expect(second).toEqual(leaseOfMessage('message-0'));
    expect(first).not.toBe(second);
  });

  it('keeps the selfie when RETAIN_SELFIES is true', async () => {
    const deps = makeDeps([], { RETAIN_SELFIES: 'true' });
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(stored(deps)?.status).toBe('PASSED');
    expect(finalWrites(deps)).toHaveLength(1);
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });

  it('retries the message when the selfie cannot be deleted, so the next delivery deletes it', async () => {
    s3Mock.on(DeleteObjectCommand).rejects(new Error('AccessDenied'));
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), makeDeps([]));
    expect(response.batchItemFailures).toHaveLength(1);
  });

  it('acknowledges s3:TestEvent and keys outside the prefix without touching AWS', async () => {
    const deps = makeDeps([]);
    const event = sqsEventOf([JSON.stringify(testEvent), notificationBody('uploads/elsewhere.jpg', 100)]);
    expect((await checkBatch(event, deps)).batchItemFailures).toEqual([]);
    expect(s3Mock.calls()).toHaveLength(0);
    expect(deps.repository.calls).toHaveLength(0);
  });

  it('reports a malformed body as a failure so it reaches the DLQ, and processes its neighbours', async () => {
    const deps = makeDeps([]);
    const event = sqsEventOf(['{not json', notificationBody(KEY, selfie.length)]);
    expect((await checkBatch(event, deps)).batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(deps.vendorCalls()).toBe(1);
  });

  it('counts a malformed message', async () => {
    const deps = makeDeps([]);
    const addMetric = vi.spyOn(deps.metrics, 'addMetric');
    await checkBatch(sqsEventOf(['{not json']), deps);
    expect(addMetric.mock.calls).toEqual([['MalformedMessages', 'Count', 1]]);
  });

  it.each([
    ['retryable', new RetryableError('something retryable broke')],
    ['unforeseen', new Error('something unforeseen broke')],
  ])(
    'never acknowledges a message when something %s throws even on its last receive',
    async (_label, error) => {
      const deps = makeDeps([]);
      deps.outcomeMemory.recall = () => {
        throw error;
      };
      const event = sqsEventOf([notificationBody(KEY, selfie.length), JSON.stringify(testEvent)], 3);
      const response = await checkBatch(event, deps);
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
      expect(deps.vendorCalls()).toBe(0);
    },
  );

  it('retries the message when DynamoDB throttles the claim', async () => {
    const deps = makeDeps([]);
    deps.repository.fail('claim', throttled);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toHaveLength(1);
    expect(deps.vendorCalls()).toBe(0);
  });
});

describe('mapWithConcurrency', () => {
  it('never runs more than the limit at once and keeps the order of results', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapWithConcurrency([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      return n * 2;
    });
    expect(results).toEqual([2, 4, 6, 8, 10, 12, 14]);
    expect(peak).toBe(3);
  });
});

describe('checkBatch near the function timeout', () => {
  it('leaves messages it has no time left for to SQS, unclaimed', async () => {
    const deps = makeDeps([]);
    let remaining = 60_000;
    const invocation = { remainingMs: () => remaining };
    const event = sqsEventOf([notificationBody(KEY, selfie.length), notificationBody(KEY, selfie.length)]);
    const checkLiveness = deps.liveness.checkLiveness;
    deps.liveness.checkLiveness = async (request) => {
      remaining = 10_000; // the first call used up most of the invocation
      return await checkLiveness(request);
    };
    const response = await checkBatch(
      event,
      { ...deps, config: { ...deps.config, batchConcurrency: 1 } },
      invocation,
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(deps.vendorCalls()).toBe(1);
    expect(claimedLeaseIds(deps)).toEqual([leaseOfMessage('message-0')]);
  });
});

describe('checkBatch order', () => {
  it('starts the messages on their last receive first, so a busy invocation leaves only messages that will come back', async () => {
    const deps = makeDeps([]);
    let remaining = 60_000;
    const invocation = { remainingMs: () => remaining };
    const event = sqsEventOf([notificationBody(KEY, selfie.length), notificationBody(KEY, selfie.length)]);
    const last = event.Records[1];
    if (last) last.attributes.ApproximateReceiveCount = '3';
    const checkLiveness = deps.liveness.checkLiveness;
    deps.liveness.checkLiveness = async (request) => {
      remaining = 10_000; // the first call used up most of the invocation
      return await checkLiveness(request);
    };
    const response = await checkBatch(
      event,
      { ...deps, config: { ...deps.config, batchConcurrency: 1 } },
      invocation,
    );
    // The message on its last receive was checked; the one on its first goes back to SQS unclaimed.
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(deps.vendorCalls()).toBe(1);
    expect(finalWrites(deps)).toHaveLength(1);
    expect(claimedLeaseIds(deps)).toEqual([leaseOfMessage('message-1')]);
  });
});

describe('checkBatch when the vendor call throws', () => {
  it('gives the lease back and leaves the message to SQS', async () => {
    const deps = makeDeps([]);
    deps.liveness.checkLiveness = async () => {
      throw new RetryableError('reading the token secret failed with ThrottlingException');
    };
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toHaveLength(1);
    expect(stored(deps)).toMatchObject({ status: 'CHECKING', leaseExpiresAt: NOW.getTime() });
    expect(finalWrites(deps)).toEqual([]);
  });
});

describe('checkBatch keeps a vendor answer in hand', () => {
  it('retries a throttled verdict write with growing backoff and records it with one vendor call', async () => {
    const deps = makeDeps([{ kind: 'passed', transactionId: '42' }]);
    deps.repository.fail('finalize', throttled, { times: 2 });
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.vendorCalls()).toBe(1);
    expect(finalWrites(deps)).toHaveLength(3);
    expect(stored(deps)).toMatchObject({ status: 'PASSED', result: { transactionId: '42' } });
    expect(deps.sleeps).toHaveLength(2);
    expect(deps.sleeps[1]).toBeGreaterThan(deps.sleeps[0] ?? Number.POSITIVE_INFINITY);
    expect(s3Mock).toReceiveCommandWith(DeleteObjectCommand, { Key: KEY });
  });

  it('gives up the verdict write when the invocation has no time left, keeps the lease and the selfie', async () => {
    const deps = makeDeps([{ kind: 'passed', transactionId: '42' }]);
    deps.repository.fail('finalize', throttled, { times: 1 });
    let remaining = 60_000;
    const checkLiveness = deps.liveness.checkLiveness;
    deps.liveness.checkLiveness = async (request) => {
      remaining = 3_000; // a slow vendor used up the invocation
      return await checkLiveness(request);
    };
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps, {
      remainingMs: () => remaining,
    });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(finalWrites(deps)).toHaveLength(1);
    expect(deps.sleeps).toEqual([]);
    // No release: the lease stays with the message, so its redelivery resumes and duplicates pay nothing.
    expect(deps.repository.callsOf('release')).toEqual([]);
    expect(stored(deps)).toMatchObject({
      status: 'CHECKING',
      leaseId: claimedLeaseIds(deps)[0],
      leaseExpiresAt: NOW.getTime() + deps.config.leaseSeconds * 1000,
    });
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });

  it('deletes the selfie when a retried verdict write finds the check already final (its first answer was lost)', async () => {
    const deps = makeDeps([{ kind: 'passed', transactionId: '42' }]);
    // DynamoDB applies the first write, but its answer never comes back.
    const reset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    deps.repository.fail('finalize', reset, { times: 1, afterApplying: true });
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.vendorCalls()).toBe(1);
    expect(finalWrites(deps)).toHaveLength(2);
    expect(stored(deps)).toMatchObject({ status: 'PASSED', result: { transactionId: '42' } });
    expect(s3Mock).toReceiveCommandWith(DeleteObjectCommand, { Key: KEY });
  });

  it('never retries a verdict write DynamoDB refuses for good', async () => {
    const deps = makeDeps([{ kind: 'passed', transactionId: '42' }]);
    deps.repository.fail('finalize', refusedForGood);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toHaveLength(1);
    expect(finalWrites(deps)).toHaveLength(1);
    expect(deps.sleeps).toEqual([]);
  });

  it('writes the kept answer on a redelivery of the same message without a second vendor call', async () => {
    // Throttled past every retry on the first delivery.
    const deps = makeDeps([{ kind: 'passed', transactionId: '42' }]);
    deps.repository.fail('finalize', throttled);
    const first = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(first.batchItemFailures).toHaveLength(1);
    const [paidUnder] = claimedLeaseIds(deps);
    deps.repository.heal();
    deps.repository.calls.length = 0;
    s3Mock.resetHistory();
    const second = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], 2), deps);
    expect(second.batchItemFailures).toEqual([]);
    expect(deps.vendorCalls()).toBe(1);
    expect(stored(deps)).toMatchObject({ status: 'PASSED', result: { transactionId: '42' } });
    // Neither a new download nor a new claim: the answer is the message's, written under the lease it was paid under.
    expect(s3Mock).not.toReceiveCommand(GetObjectCommand);
    expect(deps.repository.calls.map((call) => call.op)).toEqual(['finalize']);
    expect(finalWrites(deps)[0]?.guard).toEqual({ kind: 'lease', leaseId: paidUnder });
    expect(s3Mock).toReceiveCommandWith(DeleteObjectCommand, { Key: KEY });
  });

  it('keeps an answer for its own message only: another message finds the lease and pays nothing', async () => {
    const deps = makeDeps([{ kind: 'passed', transactionId: '42' }]);
    deps.repository.fail('finalize', throttled);
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    deps.repository.heal();
    deps.repository.calls.length = 0;
    const duplicate = sqsEventOf([notificationBody(KEY, selfie.length)]);
    (duplicate.Records[0] as { messageId: string }).messageId = 'another-message';
    expect((await checkBatch(duplicate, deps)).batchItemFailures).toEqual([]);
    expect(deps.vendorCalls()).toBe(1);
    expect(finalWrites(deps)).toEqual([]);
    expect(stored(deps)).toMatchObject({ status: 'CHECKING', leaseId: leaseOfMessage('message-0') });
  });
});

describe('checkBatch on the last receive', () => {
  const LAST = 3;
  const slowDown = () =>
    Object.assign(new Error('Please reduce your request rate.'), {
      name: 'SlowDown',
      $fault: 'server',
      $metadata: { httpStatusCode: 503 },
    });

  it('records FAILED with INTERNAL_ERROR when S3 keeps failing, deletes the selfie, and still sends the message on', async () => {
    s3Mock.on(GetObjectCommand).rejects(slowDown());
    const deps = makeDeps([]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(finalWrites(deps)).toHaveLength(1);
    // Creates the item for a direct upload; takes over the message's own lease if it holds one.
    expect(stored(deps)).toMatchObject({
      status: 'FAILED',
      failure: { reason: 'INTERNAL_ERROR' },
      bucket: 'selfie-bucket',
      objectKey: KEY,
    });
    expect(finalWrites(deps)[0]?.guard).toEqual({
      kind: 'own-or-unclaimed',
      leaseId: leaseOfMessage('message-0'),
    });
    // A message safe to publish: no raw error, no AWS error text.
    expect(stored(deps)?.failure?.message).not.toMatch(/SlowDown|reduce your request rate/);
    expect(s3Mock).toReceiveCommandWith(DeleteObjectCommand, { Key: KEY });
    expect(deps.vendorCalls()).toBe(0);
  });

  it('leaves the same S3 failure to SQS before the last receive, recording nothing', async () => {
    s3Mock.on(GetObjectCommand).rejects(slowDown());
    const deps = makeDeps([]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], 2), deps);
    expect(response.batchItemFailures).toHaveLength(1);
    expect(finalWrites(deps)).toEqual([]);
    expect(stored(deps)).toBeUndefined();
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });

  it('records FAILED with INTERNAL_ERROR under its own lease when the token secret is malformed', async () => {
    const deps = makeDeps([]);
    deps.liveness.checkLiveness = async () => {
      throw new TerminalError('the token secret is malformed');
    };
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps);
    expect(response.batchItemFailures).toHaveLength(1);
    expect(finalWrites(deps)).toHaveLength(1);
    expect(stored(deps)).toMatchObject({ status: 'FAILED', failure: { reason: 'INTERNAL_ERROR' } });
    expect(finalWrites(deps)[0]?.guard).toMatchObject({ leaseId: claimedLeaseIds(deps)[0] });
    expect(stored(deps)?.failure?.message).not.toContain('token secret');
    expect(s3Mock).toReceiveCommandWith(DeleteObjectCommand, { Key: KEY });
  });

  it('retries the INTERNAL_ERROR write through DynamoDB throttling when the claim itself was throttled', async () => {
    const deps = makeDeps([]);
    // The claim, then the first attempt of the FAILED write, are throttled.
    deps.repository.fail('claim', throttled, { times: 1 });
    deps.repository.fail('finalize', throttled, { times: 1 });
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps);
    expect(response.batchItemFailures).toHaveLength(1);
    expect(deps.vendorCalls()).toBe(0);
    expect(finalWrites(deps)).toHaveLength(2);
    expect(finalWrites(deps)[1]?.outcome).toMatchObject({ failure: { reason: 'INTERNAL_ERROR' } });
    expect(stored(deps)).toMatchObject({ status: 'FAILED', failure: { reason: 'INTERNAL_ERROR' } });
    expect(deps.sleeps).toHaveLength(1);
    expect(s3Mock).toReceiveCommand(DeleteObjectCommand);
  });

  it('sends the message on to the DLQ, counted as LastReceiveWriteFailures, when DynamoDB refuses every final write', async () => {
    const deps = makeDeps([]);
    deps.repository.fail('claim', throttled);
    deps.repository.fail('finalize', throttled);
    const addMetric = vi.spyOn(deps.metrics, 'addMetric');
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps);
    // Not acknowledged: SQS moves it to the selfie DLQ (SelfieDlqDepth), where ops dlq show finds it unrecorded.
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    const counted = addMetric.mock.calls.map(([name]) => name);
    expect(counted).toContain('LastReceiveWriteFailures');
    expect(counted).toContain('FinalWriteRetries');
    // The write was retried within its window, and the selfie is kept for a redrive.
    expect(finalWrites(deps).length).toBeGreaterThan(1);
    expect(stored(deps)).toBeUndefined();
    expect(deps.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(15_000);
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });

  it('records FAILED with INTERNAL_ERROR when the invocation has no time left to start it, without a paid call', async () => {
    const deps = makeDeps([]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps, {
      remainingMs: () => 10_000,
    });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(deps.vendorCalls()).toBe(0);
    expect(s3Mock).not.toReceiveCommand(GetObjectCommand);
    expect(stored(deps)).toMatchObject({ status: 'FAILED', failure: { reason: 'INTERNAL_ERROR' } });
    expect(s3Mock).toReceiveCommandWith(DeleteObjectCommand, { Key: KEY });
  });

  it('never overwrites a final status: a check decided meanwhile keeps its verdict', async () => {
    s3Mock.on(GetObjectCommand).rejects(slowDown());
    const deps = makeDeps([]);
    deps.repository.put(checkItem({ status: 'PASSED', result: { valid: true, transactionId: 'first' } }));
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps);
    expect(response.batchItemFailures).toHaveLength(1);
    expect(finalWrites(deps)).toHaveLength(1);
    expect(stored(deps)).toMatchObject({ status: 'PASSED', result: { transactionId: 'first' } });
    // Decided: the selfie is not needed any more.
    expect(s3Mock).toReceiveCommand(DeleteObjectCommand);
  });

  it('leaves the selfie to the message that holds a live lease on the check', async () => {
    s3Mock.on(GetObjectCommand).rejects(slowDown());
    const deps = makeDeps([]);
    const live = checkItem({ leaseId: 'another-message', leaseExpiresAt: NOW.getTime() + 60_000 });
    deps.repository.put(live);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps);
    expect(response.batchItemFailures).toHaveLength(1);
    expect(stored(deps)).toEqual(live);
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });

  it('still sends a malformed notification on to the DLQ, with nothing to record', async () => {
    const deps = makeDeps([]);
    const response = await checkBatch(sqsEventOf(['{not json'], LAST), deps);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(deps.repository.calls).toHaveLength(0);
  });
});

/** The options an S3 call was sent with (`send(command, options)`); the mock's types drop them. */
function sentWith(call: { args: readonly unknown[] } | undefined): unknown {
  return call?.args[1];
}

describe('checkBatch: one deadline per record', () => {
  /** A controlled timer: records each deadline asked for and fires it only when the test says. */
  function controlledDeadlines() {
    const asked: { ms: number; controller: AbortController }[] = [];
    return {
      asked,
      deadlineSignal: (ms: number) => {
        const controller = new AbortController();
        asked.push({ ms, controller });
        return controller.signal;
      },
    };
  }

  it('starts a record only when its whole worst case fits in the invocation', async () => {
    const deps = makeDeps([]);
    const needed = recordStartMs(deps.config);
    const event = sqsEventOf([notificationBody(KEY, selfie.length)]);

    const short = await checkBatch(event, deps, { remainingMs: () => needed - 1 });
    expect(short.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(deps.repository.calls).toHaveLength(0);
    expect(deps.vendorCalls()).toBe(0);

    const enough = await checkBatch(event, deps, { remainingMs: () => needed });
    expect(enough.batchItemFailures).toEqual([]);
    expect(deps.vendorCalls()).toBe(1);
  });

  it('gives the vendor calls the record budget, and the outcome write the rest of the invocation', async () => {
    const timers = controlledDeadlines();
    const deps = { ...makeDeps([]), ...timers };

    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps, {
      remainingMs: () => 900_000,
    });

    expect(timers.asked.map((a) => a.ms)).toEqual([
      recordBudgetMs(deps.config),
      900_000 - INVOCATION_END_RESERVE_MS,
    ]);
  });

  it('hands the deadline to the vendor call and to the AWS calls, the outcome write its margin', async () => {
    const timers = controlledDeadlines();
    const deps = { ...makeDeps([]), ...timers };
    const seen: (AbortSignal | undefined)[] = [];
    deps.liveness.checkLiveness = async (_request, options) => {
      seen.push(options?.deadline?.signal);
      return { kind: 'passed', transactionId: 'tx' };
    };

    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps, { remainingMs: () => 60_000 });

    const [vendor, writes] = timers.asked.map((a) => a.controller.signal);
    expect(vendor).toBeDefined();
    expect(seen).toEqual([vendor]);
    expect(sentWith(s3Mock.commandCalls(GetObjectCommand)[0])).toMatchObject({ abortSignal: vendor });
    expect(deps.repository.callsOf('claim')[0]?.abortSignal).toBe(vendor);
    expect(finalWrites(deps)[0]?.abortSignal).toBe(writes);
    expect(sentWith(s3Mock.commandCalls(DeleteObjectCommand)[0])).toMatchObject({ abortSignal: writes });
  });

  it('releases the claim and leaves the message to SQS when the deadline aborts the vendor call', async () => {
    const timers = controlledDeadlines();
    const deps = { ...makeDeps([]), ...timers };
    deps.liveness.checkLiveness = async (_request, options) => {
      const signal = options?.deadline?.signal;
      if (!signal) return { kind: 'passed', transactionId: 'tx' };
      // The vendor is slow; the record's deadline fires while the call is in flight.
      setImmediate(() => timers.asked[0]?.controller.abort());
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      return { kind: 'retryable', reason: 'TIMEOUT', message: "the record's deadline passed" };
    };

    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps, {
      remainingMs: () => 60_000,
    });

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(finalWrites(deps)).toEqual([]);
    expect(stored(deps)).toMatchObject({ status: 'CHECKING', leaseExpiresAt: NOW.getTime() });
    const [release] = deps.repository.callsOf('release');
    expect(release?.abortSignal).toBe(timers.asked[1]?.controller.signal);
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });
});

describe('checkBatch: lease and size guards', () => {
  it('claims the check for LEASE_SECONDS from now', async () => {
    const deps = makeDeps([], { LEASE_SECONDS: '300' });
    const leases: unknown[] = [];
    const checkLiveness = deps.liveness.checkLiveness;
    deps.liveness.checkLiveness = async (request, options) => {
      leases.push(stored(deps)?.leaseExpiresAt);
      return await checkLiveness(request, options);
    };
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(leases).toEqual([Date.parse('2026-11-25T10:00:00Z') + 300_000]);
  });

  it('takes the device from object metadata in any case, and ignores one it does not know', async () => {
    s3Mock
      .on(GetObjectCommand)
      .callsFakeOnce(() => ({
        Body: body(selfie),
        ContentLength: selfie.length,
        Metadata: { device: 'android' },
      }))
      .callsFake(() => ({
        Body: body(selfie),
        ContentLength: selfie.length,
        Metadata: { device: 'toaster' },
      }));
    const android = makeDeps([]);
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), android);
    expect(stored(android)).toMatchObject({ status: 'PASSED', device: 'ANDROID' });
    const toaster = makeDeps([]);
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), toaster);
    expect(stored(toaster)?.status).toBe('PASSED');
    expect(stored(toaster)).not.toHaveProperty('device');
  });

  it('rejects an object S3 reports larger than the notification said, without reading it or calling the vendor', async () => {
    const cancel = vi.fn(async () => {});
    s3Mock.on(GetObjectCommand).resolves({
      Body: Object.assign(body(selfie), { transformToWebStream: () => ({ cancel }) }),
      ContentLength: 3 * 1024 * 1024,
      Metadata: {},
    } as never);
    const deps = makeDeps([]);
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(deps.vendorCalls()).toBe(0);
    expect(cancel).toHaveBeenCalled();
    expect(stored(deps)).toMatchObject({
      status: 'REJECTED',
      rejection: { reason: 'OBJECT_TOO_LARGE', source: 'precheck' },
    });
  });
});

describe('the log lines the saved Logs Insights queries read', () => {
  it('logs each failed vendor call with its outcome, reason, HTTP status and code, and no passed call', async () => {
    const deps = makeDeps([
      { kind: 'retryable', reason: 'VENDOR_ERROR', httpStatus: 503, message: 'HTTP 503' },
      { kind: 'rejected', code: 711, reason: 'LIVENESS_INTERNAL_ERROR', httpStatus: 200 },
      { kind: 'passed', transactionId: 'tx' },
    ]);
    const warn = vi.spyOn(deps.logger, 'warn');
    for (let i = 0; i < 3; i++) {
      await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
      // A released lease ends at the release: the next delivery claims a moment later.
      deps.advance(1);
    }
    expect(deps.vendorCalls()).toBe(3);
    const failed = warn.mock.calls.filter(([message]) => message === 'vendor call failed');
    expect(failed.map(([, data]) => data)).toEqual([
      expect.objectContaining({
        checkId: CHECK_ID,
        outcome: 'retryable',
        reason: 'VENDOR_ERROR',
        httpStatus: 503,
        latencyMs: expect.any(Number),
      }),
      expect.objectContaining({ checkId: CHECK_ID, outcome: 'rejected', code: 711, httpStatus: 200 }),
    ]);
  });

  it('logs a verdict with the time from upload and from creation to the decision', async () => {
    const notification = JSON.parse(notificationBody(KEY, selfie.length)) as {
      Records: { eventTime: string }[];
    };
    for (const record of notification.Records) record.eventTime = '2026-11-25T09:59:30.000Z';
    const deps = makeDeps([{ kind: 'passed', transactionId: 'tx' }]);
    // Created through the API two minutes before the verdict (the clock's NOW).
    deps.repository.put(
      checkItem({ status: 'AWAITING_UPLOAD', createdAt: '2026-11-25T09:58:00.000Z', attempts: 0 }),
    );
    const info = vi.spyOn(deps.logger, 'info');
    await checkBatch(sqsEventOf([JSON.stringify(notification)]), deps);
    expect(info).toHaveBeenCalledWith(
      'verdict recorded',
      expect.objectContaining({ checkId: CHECK_ID, status: 'PASSED', checkMs: 30_000, totalMs: 120_000 }),
    );
  });
});
