import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
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
