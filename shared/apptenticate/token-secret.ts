/**
 * The token secret: its format and its store. The token-refresher writes it; every checker container
 * reads it (docs/architecture.md, "Vendor tokens"). Both go through this module, so the shape, the "no value yet"
 * case and the malformed case are decided in one place.
 */
import { createHash } from 'node:crypto';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { classifyAwsError } from '../errors.js';

/**
 * The JSON stored in the token secret (`SecretString`), written only by the token-refresher:
 *
 * ```json
 * {
 *   "refresh": "<refresh JWT>",
 *   "refreshExpiresAt": 1767225600,
 *   "access": "<access JWT minted with it>",
 *   "accessExpiresAt": 1767139500,
 *   "updatedAt": "2026-01-01T00:00:00.000Z"
 * }
 * ```
 *
 * Times are epoch seconds, taken from the JWTs' `exp` claims. `access` and `accessExpiresAt` are
 * optional: readers may use the stored access token while it is valid, and mint their own
 * otherwise. `updatedAt` (ISO 8601) is when the refresher wrote the value; it drives the
 * refresher's write-rate guard.
 */
export interface TokenSecret {
  refresh: string;
  /** Epoch seconds. */
  refreshExpiresAt: number;
  access?: string;
  /** Epoch seconds. */
  accessExpiresAt?: number;
  /** ISO 8601. */
  updatedAt: string;
}

/** Parses the token secret's text; `undefined` when it is missing or does not have the shape. */
export function parseTokenSecret(text: string | undefined): TokenSecret | undefined {
  if (!text) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  const { refresh, refreshExpiresAt, access, accessExpiresAt, updatedAt } = record;
  if (typeof refresh !== 'string' || refresh === '') return undefined;
  if (typeof refreshExpiresAt !== 'number' || !Number.isFinite(refreshExpiresAt)) return undefined;
  if (typeof updatedAt !== 'string' || Number.isNaN(Date.parse(updatedAt))) return undefined;
  const secret: TokenSecret = { refresh, refreshExpiresAt, updatedAt };
  if (typeof access === 'string' && access !== '') secret.access = access;
  if (typeof accessExpiresAt === 'number' && Number.isFinite(accessExpiresAt)) {
    secret.accessExpiresAt = accessExpiresAt;
  }
  return secret;
}

/** Serialises a token secret in its documented shape. */
export function serializeTokenSecret(secret: TokenSecret): string {
  return JSON.stringify({
    refresh: secret.refresh,
    refreshExpiresAt: secret.refreshExpiresAt,
    ...(secret.access !== undefined ? { access: secret.access } : {}),
    ...(secret.accessExpiresAt !== undefined ? { accessExpiresAt: secret.accessExpiresAt } : {}),
    updatedAt: secret.updatedAt,
  });
}

/** What a read of the token secret found. */
export type TokenSecretRead =
  | { kind: 'found'; secret: TokenSecret }
  /** No value yet: a secret created empty has no `AWSCURRENT` version until the refresher writes one. */
  | { kind: 'not-found' }
  /** A value that is not the documented shape. */
  | { kind: 'malformed' };

/** A read of the token secret with the version it found (`undefined`: no value yet). */
export interface VersionedTokenSecretRead {
  read: TokenSecretRead;
  versionId?: string;
}

/**
 * The version id (`ClientRequestToken`) of the value that replaces version `versionId` of the
 * secret (`undefined`: the secret had no value). Deterministic, so every writer that read the
 * same version uses the same id and Secrets Manager keeps only the first write: a version's
 * content cannot change, and a second `PutSecretValue` with that id and other content fails with
 * `ResourceExistsException`. A retried request with the same content is accepted as a no-op.
 */
