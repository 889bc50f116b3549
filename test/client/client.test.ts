import { describe, expect, it } from 'vitest';
import {
  API_ERROR_CLASSES,
  ApiServerError,
  bearerToken,
  CheckNotFoundError,
  createLivenessClient,
  InvalidRequestError,
  type IssuedCheck,
  NetworkError,
  NotAuthorizedError,
  RateLimitedError,
  RouteNotFoundError,
  SelfieRejectedError,
  ServiceUnavailableError,
} from '../../client/index.js';
import { API_ERRORS } from '../../functions/api/validation.js';
import { makeJpeg, makePng } from '../../tools/simulator/images.js';
import { fakeFetch, steppingClock } from '../support/fake-fetch.js';

const BASE = 'https://api.example.test';
const CHECK_ID = '3f6c1a2e-8b4d-4c1f-9a7e-2d5b6c8e9f01';
const issued: IssuedCheck = {
  checkId: CHECK_ID,
  status: 'AWAITING_UPLOAD',
  upload: {
    url: 'https://bucket.s3.example.test/',
    fields: {
      key: `selfies/${CHECK_ID}`,
      'Content-Type': 'image/jpeg',
      Policy: 'cG9saWN5',
      'X-Amz-Signature': 'f00d',
    },
    expiresAt: '2026-11-30T10:05:00.000Z',
    maxBytes: 2_097_152,
  },
};
const view = (status: string, extra: Record<string, unknown> = {}) => ({
  json: { checkId: CHECK_ID, status, createdAt: 'x', updatedAt: 'x', ...extra },
  status: 200,
});

describe('createCheck', () => {
  it('posts the request as JSON to /checks and answers the issued check', async () => {
    const fetch = fakeFetch({ status: 201, json: issued });
    const client = createLivenessClient({ baseUrl: `${BASE}/`, fetch });
    await expect(client.createCheck({ device: 'IOS', reference: 'order-1' })).resolves.toEqual(issued);
    expect(fetch.seen).toEqual([
      {
        url: `${BASE}/checks`,
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        body: '{"device":"IOS","reference":"order-1"}',
      },
    ]);
  });

  it('shows the auth hook exactly the request it sends and adds the headers it returns, except host', async () => {
    const fetch = fakeFetch({ status: 201, json: issued });
    const signed: unknown[] = [];
    const client = createLivenessClient({
      baseUrl: BASE,
      fetch,
      auth: (request) => {
        signed.push(request);
        return {
          Authorization: 'AWS4-HMAC-SHA256 sig',
          'X-Amz-Date': '20261130T100000Z',
          host: 'api.example.test',
        };
      },
    });
    await client.createCheck({ reference: 'r' });
    expect(signed).toEqual([
      {
        method: 'POST',
        url: `${BASE}/checks`,
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        body: '{"reference":"r"}',
      },
    ]);
    expect(fetch.seen[0]?.headers).toEqual({
      accept: 'application/json',
      'content-type': 'application/json',
      authorization: 'AWS4-HMAC-SHA256 sig',
      'x-amz-date': '20261130T100000Z',
    });
  });

  it('sends a fresh bearer token on every request', async () => {
    const fetch = fakeFetch({ status: 201, json: issued });
    let n = 0;
    const client = createLivenessClient({
      baseUrl: BASE,
      fetch,
      auth: bearerToken(async () => `token-${++n}`),
    });
    await client.createCheck();
    await client.createCheck();
    expect(fetch.seen.map((r) => r.headers.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
  });
});

describe('errors', () => {
  it('has a class for every error code the api function answers', () => {
    const missing = Object.keys(API_ERRORS).filter((code) => !Object.hasOwn(API_ERROR_CLASSES, code));
    expect(missing).toEqual([]);
  });

  it.each([
    ['INVALID_DEVICE', 400, InvalidRequestError],
    ['UNSUPPORTED_MEDIA_TYPE', 415, InvalidRequestError],
    ['PAYLOAD_TOO_LARGE', 413, InvalidRequestError],
    ['CHECK_NOT_FOUND', 404, CheckNotFoundError],
    ['NOT_FOUND', 404, RouteNotFoundError],
    ['METHOD_NOT_ALLOWED', 405, RouteNotFoundError],
    ['INTERNAL_ERROR', 500, ApiServerError],
    ['SERVICE_UNAVAILABLE', 503, ServiceUnavailableError],
    ['UNAUTHENTICATED', 401, NotAuthorizedError],
    ['OWNER_RATE_LIMITED', 429, RateLimitedError],
    ['OPEN_CHECKS_LIMITED', 429, RateLimitedError],
    ['OWNER_DAILY_LIMITED', 429, RateLimitedError],
    ['CHECK_BUDGET_EXHAUSTED', 429, RateLimitedError],
  ])('throws %s (%i) as %o with its code, status and message', async (code, status, ErrorClass) => {
    const client = createLivenessClient({
      baseUrl: BASE,
      fetch: fakeFetch({ status, json: { error: { code, message: 'what went wrong' } } }),
    });
    const error = await client.createCheck().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error).toMatchObject({ code, status, message: 'what went wrong', name: ErrorClass.name });
  });

  it('throws a 429 as RateLimitedError with the Retry-After delay, in seconds or as a date', async () => {
    const { clock } = steppingClock(Date.parse('2026-11-30T10:00:00.000Z'));
    const answers = [
      {
        status: 429,
        json: { error: { code: 'TOO_MANY_OPEN_CHECKS', message: 'm' } },
        headers: { 'retry-after': '7' },
      },
      {
        status: 429,
        json: { message: 'Too Many Requests' },
        headers: { 'retry-after': 'Mon, 30 Nov 2026 10:00:30 GMT' },
      },
    ];
    const client = createLivenessClient({ baseUrl: BASE, clock, fetch: fakeFetch(...answers) });
    const first = await client.createCheck().catch((e: unknown) => e);
    expect(first).toBeInstanceOf(RateLimitedError);
    expect(first).toMatchObject({ code: 'TOO_MANY_OPEN_CHECKS', retryAfterMs: 7000 });
    expect(await client.createCheck().catch((e: unknown) => e)).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      retryAfterMs: 30_000,
      message: 'Too Many Requests',
    });
  });

  it("throws API Gateway's own 401 and 403 as NotAuthorizedError", async () => {
    const client = createLivenessClient({
      baseUrl: BASE,
      fetch: fakeFetch(
        { status: 401, json: { message: 'Unauthorized' } },
        { status: 403, json: { message: 'Forbidden' } },
      ),
    });
    expect(await client.getCheck(CHECK_ID).catch((e: unknown) => e)).toMatchObject({
      name: 'NotAuthorizedError',
      code: 'UNAUTHORIZED',
    });
    const forbidden = await client.getCheck(CHECK_ID).catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(NotAuthorizedError);
    expect(forbidden).toMatchObject({ code: 'FORBIDDEN', status: 403 });
  });

  it('throws an unreachable API as NetworkError with the cause', async () => {
    const cause = new TypeError('fetch failed');
    const client = createLivenessClient({ baseUrl: BASE, fetch: fakeFetch(cause) });
    const error = await client.getCheck(CHECK_ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).cause).toBe(cause);
  });

  it('throws a 2xx without JSON as ApiServerError INVALID_RESPONSE', async () => {
    const client = createLivenessClient({ baseUrl: BASE, fetch: fakeFetch({ status: 200, text: '<html>' }) });
    expect(await client.getCheck(CHECK_ID).catch((e: unknown) => e)).toMatchObject({
      name: 'ApiServerError',
      code: 'INVALID_RESPONSE',
    });
  });
});

