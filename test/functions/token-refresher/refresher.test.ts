import { Logger } from '@aws-lambda-powertools/logger';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RefresherDeps, refreshTokenSecret } from '../../../functions/token-refresher/refresher.js';
import { ApptenticateClient } from '../../../shared/apptenticate/client.js';
import { decodeJwtExp } from '../../../shared/apptenticate/jwt.js';
import {
  parseTokenSecret,
  serializeTokenSecret,
  successorVersionId,
} from '../../../shared/apptenticate/token-secret.js';
import { RetryableError, TerminalError } from '../../../shared/errors.js';
import { type Simulator, startSimulator } from '../../../tools/simulator/server.js';
import { testClock } from '../../support/clock.js';

const CREDENTIALS_ARN =
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:apptenticate-credentials-AbCdEf';
const TOKEN_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:apptenticate-token-GhIjKl';
const sm = mockClient(SecretsManagerClient);

let simulator: Simulator;
let client: ApptenticateClient;
let clock: number;
let stored: string | undefined;
let credentials: string;
let reported: { name: string; unit: string; value: number }[];

beforeAll(async () => {
  simulator = await startSimulator();
  client = new ApptenticateClient({ baseUrl: simulator.baseUrl });
});

afterAll(async () => {
  await client.close();
  await simulator.stop();
});

beforeEach(() => {
  simulator.control.reset();
  clock = Date.now();
  stored = undefined;
  credentials = JSON.stringify({ username: simulator.username, password: simulator.password });
  reported = [];
  sm.reset();
  sm.on(GetSecretValueCommand, { SecretId: CREDENTIALS_ARN }).callsFake(() => ({
    SecretString: credentials,
  }));
  sm.on(GetSecretValueCommand, { SecretId: TOKEN_ARN }).callsFake(() => {
    if (stored === undefined) {
      throw new ResourceNotFoundException({ message: "can't find AWSCURRENT", $metadata: {} });
    }
    return { SecretString: stored };
  });
  sm.on(PutSecretValueCommand, { SecretId: TOKEN_ARN }).callsFake((input: { SecretString?: string }) => {
    stored = input.SecretString;
    return {};
  });
});

function deps(): RefresherDeps {
  return {
    config: {
      credentialsSecretArn: CREDENTIALS_ARN,
      tokenSecretArn: TOKEN_ARN,
      minWriteIntervalSeconds: 600,
      refreshMarginSeconds: 7200,
    },
    secrets: new SecretsManagerClient({ region: 'us-east-1' }),
    client,
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: { addMetric: (name, unit, value) => reported.push({ name, unit, value }) },
    clock: testClock(() => new Date(clock)),
  };
}

/** The last `RefreshTokenRemainingSeconds` a run reported. */
const remainingReported = () => reported.filter((m) => m.name === 'RefreshTokenRemainingSeconds').at(-1);

