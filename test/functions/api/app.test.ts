import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { type ApiDeps, type ApiResponse, createApi } from '../../../functions/api/app.js';
import { createUploadPresigner } from '../../../functions/api/presign.js';
import type { CheckItem } from '../../../shared/check.js';
import { CheckRepository } from '../../../shared/check-repository.js';
import { testClock } from '../../support/clock.js';
import { loadEvent, postChecks, proxyRequest } from './events.js';

const CHECK_ID = '3f6c1a2e-8b4d-4c1f-9a7e-2d5b6c8e9f01';
const NOW = new Date('2026-11-25T10:00:00.000Z');
const ddb = mockClient(DynamoDBDocumentClient);

function body(response: ApiResponse): Record<string, unknown> {
  return JSON.parse(response.body) as Record<string, unknown>;
}

function setup(overrides: Partial<ApiDeps> = {}) {
  const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  const s3 = new S3Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKID', secretAccessKey: 's' },
  });
  const api = createApi({
    config: {
      selfieBucket: 'selfie-bucket',
      selfiePrefix: 'selfies/',
      uploadUrlTtlSeconds: 300,
      maxObjectBytes: 2_097_152,
    },
    repository: new CheckRepository(new DynamoDBClient({ region: 'eu-west-1' }), 'checks', 30 * 86_400),
    presigner: createUploadPresigner(s3, 'selfie-bucket'),
    limits: { admit: async () => ({ admitted: true }), release: async () => undefined },
    clock: testClock(() => NOW),
    idGenerator: () => CHECK_ID,
    logger,
    ...overrides,
  });
  return { api, logger };
}

