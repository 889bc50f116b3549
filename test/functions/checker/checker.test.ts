import { DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  INVOCATION_END_RESERVE_MS,
  recordBudgetMs,
  recordStartMs,
} from '../../../functions/checker/budget.js';
import { checkBatch, mapWithConcurrency } from '../../../functions/checker/checker.js';
import { RetryableError, TerminalError } from '../../../shared/errors.js';
import testEvent from '../../fixtures/sqs/s3-test-event.json' with { type: 'json' };
import { conditionalRefusal } from '../../support/dynamodb.js';
import {
  acceptWrites,
  body,
  CHECK_ID,
  claimedLeaseIds,
  ddbMock,
  finalWrites,
  KEY,
  leaseOfMessage,
  makeDeps,
  metricNames,
  NOW,
  resetAws,
  s3Mock,
  selfie,
  throttled,
} from './fakes.js';
import { notificationBody, sqsEventOf } from './support.js';

beforeEach(() => {
  resetAws();
});

describe('checkBatch', () => {
  it('records PASSED with the transaction id and scores, then deletes the selfie', async () => {
    const deps = makeDeps([
      { kind: 'passed', transactionId: '1111', score: 2.6, quality: 0.85, liveness: 0.93 },
    ]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(finalWrites()).toHaveLength(1);
    expect(finalWrites()[0]?.ExpressionAttributeValues).toMatchObject({
      ':final': 'PASSED',
      ':result': { valid: true, transactionId: '1111', score: 2.6, quality: 0.85, liveness: 0.93 },
      // The lease is this delivery's own: the claim's.
      ':leaseId': claimedLeaseIds()[0],
    });
    expect(s3Mock).toReceiveCommandWith(DeleteObjectCommand, { Bucket: 'selfie-bucket', Key: KEY });
  });

  it.each([
    ['keeps', 'order-42', 'order-42'],
    ['ignores an empty', '', undefined],
    ['ignores a line separator in a', 'a\u2028b', undefined],
  ])('%s reference from object metadata by the shared rule', async (_label, reference, stored) => {
    s3Mock
      .on(GetObjectCommand)
      .callsFake(() => ({ Body: body(selfie), ContentLength: selfie.length, Metadata: { reference } }));
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), makeDeps([]));
    const claim = ddbMock.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(claim?.ExpressionAttributeValues?.[':reference']).toBe(stored);
  });

  it('records REJECTED with FACE_TOO_CLOSE for code 700', async () => {
    const deps = makeDeps([
      { kind: 'rejected', code: 700, reason: 'FACE_TOO_CLOSE', message: 'Face to close.', httpStatus: 200 },
    ]);
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(finalWrites()[0]?.ExpressionAttributeValues).toMatchObject({
      ':final': 'REJECTED',
      ':rejection': {
        code: 700,
        reason: 'FACE_TOO_CLOSE',
        message: 'Face to close.',
        source: 'apptenticate',
      },
      ':result': { valid: false },
    });
  });

  it('leaves a retryable vendor failure to SQS and gives the lease back', async () => {
    const deps = makeDeps([
      { kind: 'retryable', reason: 'RATE_LIMITED', httpStatus: 429, message: 'slow down' },
    ]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(finalWrites()).toEqual([]);
    const release = ddbMock.commandCalls(UpdateCommand).at(-1)?.args[0].input;
    expect(release?.UpdateExpression).toContain('#leaseExpiresAt = :nowMs');
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });

  it('records FAILED on the last allowed receive and still sends the message on to the DLQ', async () => {
    const deps = makeDeps([{ kind: 'retryable', reason: 'VENDOR_ERROR', httpStatus: 500, message: 'boom' }]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], 3), deps);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(finalWrites()[0]?.ExpressionAttributeValues).toMatchObject({
      ':final': 'FAILED',
      ':failure': { reason: 'VENDOR_UNAVAILABLE' },
    });
  });

  it('records FAILED with VENDOR_AUTH_REFUSED when tokens are refused on the last receive', async () => {
    const deps = makeDeps([{ kind: 'auth-refused', httpStatus: 401, message: 'refused' }]);
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], 3), deps);
    expect(finalWrites()[0]?.ExpressionAttributeValues).toMatchObject({
      ':failure': { reason: 'VENDOR_AUTH_REFUSED' },
    });
  });

  it('gives the lease back and leaves the message to SQS when tokens are refused before the last receive', async () => {
    const deps = makeDeps([{ kind: 'auth-refused', httpStatus: 401, message: 'refused' }]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], 2), deps);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(finalWrites()).toEqual([]);
    const release = ddbMock.commandCalls(UpdateCommand).at(-1)?.args[0].input;
    expect(release?.UpdateExpression).toContain('#leaseExpiresAt = :nowMs');
    expect(claimedLeaseIds()).toEqual([leaseOfMessage('message-0')]);
    expect(release?.ExpressionAttributeValues).toMatchObject({ ':leaseId': claimedLeaseIds()[0] });
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });

  it('retries transient code 711 before the last receive and takes it as the verdict on the last', async () => {
    const rejected = {
      kind: 'rejected' as const,
      code: 711,
      reason: 'LIVENESS_INTERNAL_ERROR' as const,
      httpStatus: 200,
    };
    const early = await checkBatch(
      sqsEventOf([notificationBody(KEY, selfie.length)], 1),
      makeDeps([rejected]),
    );
    expect(early.batchItemFailures).toHaveLength(1);
    expect(finalWrites()).toEqual([]);
    const last = await checkBatch(
      sqsEventOf([notificationBody(KEY, selfie.length)], 3),
      makeDeps([rejected]),
    );
    expect(last.batchItemFailures).toEqual([]);
    expect(finalWrites()[0]?.ExpressionAttributeValues).toMatchObject({ ':rejection': { code: 711 } });
  });

  it('records FAILED with VENDOR_REQUEST_REFUSED for a terminal vendor answer and acknowledges', async () => {
    const deps = makeDeps([{ kind: 'terminal', reason: 'REQUEST_REFUSED', httpStatus: 400, message: 'bad' }]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(finalWrites()[0]?.ExpressionAttributeValues).toMatchObject({
      ':failure': { reason: 'VENDOR_REQUEST_REFUSED' },
    });
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
      expect(finalWrites()).toHaveLength(1);
      const values = finalWrites()[0]?.ExpressionAttributeValues ?? {};
      expect(values[':final']).toBe('REJECTED');
      expect(values[':rejection']).toEqual({ reason, source: 'apptenticate', message: 'refused' });
      expect(values).not.toHaveProperty(':failure');
      expect(values).not.toHaveProperty(':result');
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
    expect(finalWrites()[0]?.ExpressionAttributeValues).toMatchObject({ ':final': 'PASSED' });
    const sizes = ddbMock
      .commandCalls(UpdateCommand)
      .map((c) => c.args[0].input.ExpressionAttributeValues?.[':size']);
    expect(sizes.filter((size) => size !== undefined)).toEqual([selfie.length]);
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
      expect(finalWrites()[0]?.ExpressionAttributeValues).toMatchObject({ ':final': 'PASSED' });
      const sizes = ddbMock
        .commandCalls(UpdateCommand)
        .map((c) => c.args[0].input.ExpressionAttributeValues?.[':size']);
      expect(sizes.filter((stored) => stored !== undefined)).toEqual([selfie.length]);
    },
  );

  it('rejects EMPTY_OBJECT when the object S3 returns is empty, storing the size S3 reported', async () => {
    s3Mock.on(GetObjectCommand).callsFake(() => ({ Body: body(new Uint8Array()), ContentLength: 0 }));
    const deps = makeDeps([]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.vendorCalls()).toBe(0);
    expect(finalWrites()[0]?.ExpressionAttributeValues).toMatchObject({
      ':final': 'REJECTED',
      ':rejection': { reason: 'EMPTY_OBJECT', source: 'precheck' },
      ':size': 0,
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
    expect(ddbMock.calls()).toHaveLength(0);
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
    ddbMock.on(UpdateCommand).rejects(conditionalRefusal({ checkId: CHECK_ID, status: 'PASSED' }));
    const deps = makeDeps([]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.vendorCalls()).toBe(0);
    expect(s3Mock).toReceiveCommand(DeleteObjectCommand);
  });

  it.each([
    ['a re-upload to a decided key', '2026-11-25T10:05:00.000Z', 'ReusedKeyUploads'],
    ['a late duplicate of the checked upload', '2026-11-25T09:59:00.000Z', 'DuplicateNotifications'],
  ])(
    'tells %s by its event time against the verdict, and counts it so',
    async (_label, eventTime, metric) => {
      ddbMock
        .on(UpdateCommand)
        .rejects(
          conditionalRefusal({ checkId: CHECK_ID, status: 'PASSED', decidedAt: '2026-11-25T10:00:07.000Z' }),
        );
      const notification = JSON.parse(notificationBody(KEY, selfie.length)) as {
        Records: { eventTime: string }[];
      };
      for (const record of notification.Records) record.eventTime = eventTime;
      const deps = makeDeps([]);
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
      ddbMock
        .on(UpdateCommand)
        .rejects(
          conditionalRefusal({ checkId: CHECK_ID, status: 'PASSED', decidedAt: '2026-11-25T10:00:07.000Z' }),
        );
      const notification = JSON.parse(notificationBody(KEY, selfie.length)) as {
        Records: { eventTime: string }[];
      };
      for (const record of notification.Records) record.eventTime = eventTime;
      const deps = makeDeps([], { RETAIN_SELFIES: 'true' });
      const response = await checkBatch(sqsEventOf([JSON.stringify(notification)]), deps);
      expect(response.batchItemFailures).toEqual([]);
      expect(deps.vendorCalls()).toBe(0);
      expect(s3Mock.commandCalls(DeleteObjectCommand)).toHaveLength(deleted ? 1 : 0);
    },
  );

  it('leaves a check in progress elsewhere alone', async () => {
    ddbMock
      .on(UpdateCommand)
      .rejects(
        conditionalRefusal({ checkId: CHECK_ID, status: 'CHECKING', leaseExpiresAt: Date.now() + 60_000 }),
      );
    const deps = makeDeps([]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.vendorCalls()).toBe(0);
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });

  it('leaves the message to SQS, paying nothing, when another delivery of the same message holds the check', async () => {
    // SQS handed the message to two invocations at once; the other one claimed first and may still fail.
    ddbMock.on(UpdateCommand).rejects(
      conditionalRefusal({
        checkId: CHECK_ID,
        status: 'CHECKING',
        leaseId: `message-0/${crypto.randomUUID()}`,
        leaseExpiresAt: NOW.getTime() + 60_000,
      }),
    );
    const deps = makeDeps([]);
    const addMetric = vi.spyOn(deps.metrics, 'addMetric');
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], 2), deps);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(deps.vendorCalls()).toBe(0);
    expect(claimedLeaseIds()).toEqual([leaseOfMessage('message-0')]);
    expect(metricNames(addMetric)).toContain('OverlappingDeliveries');
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });

  it('gives every delivery a lease of its own, even two of one message', async () => {
    const deps = makeDeps([]);
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    const [first, second] = claimedLeaseIds();
    expect(first).toEqual(leaseOfMessage('message-0'));
    expect(second).toEqual(leaseOfMessage('message-0'));
    expect(first).not.toBe(second);
  });

  it('keeps the selfie when RETAIN_SELFIES is true', async () => {
    const deps = makeDeps([], { RETAIN_SELFIES: 'true' });
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(finalWrites()).toHaveLength(1);
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
    expect(ddbMock.calls()).toHaveLength(0);
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
    ddbMock
      .on(UpdateCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException', $fault: 'client' }));
    const deps = makeDeps([]);
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
    acceptWrites();
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
  });
});

