import { Logger } from '@aws-lambda-powertools/logger';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it, vi } from 'vitest';
import {
  AccessTokenProvider,
  type AccessTokenProviderOptions,
} from '../../../shared/apptenticate/access-token-provider.js';
import { decodeJwtExp } from '../../../shared/apptenticate/jwt.js';
import type { RefreshOutcome } from '../../../shared/apptenticate/outcome.js';
import {
  type TokenSecret,
  type TokenSecretRead,
  TokenSecretStore,
} from '../../../shared/apptenticate/token-secret.js';
import { RetryableError } from '../../../shared/errors.js';
import { SECRET_ID, silent, useTokenTestbed } from './helpers.js';

const bed = useTokenTestbed();

function provider(requestTokenRefresh = vi.fn(async () => {})) {
  const source = new TokenSecretStore({
    secretId: SECRET_ID,
    client: new SecretsManagerClient({ region: 'us-east-1' }),
  });
  return new AccessTokenProvider({
    source,
    client: bed.client,
    requestTokenRefresh,
    now: bed.now,
    logger: silent,
  });
}

describe('AccessTokenProvider', () => {
  it('runs one refresh for 20 concurrent callers', async () => {
    const tokens = await bed.login();
    bed.sm.on(GetSecretValueCommand).resolves({ SecretString: bed.secretOf({ refresh: tokens.refresh }) });
    const subject = provider();

    const results = await Promise.all(Array.from({ length: 20 }, () => subject.getAccessToken()));

    expect(bed.simulator.control.state().counts.refresh).toBe(1);
    expect(bed.sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    const first = results[0];
    expect(first?.kind).toBe('ok');
    expect(
      results.every((result) => result.kind === 'ok' && first?.kind === 'ok' && result.token === first.token),
    ).toBe(true);
  });

  it('reuses an access token until shortly before its exp, then renews it', async () => {
    const tokens = await bed.login();
    bed.sm.on(GetSecretValueCommand).resolves({ SecretString: bed.secretOf({ refresh: tokens.refresh }) });
    const subject = provider();

    const first = await subject.getAccessToken();
    if (first.kind !== 'ok') throw new Error('no token');
    const exp = decodeJwtExp(first.token) ?? 0;
    bed.clock = (exp - 31) * 1000;
    const reused = await subject.getAccessToken();
    expect(reused).toEqual(first);
    expect(bed.simulator.control.state().counts.refresh).toBe(1);

    bed.clock = (exp - 29) * 1000;
    const renewed = await subject.getAccessToken();

    expect(bed.simulator.control.state().counts.refresh).toBe(2);
    expect(renewed.kind === 'ok' && renewed.token).not.toBe(first.token);
  });

  it('uses the access token stored in the secret while it is valid', async () => {
    const tokens = await bed.login();
    bed.sm.on(GetSecretValueCommand).resolves({ SecretString: bed.secretOf(tokens) });

    await expect(provider().getAccessToken()).resolves.toEqual({ kind: 'ok', token: tokens.access });
    expect(bed.simulator.control.state().counts.refresh).toBe(0);
  });

  it('reports a vendor that is down during refresh as retryable', async () => {
    const tokens = await bed.login();
    bed.sm.on(GetSecretValueCommand).resolves({ SecretString: bed.secretOf({ refresh: tokens.refresh }) });
    bed.simulator.control.script({ type: 'status', status: 503, endpoint: 'refresh' });

    await expect(provider().getAccessToken()).resolves.toMatchObject({
      kind: 'retryable',
      reason: 'VENDOR_ERROR',
    });
  });

  it('throws RetryableError when Secrets Manager throttles', async () => {
    bed.sm
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' }));

    await expect(provider().getAccessToken()).rejects.toBeInstanceOf(RetryableError);
  });

  it('throws RetryableError naming what to check when access to the secret is denied', async () => {
    bed.sm
      .on(GetSecretValueCommand)
      .rejects(
        Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $fault: 'client' }),
      );

    await expect(provider().getAccessToken()).rejects.toThrow(
      /token secret's ARN.*secretsmanager:GetSecretValue permission/,
    );
  });

  it('asks the refresher to run when the token secret has no value yet', async () => {
    bed.sm
      .on(GetSecretValueCommand)
      .rejects(new ResourceNotFoundException({ message: 'no AWSCURRENT', $metadata: {} }));
    const requestTokenRefresh = vi.fn(async () => {});

    await expect(provider(requestTokenRefresh).getAccessToken()).resolves.toMatchObject({
      kind: 'auth-refused',
    });
    expect(requestTokenRefresh).toHaveBeenCalledWith({ force: true, reason: 'token-secret-unusable' });
  });

  it('ignores the invalidation of a token that was already replaced', async () => {
    const tokens = await bed.login();
    bed.sm.on(GetSecretValueCommand).resolves({ SecretString: bed.secretOf({ refresh: tokens.refresh }) });
    const subject = provider();
    const current = await subject.getAccessToken();

    subject.invalidate('some-older-token');

    await expect(subject.getAccessToken()).resolves.toEqual(current);
    expect(bed.simulator.control.state().counts.refresh).toBe(1);
  });
});

