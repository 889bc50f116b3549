import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertMotoInstalled, type Moto, startMoto } from '../../../tools/local/moto.js';
import { awsClientConfig } from '../../support/moto.js';

describe('moto harness', () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it('serves S3 over real HTTP and forgets everything on reset', async () => {
    const s3 = new S3Client(awsClientConfig(moto.endpoint));
    await s3.send(new CreateBucketCommand({ Bucket: 'harness' }));
    expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual(['harness']);
    await moto.reset();
    expect((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
  });

  it('names moto_server and how to install it when it is missing', () => {
    expect(() => assertMotoInstalled('/nonexistent/moto_server')).toThrow(
      /moto_server was not found.*pip install/,
    );
  });
});
