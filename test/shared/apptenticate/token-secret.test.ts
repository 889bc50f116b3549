import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  parseTokenSecret,
  serializeTokenSecret,
  successorVersionId,
  type TokenSecret,
  TokenSecretStore,
} from '../../../shared/apptenticate/token-secret.js';
import { RetryableError, TerminalError } from '../../../shared/errors.js';

const SECRET_ID = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:apptenticate-token-AbCdEf';
const sm = mockClient(SecretsManagerClient);
const secret: TokenSecret = { refresh: 'r', refreshExpiresAt: 10, updatedAt: '2026-01-01T00:00:00.000Z' };

function store(maxAgeSeconds?: number): TokenSecretStore {
  return new TokenSecretStore({
    secretId: SECRET_ID,
    client: new SecretsManagerClient({ region: 'us-east-1' }),
    ...(maxAgeSeconds !== undefined ? { maxAgeSeconds } : {}),
  });
}

beforeEach(() => {
  sm.reset();
});

describe('TokenSecretStore', () => {
  it('reads a value of the documented shape as found', async () => {
    sm.on(GetSecretValueCommand, { SecretId: SECRET_ID }).resolves({
      SecretString: serializeTokenSecret(secret),
    });

    await expect(store().read()).resolves.toEqual({ kind: 'found', secret });
  });

  it('reads a secret without a value as not-found', async () => {
    sm.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({ message: "can't find AWSCURRENT", $metadata: {} }),
    );

    await expect(store().read()).resolves.toEqual({ kind: 'not-found' });
  });

  it('reads a value of another shape as malformed', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{"token": "something else"}' });

    await expect(store().read()).resolves.toEqual({ kind: 'malformed' });
  });

  it('reuses a read value for maxAgeSeconds unless forced', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: serializeTokenSecret(secret) });
    const subject = store(300);

    await subject.read();
    await subject.read();
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    await subject.read({ force: true });
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('asks Secrets Manager on every read with maxAgeSeconds 0', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: serializeTokenSecret(secret) });
    const subject = store(0);

    await subject.read();
    await subject.read();
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('classifies read failures: throttling is retryable, access denied is terminal', async () => {
    sm.on(GetSecretValueCommand)
      .rejectsOnce(
        Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' }),
      )
      .rejects(
        Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $fault: 'client' }),
      );

    await expect(store().read()).rejects.toBeInstanceOf(RetryableError);
    await expect(store().read()).rejects.toBeInstanceOf(TerminalError);
  });

  it('writes the documented shape', async () => {
    sm.on(PutSecretValueCommand).resolves({});

    await store().write(secret);

    expect(sm).toHaveReceivedCommandWith(PutSecretValueCommand, {
      SecretId: SECRET_ID,
      SecretString: serializeTokenSecret(secret),
    });
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

describe('successorVersionId', () => {
  it('is the same for the same secret and version, and differs otherwise', () => {
    const id = successorVersionId('arn:token', 'v-1');
    expect(id).toBe(successorVersionId('arn:token', 'v-1'));
    expect(id).not.toBe(successorVersionId('arn:token', 'v-2'));
    expect(id).not.toBe(successorVersionId('arn:other', 'v-1'));
    expect(id).not.toBe(successorVersionId('arn:token', undefined));
    // Secrets Manager takes a ClientRequestToken of 32 to 64 characters.
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});

describe('token secret edges', () => {
  const base = { refresh: 'r', refreshExpiresAt: 10, updatedAt: '2026-01-01T00:00:00Z' };

  it.each([
    ['null', 'null'],
    ['with an empty refresh token', JSON.stringify({ ...base, refresh: '' })],
    [
      'with an infinite expiry',
      '{"refresh":"r","refreshExpiresAt":1e999,"updatedAt":"2026-01-01T00:00:00Z"}',
    ],
    ['with a numeric date', JSON.stringify({ ...base, updatedAt: 5 })],
  ])('rejects a value that is %s', (_label, text) => {
    expect(parseTokenSecret(text)).toBeUndefined();
  });

  it('drops an empty or non-string access token and a non-numeric or infinite access expiry', () => {
    expect(parseTokenSecret(JSON.stringify({ ...base, access: '', accessExpiresAt: '5' }))).toStrictEqual(
      base,
    );
    expect(parseTokenSecret(JSON.stringify({ ...base, access: 5 }))).toStrictEqual(base);
    const infinite =
      '{"refresh":"r","refreshExpiresAt":10,"updatedAt":"2026-01-01T00:00:00Z","accessExpiresAt":1e999}';
    expect(parseTokenSecret(infinite)).toStrictEqual(base);
  });

  it('writes the access token and its expiry only when there are some', () => {
    expect(JSON.parse(serializeTokenSecret(base))).toStrictEqual(base);
    const full = { ...base, access: 'a', accessExpiresAt: 5 };
    expect(JSON.parse(serializeTokenSecret(full))).toStrictEqual(full);
  });

  it('keeps the successor version id stable across releases', () => {
    // Two refreshers on different code versions must agree on the id, or the compare-and-swap breaks.
    expect(successorVersionId('arn:token', undefined)).toBe('98139ccc-28cd-d6fe-f6c3-8ca08eaf163f');
    expect(successorVersionId('arn:token', 'v-1')).toBe('d1f98dfe-d2aa-5d2e-29e0-4041ebbd2608');
  });

  it('reads through the client it is given and names the operation when it fails', async () => {
    const client = new SecretsManagerClient({ region: 'us-east-1' });
    const own = mockClient(client);
    own
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error('no'), { name: 'AccessDeniedException', $fault: 'client' }));
    const subject = new TokenSecretStore({ secretId: SECRET_ID, client });
    await expect(subject.read()).rejects.toThrow(
      /^reading the token secret failed with AccessDeniedException$/,
    );
    own.restore();
  });

  it('reads a binary value, and an empty one as not-found', async () => {
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretBinary: new TextEncoder().encode(serializeTokenSecret(secret)) })
      .resolves({ SecretString: '' });
    await expect(store(0).read()).resolves.toEqual({ kind: 'found', secret });
    await expect(store(0).read()).resolves.toEqual({ kind: 'not-found' });
  });
});

