import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApptenticateClient } from '../../../shared/apptenticate/client.js';
import { KNOWN_REJECTION_CODES, REJECTION_CODES } from '../../../shared/apptenticate/codes.js';
import { decodeJwtExp } from '../../../shared/apptenticate/jwt.js';
import type { LivenessRequest } from '../../../shared/apptenticate/outcome.js';
import { makeJpeg, makePng } from '../../../tools/simulator/images.js';
import { type Simulator, startSimulator } from '../../../tools/simulator/server.js';

let simulator: Simulator;
let client: ApptenticateClient;
let access: string;
let refresh: string;

const png: LivenessRequest = {
  selfie: makePng({ width: 320, height: 240, seed: 1 }),
  contentType: 'image/png',
  fileName: 'selfie.png',
  device: 'IOS',
};

beforeAll(async () => {
  simulator = await startSimulator();
  client = new ApptenticateClient({ baseUrl: simulator.baseUrl, headersTimeoutMs: 200, bodyTimeoutMs: 200 });
  const login = await client.login(simulator.username, simulator.password);
  if (login.kind !== 'ok') throw new Error(`simulator login failed: ${login.kind}`);
  ({ access, refresh } = login);
});

afterAll(async () => {
  await client.close();
  await simulator.stop();
});

beforeEach(() => {
  simulator.control.reset();
});

describe('auth against the simulator', () => {
  it('logs in and gets JWTs with exp', async () => {
    const outcome = await client.login(simulator.username, simulator.password);

    expect(outcome.kind).toBe('ok');
    if (outcome.kind !== 'ok') return;
    const now = Date.now() / 1000;
    expect(decodeJwtExp(outcome.access)).toBeGreaterThan(now + 250);
    expect(decodeJwtExp(outcome.refresh)).toBeGreaterThan(now + 80_000);
  });

  it('reports wrong credentials as refused', async () => {
    await expect(client.login(simulator.username, 'wrong')).resolves.toMatchObject({
      kind: 'refused',
      httpStatus: 401,
    });
  });

  it('refreshes an access token', async () => {
    const outcome = await client.refresh(refresh);

    expect(outcome.kind).toBe('ok');
    expect(simulator.control.state().counts.refresh).toBe(1);
  });

  it('reports a revoked refresh token as refused', async () => {
    const login = await client.login(simulator.username, simulator.password);
    if (login.kind !== 'ok') throw new Error('login failed');
    simulator.control.revokeRefreshTokens();

    await expect(client.refresh(login.refresh)).resolves.toMatchObject({ kind: 'refused' });

    const relogin = await client.login(simulator.username, simulator.password);
    if (relogin.kind !== 'ok') throw new Error('login failed');
    access = relogin.access;
    refresh = relogin.refresh;
  });

  it('reports an access token used as a refresh token as refused', async () => {
    await expect(client.refresh(access)).resolves.toMatchObject({ kind: 'refused' });
  });

  it('reports an expired access token as auth-refused on the liveness call', async () => {
    const login = await client.login(simulator.username, simulator.password);
    if (login.kind !== 'ok') throw new Error('login failed');
    simulator.control.expireAccessTokens();

    await expect(client.checkLiveness(login.access, png)).resolves.toMatchObject({ kind: 'auth-refused' });

    const fresh = await client.refresh(refresh);
    if (fresh.kind !== 'ok') throw new Error('refresh failed');
    access = fresh.access;
  });

  it('refuses a refresh token presented as an access token', async () => {
    await expect(client.checkLiveness(refresh, png)).resolves.toMatchObject({ kind: 'auth-refused' });
  });
});