describe('refreshTokenSecret', () => {
  it('logs in and writes the documented token secret when there is none yet', async () => {
    const result = await refreshTokenSecret(deps());

    expect(result.refreshed).toBe(true);
    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 1);
    const secret = parseTokenSecret(stored);
    expect(secret).toBeDefined();
    if (!secret) return;
    expect(Object.keys(JSON.parse(stored ?? '{}')).sort()).toEqual(
      ['access', 'accessExpiresAt', 'refresh', 'refreshExpiresAt', 'updatedAt'].sort(),
    );
    expect(secret.refreshExpiresAt).toBe(decodeJwtExp(secret.refresh));
    expect(secret.accessExpiresAt).toBe(decodeJwtExp(secret.access ?? ''));
    expect(secret.updatedAt).toBe(new Date(clock).toISOString());
    expect(result).toEqual({
      refreshed: true,
      refreshExpiresAt: new Date(secret.refreshExpiresAt * 1000).toISOString(),
    });
    // The stored refresh token really works.
    await expect(client.refresh(secret.refresh)).resolves.toMatchObject({ kind: 'ok' });
  });

  it('logs in and writes once for two forced invocations within 10 minutes', async () => {
    await refreshTokenSecret(deps(), { force: true });
    clock += 9 * 60_000;

    const second = await refreshTokenSecret(deps(), { force: true });

    expect(second).toMatchObject({ refreshed: false, reason: 'RECENTLY_WRITTEN' });
    expect(simulator.control.state().counts.login).toBe(1);
    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 1);
  });

  it('writes again when forced once the 10 minutes have passed', async () => {
    await refreshTokenSecret(deps(), { force: true });
    clock += 10 * 60_000;

    await expect(refreshTokenSecret(deps(), { force: true })).resolves.toMatchObject({ refreshed: true });
    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 2);
  });

  it("logs the refresh token's expiry, never a token, in the line of every run (what ops status reads)", async () => {
    const logged: [string, Record<string, unknown>][] = [];
    const logging = () => {
      const d = deps();
      d.logger.info = ((message: string, extra: Record<string, unknown>) =>
        logged.push([message, extra])) as typeof d.logger.info;
      return d;
    };
    await refreshTokenSecret(logging());
    clock += 5 * 60_000;
    await refreshTokenSecret(logging(), { force: true });
    clock += 3 * 3600_000;
    await refreshTokenSecret(logging());

    const secret = parseTokenSecret(stored);
    const expiresAt = new Date((secret?.refreshExpiresAt ?? 0) * 1000).toISOString();
    expect(logged.map(([message, extra]) => [message, extra.reason, extra.refreshExpiresAt])).toEqual([
      ['token secret written', undefined, expiresAt],
      ['token refresh skipped', 'RECENTLY_WRITTEN', expiresAt],
      ['token refresh skipped', 'STILL_VALID', expiresAt],
    ]);
    const text = JSON.stringify(logged);
    for (const token of [secret?.refresh, secret?.access]) {
      expect(token).toBeTruthy();
      expect(text).not.toContain(token);
    }
  });

  it('skips a scheduled run while the refresh token stays valid beyond the margin', async () => {
    await refreshTokenSecret(deps());
    clock += 3 * 3600_000;

    await expect(refreshTokenSecret(deps())).resolves.toMatchObject({
      refreshed: false,
      reason: 'STILL_VALID',
    });
    expect(simulator.control.state().counts.login).toBe(1);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 3);
  });

  it('logs in on a scheduled run once the refresh token is within the margin of its expiry', async () => {
    await refreshTokenSecret(deps());
    const secret = parseTokenSecret(stored);
    clock = ((secret?.refreshExpiresAt ?? 0) - 3600) * 1000;

    await expect(refreshTokenSecret(deps())).resolves.toMatchObject({ refreshed: true });
    expect(simulator.control.state().counts.login).toBe(2);
  });

  it('replaces a recently written token that would expire within the guard window', async () => {
    const nowSeconds = Math.floor(clock / 1000);
    stored = serializeTokenSecret({
      refresh: 'dying.refresh.token',
      refreshExpiresAt: nowSeconds + 120,
      updatedAt: new Date(clock - 60_000).toISOString(),
    });

    await expect(refreshTokenSecret(deps())).resolves.toMatchObject({ refreshed: true });
  });

  it('replaces a token secret with an unexpected shape', async () => {
    stored = '{"token": "something else"}';

    await expect(refreshTokenSecret(deps())).resolves.toMatchObject({ refreshed: true });
    expect(parseTokenSecret(stored)).toBeDefined();
  });

  it('throws TerminalError without the password when the credentials are refused', async () => {
    credentials = JSON.stringify({ username: simulator.username, password: 'wrong-password-marker' });

    const error = await refreshTokenSecret(deps()).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(TerminalError);
    expect((error as Error).message).toMatch(/CREDENTIALS_SECRET_ARN/);
    expect(
      JSON.stringify({ message: (error as Error).message, stack: (error as Error).stack }),
    ).not.toContain('wrong-password-marker');
    expect(sm).not.toHaveReceivedCommand(PutSecretValueCommand);
  });

  it('throws RetryableError when Apptenticate is down', async () => {
    simulator.control.script({ type: 'status', status: 503, endpoint: 'login' });

    await expect(refreshTokenSecret(deps())).rejects.toBeInstanceOf(RetryableError);
    expect(sm).not.toHaveReceivedCommand(PutSecretValueCommand);
  });

  it('throws TerminalError saying the expected shape when the credentials secret is malformed', async () => {
    credentials = JSON.stringify({ user: 'x' });

    await expect(refreshTokenSecret(deps())).rejects.toThrow(/must be JSON \{"username"/);
  });

  it('throws RetryableError when writing the secret is throttled', async () => {
    sm.on(PutSecretValueCommand).rejects(
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' }),
    );

    await expect(refreshTokenSecret(deps())).rejects.toBeInstanceOf(RetryableError);
  });

  it('writes as the successor of the version it read, so runs that read the same version write once', async () => {
    stored = '{}';
    sm.on(GetSecretValueCommand, { SecretId: TOKEN_ARN }).resolves({ SecretString: '{}', VersionId: 'v-1' });

    await refreshTokenSecret(deps(), { force: true });

    expect(sm).toHaveReceivedCommandWith(PutSecretValueCommand, {
      SecretId: TOKEN_ARN,
      ClientRequestToken: successorVersionId(TOKEN_ARN, 'v-1'),
    });
  });

  it("keeps the other run's value when its own write is refused as a conflict", async () => {
    const theirs = serializeTokenSecret({
      refresh: 'their.refresh.token',
      refreshExpiresAt: Math.floor(clock / 1000) + 86_400,
      updatedAt: new Date(clock).toISOString(),
    });
    sm.on(GetSecretValueCommand, { SecretId: TOKEN_ARN })
      .resolvesOnce({ SecretString: '{}', VersionId: 'v-1' })
      .resolves({ SecretString: theirs, VersionId: 'v-2' });
    sm.on(PutSecretValueCommand).rejects(
      new ResourceExistsException({ message: 'ClientRequestToken already in use', $metadata: {} }),
    );

    await expect(refreshTokenSecret(deps(), { force: true })).resolves.toEqual({
      refreshed: false,
      reason: 'WRITTEN_BY_ANOTHER_RUN',
      refreshExpiresAt: new Date((Math.floor(clock / 1000) + 86_400) * 1000).toISOString(),
    });
  });

  it('says when the write guard lets the next write through', async () => {
    await refreshTokenSecret(deps(), { force: true });
    const writtenAt = clock;
    clock += 4 * 60_000;

    await expect(refreshTokenSecret(deps(), { force: true })).resolves.toMatchObject({
      refreshed: false,
      reason: 'RECENTLY_WRITTEN',
      writableAt: new Date(writtenAt + 600_000).toISOString(),
    });
  });

  it('reports how long the stored refresh token stays valid after a run that logs in or skips', async () => {
    await refreshTokenSecret(deps());
    const secret = parseTokenSecret(stored);
    const nowSeconds = Math.floor(clock / 1000);
    expect(remainingReported()).toEqual({
      name: 'RefreshTokenRemainingSeconds',
      unit: 'Seconds',
      value: (secret?.refreshExpiresAt ?? 0) - nowSeconds,
    });
    clock += 3 * 3600_000;

    await refreshTokenSecret(deps());

    expect(remainingReported()?.value).toBe((secret?.refreshExpiresAt ?? 0) - nowSeconds - 3 * 3600);
  });

  it('reports the remaining life of the token it kept when its login fails, and 0 when it has none', async () => {
    stored = serializeTokenSecret({
      refresh: 'old.refresh.token',
      refreshExpiresAt: Math.floor(clock / 1000) + 1800,
      updatedAt: new Date(clock - 86_000_000).toISOString(),
    });
    credentials = JSON.stringify({ username: simulator.username, password: 'rotated-away' });

    await expect(refreshTokenSecret(deps())).rejects.toBeInstanceOf(TerminalError);
    expect(remainingReported()?.value).toBe(1800);

    stored = undefined;
    await expect(refreshTokenSecret(deps())).rejects.toBeInstanceOf(TerminalError);
    expect(remainingReported()?.value).toBe(0);
  });
});