function expectJsonError(response: ApiResponse, statusCode: number, code: string) {
  expect(response.statusCode).toBe(statusCode);
  expect(response.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
  const parsed = body(response);
  expect(parsed).toEqual({ error: { code, message: expect.any(String) } });
  expect(response.body).not.toMatch(/\n\s+at |Exception|stack/);
}

beforeEach(() => {
  ddb.reset();
});

describe('POST /checks', () => {
  it('creates a check awaiting its upload and answers 201 with a presigned POST', async () => {
    ddb.on(PutCommand).resolves({});
    const { api, logger } = setup();
    const response = await api(loadEvent('post-checks'));

    expect(response.statusCode).toBe(201);
    expect(response.headers).toEqual({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    expect(body(response)).toEqual({
      checkId: CHECK_ID,
      status: 'AWAITING_UPLOAD',
      upload: {
        url: 'https://selfie-bucket.s3.eu-west-1.amazonaws.com/',
        fields: expect.objectContaining({ key: `selfies/${CHECK_ID}`, 'Content-Type': 'image/jpeg' }),
        expiresAt: '2026-11-25T10:05:00.000Z',
        maxBytes: 2_097_152,
      },
    });
    expect(ddb).toReceiveCommandWith(PutCommand, {
      TableName: 'checks',
      Item: expect.objectContaining({
        checkId: CHECK_ID,
        status: 'AWAITING_UPLOAD',
        device: 'IOS',
        reference: 'order-4711',
        contentType: 'image/jpeg',
        uploadExpiresAt: '2026-11-25T10:05:00.000Z',
        expiresAt: NOW.getTime() / 1000 + 30 * 86_400,
      }),
      ConditionExpression: 'attribute_not_exists(#checkId)',
    });
    expect(logger.info).toHaveBeenCalledWith('check issued', expect.objectContaining({ checkId: CHECK_ID }));
  });

  it('never logs the upload URL or its signature', async () => {
    ddb.on(PutCommand).resolves({});
    const { api, logger } = setup();
    const response = await api(loadEvent('post-checks'));
    const fields = (body(response).upload as { fields: Record<string, string> }).fields;
    const logged = JSON.stringify([logger.info.mock.calls, logger.warn.mock.calls, logger.error.mock.calls]);
    expect(logged).not.toContain(fields['X-Amz-Signature']);
    expect(logged).not.toContain(fields.Policy);
    expect(logged).not.toContain('amazonaws.com');
  });

  it('uses the defaults for an empty request and stores no device or reference', async () => {
    ddb.on(PutCommand).resolves({});
    const { api } = setup();
    const response = await api(loadEvent('post-checks-empty'));
    expect(response.statusCode).toBe(201);
    const put = ddb.commandCalls(PutCommand)[0]?.args[0].input.Item as CheckItem;
    expect(put).toMatchObject({ contentType: 'image/jpeg' });
    expect(put).not.toHaveProperty('device');
    expect(put).not.toHaveProperty('reference');
  });

  it('reads a base64-encoded body', async () => {
    ddb.on(PutCommand).resolves({});
    const { api } = setup();
    expect((await api(loadEvent('post-checks-base64'))).statusCode).toBe(201);
    expect(ddb).toReceiveCommandWith(PutCommand, {
      Item: expect.objectContaining({ device: 'ANDROID', reference: 'sign-up/8842' }),
    });
  });

  it('pins the requested PNG content type in the returned fields and the item', async () => {
    ddb.on(PutCommand).resolves({});
    const { api } = setup();
    const response = await api(postChecks('{"contentType":"image/png"}'));
    expect(body(response)).toMatchObject({ upload: { fields: { 'Content-Type': 'image/png' } } });
    expect(ddb).toReceiveCommandWith(PutCommand, {
      Item: expect.objectContaining({ contentType: 'image/png' }),
    });
  });

  it.each([
    ['malformed JSON', postChecks('{"device"'), 400, 'INVALID_JSON'],
    ['a JSON array', postChecks('[]'), 400, 'INVALID_BODY'],
    ['an unknown field', postChecks('{"fileName":"me.jpg"}'), 400, 'UNKNOWN_FIELD'],
    ['an unknown device', postChecks('{"device":"WINDOWS_PHONE"}'), 400, 'INVALID_DEVICE'],
    [
      'a long reference',
      postChecks(JSON.stringify({ reference: 'r'.repeat(129) })),
      400,
      'INVALID_REFERENCE',
    ],
    ['a reference with a tab', postChecks('{"reference":"a\\tb"}'), 400, 'INVALID_REFERENCE'],
    [
      'a reference with markup',
      postChecks(JSON.stringify({ reference: '<script>alert(1)</script>' })),
      400,
      'INVALID_REFERENCE',
    ],
    ['an unsupported content type', postChecks('{"contentType":"image/gif"}'), 400, 'INVALID_CONTENT_TYPE'],
    [
      'a body over 4 KiB',
      postChecks(JSON.stringify({ reference: 'r'.repeat(5000) })),
      413,
      'PAYLOAD_TOO_LARGE',
    ],
    [
      'a form body',
      postChecks('device=IOS', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'a body without content type',
      postChecks('{}', { 'content-type': undefined }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
  ])('answers %s with %i %s and writes nothing', async (_label, event, statusCode, code) => {
    const { api } = setup();
    expectJsonError(await api(event), statusCode, code);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers 503 without AWS details when DynamoDB throttles', async () => {
    ddb.on(PutCommand).rejects(
      Object.assign(new Error('Rate of requests exceeds the allowed throughput for table checks'), {
        name: 'ProvisionedThroughputExceededException',
        $fault: 'client',
      }),
    );
    const { api, logger } = setup();
    const response = await api(loadEvent('post-checks'));
    expectJsonError(response, 503, 'SERVICE_UNAVAILABLE');
    expect(response.headers['retry-after']).toBe('1');
    expect(response.body).not.toContain('throughput');
    expect(logger.warn).toHaveBeenCalledWith('dependency unavailable', expect.anything());
  });

  it('answers 500 without AWS details when DynamoDB refuses the write', async () => {
    ddb
      .on(PutCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );
    const { api, logger } = setup();
    const response = await api(loadEvent('post-checks'));
    expectJsonError(response, 500, 'INTERNAL_ERROR');
    expect(response.body).not.toContain('conditional');
    expect(logger.error).toHaveBeenCalledWith('request failed', {
      error: {
        name: 'TerminalError',
        message: 'DynamoDB PutItem failed with ConditionalCheckFailedException',
      },
    });
  });

  it('creates no item when presigning fails', async () => {
    const { api } = setup({
      presigner: {
        presign: async () => {
          throw new Error('boom');
        },
      },
    });
    expectJsonError(await api(loadEvent('post-checks')), 500, 'INTERNAL_ERROR');
    expect(ddb.calls()).toHaveLength(0);
  });

  it('uses the configured prefix, expiry and size limit', async () => {
    ddb.on(PutCommand).resolves({});
    const { api } = setup({
      config: {
        selfieBucket: 'b',
        selfiePrefix: 'in/selfies/',
        uploadUrlTtlSeconds: 900,
        maxObjectBytes: 5000,
      },
    });
    const response = await api(loadEvent('post-checks-empty'));
    expect(body(response)).toMatchObject({
      upload: {
        fields: { key: `in/selfies/${CHECK_ID}` },
        expiresAt: '2026-11-25T10:15:00.000Z',
        maxBytes: 5000,
      },
    });
  });
});

describe('GET /checks/{checkId}', () => {
  const decided: CheckItem = {
    checkId: CHECK_ID,
    status: 'REJECTED',
    version: 4,
    createdAt: '2026-11-25T10:00:00.000Z',
    updatedAt: '2026-11-25T10:01:00.000Z',
    decidedAt: '2026-11-25T10:01:00.000Z',
    device: 'IOS',
    reference: 'order-4711',
    bucket: 'selfie-bucket',
    objectKey: `selfies/${CHECK_ID}`,
    objectSize: 123_456,
    attempts: 1,
    result: { valid: false, transactionId: 'tx-9', score: 0.12 },
    rejection: {
      code: 700,
      reason: 'FACE_TOO_CLOSE',
      message: 'Rostro demasiado cerca',
      source: 'apptenticate',
    },
    expiresAt: 1_798_192_800,
  };

  it('answers 200 with the public view of the check', async () => {
    ddb.on(GetCommand).resolves({ Item: decided });
    const { api } = setup();
    const response = await api(loadEvent('get-check'));
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    expect(body(response)).toEqual({
      checkId: CHECK_ID,
      status: 'REJECTED',
      reference: 'order-4711',
      device: 'IOS',
      createdAt: '2026-11-25T10:00:00.000Z',
      updatedAt: '2026-11-25T10:01:00.000Z',
      decidedAt: '2026-11-25T10:01:00.000Z',
      result: { valid: false, transactionId: 'tx-9', score: 0.12 },
      rejection: {
        code: 700,
        reason: 'FACE_TOO_CLOSE',
        message: 'Rostro demasiado cerca',
        source: 'apptenticate',
      },
    });
    expect(ddb).toReceiveCommandWith(GetCommand, { Key: { checkId: CHECK_ID }, ConsistentRead: true });
  });

  it('shows a check awaiting its upload without outcome fields', async () => {
    ddb.on(GetCommand).resolves({
      Item: {
        checkId: CHECK_ID,
        status: 'AWAITING_UPLOAD',
        version: 1,
        createdAt: '2026-11-25T10:00:00.000Z',
        updatedAt: '2026-11-25T10:00:00.000Z',
        attempts: 0,
        uploadExpiresAt: '2026-11-25T10:05:00.000Z',
        sweepStatus: 'AWAITING_UPLOAD',
        sweepAt: '2026-11-25T10:05:00.000Z',
        expiresAt: 1,
      } satisfies CheckItem,
    });
    const { api } = setup();
    expect(body(await api(loadEvent('get-check')))).toEqual({
      checkId: CHECK_ID,
      status: 'AWAITING_UPLOAD',
      createdAt: '2026-11-25T10:00:00.000Z',
      updatedAt: '2026-11-25T10:00:00.000Z',
    });
  });

  it('shows a failure exactly as the event contract does', async () => {
    ddb.on(GetCommand).resolves({
      Item: {
        ...decided,
        status: 'FAILED',
        result: undefined,
        rejection: undefined,
        failure: {
          reason: 'LEASE_EXPIRED',
          message: 'no checker finished this check before its lease ran out',
        },
      },
    });
    const { api } = setup();
    const view = body(await api(loadEvent('get-check')));
    expect(view.failure).toEqual({
      reason: 'LEASE_EXPIRED',
      message: 'no checker finished this check before its lease ran out',
    });
    expect(view).not.toHaveProperty('result');
    expect(view).not.toHaveProperty('rejection');
  });

  it('answers 404 CHECK_NOT_FOUND for an unknown id', async () => {
    ddb.on(GetCommand).resolves({});
    const { api } = setup();
    expectJsonError(await api(loadEvent('get-check')), 404, 'CHECK_NOT_FOUND');
  });

  it('reads the check of an id given in upper case', async () => {
    ddb.on(GetCommand).resolves({ Item: { ...decidedMinimal(), checkId: CHECK_ID } });
    const event = loadEvent('get-check');
    event.pathParameters = { checkId: CHECK_ID.toUpperCase() };
    const { api } = setup();
    const response = await api(event);
    expect(response.statusCode).toBe(200);
    expect(body(response)).toMatchObject({ checkId: CHECK_ID });
    expect(ddb).toReceiveCommandWith(GetCommand, { Key: { checkId: CHECK_ID } });
  });

  it('answers 400 INVALID_CHECK_ID for a malformed id without reading the table', async () => {
    const event = loadEvent('get-check');
    event.pathParameters = { checkId: 'selfies%2F..%2Fx' };
    const { api } = setup();
    expectJsonError(await api(event), 400, 'INVALID_CHECK_ID');
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers 503 when DynamoDB is unavailable', async () => {
    ddb
      .on(GetCommand)
      .rejects(Object.assign(new Error('internal'), { name: 'InternalServerError', $fault: 'server' }));
    const { api } = setup();
    expectJsonError(await api(loadEvent('get-check')), 503, 'SERVICE_UNAVAILABLE');
  });
});

describe('routing', () => {
  it('routes a $default proxy request on a named stage by its raw path', async () => {
    ddb.on(GetCommand).resolves({ Item: { ...decidedMinimal(), checkId: CHECK_ID } });
    const { api } = setup();
    const response = await api(loadEvent('default-route-get-check'));
    expect(response.statusCode).toBe(200);
    expect(ddb).toReceiveCommandWith(GetCommand, { Key: { checkId: CHECK_ID } });
  });

  it('routes POST /checks through a $default route', async () => {
    ddb.on(PutCommand).resolves({});
    const { api } = setup();
    const event = proxyRequest('POST', '/checks');
    event.headers['content-type'] = 'application/json';
    event.body = '{"device":"DESKTOP"}';
    expect((await api(event)).statusCode).toBe(201);
  });

  it('answers 400 for a malformed id in a raw path', async () => {
    const { api } = setup();
    expectJsonError(await api(proxyRequest('GET', '/checks/%E0%A4%A')), 400, 'INVALID_CHECK_ID');
  });

  it.each([
    ['/', 'GET'],
    ['/checks/a/b', 'GET'],
    ['/check', 'POST'],
    ['/prod/checks', 'POST'],
  ])('answers 404 NOT_FOUND for %s', async (path, method) => {
    const { api } = setup();
    expectJsonError(await api(proxyRequest(method, path)), 404, 'NOT_FOUND');
  });

  it.each([
    ['GET', '/checks', 'POST'],
    ['DELETE', '/checks', 'POST'],
    ['PUT', `/checks/${CHECK_ID}`, 'GET'],
    ['DELETE', `/checks/${CHECK_ID}`, 'GET'],
  ])('answers 405 METHOD_NOT_ALLOWED for %s %s and names the allowed method', async (method, path, allow) => {
    const { api } = setup();
    const response = await api(proxyRequest(method, path));
    expectJsonError(response, 405, 'METHOD_NOT_ALLOWED');
    expect(response.headers.allow).toBe(allow);
  });
});

function decidedMinimal(): CheckItem {
  return {
    checkId: CHECK_ID,
    status: 'PASSED',
    version: 3,
    createdAt: '2026-11-25T10:00:00.000Z',
    updatedAt: '2026-11-25T10:01:00.000Z',
    decidedAt: '2026-11-25T10:01:00.000Z',
    attempts: 1,
    result: { valid: true },
    expiresAt: 1,
  };
}
