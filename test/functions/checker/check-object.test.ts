import { DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkBatch } from '../../../functions/checker/checker.js';
import type { LivenessRequest } from '../../../shared/apptenticate/outcome.js';
import type { CheckItem } from '../../../shared/check.js';
import { makeJpeg } from '../../../tools/simulator/images.js';
import {
  body,
  CHECK_ID,
  checkItem,
  duringVendorCall,
  finalWrites,
  KEY,
  leaseOfMessage,
  makeDeps,
  metricNames,
  mockS3,
  NOW,
  notificationBody,
  resetS3,
  selfie,
  sqsEventOf,
  stored,
  type TestDeps,
} from './helpers.js';

const s3Mock = mockS3();

const OVERSIZE = 3 * 1024 * 1024;

/** S3 reports the selfie over the size limit; its body is never read. */
function oversizeInS3() {
  s3Mock.on(GetObjectCommand).resolves({
    Body: Object.assign(body(selfie), { transformToWebStream: () => ({ cancel: async () => {} }) }),
    ContentLength: OVERSIZE,
    Metadata: {},
  } as never);
}

/** While the vendor call is in flight, another writer leaves the check as `item` (none: the item is gone). */
function takenOverDuringTheCall(deps: TestDeps, item?: CheckItem) {
  duringVendorCall(deps, () => {
    if (item) deps.repository.put(item);
    else deps.repository.items.delete(CHECK_ID);
  });
}

beforeEach(() => {
  resetS3(s3Mock);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the paid vendor call', () => {
  function recordingVendor(deps: ReturnType<typeof makeDeps>) {
    const requests: LivenessRequest[] = [];
    deps.liveness.checkLiveness = async (request) => {
      requests.push(request);
      return { kind: 'passed', transactionId: 'tx' };
    };
    return requests;
  }

  it('sends the PNG read from S3, named after the check', async () => {
    const deps = makeDeps([]);
    const requests = recordingVendor(deps);
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(requests).toEqual([
      { selfie: new Uint8Array(selfie), contentType: 'image/png', fileName: `${CHECK_ID}.png` },
    ]);
  });

  it('sends a JPEG as a .jpg with its own content type', async () => {
    const jpeg = makeJpeg({ width: 200, height: 200 });
    s3Mock
      .on(GetObjectCommand)
      .callsFake(() => ({ Body: body(jpeg), ContentLength: jpeg.length, Metadata: {} }));
    const deps = makeDeps([]);
    const requests = recordingVendor(deps);
    await checkBatch(sqsEventOf([notificationBody(KEY, jpeg.length)]), deps);
    expect(requests).toEqual([
      { selfie: new Uint8Array(jpeg), contentType: 'image/jpeg', fileName: `${CHECK_ID}.jpg` },
    ]);
  });

  it('sends the device the check was created with', async () => {
    const deps = makeDeps([]);
    deps.repository.put(checkItem({ status: 'AWAITING_UPLOAD', device: 'IOS', attempts: 0 }));
    const requests = recordingVendor(deps);
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(requests[0]?.device).toBe('IOS');
  });

  it('counts the time the vendor call took', async () => {
    let now = 1_000;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const deps = makeDeps([]);
    deps.liveness.checkLiveness = async () => {
      now += 250;
      return { kind: 'passed', transactionId: 'tx' };
    };
    const addMetric = vi.spyOn(deps.metrics, 'addMetric');
    await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(addMetric).toHaveBeenCalledWith('VendorLatency', 'Milliseconds', 250);
  });

  it('rejects a selfie that is not an image without a claim or a paid call', async () => {
    const text = new TextEncoder().encode('not an image at all');
    s3Mock.on(GetObjectCommand).callsFake(() => ({ Body: body(text), ContentLength: text.length }));
    const deps = makeDeps([]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, text.length)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.vendorCalls()).toBe(0);
    expect(deps.repository.calls.map((call) => call.op)).toEqual(['finalize']);
    expect(stored(deps)).toMatchObject({
      status: 'REJECTED',
      rejection: { reason: 'UNSUPPORTED_IMAGE_FORMAT', source: 'precheck' },
    });
  });

  it('rejects a 10000x10000 JPEG under the default limits as IMAGE_DIMENSIONS_INVALID without a paid call', async () => {
    const huge = makeJpeg({ width: 10_000, height: 10_000 });
    s3Mock.on(GetObjectCommand).callsFake(() => ({ Body: body(huge), ContentLength: huge.length }));
    const deps = makeDeps([]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, huge.length)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.vendorCalls()).toBe(0);
    expect(stored(deps)).toMatchObject({
      status: 'REJECTED',
      rejection: {
        reason: 'IMAGE_DIMENSIONS_INVALID',
        message: 'the image is 10000x10000; at most 4096 px on either side is accepted',
        source: 'precheck',
      },
    });
  });
});

