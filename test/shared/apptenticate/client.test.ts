import { errors, type FormData, MockAgent, Response } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApptenticateClient } from '../../../shared/apptenticate/client.js';
import type { LivenessRequest } from '../../../shared/apptenticate/outcome.js';
import { makePng } from '../../../tools/simulator/images.js';

const BASE = 'https://api.apptenticate.test';
const LIVENESS = '/api/v3/biometrics/liveness/';

interface Captured {
  headers: Record<string, string>;
  body: unknown;
}

let agent: MockAgent;
let client: ApptenticateClient;

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  client = new ApptenticateClient({ baseUrl: `${BASE}/`, dispatcher: agent });
});

afterEach(async () => {
  await client.close();
  await agent.close();
});

function capture(path: string, statusCode: number, data: unknown): Captured {
  const captured: Captured = { headers: {}, body: undefined };
  agent
    .get(BASE)
    .intercept({ path, method: 'POST' })
    .reply((options) => {
      captured.headers = options.headers as Record<string, string>;
      captured.body = options.body;
      return { statusCode, data: typeof data === 'string' ? data : JSON.stringify(data) };
    });
  return captured;
}

/** The chunks of the body the client sent (a stream). */
async function chunksOf(captured: Captured): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of captured.body as AsyncIterable<Uint8Array>) chunks.push(chunk);
  return chunks;
}

/** The multipart body the client sent, parsed as a form. */
async function formOf(captured: Captured): Promise<FormData> {
  const body = Buffer.concat(await chunksOf(captured));
  expect(body.length).toBe(Number(captured.headers['content-length']));
  return await new Response(body, {
    headers: { 'content-type': captured.headers['content-type'] ?? '' },
  }).formData();
}

const selfie = makePng({ width: 120, height: 120, seed: 3 });
const request: LivenessRequest = {
  selfie,
  contentType: 'image/png',
  fileName: 'selfie.png',
  device: 'ANDROID',
};

describe('ApptenticateClient.checkLiveness', () => {
  it('sends the selfie as a file with name and type, device, return_id and details', async () => {
    const captured = capture(LIVENESS, 200, { data: { valid: true, id: 5 } });

    await client.checkLiveness('access-token', request);

    const form = await formOf(captured);
    const file = form.get('selfie') as File;
    expect(file.name).toBe('selfie.png');
    expect(file.type).toBe('image/png');
    expect(Buffer.from(await file.arrayBuffer()).equals(selfie)).toBe(true);
    expect(form.get('device')).toBe('ANDROID');
    expect(form.get('return_id')).toBe('true');
    expect(form.get('details')).toBe('true');
  });

  it("sends the selfie's bytes as they are, without copying them into a Blob", async () => {
    const captured = capture(LIVENESS, 200, { data: { valid: true } });

    await client.checkLiveness('access-token', request);

    expect(await chunksOf(captured)).toContain(selfie);
  });

  it('omits device when the request has none', async () => {
    const captured = capture(LIVENESS, 200, { data: { valid: true } });

    await client.checkLiveness('access-token', { ...request, device: undefined });

    expect((await formOf(captured)).has('device')).toBe(false);
  });

  it('sends the access token as a Bearer authorization header', async () => {
    const captured = capture(LIVENESS, 200, { data: { valid: true } });

    await client.checkLiveness('the-access-token', request);

    expect(captured.headers.authorization).toBe('Bearer the-access-token');
  });

  it('returns the parsed verdict', async () => {
    capture(LIVENESS, 200, { data: { valid: false, message: 'Face to close.', error_code: 700 } });

    await expect(client.checkLiveness('t', request)).resolves.toMatchObject({
      kind: 'rejected',
      reason: 'FACE_TOO_CLOSE',
    });
  });

  it.each([
    ['headers timeout', new errors.HeadersTimeoutError(), 'TIMEOUT'],
    ['body timeout', new errors.BodyTimeoutError(), 'TIMEOUT'],
    ['connect timeout', new errors.ConnectTimeoutError(), 'TIMEOUT'],
    ['socket closed', new errors.SocketError('other side closed'), 'CONNECTION_FAILED'],
    [
      'connection refused',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'CONNECTION_FAILED',
    ],
    [
      'connection reset',
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      'CONNECTION_FAILED',
    ],
  ])('reports a %s as retryable %s', async (_label, error, reason) => {
    agent.get(BASE).intercept({ path: LIVENESS, method: 'POST' }).replyWithError(error);

    await expect(client.checkLiveness('t', request)).resolves.toMatchObject({ kind: 'retryable', reason });
  });

  it('throws for a programming error instead of hiding it', async () => {
    agent
      .get(BASE)
      .intercept({ path: LIVENESS, method: 'POST' })
      .replyWithError(new errors.InvalidArgumentError('bad'));

    await expect(client.checkLiveness('t', request)).rejects.toThrow('bad');
  });

  it('fails a request the mock does not expect, so no real network is used', async () => {
    await expect(client.checkLiveness('t', request)).rejects.toThrow();
  });
});

describe('ApptenticateClient.login', () => {
  it('posts the username and password as a urlencoded form', async () => {
    const captured = capture('/api/token/', 200, { refresh: 'r', access: 'a' });

    await expect(client.login('user@example.com', 'p&ss=word')).resolves.toEqual({
      kind: 'ok',
      refresh: 'r',
      access: 'a',
    });

    expect(captured.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(captured.body as string);
    expect(form.get('username')).toBe('user@example.com');
    expect(form.get('password')).toBe('p&ss=word');
  });

  it('reports refused credentials without the password in the message', async () => {
    capture('/api/token/', 401, { detail: 'No active account found with the given credentials' });

    const outcome = await client.login('user', 'hunter2-secret');

    expect(outcome).toMatchObject({ kind: 'refused', httpStatus: 401 });
    expect(JSON.stringify(outcome)).not.toContain('hunter2-secret');
  });
});

describe('ApptenticateClient.refresh', () => {
  it('posts the refresh token and returns the new access token', async () => {
    const captured = capture('/api/token/refresh/', 200, { access: 'new-access' });

    await expect(client.refresh('the-refresh')).resolves.toEqual({ kind: 'ok', access: 'new-access' });

    expect(new URLSearchParams(captured.body as string).get('refresh')).toBe('the-refresh');
  });

  it('reports a refused refresh token without the token in the message', async () => {
    capture('/api/token/refresh/', 401, { detail: 'Token is invalid or expired', code: 'token_not_valid' });

    const outcome = await client.refresh('refresh-token-marker');

    expect(outcome).toMatchObject({ kind: 'refused' });
    expect(JSON.stringify(outcome)).not.toContain('refresh-token-marker');
  });
});
