import { DeleteObjectCommand, GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { deleteSelfie, readSelfie } from '../../../functions/checker/selfie.js';
import { RetryableError } from '../../../shared/errors.js';
import { body, KEY, makeDeps, mockS3, resetS3, selfie } from './helpers.js';

const s3Mock = mockS3();

const OBJECT = { bucket: 'selfie-bucket', key: KEY };
const signal = new AbortController().signal;

beforeEach(() => {
  resetS3(s3Mock);
});

describe('readSelfie', () => {
  it("reads the notification's object, with its bytes and size", async () => {
    const read = await readSelfie(OBJECT, makeDeps([]), signal);
    expect(s3Mock).toReceiveCommandWith(GetObjectCommand, { Bucket: 'selfie-bucket', Key: KEY });
    expect(read).toEqual({ kind: 'ok', bytes: new Uint8Array(selfie), size: selfie.length, metadata: {} });
  });

  it('reads an object of exactly the size limit', async () => {
    const deps = makeDeps([], { MAX_OBJECT_BYTES: String(selfie.length) });
    expect(await readSelfie(OBJECT, deps, signal)).toMatchObject({ kind: 'ok', size: selfie.length });
  });

  it('reads an answer without a body as an empty object', async () => {
    s3Mock.on(GetObjectCommand).resolves({ ContentLength: 0 });
    expect(await readSelfie(OBJECT, makeDeps([]), signal)).toMatchObject({ kind: 'ok', size: 0 });
  });

  it('reports an object over the limit by its size alone, even without a body to cancel', async () => {
    s3Mock.on(GetObjectCommand).resolves({ ContentLength: 5 * 1024 * 1024 });
    expect(await readSelfie(OBJECT, makeDeps([]), signal)).toEqual({
      kind: 'oversize',
      size: 5 * 1024 * 1024,
      metadata: {},
    });
  });

  it.each([
    ['the SDK class', () => new NoSuchKey({ message: 'gone', $metadata: {} })],
    // Another copy of the SDK (a bundled one, a test double) raises it as a plain error by name.
    [
      'its name alone',
      () => Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' }),
    ],
  ])('reports a deleted selfie as missing, recognised by %s', async (_label, error) => {
    s3Mock.on(GetObjectCommand).rejects(error());
    expect(await readSelfie(OBJECT, makeDeps([]), signal)).toEqual({ kind: 'missing' });
  });

  it('throws any other S3 failure classified, naming the call', async () => {
    s3Mock
      .on(GetObjectCommand)
      .rejects(
        Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $fault: 'server' }),
      );
    const read = readSelfie(OBJECT, makeDeps([]), signal);
    await expect(read).rejects.toThrow(RetryableError);
    await expect(read).rejects.toThrow('S3 GetObject failed with SlowDown');
  });

  it('reads device and reference from object metadata', async () => {
    s3Mock.on(GetObjectCommand).callsFake(() => ({
      Body: body(selfie),
      ContentLength: selfie.length,
      Metadata: { device: 'ios', reference: 'order-7' },
    }));
    expect(await readSelfie(OBJECT, makeDeps([]), signal)).toMatchObject({
      metadata: { device: 'IOS', reference: 'order-7' },
    });
  });

  it('ignores a reference in object metadata that holds markup, and warns', async () => {
    s3Mock.on(GetObjectCommand).callsFake(() => ({
      Body: body(selfie),
      ContentLength: selfie.length,
      Metadata: { device: 'ios', reference: '<img src=x onerror=alert(1)>' },
    }));
    const deps = makeDeps([]);
    const warn = vi.spyOn(deps.logger, 'warn');
    const read = await readSelfie(OBJECT, deps, signal);
    expect(read).toMatchObject({ kind: 'ok', metadata: { device: 'IOS' } });
    expect(read).not.toHaveProperty('metadata.reference');
    expect(warn).toHaveBeenCalledWith('ignoring invalid reference in object metadata', {});
  });

  it('reads an object without metadata, and warns about nothing', async () => {
    s3Mock.on(GetObjectCommand).callsFake(() => ({ Body: body(selfie), ContentLength: selfie.length }));
    const deps = makeDeps([]);
    const warn = vi.spyOn(deps.logger, 'warn');
    expect(await readSelfie(OBJECT, deps, signal)).toMatchObject({ kind: 'ok', metadata: {} });
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('deleteSelfie', () => {
  it('deletes the object', async () => {
    expect(await deleteSelfie(OBJECT, 'c', makeDeps([]), signal)).toBe(true);
    expect(s3Mock).toReceiveCommandWith(DeleteObjectCommand, { Bucket: 'selfie-bucket', Key: KEY });
  });

  it('keeps it when selfies are retained, unless told to delete it anyway', async () => {
    const deps = makeDeps([], { RETAIN_SELFIES: 'true' });
    expect(await deleteSelfie(OBJECT, 'c', deps, signal)).toBe(true);
    expect(s3Mock).not.toReceiveCommand(DeleteObjectCommand);
    expect(await deleteSelfie(OBJECT, 'c', deps, signal, { evenIfRetained: true })).toBe(true);
    expect(s3Mock).toReceiveCommandTimes(DeleteObjectCommand, 1);
  });

  it('answers false and counts the failure when the delete fails', async () => {
    s3Mock.on(DeleteObjectCommand).rejects(new Error('AccessDenied'));
    const deps = makeDeps([]);
    const addMetric = vi.spyOn(deps.metrics, 'addMetric');
    expect(await deleteSelfie(OBJECT, 'c', deps, signal)).toBe(false);
    expect(addMetric.mock.calls).toEqual([['SelfieDeleteFailures', 'Count', 1]]);
  });
});