describe('getCheck', () => {
  it('reads /checks/{checkId} with the id encoded', async () => {
    const fetch = fakeFetch(view('CHECKING'));
    const client = createLivenessClient({ baseUrl: BASE, fetch });
    await expect(client.getCheck('a/b')).resolves.toMatchObject({ status: 'CHECKING' });
    expect(fetch.seen[0]).toMatchObject({ method: 'GET', url: `${BASE}/checks/a%2Fb` });
    expect(fetch.seen[0]?.headers['content-type']).toBeUndefined();
  });
});

describe('checkSelfie', () => {
  it('pre-checks, creates a check with the sniffed content type, uploads, then polls to the verdict', async () => {
    const { clock } = steppingClock();
    const fetch = fakeFetch(
      {
        status: 201,
        json: { ...issued, upload: { ...issued.upload, expiresAt: '2026-11-30T10:05:00.000Z' } },
      },
      { status: 204 },
      view('CHECKING'),
      view('PASSED', { result: { valid: true } }),
    );
    const stages: string[] = [];
    const client = createLivenessClient({ baseUrl: BASE, fetch, clock });
    const check = await client.checkSelfie(makePng({ width: 200, height: 200 }), {
      device: 'ANDROID',
      onStage: (stage, id) => stages.push(`${stage} ${id}`),
    });
    expect(check).toMatchObject({ status: 'PASSED' });
    expect(stages).toEqual([`uploading ${CHECK_ID}`, `checking ${CHECK_ID}`]);
    expect(fetch.seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      `POST ${BASE}/checks`,
      `POST ${issued.upload.url}`,
      `GET ${BASE}/checks/${CHECK_ID}`,
      `GET ${BASE}/checks/${CHECK_ID}`,
    ]);
    expect(fetch.seen[0]?.body).toBe('{"contentType":"image/png","device":"ANDROID"}');
  });

  it.each([
    ['a PDF', Buffer.from('%PDF-1.7\n'), 'UNSUPPORTED_IMAGE_FORMAT', {}],
    ['an empty file', Buffer.alloc(0), 'EMPTY_OBJECT', {}],
    ['a thumbnail', makePng({ width: 16, height: 16 }), 'IMAGE_TOO_SMALL', { minSidePx: 64 }],
    [
      'a huge image',
      makeJpeg({ width: 12_000, height: 9000 }),
      'IMAGE_DIMENSIONS_INVALID',
      { maxSidePx: 10_000 },
    ],
    [
      'a PNG where only JPEG is taken',
      makePng({ width: 200, height: 200 }),
      'UNSUPPORTED_IMAGE_FORMAT',
      { contentTypes: ['image/jpeg'] },
    ],
    ['a file over the limit', makePng({ width: 200, height: 200 }), 'OBJECT_TOO_LARGE', { maxBytes: 100 }],
  ])(
    'refuses %s before sending anything, with the reason the pipeline would record',
    async (_, bytes, reason, limits) => {
      const fetch = fakeFetch({ status: 500, json: {} });
      const client = createLivenessClient({ baseUrl: BASE, fetch });
      const error = await client.checkSelfie(bytes, { limits }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SelfieRejectedError);
      expect(error).toMatchObject({ reason });
      expect(fetch.seen).toEqual([]);
    },
  );

  it("refuses a selfie over the upload form's maxBytes before uploading it", async () => {
    const fetch = fakeFetch({
      status: 201,
      json: { ...issued, upload: { ...issued.upload, maxBytes: 1024 } },
    });
    const client = createLivenessClient({ baseUrl: BASE, fetch, clock: steppingClock().clock });
    const error = await client
      .checkSelfie(makePng({ width: 300, height: 300, seed: 3 }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SelfieRejectedError', reason: 'OBJECT_TOO_LARGE' });
    expect(fetch.seen.map((r) => r.url)).toEqual([`${BASE}/checks`]);
  });
});
