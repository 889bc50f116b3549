import { DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createSelfieStore } from '../../../functions/sweeper/selfie-store.js';

const s3 = mockClient(S3Client);
const store = () => createSelfieStore(new S3Client({ region: 'eu-west-1' }), 'selfie-bucket');

beforeEach(() => s3.reset());

describe('createSelfieStore', () => {
  it('finds a selfie by listing exactly its key: no object read, no KMS', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'selfies/abc' }], KeyCount: 1 });
    expect(await store().exists('selfies/abc')).toBe(true);
    expect(s3).toReceiveCommandWith(ListObjectsV2Command, {
      Bucket: 'selfie-bucket',
      Prefix: 'selfies/abc',
      MaxKeys: 1,
    });
  });

  it('does not take a longer key under the same prefix for the selfie', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'selfies/abc-other' }], KeyCount: 1 });
    expect(await store().exists('selfies/abc')).toBe(false);
  });

  it('answers false for an empty listing', async () => {
    s3.on(ListObjectsV2Command).resolves({ KeyCount: 0 });
    expect(await store().exists('selfies/abc')).toBe(false);
  });

  it('classifies a listing failure as retryable, naming the operation', async () => {
    s3.on(ListObjectsV2Command).rejects(
      Object.assign(new Error('slow down'), { name: 'SlowDown', $fault: 'server' }),
    );
    await expect(store().exists('selfies/abc')).rejects.toMatchObject({
      name: 'RetryableError',
      message: 'S3 ListObjectsV2 failed with SlowDown',
    });
  });

  it('deletes a selfie', async () => {
    s3.on(DeleteObjectCommand).resolves({});
    await store().delete('selfies/abc');
    expect(s3).toReceiveCommandWith(DeleteObjectCommand, { Bucket: 'selfie-bucket', Key: 'selfies/abc' });
  });

  it('classifies a delete failure as retryable, naming the operation', async () => {
    s3.on(DeleteObjectCommand).rejects(
      Object.assign(new Error('slow down'), { name: 'SlowDown', $fault: 'server' }),
    );
    await expect(store().delete('selfies/abc')).rejects.toMatchObject({
      name: 'RetryableError',
      message: 'S3 DeleteObject failed with SlowDown',
    });
  });
});
