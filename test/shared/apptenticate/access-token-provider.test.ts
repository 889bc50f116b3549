import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it, vi } from 'vitest';
import { AccessTokenProvider } from '../../../shared/apptenticate/access-token-provider.js';
import { decodeJwtExp } from '../../../shared/apptenticate/jwt.js';
import { TokenSecretStore } from '../../../shared/apptenticate/token-secret.js';
import { RetryableError } from '../../../shared/errors.js';
import { SECRET_ID, silent, useTokenTestbed } from './token-support.js';

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