describe('a verdict without a vendor call', () => {
  it('records a rejection by the size S3 reports as a direct upload, then deletes the selfie', async () => {
    oversizeInS3();
    const deps = makeDeps([]);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    // Creates the item of a direct upload, or takes over the message's own claim.
    expect(stored(deps)).toMatchObject({
      status: 'REJECTED',
      rejection: { reason: 'OBJECT_TOO_LARGE' },
      bucket: 'selfie-bucket',
      objectKey: KEY,
      objectSize: OVERSIZE,
    });
    expect(finalWrites(deps)[0]?.guard).toEqual({
      kind: 'own-or-unclaimed',
      leaseId: leaseOfMessage('message-0'),
    });
    expect(s3Mock).toReceiveCommandWith(DeleteObjectCommand, { Bucket: 'selfie-bucket', Key: KEY });
  });

  it('retries the message when the rejected selfie cannot be deleted', async () => {
    oversizeInS3();
    s3Mock.on(DeleteObjectCommand).rejects(new Error('AccessDenied'));
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), makeDeps([]));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
  });

  it.each([
    ['a notification for an object that never existed', 0],
    ['a late duplicate of a decided check whose selfie is already deleted', selfie.length],
  ])('decides nothing on %s: no write, no delete, counted and logged', async (_label, size) => {
    s3Mock
      .on(GetObjectCommand)
      .rejects(Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' }));
    const deps = makeDeps([]);
    const counted = vi.spyOn(deps.metrics, 'addMetric');
    const info = vi.spyOn(deps.logger, 'info');
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, size)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.repository.calls).toHaveLength(0);
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
    expect(deps.vendorCalls()).toBe(0);
    expect(counted.mock.calls).toEqual([['MissingObjectNotifications', 'Count', 1]]);
    expect(info).toHaveBeenCalledWith(
      'skipping a notification for an object not in the bucket',
      expect.objectContaining({ checkId: CHECK_ID }),
    );
  });

  it('deletes the selfie of a check decided meanwhile instead of recording a second verdict', async () => {
    oversizeInS3();
    const deps = makeDeps([]);
    const decided = checkItem({
      status: 'REJECTED',
      rejection: { reason: 'EMPTY_OBJECT', source: 'precheck' },
    });
    deps.repository.put(decided);
    const counted = vi.spyOn(deps.metrics, 'addMetric');
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(s3Mock).toReceiveCommandWith(DeleteObjectCommand, { Bucket: 'selfie-bucket', Key: KEY });
    expect(finalWrites(deps)).toHaveLength(1);
    expect(stored(deps)).toEqual(decided);
    expect(metricNames(counted)).not.toContain('ChecksRejected');
  });

  it('leaves the selfie of a check another message holds to that message', async () => {
    oversizeInS3();
    const deps = makeDeps([]);
    deps.repository.put(checkItem({ leaseId: 'another-message', leaseExpiresAt: NOW.getTime() + 60_000 }));
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(stored(deps)).toMatchObject({ status: 'CHECKING', leaseId: 'another-message' });
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });

  it('retries the message when the selfie of a decided check cannot be deleted', async () => {
    const deps = makeDeps([]);
    deps.repository.put(checkItem({ status: 'PASSED' }));
    s3Mock.on(DeleteObjectCommand).rejects(new Error('AccessDenied'));
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
  });
});

describe('a paid verdict the lease no longer covers', () => {
  it.each([
    [
      'another message took the check over',
      checkItem({ leaseId: 'other', leaseExpiresAt: NOW.getTime() + 1 }),
    ],
    ['the check is gone', undefined],
  ])('acknowledges and keeps the selfie when %s', async (_label, item) => {
    const deps = makeDeps([{ kind: 'passed', transactionId: '42' }]);
    takenOverDuringTheCall(deps, item);
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.vendorCalls()).toBe(1);
    expect(finalWrites(deps)).toHaveLength(1);
    expect(stored(deps)).toEqual(item);
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });

  it('leaves the message to SQS when another delivery of the same message took the check over', async () => {
    const overlap = `message-0/${crypto.randomUUID()}`;
    const deps = makeDeps([{ kind: 'passed', transactionId: '42' }]);
    takenOverDuringTheCall(deps, checkItem({ leaseId: overlap, leaseExpiresAt: NOW.getTime() + 1 }));
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    // Acknowledging would delete the message that the other delivery may still need.
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
  });

  it('retries the message when the selfie of the decided check cannot be deleted', async () => {
    const deps = makeDeps([]);
    takenOverDuringTheCall(deps, checkItem({ status: 'PASSED' }));
    s3Mock.on(DeleteObjectCommand).rejects(new Error('AccessDenied'));
    const response = await checkBatch(sqsEventOf([notificationBody(KEY, selfie.length)]), deps);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
  });
});