describe('checkBatch order', () => {
  it('starts the messages on their last receive first, so a busy invocation leaves only messages that will come back', async () => {
    acceptWrites();
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
    expect(finalWrites()).toHaveLength(1);
  });
});

describe('checkBatch when the vendor call throws', () => {
  it('gives the lease back and leaves the message to SQS', async () => {
    acceptWrites();
    const deps = makeDeps([]);
    deps.liveness.checkLiveness = async () => {
      throw new RetryableError('reading the token secret failed with ThrottlingException');
    };
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toHaveLength(1);
    const release = ddbMock.commandCalls(UpdateCommand).at(-1)?.args[0].input;
    expect(release?.UpdateExpression).toContain('#leaseExpiresAt = :nowMs');
    expect(finalWrites()).toEqual([]);
  });
});

describe('checkBatch keeps a vendor answer in hand', () => {
  /** The claim succeeds; then each verdict write answers in turn from `answers` (then succeeds). */
  function verdictWrites(...answers: ('throttle' | 'ok')[]) {
    let call = 0;
    ddbMock.on(UpdateCommand).callsFake((input) => {
      const verdict = input.ExpressionAttributeValues[':final'] !== undefined;
      if (verdict && answers[call++] === 'throttle') throw throttled();
      return {
        Attributes: {
          checkId: input.Key.checkId,
          status: input.ExpressionAttributeValues[':final'] ?? 'CHECKING',
          attempts: 1,
          version: 2,
        },
      };
    });
  }

  it('retries a throttled verdict write with growing backoff and records it with one vendor call', async () => {
    verdictWrites('throttle', 'throttle', 'ok');
    const deps = makeDeps([{ kind: 'passed', transactionId: '42' }]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.vendorCalls()).toBe(1);
    expect(finalWrites()).toHaveLength(3);
    expect(deps.sleeps).toHaveLength(2);
    expect(deps.sleeps[1]).toBeGreaterThan(deps.sleeps[0] ?? Number.POSITIVE_INFINITY);
    expect(s3Mock).toReceiveCommandWith(DeleteObjectCommand, { Key: KEY });
  });

  it('gives up the verdict write when the invocation has no time left, keeps the lease and the selfie', async () => {
    verdictWrites('throttle', 'ok');
    const deps = makeDeps([{ kind: 'passed', transactionId: '42' }]);
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
    expect(finalWrites()).toHaveLength(1);
    expect(deps.sleeps).toEqual([]);
    // No release: the lease stays with the message, so its redelivery resumes and duplicates pay nothing.
    const updates = ddbMock.commandCalls(UpdateCommand).map((c) => c.args[0].input.UpdateExpression);
    expect(updates.some((u) => u?.includes('#leaseExpiresAt = :nowMs'))).toBe(false);
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });

  it('deletes the selfie when a retried verdict write finds the check already final (its first answer was lost)', async () => {
    let verdicts = 0;
    ddbMock.on(UpdateCommand).callsFake((input) => {
      if (input.ExpressionAttributeValues[':final'] === undefined)
        return { Attributes: { checkId: input.Key.checkId, status: 'CHECKING', attempts: 1, version: 1 } };
      // DynamoDB applied the first write, but its answer never came back.
      if (++verdicts === 1) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      throw conditionalRefusal({ checkId: CHECK_ID, status: 'PASSED' });
    });
    const deps = makeDeps([{ kind: 'passed', transactionId: '42' }]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.vendorCalls()).toBe(1);
    expect(s3Mock).toReceiveCommandWith(DeleteObjectCommand, { Key: KEY });
  });

  it('never retries a verdict write DynamoDB refuses for good', async () => {
    ddbMock.on(UpdateCommand).callsFake((input) => {
      if (input.ExpressionAttributeValues[':final'] !== undefined)
        throw Object.assign(new Error('bad'), { name: 'ValidationException', $fault: 'client' });
      return { Attributes: { checkId: input.Key.checkId, status: 'CHECKING', attempts: 1, version: 1 } };
    });
    const deps = makeDeps([{ kind: 'passed', transactionId: '42' }]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toHaveLength(1);
    expect(finalWrites()).toHaveLength(1);
  });

  it('writes the kept answer on a redelivery of the same message without a second vendor call', async () => {
    // Throttled past every retry on the first delivery.
    verdictWrites(...Array<'throttle'>(50).fill('throttle'));
    const deps = makeDeps([{ kind: 'passed', transactionId: '42' }]);
    const first = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(first.batchItemFailures).toHaveLength(1);
    const [paidUnder] = claimedLeaseIds();
    ddbMock.reset();
    s3Mock.resetHistory();
    acceptWrites();
    const second = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], 2), deps);
    expect(second.batchItemFailures).toEqual([]);
    expect(deps.vendorCalls()).toBe(1);
    expect(finalWrites()).toHaveLength(1);
    expect(finalWrites()[0]?.ExpressionAttributeValues).toMatchObject({
      ':final': 'PASSED',
      ':result': { transactionId: '42' },
      ':leaseId': paidUnder,
    });
    // Neither a new download nor a new claim: the answer is the message's, written under the lease it was paid under.
    expect(s3Mock).not.toReceiveCommand(GetObjectCommand);
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(1);
    expect(s3Mock).toReceiveCommandWith(DeleteObjectCommand, { Key: KEY });
  });

  it('keeps an answer for its own message only: another message finds the lease and pays nothing', async () => {
    verdictWrites(...Array<'throttle'>(50).fill('throttle'));
    const deps = makeDeps([{ kind: 'passed', transactionId: '42' }]);
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    ddbMock.reset();
    ddbMock
      .on(UpdateCommand)
      .rejects(conditionalRefusal({ checkId: CHECK_ID, status: 'CHECKING', leaseId: 'message-0' }));
    const duplicate = sqsEventOf([notificationBody(KEY, selfie.length)]);
    (duplicate.Records[0] as { messageId: string }).messageId = 'another-message';
    expect((await checkBatch(duplicate, deps)).batchItemFailures).toEqual([]);
    expect(deps.vendorCalls()).toBe(1);
    expect(finalWrites()).toEqual([]);
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

  /** The final writes, with the condition each carried. */
  function finalConditions() {
    return finalWrites().map((input) => input.ConditionExpression);
  }

  it('records FAILED with INTERNAL_ERROR when S3 keeps failing, deletes the selfie, and still sends the message on', async () => {
    s3Mock.on(GetObjectCommand).rejects(slowDown());
    const deps = makeDeps([]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(finalWrites()).toHaveLength(1);
    expect(finalWrites()[0]?.ExpressionAttributeValues).toMatchObject({
      ':final': 'FAILED',
      ':failure': { reason: 'INTERNAL_ERROR' },
      // Creates the item for a direct upload; takes over the message's own lease if it holds one.
      ':bucket': 'selfie-bucket',
      ':key': KEY,
      ':leaseId': leaseOfMessage('message-0'),
    });
    expect(finalConditions()[0]).toContain('attribute_not_exists(#checkId)');
    expect(finalConditions()[0]).toContain('#leaseId = :leaseId');
    // A message safe to publish: no raw error, no AWS error text.
    const failure = finalWrites()[0]?.ExpressionAttributeValues?.[':failure'] as { message: string };
    expect(failure.message).not.toMatch(/SlowDown|reduce your request rate/);
    expect(s3Mock).toReceiveCommandWith(DeleteObjectCommand, { Key: KEY });
    expect(deps.vendorCalls()).toBe(0);
  });

  it('leaves the same S3 failure to SQS before the last receive, recording nothing', async () => {
    s3Mock.on(GetObjectCommand).rejects(slowDown());
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], 2), makeDeps([]));
    expect(response.batchItemFailures).toHaveLength(1);
    expect(finalWrites()).toEqual([]);
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });

  it('records FAILED with INTERNAL_ERROR under its own lease when the token secret is malformed', async () => {
    const deps = makeDeps([]);
    deps.liveness.checkLiveness = async () => {
      throw new TerminalError('the token secret is malformed');
    };
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps);
    expect(response.batchItemFailures).toHaveLength(1);
    expect(finalWrites()).toHaveLength(1);
    expect(finalWrites()[0]?.ExpressionAttributeValues).toMatchObject({
      ':final': 'FAILED',
      ':failure': { reason: 'INTERNAL_ERROR' },
      ':leaseId': claimedLeaseIds()[0],
    });
    const failure = finalWrites()[0]?.ExpressionAttributeValues?.[':failure'] as { message: string };
    expect(failure.message).not.toContain('token secret');
    expect(s3Mock).toReceiveCommandWith(DeleteObjectCommand, { Key: KEY });
  });

  it('retries the INTERNAL_ERROR write through DynamoDB throttling when the claim itself was throttled', async () => {
    let call = 0;
    ddbMock.on(UpdateCommand).callsFake((input) => {
      call++;
      // The claim, then the first attempt of the FAILED write, are throttled.
      if (call <= 2) throw throttled();
      return {
        Attributes: { checkId: input.Key.checkId, status: input.ExpressionAttributeValues[':final'] },
      };
    });
    const deps = makeDeps([]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps);
    expect(response.batchItemFailures).toHaveLength(1);
    expect(deps.vendorCalls()).toBe(0);
    expect(finalWrites()).toHaveLength(2);
    expect(finalWrites()[1]?.ExpressionAttributeValues).toMatchObject({
      ':failure': { reason: 'INTERNAL_ERROR' },
    });
    expect(deps.sleeps).toHaveLength(1);
    expect(s3Mock).toReceiveCommand(DeleteObjectCommand);
  });

  it('sends the message on to the DLQ, counted as LastReceiveWriteFailures, when DynamoDB refuses every final write', async () => {
    ddbMock.on(UpdateCommand).rejects(throttled());
    const deps = makeDeps([]);
    const addMetric = vi.spyOn(deps.metrics, 'addMetric');
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps);
    // Not acknowledged: SQS moves it to the selfie DLQ (SelfieDlqDepth), where ops dlq show finds it unrecorded.
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    const counted = addMetric.mock.calls.map(([name]) => name);
    expect(counted).toContain('LastReceiveWriteFailures');
    expect(counted).toContain('FinalWriteRetries');
    // The write was retried within its window, and the selfie is kept for a redrive.
    expect(finalWrites().length).toBeGreaterThan(1);
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
    expect(finalWrites()[0]?.ExpressionAttributeValues).toMatchObject({
      ':final': 'FAILED',
      ':failure': { reason: 'INTERNAL_ERROR' },
    });
    expect(s3Mock).toReceiveCommandWith(DeleteObjectCommand, { Key: KEY });
  });

  it('never overwrites a final status: a check decided meanwhile keeps its verdict', async () => {
    s3Mock.on(GetObjectCommand).rejects(slowDown());
    ddbMock.on(UpdateCommand).rejects(conditionalRefusal({ checkId: CHECK_ID, status: 'PASSED' }));
    const deps = makeDeps([]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), deps);
    expect(response.batchItemFailures).toHaveLength(1);
    expect(finalWrites()).toHaveLength(1);
    // Decided: the selfie is not needed any more.
    expect(s3Mock).toReceiveCommand(DeleteObjectCommand);
  });

  it('leaves the selfie to the message that holds a live lease on the check', async () => {
    s3Mock.on(GetObjectCommand).rejects(slowDown());
    ddbMock
      .on(UpdateCommand)
      .rejects(conditionalRefusal({ checkId: CHECK_ID, status: 'CHECKING', leaseId: 'another-message' }));
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)], LAST), makeDeps([]));
    expect(response.batchItemFailures).toHaveLength(1);
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });

  it('still sends a malformed notification on to the DLQ, with nothing to record', async () => {
    const response = await checkBatch(sqsEventOf(['{not json'], LAST), makeDeps([]));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(ddbMock.calls()).toHaveLength(0);
  });
});

