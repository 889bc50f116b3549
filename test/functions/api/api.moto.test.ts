import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CreateCheckResponse, createApi } from '../../../functions/api/app.js';
import { OwnerLimits } from '../../../functions/api/owner-limits.js';
import { createUploadPresigner } from '../../../functions/api/presign.js';
import { CheckRepository } from '../../../shared/check-repository.js';
import { systemClock } from '../../../shared/clock.js';
import { createCheckTable } from '../../../tools/local/provision-table.js';
import { awsClientConfig, type Moto, startMoto } from '../../support/moto.js';
import { loadEvent, postChecks } from './events.js';

const BUCKET = 'selfie-bucket';
const TABLE = 'checks';
// The smallest JPEG shape: SOI, APP0 marker start, EOI. Bytes only matter to the checker.
const SELFIE = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0xff, 0xd9]);

describe('api on moto', () => {
  let moto: Moto;
  let s3: S3Client;
  let repository: CheckRepository;
  let api: ReturnType<typeof createApi>;

  beforeAll(async () => {
    moto = await startMoto();
    const ddb = new DynamoDBClient(awsClientConfig(moto.endpoint));
    s3 = new S3Client(awsClientConfig(moto.endpoint));
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await createCheckTable(ddb, TABLE);
    repository = new CheckRepository(ddb, TABLE, 30 * 86_400);
    api = createApi({
      config: {
        selfieBucket: BUCKET,
        selfiePrefix: 'selfies/',
        uploadUrlTtlSeconds: 300,
        maxObjectBytes: 2_097_152,
      },
      repository,
      presigner: createUploadPresigner(s3, BUCKET),
      limits: new OwnerLimits(
        ddb,
        TABLE,
        repository,
        {
          userMaxOpenChecks: 3,
          userChecksPerMinute: 10,
          serviceChecksPerMinute: 100,
          userChecksPerDay: 100,
          checksPerDay: 20_000,
        },
        30 * 86_400,
      ),
      clock: systemClock,
      idGenerator: () => crypto.randomUUID(),
      logger: { info: vi.fn(), warn: vi.fn(), error: vi.fn() },
    });
  });
  afterAll(async () => {
    await moto?.stop();
  });

  async function get(checkId: string) {
    const event = loadEvent('get-check');
    event.pathParameters = { checkId };
    event.rawPath = `/checks/${checkId}`;
    const response = await api(event);
    return { statusCode: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
  }

  it('issues a check, takes the upload through the presigned POST and reports the verdict', async () => {
    const created = await api(loadEvent('post-checks'));
    expect(created.statusCode).toBe(201);
    const { checkId, upload } = JSON.parse(created.body) as CreateCheckResponse;

    expect(await get(checkId)).toMatchObject({
      statusCode: 200,
      body: { checkId, status: 'AWAITING_UPLOAD', device: 'IOS', reference: 'order-4711' },
    });

    // A browser-style multipart POST: the fields as given, the file last, under a client file name
    // the policy ignores.
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append('file', new Blob([SELFIE], { type: 'image/jpeg' }), 'IMG_0001.jpg');
    const uploaded = await fetch(upload.url, { method: 'POST', body: form });
    expect(uploaded.status).toBe(204);

    const object = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `selfies/${checkId}` }));
    expect(object).toMatchObject({ ContentLength: SELFIE.length, ContentType: 'image/jpeg' });

    // What the checker does next: claim from the object's facts alone, and finds the device and
    // reference the app gave when it asked for the URL.
    const claim = await repository.claim({
      checkId,
      object: { bucket: BUCKET, objectKey: `selfies/${checkId}`, objectSize: SELFIE.length },
      leaseId: 'lease-1',
      leaseMs: 60_000,
      now: new Date(),
    });
    expect(claim).toMatchObject({ written: true, item: { device: 'IOS', reference: 'order-4711' } });
    expect((await get(checkId)).body.status).toBe('CHECKING');

    const verdict = await repository.finalize({
      checkId,
      outcome: {
        status: 'PASSED',
        result: { valid: true, transactionId: 'tx-42', score: 0.98, liveness: 0.97 },
      },
      guard: { kind: 'lease', leaseId: 'lease-1' },
      now: new Date(),
    });
    expect(verdict.written).toBe(true);

    const final = await get(checkId);
    expect(final.statusCode).toBe(200);
    expect(final.body).toEqual({
      checkId,
      status: 'PASSED',
      device: 'IOS',
      reference: 'order-4711',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      decidedAt: expect.any(String),
      result: { valid: true, transactionId: 'tx-42', score: 0.98, liveness: 0.97 },
    });
  });

  it('stores a PNG upload under its check id with the pinned content type', async () => {
    const created = await api(postChecks('{"contentType":"image/png","device":"ANDROID"}'));
    const { checkId, upload } = JSON.parse(created.body) as CreateCheckResponse;
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append(
      'file',
      new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], { type: 'image/png' }),
      '../../etc.png',
    );
    expect((await fetch(upload.url, { method: 'POST', body: form })).status).toBe(204);
    const object = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `selfies/${checkId}` }));
    expect(object.ContentType).toBe('image/png');
  });

  it('answers 404 for an id it never issued', async () => {
    expect(await get('00000000-0000-4000-8000-000000000000')).toEqual({
      statusCode: 404,
      body: { error: { code: 'CHECK_NOT_FOUND', message: 'no check with this id' } },
    });
  });
});
