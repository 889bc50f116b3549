import { Logger } from '@aws-lambda-powertools/logger';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApptenticateClient } from '../../../shared/apptenticate/client.js';
import { decodeJwtExp } from '../../../shared/apptenticate/jwt.js';
import type { LivenessRequest } from '../../../shared/apptenticate/outcome.js';
import {
  AccessTokenProvider,
  AuthorizedLivenessChecker,
  createAuthorizedLivenessChecker,
  parseTokenSecret,
  SecretsManagerTokenSource,
  serializeTokenSecret,
  type TokenSecret,
} from '../../../shared/apptenticate/token-provider.js';
import { RetryableError } from '../../../shared/errors.js';
import { makePng } from '../../../tools/simulator/images.js';
import { type Simulator, startSimulator } from '../../../tools/simulator/server.js';

const SECRET_ID = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:apptenticate-token-AbCdEf';
const silent = new Logger({ logLevel: 'SILENT' });
const sm = mockClient(SecretsManagerClient);
const selfie: LivenessRequest = {
  selfie: makePng({ width: 200, height: 200, seed: 9 }),
  contentType: 'image/png',
  fileName: 'selfie.png',
};

let simulator: Simulator;
let client: ApptenticateClient;
let clock: number;
const now = () => clock;

beforeAll(async () => {
  simulator = await startSimulator();
  client = new ApptenticateClient({ baseUrl: simulator.baseUrl });
});

afterAll(async () => {
  await client.close();
  await simulator.stop();
});

beforeEach(() => {
  sm.reset();
  simulator.control.reset();
  clock = Date.now();
});

async function login(): Promise<{ access: string; refresh: string }> {
  const outcome = await client.login(simulator.username, simulator.password);
  if (outcome.kind !== 'ok') throw new Error(`simulator login failed: ${outcome.kind}`);
  simulator.control.reset();
  return outcome;
}

function secretOf(tokens: { refresh: string; access?: string }): string {
  const secret: TokenSecret = {
    refresh: tokens.refresh,
    refreshExpiresAt: decodeJwtExp(tokens.refresh) ?? 0,
    updatedAt: new Date(clock).toISOString(),
  };
  if (tokens.access) {
    secret.access = tokens.access;
    secret.accessExpiresAt = decodeJwtExp(tokens.access) ?? 0;
  }
  return serializeTokenSecret(secret);
}

function provider(requestTokenRefresh = vi.fn(async () => {})) {
  const source = new SecretsManagerTokenSource({
    secretId: SECRET_ID,
    client: new SecretsManagerClient({ region: 'us-east-1' }),
  });
  return new AccessTokenProvider({ source, client, requestTokenRefresh, now, logger: silent });
}

function checker(requestTokenRefresh = vi.fn(async () => {})) {
  return createAuthorizedLivenessChecker({
    tokenSecretId: SECRET_ID,
    client,
    secretsClient: new SecretsManagerClient({ region: 'us-east-1' }),
    requestTokenRefresh,
    now,
    logger: silent,
  });
}

describe('AccessTokenProvider', () => {
  it('runs one refresh for 20 concurrent callers', async () => {
    const tokens = await login();
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretOf({ refresh: tokens.refresh }) });
    const subject = provider();

    const results = await Promise.all(Array.from({ length: 20 }, () => subject.getAccessToken()));

    expect(simulator.control.state().counts.refresh).toBe(1);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    const first = results[0];
    expect(first?.kind).toBe('ok');
    expect(
      results.every((result) => result.kind === 'ok' && first?.kind === 'ok' && result.token === first.token),
    ).toBe(true);
  });

  it('reuses an access token until shortly before its exp, then renews it', async () => {
    const tokens = await login();
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretOf({ refresh: tokens.refresh }) });
    const subject = provider();

    const first = await subject.getAccessToken();
    if (first.kind !== 'ok') throw new Error('no token');
    const exp = decodeJwtExp(first.token) ?? 0;
    clock = (exp - 31) * 1000;
    const reused = await subject.getAccessToken();
    expect(reused).toEqual(first);
    expect(simulator.control.state().counts.refresh).toBe(1);

    clock = (exp - 29) * 1000;
    const renewed = await subject.getAccessToken();

    expect(simulator.control.state().counts.refresh).toBe(2);
    expect(renewed.kind === 'ok' && renewed.token).not.toBe(first.token);
  });

  it('uses the access token stored in the secret while it is valid', async () => {
    const tokens = await login();
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretOf(tokens) });

    await expect(provider().getAccessToken()).resolves.toEqual({ kind: 'ok', token: tokens.access });
    expect(simulator.control.state().counts.refresh).toBe(0);
  });

  it('reports a vendor that is down during refresh as retryable', async () => {
    const tokens = await login();
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretOf({ refresh: tokens.refresh }) });
    simulator.control.script({ type: 'status', status: 503, endpoint: 'refresh' });

    await expect(provider().getAccessToken()).resolves.toMatchObject({
      kind: 'retryable',
      reason: 'VENDOR_ERROR',
    });
  });

  it('throws RetryableError when Secrets Manager throttles', async () => {
    sm.on(GetSecretValueCommand).rejects(
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' }),
    );

    await expect(provider().getAccessToken()).rejects.toBeInstanceOf(RetryableError);
  });

  it('throws RetryableError naming what to check when access to the secret is denied', async () => {
    sm.on(GetSecretValueCommand).rejects(
      Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $fault: 'client' }),
    );

    await expect(provider().getAccessToken()).rejects.toThrow(/TOKEN_SECRET_ARN/);
  });

  it('asks the refresher to run when the token secret has no value yet', async () => {
    sm.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({ message: 'no AWSCURRENT', $metadata: {} }),
    );
    const requestTokenRefresh = vi.fn(async () => {});

    await expect(provider(requestTokenRefresh).getAccessToken()).resolves.toMatchObject({
      kind: 'auth-refused',
    });
    expect(requestTokenRefresh).toHaveBeenCalledWith({ force: true, reason: 'token-secret-unusable' });
  });

  it('ignores the invalidation of a token that was already replaced', async () => {
    const tokens = await login();
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretOf({ refresh: tokens.refresh }) });
    const subject = provider();
    const current = await subject.getAccessToken();

    subject.invalidate('some-older-token');

    await expect(subject.getAccessToken()).resolves.toEqual(current);
    expect(simulator.control.state().counts.refresh).toBe(1);
  });
});