describe('TokenSecretStore versioned read and compare-and-swap write', () => {
  const throttled = () =>
    Object.assign(new Error('slow down'), { name: 'ThrottlingException', $fault: 'client' });
  const denied = () => Object.assign(new Error('no'), { name: 'AccessDeniedException', $fault: 'client' });

  it('reads a secret without a value as not-found, with no version', async () => {
    sm.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({ message: "can't find AWSCURRENT", $metadata: {} }),
    );

    await expect(store().readVersioned()).resolves.toStrictEqual({ read: { kind: 'not-found' } });
  });

  it('reads the value and its version from Secrets Manager on every call, never the cache', async () => {
    sm.on(GetSecretValueCommand, { SecretId: SECRET_ID }).resolves({
      SecretString: serializeTokenSecret(secret),
      VersionId: 'v-1',
    });
    const subject = store(300);

    await expect(subject.readVersioned()).resolves.toStrictEqual({
      read: { kind: 'found', secret },
      versionId: 'v-1',
    });
    await subject.readVersioned();
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('reads a value of another shape as malformed, with its version', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{"token": "x"}', VersionId: 'v-2' });

    await expect(store().readVersioned()).resolves.toStrictEqual({
      read: { kind: 'malformed' },
      versionId: 'v-2',
    });
  });

  it('reads an empty value as not-found with its version, and leaves out a version it was not given', async () => {
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: '', VersionId: 'v-3' })
      .resolvesOnce({ SecretString: serializeTokenSecret(secret) })
      .resolves({});

    await expect(store().readVersioned()).resolves.toStrictEqual({
      read: { kind: 'not-found' },
      versionId: 'v-3',
    });
    await expect(store().readVersioned()).resolves.toStrictEqual({ read: { kind: 'found', secret } });
    await expect(store().readVersioned()).resolves.toStrictEqual({ read: { kind: 'not-found' } });
  });

  it('classifies a failed versioned read and names the operation', async () => {
    sm.on(GetSecretValueCommand).rejectsOnce(throttled()).rejects(denied());

    const retryable = store().readVersioned();
    await expect(retryable).rejects.toBeInstanceOf(RetryableError);
    await expect(retryable).rejects.toThrow(/^reading the token secret failed with ThrottlingException$/);
    const terminal = store().readVersioned();
    await expect(terminal).rejects.toBeInstanceOf(TerminalError);
    await expect(terminal).rejects.toThrow(/^reading the token secret failed with AccessDeniedException$/);
  });

  it('writes the successor of the version read and reports it written', async () => {
    sm.on(PutSecretValueCommand).resolves({});

    await expect(store().replace(secret, 'v-1')).resolves.toBe('written');
    await expect(store().replace(secret, undefined)).resolves.toBe('written');
    expect(sm.commandCalls(PutSecretValueCommand).map((call) => call.args[0].input)).toStrictEqual([
      {
        SecretId: SECRET_ID,
        SecretString: serializeTokenSecret(secret),
        ClientRequestToken: successorVersionId(SECRET_ID, 'v-1'),
      },
      {
        SecretId: SECRET_ID,
        SecretString: serializeTokenSecret(secret),
        ClientRequestToken: successorVersionId(SECRET_ID, undefined),
      },
    ]);
  });

  it('reports a conflict when another writer already replaced the version read', async () => {
    sm.on(PutSecretValueCommand).rejects(
      Object.assign(new Error('exists'), { name: 'ResourceExistsException', $fault: 'client' }),
    );

    await expect(store().replace(secret, 'v-1')).resolves.toBe('conflict');
  });

  it('classifies a failed compare-and-swap write and names the operation', async () => {
    sm.on(PutSecretValueCommand).rejectsOnce(throttled()).rejects(denied());

    const retryable = store().replace(secret, 'v-1');
    await expect(retryable).rejects.toBeInstanceOf(RetryableError);
    await expect(retryable).rejects.toThrow(/^writing the token secret failed with ThrottlingException$/);
    const terminal = store().replace(secret, 'v-1');
    await expect(terminal).rejects.toBeInstanceOf(TerminalError);
    await expect(terminal).rejects.toThrow(/^writing the token secret failed with AccessDeniedException$/);
  });

  it('classifies a failed plain write and names the operation', async () => {
    sm.on(PutSecretValueCommand).rejects(denied());

    const failed = store().write(secret);
    await expect(failed).rejects.toBeInstanceOf(TerminalError);
    await expect(failed).rejects.toThrow(/^writing the token secret failed with AccessDeniedException$/);
  });
});

describe('TokenSecretStore cache age', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reuses a read value for 300 s by default', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-01-01T00:00:00.000Z'));
    sm.on(GetSecretValueCommand).resolves({ SecretString: serializeTokenSecret(secret) });
    const subject = store();

    await subject.read();
    vi.setSystemTime(new Date('2026-01-01T00:04:59.000Z'));
    await subject.read();
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    vi.setSystemTime(new Date('2026-01-01T00:05:01.000Z'));
    await subject.read();
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });
});