/** The options an SDK call was sent with (`send(command, options)`); the mock's types drop them. */
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
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(0);
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
    const updates = ddbMock.commandCalls(UpdateCommand);
    expect(sentWith(updates[0])).toMatchObject({ abortSignal: vendor }); // the claim
    expect(sentWith(updates.at(-1))).toMatchObject({ abortSignal: writes }); // the verdict
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
    expect(finalWrites()).toEqual([]);
    const release = ddbMock.commandCalls(UpdateCommand).at(-1);
    expect(release?.args[0].input.UpdateExpression).toContain('#leaseExpiresAt = :nowMs');
    expect(sentWith(release)).toMatchObject({ abortSignal: timers.asked[1]?.controller.signal });
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });
});

describe('checkBatch: lease and size guards', () => {
  it('claims the check for LEASE_SECONDS from now', async () => {
    const deps = makeDeps([], { LEASE_SECONDS: '300' });
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    const claim = ddbMock.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(claim?.ExpressionAttributeValues).toMatchObject({
      ':lease': Date.parse('2026-11-25T10:00:00Z') + 300_000,
    });
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
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), makeDeps([]));
    expect(ddbMock.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':device': 'ANDROID',
    });
    ddbMock.resetHistory();
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), makeDeps([]));
    expect(
      ddbMock.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues,
    ).not.toHaveProperty(':device');
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
    expect(finalWrites()[0]?.ExpressionAttributeValues).toMatchObject({
      ':rejection': { reason: 'OBJECT_TOO_LARGE', source: 'precheck' },
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
    }
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
    acceptWrites({ createdAt: '2026-11-25T09:58:00.000Z', decidedAt: '2026-11-25T10:00:00.000Z' });
    const notification = JSON.parse(notificationBody(KEY, selfie.length)) as {
      Records: { eventTime: string }[];
    };
    for (const record of notification.Records) record.eventTime = '2026-11-25T09:59:30.000Z';
    const deps = makeDeps([{ kind: 'passed', transactionId: 'tx' }]);
    const info = vi.spyOn(deps.logger, 'info');
    await checkBatch(sqsEventOf([JSON.stringify(notification)]), deps);
    expect(info).toHaveBeenCalledWith(
      'verdict recorded',
      expect.objectContaining({ checkId: CHECK_ID, status: 'PASSED', checkMs: 30_000, totalMs: 120_000 }),
    );
  });
});