describe('AuthorizedLivenessChecker', () => {
  it('refreshes after a 401 and retries once successfully', async () => {
    const tokens = await login();
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretOf(tokens) });
    simulator.control.script({ type: 'status', status: 401, endpoint: 'liveness' });

    const outcome = await checker().checkLiveness(selfie);

    expect(outcome.kind).toBe('passed');
    expect(simulator.control.state().counts).toMatchObject({ liveness: 2, refresh: 1 });
  });

  it('re-reads the secret when the refresh token is refused and succeeds with the rotated one', async () => {
    const old = await login();
    simulator.control.revokeRefreshTokens();
    const rotated = await login();
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: secretOf({ refresh: old.refresh }) })
      .resolves({ SecretString: secretOf({ refresh: rotated.refresh }) });
    const requestTokenRefresh = vi.fn(async () => {});

    const outcome = await checker(requestTokenRefresh).checkLiveness(selfie);

    expect(outcome.kind).toBe('passed');
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
    expect(simulator.control.state().counts.refresh).toBe(2);
    expect(requestTokenRefresh).not.toHaveBeenCalled();
  });

  it('asks the refresher once per interval and reports auth-refused while every refresh token is refused', async () => {
    const old = await login();
    simulator.control.revokeRefreshTokens();
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretOf({ refresh: old.refresh }) });
    const requestTokenRefresh = vi.fn(async () => {});
    const subject = checker(requestTokenRefresh);

    await expect(subject.checkLiveness(selfie)).resolves.toMatchObject({ kind: 'auth-refused' });
    clock += 60_000;
    await expect(subject.checkLiveness(selfie)).resolves.toMatchObject({ kind: 'auth-refused' });
    clock += 60_000;
    await expect(subject.checkLiveness(selfie)).resolves.toMatchObject({ kind: 'auth-refused' });

    expect(requestTokenRefresh).toHaveBeenCalledTimes(1);
    expect(requestTokenRefresh).toHaveBeenCalledWith({ force: true, reason: 'refresh-token-refused' });
    // The refused refresh token is not sent again, and the liveness endpoint is never paid for.
    expect(simulator.control.state().counts).toMatchObject({ refresh: 1, liveness: 0 });

    clock += 300_000;
    await subject.checkLiveness(selfie);
    expect(requestTokenRefresh).toHaveBeenCalledTimes(2);
  });

  it('reports auth-refused when a freshly refreshed token is refused too', async () => {
    const tokens = await login();
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretOf(tokens) });
    simulator.control.script({ type: 'status', status: 401, endpoint: 'liveness', times: 2 });

    await expect(checker().checkLiveness(selfie)).resolves.toMatchObject({ kind: 'auth-refused' });
    expect(simulator.control.state().counts.liveness).toBe(2);
  });

  it('returns verdicts and failures of the liveness call unchanged', async () => {
    const fakeClient = {
      checkLiveness: vi.fn(
        async () => ({ kind: 'retryable', reason: 'RATE_LIMITED', message: 'x' }) as const,
      ),
    };
    const tokens = {
      getAccessToken: vi.fn(async () => ({ kind: 'ok', token: 't' }) as const),
      invalidate: vi.fn(),
    };
    const subject = new AuthorizedLivenessChecker({ client: fakeClient, tokens, logger: silent });

    await expect(subject.checkLiveness(selfie)).resolves.toMatchObject({
      kind: 'retryable',
      reason: 'RATE_LIMITED',
    });
    expect(tokens.invalidate).not.toHaveBeenCalled();
  });
});

describe('parseTokenSecret', () => {
  it('reads the documented shape', () => {
    const text = JSON.stringify({
      refresh: 'r',
      refreshExpiresAt: 10,
      access: 'a',
      accessExpiresAt: 5,
      updatedAt: '2026-01-01T00:00:00Z',
    });
    expect(parseTokenSecret(text)).toEqual({
      refresh: 'r',
      refreshExpiresAt: 10,
      access: 'a',
      accessExpiresAt: 5,
      updatedAt: '2026-01-01T00:00:00Z',
    });
  });

  it.each([
    ['empty', ''],
    ['not JSON', 'abc'],
    ['without refresh', JSON.stringify({ refreshExpiresAt: 1, updatedAt: '2026-01-01T00:00:00Z' })],
    [
      'with a string expiry',
      JSON.stringify({ refresh: 'r', refreshExpiresAt: '1', updatedAt: '2026-01-01T00:00:00Z' }),
    ],
    ['with a bad date', JSON.stringify({ refresh: 'r', refreshExpiresAt: 1, updatedAt: 'yesterday' })],
  ])('rejects a value that is %s', (_label, text) => {
    expect(parseTokenSecret(text)).toBeUndefined();
  });
});
