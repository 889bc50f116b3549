import { connect } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeJwtPayload } from '../../../shared/apptenticate/jwt.js';
import { makeJpeg, makePng, paddedPng } from '../../../tools/simulator/images.js';
import { type Simulator, startSimulator } from '../../../tools/simulator/server.js';

let simulator: Simulator;
let access: string;
let refresh: string;

const url = (path: string) => `${simulator.baseUrl}${path}`;

async function control(
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url(`/__control/${path}`), {
    method: body === undefined && path === 'state' ? 'GET' : 'POST',
    ...(body !== undefined
      ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
      : {}),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function login(): Promise<{ access: string; refresh: string }> {
  const response = await fetch(url('/api/token/'), {
    method: 'POST',
    body: new URLSearchParams({ username: simulator.username, password: simulator.password }),
  });
  return (await response.json()) as { access: string; refresh: string };
}

function selfieForm(
  image: Uint8Array | undefined,
  fields: Record<string, string> = {},
  fileName = 'selfie.png',
): FormData {
  const form = new FormData();
  if (image)
    form.append('selfie', new Blob([image as Uint8Array<ArrayBuffer>], { type: 'image/png' }), fileName);
  for (const [name, value] of Object.entries({ return_id: 'True', details: 'True', ...fields }))
    form.append(name, value);
  return form;
}

async function liveness(
  form: FormData,
  token: string | null = access,
): Promise<{ status: number; json: unknown } | 'dropped'> {
  try {
    const response = await fetch(url('/api/v3/biometrics/liveness/'), {
      method: 'POST',
      body: form,
      ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    });
    const text = await response.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: response.status, json };
  } catch {
    return 'dropped';
  }
}

const good = makePng({ width: 300, height: 300, seed: 4 });

beforeAll(async () => {
  simulator = await startSimulator();
  ({ access, refresh } = await login());
});

afterAll(async () => {
  await simulator.stop();
});

beforeEach(async () => {
  await control('reset', {});
});

describe('the simulated API', () => {
  it('issues HS256 JWTs with token_type, exp and jti', async () => {
    const tokens = await login();
    const header = JSON.parse(Buffer.from(tokens.access.split('.')[0] ?? '', 'base64url').toString('utf8'));

    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(decodeJwtPayload(tokens.access)).toMatchObject({ token_type: 'access', jti: expect.any(String) });
    expect(decodeJwtPayload(tokens.refresh)).toMatchObject({ token_type: 'refresh' });
    const now = Date.now() / 1000;
    expect(decodeJwtPayload(tokens.access)?.exp).toBeGreaterThan(now + 290);
    expect(decodeJwtPayload(tokens.access)?.exp).toBeLessThanOrEqual(now + 301);
  });

  it('accepts a multipart login', async () => {
    const form = new FormData();
    form.append('username', simulator.username);
    form.append('password', simulator.password);
    const response = await fetch(url('/api/token/'), { method: 'POST', body: form });

    expect(response.status).toBe(200);
  });

  it('answers DRF field errors for a login without a password', async () => {
    const response = await fetch(url('/api/token/'), {
      method: 'POST',
      body: new URLSearchParams({ username: 'x' }),
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ password: ['This field is required.'] });
  });

  it('passes a good selfie with deterministic scores', async () => {
    const first = await liveness(selfieForm(good));
    const second = await liveness(selfieForm(good));
    const other = await liveness(selfieForm(makePng({ width: 300, height: 300, seed: 5 })));

    expect(first).toMatchObject({ status: 200, json: { data: { valid: true, id: 1000 } } });
    expect(second).toMatchObject({ status: 200, json: { data: { valid: true, id: 1001 } } });
    const scores = (result: typeof first) =>
      (result as { json: { data: { api_response: unknown } } }).json.data.api_response;
    expect(scores(second)).toEqual(scores(first));
    expect(scores(other)).not.toEqual(scores(first));
  });

  it('omits id and scores when return_id and details are not asked', async () => {
    const form = new FormData();
    form.append('selfie', new Blob([good]), 'selfie.png');

    await expect(liveness(form)).resolves.toEqual({ status: 200, json: { data: { valid: true } } });
  });

  it('answers 400 field errors when the selfie is missing', async () => {
    await expect(liveness(selfieForm(undefined))).resolves.toEqual({
      status: 400,
      json: { selfie: ['No file was submitted.'] },
    });
  });

  it('rejects a non-image with 708 and a tiny image with 706', async () => {
    const notImage = await liveness(selfieForm(Buffer.from('GIF89a-but-not-really')));
    const tiny = await liveness(selfieForm(makeJpeg({ width: 40, height: 400 })));

    expect(notImage).toMatchObject({ status: 200, json: { data: { valid: false, error_code: 708 } } });
    expect(tiny).toMatchObject({ status: 200, json: { data: { valid: false, error_code: 706 } } });
  });

  it('answers 400 for a selfie over the size limit', async () => {
    await control('configure', { maxImageBytes: 10_000 });

    const result = await liveness(selfieForm(paddedPng(10_001)));

    expect(result).toMatchObject({ status: 400, json: { selfie: [expect.stringMatching(/too large/)] } });
  });

  it('answers 401 without a Bearer token, with a refresh token, and after expireAccessTokens', async () => {
    expect(await liveness(selfieForm(good), null)).toMatchObject({
      status: 401,
      json: { detail: 'Authentication credentials were not provided.' },
    });
    expect(await liveness(selfieForm(good), refresh)).toMatchObject({
      status: 401,
      json: { code: 'token_not_valid' },
    });

    const tokens = await login();
    await control('expire-access-tokens', {});
    expect(await liveness(selfieForm(good), tokens.access)).toMatchObject({ status: 401 });

    const renewed = await fetch(url('/api/token/refresh/'), {
      method: 'POST',
      body: new URLSearchParams({ refresh: tokens.refresh }),
    });
    access = ((await renewed.json()) as { access: string }).access;
    expect(await liveness(selfieForm(good))).toMatchObject({ status: 200 });
  });

  it('refuses refresh tokens after revoke-refresh-tokens', async () => {
    const tokens = await login();
    await control('revoke-refresh-tokens', {});

    const response = await fetch(url('/api/token/refresh/'), {
      method: 'POST',
      body: new URLSearchParams({ refresh: tokens.refresh }),
    });

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ detail: 'Token is invalid or expired', code: 'token_not_valid' });
  });

  it('answers 404 for unknown paths and 405 for other methods', async () => {
    expect((await fetch(url('/api/v9/nothing/'), { method: 'POST' })).status).toBe(404);
    expect((await fetch(url('/api/token/'))).status).toBe(405);
  });
});