describe('AccessTokenProvider with a caller deadline', () => {
  it('lets a caller whose deadline passes stop waiting, while the shared refresh still serves the next', async () => {
    const tokens = await bed.login();
    bed.sm.on(GetSecretValueCommand).resolves({ SecretString: bed.secretOf({ refresh: tokens.refresh }) });
    bed.simulator.control.script({ type: 'slow', delayMs: 1_000, endpoint: 'refresh' });
    const subject = provider();
    const hurried = new AbortController();

    const first = subject.getAccessToken({ signal: hurried.signal });
    const second = subject.getAccessToken();
    hurried.abort();

    await expect(first).resolves.toMatchObject({ kind: 'retryable', reason: 'TIMEOUT' });
    await expect(second).resolves.toMatchObject({ kind: 'ok' });
    expect(bed.simulator.control.state().counts.refresh).toBe(1);
  });
});

// The provider over plain fakes and a clock the tests move: no simulator, no Secrets Manager.

/** A JWT carrying these claims (unsigned: the provider only reads `exp` and `iat`). */
function jwt(claims: { exp?: number; iat?: number }, id = 'x'): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none' })}.${part({ ...claims, jti: id })}.sig`;
}

/** Epoch ms the tests start at: 1,000,000 s. */
const T0 = 1_000_000_000;
const secondsAt = (ms: number) => ms / 1000;

/**
 * A provider over plain fakes: a token secret that holds `secret` (or the read answers given), a
 * refresh endpoint that answers `refreshes` in turn (then a fresh 100 s token), and a clock tests move.
 */
function setup(
  options: {
    secret?: Partial<TokenSecret>;
    reads?: TokenSecretRead[];
    refreshes?: RefreshOutcome[];
    provider?: Partial<AccessTokenProviderOptions>;
  } = {},
) {
  let clock = T0;
  const secret: TokenSecret = {
    refresh: 'refresh-1',
    refreshExpiresAt: secondsAt(T0) + 86_400,
    updatedAt: new Date(T0).toISOString(),
    ...options.secret,
  };
  const reads: { force?: boolean }[] = [];
  const source = {
    read: vi.fn(async (readOptions: { force?: boolean } = {}) => {
      reads.push(readOptions);
      return options.reads?.shift() ?? ({ kind: 'found', secret } as const);
    }),
  };
  let minted = 0;
  const refresh = vi.fn(async (_token: string): Promise<RefreshOutcome> => {
    const scripted = options.refreshes?.shift();
    if (scripted) return scripted;
    minted++;
    const iat = Math.floor(secondsAt(clock));
    return { kind: 'ok', access: jwt({ iat, exp: iat + 100 }, `minted-${minted}`) };
  });
  const requestTokenRefresh = vi.fn(async () => {});
  const logger = new Logger({ logLevel: 'SILENT' });
  const provider = new AccessTokenProvider({
    source,
    client: { refresh },
    requestTokenRefresh,
    now: () => clock,
    logger,
    ...options.provider,
  });
  return {
    provider,
    refresh,
    reads,
    requestTokenRefresh,
    logger,
    setClock: (ms: number) => {
      clock = ms;
    },
  };
}

async function tokenOf(provider: AccessTokenProvider): Promise<string> {
  const result = await provider.getAccessToken();
  if (result.kind !== 'ok') throw new Error(`no token: ${result.kind}`);
  return result.token;
}

const refused = { kind: 'refused', httpStatus: 401, message: 'refused' } as const;