export function successorVersionId(secretId: string, versionId: string | undefined): string {
  const hex = createHash('sha256')
    .update(`token-secret-successor\n${secretId}\n${versionId ?? '(no value)'}`)
    .digest('hex');
  // UUID-shaped (36 characters): Secrets Manager takes 32 to 64.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Reads the token secret. */
export interface TokenSecretReader {
  /**
   * The current value. `force` bypasses any cache. Throws `RetryableError` or `TerminalError`
   * (classified as AWS errors are) when the store cannot be read.
   */
  read(options?: { force?: boolean }): Promise<TokenSecretRead>;
}

/** Options of {@link TokenSecretStore}. */
export interface TokenSecretStoreOptions {
  /** ARN or name of the token secret. */
  secretId: string;
  client: SecretsManagerClient;
  /** How long a read value is reused before Secrets Manager is asked again (0: never). @default 300 */
  maxAgeSeconds?: number;
}

/** The token secret in Secrets Manager; reads go through Powertools' cached `SecretsProvider`. */
export class TokenSecretStore implements TokenSecretReader {
  private readonly provider: SecretsProvider;
  private readonly secretId: string;
  private readonly client: SecretsManagerClient;
  private readonly maxAge: number;

  constructor(options: TokenSecretStoreOptions) {
    this.secretId = options.secretId;
    this.client = options.client;
    this.maxAge = options.maxAgeSeconds ?? 300;
    this.provider = new SecretsProvider({ awsSdkV3Client: options.client });
  }

  async read(options: { force?: boolean } = {}): Promise<TokenSecretRead> {
    let value: string | Uint8Array | undefined;
    try {
      value = await this.provider.get(this.secretId, {
        maxAge: this.maxAge,
        forceFetch: options.force ?? false,
      });
    } catch (error) {
      // Powertools wraps the SDK error; classify the SDK's own.
      const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
      if (cause instanceof Error && cause.name === 'ResourceNotFoundException') return { kind: 'not-found' };
      throw classifyAwsError(cause, 'reading the token secret');
    }
    const text = typeof value === 'string' ? value : value ? Buffer.from(value).toString('utf8') : undefined;
    if (!text) return { kind: 'not-found' };
    const secret = parseTokenSecret(text);
    return secret ? { kind: 'found', secret } : { kind: 'malformed' };
  }

  /**
   * The current value and its version, read from Secrets Manager itself (never the cache): the
   * refresher's write guard depends on it. Throws `RetryableError` or `TerminalError`.
   */
  async readVersioned(): Promise<VersionedTokenSecretRead> {
    let answer: { SecretString?: string | undefined; VersionId?: string | undefined };
    try {
      answer = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
    } catch (error) {
      // No AWSCURRENT version yet: a secret created without a value.
      if (error instanceof Error && error.name === 'ResourceNotFoundException') {
        return { read: { kind: 'not-found' } };
      }
      throw classifyAwsError(error, 'reading the token secret');
    }
    const versionId = answer.VersionId;
    if (!answer.SecretString) return { read: { kind: 'not-found' }, ...(versionId ? { versionId } : {}) };
    const secret = parseTokenSecret(answer.SecretString);
    return {
      read: secret ? { kind: 'found', secret } : { kind: 'malformed' },
      ...(versionId ? { versionId } : {}),
    };
  }

  /**
   * Stores `secret` as the successor of the version read (`readVersionId`), a compare-and-swap:
   * `'conflict'` when another writer already replaced that version (see
   * {@link successorVersionId}). Throws `RetryableError` or `TerminalError` otherwise.
   */
  async replace(secret: TokenSecret, readVersionId: string | undefined): Promise<'written' | 'conflict'> {
    try {
      await this.client.send(
        new PutSecretValueCommand({
          SecretId: this.secretId,
          SecretString: serializeTokenSecret(secret),
          ClientRequestToken: successorVersionId(this.secretId, readVersionId),
        }),
      );
      return 'written';
    } catch (error) {
      if (error instanceof Error && error.name === 'ResourceExistsException') return 'conflict';
      throw classifyAwsError(error, 'writing the token secret');
    }
  }

  /** Stores a new value. Throws `RetryableError` or `TerminalError` when it cannot be written. */
  async write(secret: TokenSecret): Promise<void> {
    try {
      await this.client.send(
        new PutSecretValueCommand({ SecretId: this.secretId, SecretString: serializeTokenSecret(secret) }),
      );
    } catch (error) {
      throw classifyAwsError(error, 'writing the token secret');
    }
  }
}