describe('the control API', () => {
  it('counts calls per endpoint and records the last liveness fields but not the bytes', async () => {
    await login();
    await liveness(selfieForm(good, { device: 'ANDROID' }));

    const { json } = await control('state');

    expect(json.counts).toEqual({ login: 1, refresh: 0, liveness: 1 });
    expect(json.lastLiveness).toEqual({
      authorization: 'bearer',
      contentType: 'multipart/form-data',
      device: 'ANDROID',
      returnId: 'True',
      details: 'True',
      selfieSize: good.byteLength,
      selfieFileName: 'selfie.png',
      selfieContentType: 'image/png',
      fields: ['selfie', 'return_id', 'details', 'device'],
    });
  });

  it('plays scripted answers in order, scoped to their endpoint', async () => {
    await control('script', {
      answers: [
        { type: 'rejection', code: 713, endpoint: 'liveness' },
        { type: 'status', status: 503, endpoint: 'liveness', times: 2 },
      ],
    });

    const tokens = await login();
    expect(tokens.access).toBeTruthy();
    expect(await liveness(selfieForm(good))).toMatchObject({
      status: 200,
      json: { data: { valid: false, error_code: 713, message: 'Livenes image quality not acceptable.' } },
    });
    expect(await liveness(selfieForm(good))).toMatchObject({ status: 503 });
    expect(await liveness(selfieForm(good))).toMatchObject({ status: 503 });
    expect(await liveness(selfieForm(good))).toMatchObject({ status: 200, json: { data: { valid: true } } });
  });

  it('plays drop, non-json, slow and a scripted body', async () => {
    await control('script', {
      answers: [
        { type: 'drop' },
        { type: 'non-json' },
        { type: 'slow', delayMs: 100 },
        { type: 'status', status: 400, body: { detail: 'custom' } },
      ],
    });

    expect(await liveness(selfieForm(good))).toBe('dropped');
    expect(await liveness(selfieForm(good))).toMatchObject({
      status: 200,
      json: expect.stringContaining('<html>'),
    });
    const started = Date.now();
    expect(await liveness(selfieForm(good))).toMatchObject({ status: 200 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(await liveness(selfieForm(good))).toEqual({ status: 400, json: { detail: 'custom' } });
  });

  it('counts an ordinary answer whose client gave up waiting as abandoned, and a fault never', async () => {
    await control('configure', { latencyMs: 300 });
    const gaveUp = await fetch(url('/api/v3/biometrics/liveness/'), {
      method: 'POST',
      body: selfieForm(good),
      headers: { authorization: `Bearer ${access}` },
      signal: AbortSignal.timeout(100),
    }).catch((error: unknown) => error);
    expect(gaveUp).toBeInstanceOf(Error);
    await control('configure', { latencyMs: 0 });
    await control('script', { answers: [{ type: 'slow', delayMs: 300 }] });
    await fetch(url('/api/v3/biometrics/liveness/'), {
      method: 'POST',
      body: selfieForm(good),
      headers: { authorization: `Bearer ${access}` },
      signal: AbortSignal.timeout(100),
    }).catch(() => undefined);
    expect(await liveness(selfieForm(good))).toMatchObject({ status: 200 });
    // Both abandoned calls have been answered (or not) by now: the ordinary one was counted once.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const { json } = await control('state');
    expect((json.counts as Record<string, number>).liveness).toBe(3);
    expect(json.abandoned).toEqual({ login: 0, refresh: 0, liveness: 1 });
  });

  it('counts liveness calls per check, named by the selfie file, with their faults', async () => {
    await control('configure', { faultRate: 1, faultDelayMs: 10 });
    await liveness(selfieForm(good, {}, 'check-a.png'));
    await control('configure', { faultRate: 0 });
    await liveness(selfieForm(good, {}, 'check-a.png'));
    await liveness(selfieForm(good, {}, 'check-b.jpg'));
    await new Promise((resolve) => setTimeout(resolve, 50));

    const { json } = await control('state');
    expect(json.livenessByCheck).toEqual({
      'check-a': { paid: 2, randomFaults: 1, abandoned: 0 },
      'check-b': { paid: 1, randomFaults: 0, abandoned: 0 },
    });
  });

  it('counts an answer left unread in the socket its client closed as abandoned, a read one never', async () => {
    // The checker's timer can fire while the answer already sits in its socket (a busy event loop
    // runs timers before it reads): the call was answered in full, and paid, but never used.
    const request = new Request(url('/api/v3/biometrics/liveness/'), {
      method: 'POST',
      body: selfieForm(good, {}, 'check-c.png'),
    });
    const body = Buffer.from(await request.arrayBuffer());
    const head = [
      'POST /api/v3/biometrics/liveness/ HTTP/1.1',
      `Host: ${new URL(simulator.baseUrl).host}`,
      `Authorization: Bearer ${access}`,
      `Content-Type: ${request.headers.get('content-type')}`,
      `Content-Length: ${body.length}`,
      '',
      '',
    ].join('\r\n');
    const call = async (readAnswer: boolean) => {
      const socket = connect(Number(new URL(simulator.baseUrl).port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      let answer = '';
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString();
      });
      socket.write(Buffer.concat([Buffer.from(head), body]));
      await new Promise((resolve) => setTimeout(resolve, 200));
      // Closing with data unread makes the kernel reset the connection; this resets it as such.
      if (readAnswer) socket.destroy();
      else socket.resetAndDestroy();
      return answer;
    };

    expect(await call(true)).toMatch(/^HTTP\/1\.1 200/);
    await call(false);
    await new Promise((resolve) => setTimeout(resolve, 100));

    const { json } = await control('state');
    expect(json.abandoned).toEqual({ login: 0, refresh: 0, liveness: 1 });
    expect(json.livenessByCheck).toEqual({ 'check-c': { paid: 2, randomFaults: 0, abandoned: 1 } });
  });

  it('refuses a malformed script', async () => {
    const { status } = await control('script', { answers: [{ type: 'explode' }] });

    expect(status).toBe(400);
    expect((await control('state')).json.pendingAnswers).toBe(0);
  });

  it('applies variants: rejection status, string ids, details and id on rejection', async () => {
    await control('configure', {
      rejectionStatus: 422,
      idType: 'string',
      includeDetailsOnRejection: true,
      includeIdOnRejection: true,
    });
    await control('script', { answers: [{ type: 'rejection', code: 700 }] });

    const result = await liveness(selfieForm(good));

    expect(result).toMatchObject({
      status: 422,
      json: {
        data: {
          valid: false,
          error_code: 700,
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          api_response: { quality: expect.any(Number) },
        },
      },
    });
  });

  it('injects random faults from a seeded PRNG, repeatably', async () => {
    const run = async () => {
      await control('configure', { faultRate: 0.6, faultSeed: 42, faultDelayMs: 10 });
      const results: string[] = [];
      for (let index = 0; index < 12; index++) {
        const result = await liveness(selfieForm(good));
        results.push(result === 'dropped' ? 'drop' : String(result.status));
      }
      await control('reset', {});
      return results;
    };

    const first = await run();
    const second = await run();

    expect(second).toEqual(first);
    expect(first.some((result) => result !== '200')).toBe(true);
    expect(first).toContain('200');
  });

  it('forgets scripts, counts and variants on reset', async () => {
    await control('configure', { rejectionStatus: 400 });
    await control('script', { answers: [{ type: 'drop', endpoint: 'liveness' }] });
    await login();

    const { json } = await control('reset', {});

    expect(json).toMatchObject({ counts: { login: 0, refresh: 0, liveness: 0 }, pendingAnswers: 0 });
    expect((json.variants as { rejectionStatus: number }).rejectionStatus).toBe(200);
  });

  it('changes the password it expects, as an operator does with the vendor, until reset', async () => {
    const { status, json } = await control('password', { password: 'rotated-password' });
    expect(status).toBe(200);
    expect(JSON.stringify(json)).not.toContain('rotated-password');

    const attempt = (password: string) =>
      fetch(url('/api/token/'), {
        method: 'POST',
        body: new URLSearchParams({ username: simulator.username, password }),
      }).then((r) => r.status);
    expect(await attempt('simulator-password')).toBe(401);
    expect(await attempt('rotated-password')).toBe(200);
    expect(simulator.password).toBe('rotated-password');

    await control('reset', {});
    expect(await attempt('simulator-password')).toBe(200);
    expect((await control('password', {})).status).toBe(400);
  });

  it('answers 404 for an unknown control route', async () => {
    expect((await control('explode', {})).status).toBe(404);
  });

  it('offers the same operations in process', async () => {
    simulator.control.script({ type: 'rejection', code: 799, endpoint: 'liveness' });

    expect(await liveness(selfieForm(good))).toMatchObject({
      json: { data: { valid: false, error_code: 799 } },
    });
    expect(simulator.control.state().counts.liveness).toBe(1);
  });
});