describe('AccessTokenProvider renewal', () => {
  it('reuses a minted token until a quarter of its lifetime (at most 30 s) before it lapses, from memory', async () => {
    const { provider, refresh, reads, setClock } = setup();
    const first = await tokenOf(provider);
    // 100 s lifetime from the ask: renewed 25 s before it lapses.
    setClock(T0 + 74_999);
    expect(await tokenOf(provider)).toBe(first);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(reads).toHaveLength(1);
    setClock(T0 + 75_000);
    expect(await tokenOf(provider)).not.toBe(first);
    expect(refresh).toHaveBeenCalledTimes(2);
  });

  it('assumes a 300 s lifetime for a token whose exp cannot be read, renewed 30 s before', async () => {
    const { provider, refresh, setClock } = setup({ refreshes: [{ kind: 'ok', access: 'opaque-token' }] });
    expect(await tokenOf(provider)).toBe('opaque-token');
    setClock(T0 + 269_999);
    expect(await tokenOf(provider)).toBe('opaque-token');
    setClock(T0 + 270_000);
    await tokenOf(provider);
    expect(refresh).toHaveBeenCalledTimes(2);
  });

  it('takes the access token stored in the secret while it is valid, from memory, and renews it in time', async () => {
    const iat = secondsAt(T0) - 10;
    const stored = jwt({ iat, exp: iat + 100 }, 'stored');
    const { provider, refresh, reads, setClock } = setup({ secret: { access: stored } });
    expect(await tokenOf(provider)).toBe(stored);
    expect(refresh).not.toHaveBeenCalled();
    // Lapses at T0 + 90 s, renewed 25 s before.
    setClock(T0 + 64_999);
    expect(await tokenOf(provider)).toBe(stored);
    expect(reads).toHaveLength(1);
    setClock(T0 + 65_000);
    expect(await tokenOf(provider)).not.toBe(stored);
  });

  it.each([
    ['has lapsed', { access: jwt({ iat: secondsAt(T0) - 200, exp: secondsAt(T0) - 100 }, 'old') }],
    ['is due for renewal now', { access: jwt({ iat: secondsAt(T0) - 75, exp: secondsAt(T0) + 25 }, 'due') }],
    ['has no known expiry', { access: 'opaque-stored-token' }],
  ])('refreshes instead of using a stored access token that %s', async (_label, secret) => {
    const { provider, refresh } = setup({ secret });
    expect(await tokenOf(provider)).not.toBe(secret.access);
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('never sends a refresh token at its refreshExpiresAt: the secret is read again and the refresher asked', async () => {
    const { provider, refresh, reads, requestTokenRefresh } = setup({
      secret: { refreshExpiresAt: secondsAt(T0) },
    });
    expect(await provider.getAccessToken()).toMatchObject({ kind: 'auth-refused', httpStatus: 401 });
    expect(refresh).not.toHaveBeenCalled();
    expect(reads).toEqual([{}, { force: true }]);
    expect(requestTokenRefresh).toHaveBeenCalledWith({ force: true, reason: 'refresh-token-refused' });
  });
});

describe('AccessTokenProvider.invalidate', () => {
  it('drops the token in use, so the next caller gets a new one', async () => {
    const { provider, refresh } = setup();
    const first = await tokenOf(provider);
    provider.invalidate(first);
    expect(await tokenOf(provider)).not.toBe(first);
    expect(refresh).toHaveBeenCalledTimes(2);
  });

  it('takes an invalidation before any token was handed out', async () => {
    const { provider } = setup();
    provider.invalidate('never-handed-out');
    await expect(tokenOf(provider)).resolves.toBeTypeOf('string');
  });

  it('never reuses the stored access token once refused, among the last 8 refused', async () => {
    const iat = secondsAt(T0) - 10;
    const stored = jwt({ iat, exp: iat + 100 }, 'stored');
    const { provider } = setup({ secret: { access: stored } });
    expect(await tokenOf(provider)).toBe(stored);
    provider.invalidate(stored);
    for (let i = 1; i <= 7; i++) provider.invalidate(`other-${i}`);
    // 8 refused tokens remembered: the stored one among them.
    const renewed = await tokenOf(provider);
    expect(renewed).not.toBe(stored);
    provider.invalidate(renewed);
    // The 9th pushed the stored one out: it is taken again while it is valid.
    expect(await tokenOf(provider)).toBe(stored);
  });
});

describe('AccessTokenProvider when refresh tokens are refused', () => {
  it('reads the secret again bypassing the cache at most once per 30 s', async () => {
    const { provider, reads, setClock } = setup({ refreshes: Array(10).fill(refused) });
    await provider.getAccessToken();
    expect(reads).toEqual([{}, { force: true }]);
    setClock(T0 + 29_999);
    await provider.getAccessToken();
    expect(reads.filter((r) => r.force)).toHaveLength(1);
    setClock(T0 + 30_000);
    await provider.getAccessToken();
    expect(reads.filter((r) => r.force)).toHaveLength(2);
  });

  it('never sends a refused refresh token again', async () => {
    const { provider, refresh } = setup({ refreshes: [refused] });
    await provider.getAccessToken();
    await provider.getAccessToken();
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('asks the token-refresher to log in at most once per 300 s', async () => {
    const { provider, requestTokenRefresh, setClock } = setup({ refreshes: [refused] });
    const outcome = await provider.getAccessToken();
    expect(outcome).toMatchObject({ kind: 'auth-refused', httpStatus: 401 });
    expect(outcome.kind === 'auth-refused' && outcome.message).toMatch(/token-refresher was asked to log in/);
    setClock(T0 + 299_999);
    await provider.getAccessToken();
    expect(requestTokenRefresh).toHaveBeenCalledTimes(1);
    setClock(T0 + 300_000);
    await provider.getAccessToken();
    expect(requestTokenRefresh).toHaveBeenCalledTimes(2);
  });

  it('says so in its log when it has no way to ask the token-refresher', async () => {
    const { provider, logger } = setup({
      refreshes: [refused],
      provider: { requestTokenRefresh: undefined },
    });
    const error = vi.spyOn(logger, 'error');
    await expect(provider.getAccessToken()).resolves.toMatchObject({ kind: 'auth-refused' });
    expect(error).toHaveBeenCalledWith('no usable refresh token and no way to ask the token-refresher', {
      reason: 'refresh-token-refused',
    });
  });

  it('logs a failed request to the token-refresher and still reports auth-refused', async () => {
    const { provider, logger, requestTokenRefresh } = setup({ refreshes: [refused] });
    requestTokenRefresh.mockRejectedValueOnce(new Error('TooManyRequestsException'));
    const error = vi.spyOn(logger, 'error');
    await expect(provider.getAccessToken()).resolves.toMatchObject({ kind: 'auth-refused' });
    expect(error).toHaveBeenCalledWith(
      'asking the token-refresher failed',
      expect.objectContaining({ reason: 'refresh-token-refused' }),
    );
  });

  it('logs through a logger of its own when given none', async () => {
    const { provider } = setup({ refreshes: [refused], provider: { logger: undefined } });
    await expect(provider.getAccessToken()).resolves.toMatchObject({ kind: 'auth-refused' });
  });
});

describe('AccessTokenProvider failures', () => {
  it('reports a refresh endpoint answer without a token as retryable, with its HTTP status', async () => {
    const { provider } = setup({
      refreshes: [{ kind: 'terminal', reason: 'RESPONSE_INVALID', httpStatus: 403, message: 'html' }],
    });
    const outcome = await provider.getAccessToken();
    expect(outcome).toMatchObject({ kind: 'retryable', reason: 'TOKEN_REFRESH_FAILED', httpStatus: 403 });
    expect(outcome.kind === 'retryable' && outcome.message).toMatch(
      /answered HTTP 403 without an access token/,
    );
  });

  it('says the status is unknown when the refresh endpoint gave none', async () => {
    const { provider } = setup({
      refreshes: [{ kind: 'terminal', reason: 'RESPONSE_INVALID', message: 'unreadable' }],
    });
    const outcome = await provider.getAccessToken();
    expect(outcome).toMatchObject({ kind: 'retryable', reason: 'TOKEN_REFRESH_FAILED' });
    expect(outcome.kind === 'retryable' && outcome.message).toMatch(
      /answered HTTP \? without an access token/,
    );
  });

  it('keeps the cause of a token secret it cannot read', async () => {
    const cause = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const source = {
      read: async () => {
        throw cause;
      },
    };
    const { provider } = setup({ provider: { source } });
    await expect(provider.getAccessToken()).rejects.toMatchObject({ name: 'RetryableError', cause });
  });

  it('tells a caller whose deadline passed to retry later', async () => {
    const { provider } = setup();
    const signal = AbortSignal.abort();
    const outcome = await provider.getAccessToken({ signal });
    expect(outcome).toMatchObject({ kind: 'retryable', reason: 'TIMEOUT' });
    expect(outcome.kind === 'retryable' && outcome.message).toMatch(/deadline passed/);
  });
});