describe('liveness against the simulator', () => {
  it('passes a good selfie with transaction id and scores, sending every field', async () => {
    const outcome = await client.checkLiveness(access, png);

    expect(outcome).toMatchObject({ kind: 'passed', transactionId: expect.stringMatching(/^\d+$/) });
    if (outcome.kind !== 'passed') return;
    expect(outcome.quality).toBeGreaterThanOrEqual(0.5);
    expect(outcome.liveness).toBeGreaterThanOrEqual(0.5);
    expect(typeof outcome.score).toBe('number');
    expect(simulator.control.state().lastLiveness).toMatchObject({
      authorization: 'bearer',
      device: 'IOS',
      returnId: 'true',
      details: 'true',
      selfieSize: png.selfie.byteLength,
      selfieFileName: 'selfie.png',
      selfieContentType: 'image/png',
    });
  });

  it('gives the same scores for the same image', async () => {
    const first = await client.checkLiveness(access, png);
    const second = await client.checkLiveness(access, png);

    expect(second).toMatchObject({ score: (first as { score?: number }).score });
  });

  it('reports a string transaction id when the vendor sends a UUID', async () => {
    simulator.control.configure({ idType: 'string' });

    await expect(client.checkLiveness(access, png)).resolves.toMatchObject({
      kind: 'passed',
      transactionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('rejects a tiny JPEG with FACE_TOO_SMALL', async () => {
    const jpeg = {
      selfie: makeJpeg({ width: 64, height: 64 }),
      contentType: 'image/jpeg',
      fileName: 'selfie.jpg',
    };

    await expect(client.checkLiveness(access, jpeg)).resolves.toMatchObject({
      kind: 'rejected',
      code: 706,
      reason: 'FACE_TOO_SMALL',
    });
  });

  it('rejects bytes that are not an image with IMAGE_UNREADABLE', async () => {
    const text = { selfie: Buffer.from('not an image'), contentType: 'image/png', fileName: 'selfie.png' };

    await expect(client.checkLiveness(access, text)).resolves.toMatchObject({ kind: 'rejected', code: 708 });
  });

  describe.each([
    [200, 'number'],
    [400, 'string'],
    [422, 'number'],
  ] as const)('with rejections as HTTP %i and ids as %s', (rejectionStatus, idType) => {
    it.each(KNOWN_REJECTION_CODES)('reports code %i as rejected with its reason', async (code) => {
      simulator.control.configure({
        rejectionStatus,
        idType,
        includeDetailsOnRejection: true,
        includeIdOnRejection: true,
      });
      simulator.control.script({ type: 'rejection', code, endpoint: 'liveness' });

      const outcome = await client.checkLiveness(access, png);

      expect(outcome).toMatchObject({
        kind: 'rejected',
        code,
        reason: REJECTION_CODES[code].reason,
        httpStatus: rejectionStatus,
        transactionId: idType === 'number' ? expect.stringMatching(/^\d+$/) : expect.stringMatching(/-/),
        quality: expect.any(Number),
      });
    });
  });

  it('reports an unknown code as UNKNOWN_CODE', async () => {
    simulator.control.script({ type: 'rejection', code: 799 });

    await expect(client.checkLiveness(access, png)).resolves.toMatchObject({
      kind: 'rejected',
      code: 799,
      reason: 'UNKNOWN_CODE',
    });
  });

  it("reports an empty selfie (DRF's 400 field error on the file) as the image refused", async () => {
    const empty = { selfie: new Uint8Array(), contentType: 'image/png', fileName: 'selfie.png' };

    await expect(client.checkLiveness(access, empty)).resolves.toMatchObject({
      kind: 'image-refused',
      reason: 'IMAGE_REFUSED',
      httpStatus: 400,
    });
  });

  it("reports a selfie over the vendor's size limit (its 400 field error) as the image refused", async () => {
    simulator.control.configure({ maxImageBytes: png.selfie.length - 1 });

    await expect(client.checkLiveness(access, png)).resolves.toMatchObject({
      kind: 'image-refused',
      reason: 'IMAGE_REFUSED',
      httpStatus: 400,
    });
  });

  it.each([
    [429, 'RATE_LIMITED'],
    [500, 'VENDOR_ERROR'],
    [503, 'VENDOR_ERROR'],
  ])('reports HTTP %i as retryable %s', async (status, reason) => {
    simulator.control.script({ type: 'status', status });

    await expect(client.checkLiveness(access, png)).resolves.toMatchObject({
      kind: 'retryable',
      reason,
      httpStatus: status,
    });
  });

  it('reports an answer slower than the headers timeout as retryable TIMEOUT', async () => {
    // undici checks its headers timeout on a ~0.5 s tick, so 200 ms fires within about 1 s.
    simulator.control.script({ type: 'slow', delayMs: 1500 });

    await expect(client.checkLiveness(access, png)).resolves.toMatchObject({
      kind: 'retryable',
      reason: 'TIMEOUT',
    });
  });

  it('reports a dropped connection as retryable CONNECTION_FAILED', async () => {
    simulator.control.script({ type: 'drop' });

    await expect(client.checkLiveness(access, png)).resolves.toMatchObject({
      kind: 'retryable',
      reason: 'CONNECTION_FAILED',
    });
  });

  it('reports a non-JSON 200 as terminal RESPONSE_INVALID', async () => {
    simulator.control.script({ type: 'non-json' });

    await expect(client.checkLiveness(access, png)).resolves.toMatchObject({
      kind: 'terminal',
      reason: 'RESPONSE_INVALID',
    });
  });

  it('reports a refused connection as retryable CONNECTION_FAILED', async () => {
    const stopped = await startSimulator();
    await stopped.stop();
    const offline = new ApptenticateClient({ baseUrl: stopped.baseUrl });

    await expect(offline.checkLiveness(access, png)).resolves.toMatchObject({
      kind: 'retryable',
      reason: 'CONNECTION_FAILED',
    });
    await offline.close();
  });

  it('keeps working on the same client after a timeout and a drop', async () => {
    simulator.control.script({ type: 'slow', delayMs: 1500 }, { type: 'drop' });
    await client.checkLiveness(access, png);
    await client.checkLiveness(access, png);

    await expect(client.checkLiveness(access, png)).resolves.toMatchObject({ kind: 'passed' });
  });
});
