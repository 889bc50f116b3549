/**
 * The checker's side of Apptenticate authentication (DESIGN.md section 5).
 *
 * The token secret holds a refresh token written by the token-refresher. Each container reads it
 * through an in-memory cache, mints short-lived access tokens from it in memory, reuses each access
 * token until shortly before its `exp`, and runs at most one refresh at a time. The checker never
 * sees the password: this module takes only the token secret's id.
 *
 * Recovery ladder when the vendor says 401:
 * 1. the access token is dropped, one refresh runs, the call is retried once;
 * 2. if the refresh token itself is refused, the secret is read again bypassing the cache (the
 *    refresher may have rotated it) and the new refresh token is tried;
 * 3. if that is refused too, the token-refresher is asked to log in (at most once per
 *    `refreshRequestIntervalSeconds` per container) and `auth-refused` is returned, so the message
 *    is retried later.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { classifyAwsError, describeError, RetryableError } from '../errors.js';
import { createLogger } from '../observability.js';
import type { ApptenticateClient } from './client.js';
import { decodeJwtExp } from './jwt.js';
import type {
  LivenessChecker,
  LivenessOutcome,
  LivenessRequest,
  VendorRetryable,
  VendorTerminal,
} from './outcome.js';

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

/**
 * The payload a checker sends to the token-refresher when its refresh token is refused
 * (for example as the body of an asynchronous Lambda invoke).
 */
export interface TokenRefreshRequest {
  /** Log in even if the stored refresh token looks valid by its `exp`. */
  force: boolean;
  /** A constant, log-safe reason. */
  reason: string;
}

/** Reads the token secret. */
export interface TokenSecretSource {
  /**
   * The current token secret, `undefined` when it has no value or not the documented shape.
   * `force` bypasses any cache. Throws `RetryableError` when the store cannot be read.
   */
  read(options?: { force?: boolean }): Promise<TokenSecret | undefined>;
}

/** Options of {@link SecretsManagerTokenSource}. */
export interface SecretsManagerTokenSourceOptions {
  /** ARN or name of the token secret. */
  secretId: string;
  /** @default a new `SecretsManagerClient` */
  client?: SecretsManagerClient;
  /** How long a read value is reused before Secrets Manager is asked again. @default 300 */
  maxAgeSeconds?: number;
}

/** Reads the token secret from Secrets Manager through Powertools' cached `SecretsProvider`. */
export class SecretsManagerTokenSource implements TokenSecretSource {
  private readonly provider: SecretsProvider;
  private readonly secretId: string;
  private readonly maxAge: number;

  constructor(options: SecretsManagerTokenSourceOptions) {
    this.secretId = options.secretId;
    this.maxAge = options.maxAgeSeconds ?? 300;
    this.provider = new SecretsProvider({ awsSdkV3Client: options.client ?? new SecretsManagerClient({}) });
  }

  async read(options: { force?: boolean } = {}): Promise<TokenSecret | undefined> {
    let value: string | Uint8Array | undefined;
    try {
      value = await this.provider.get(this.secretId, {
        maxAge: this.maxAge,
        forceFetch: options.force ?? false,
      });
    } catch (error) {
      // Powertools wraps the SDK error; classify the SDK's own.
      const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
      if (cause instanceof Error && cause.name === 'ResourceNotFoundException') return undefined;
      const classified = classifyAwsError(cause, 'reading the token secret');
      // Even a client fault (access denied, wrong ARN) is retried: the operator can fix it
      // while the message waits, and the message's last receive still records a failure.
      throw new RetryableError(
        `${classified.message}; check TOKEN_SECRET_ARN and the function's secretsmanager:GetSecretValue permission`,
        { cause: error },
      );
    }
    const text = typeof value === 'string' ? value : value ? Buffer.from(value).toString('utf8') : undefined;
    return parseTokenSecret(text);
  }
}

/** What {@link AccessTokenProvider.getAccessToken} gives: a token, or the outcome to report. */
export type AccessTokenResult =
  | { kind: 'ok'; token: string }
  | { kind: 'auth-refused'; httpStatus: number; message: string }
  | VendorRetryable
  | VendorTerminal;

/** Options of {@link AccessTokenProvider}. */
export interface AccessTokenProviderOptions {
  source: TokenSecretSource;
  client: Pick<ApptenticateClient, 'refresh'>;
  /**
   * Asks the token-refresher to log in again; called when every refresh token we can find is
   * refused. Failures are logged, not thrown.
   * @default none: the refusal is only logged
   */
  requestTokenRefresh?: (request: TokenRefreshRequest) => Promise<void>;
  /** Current time in epoch milliseconds. @default Date.now */
  now?: () => number;
  /** Renew an access token this many seconds before its `exp`. @default 30 */
  skewSeconds?: number;
  /** At most one `requestTokenRefresh` per this many seconds per container. @default 300 */
  refreshRequestIntervalSeconds?: number;
  /**
   * At most one cache-bypassing read of the secret per this many seconds, so a dead refresh
   * token does not turn every message into a Secrets Manager call. @default 30
   */
  forcedReadIntervalSeconds?: number;
  /** Lifetime assumed for an access token whose `exp` cannot be read. @default 300 */
  fallbackAccessTtlSeconds?: number;
  /** @default a logger for service `apptenticate` */
  logger?: Logger;
}

/** Hands out access tokens: cached, renewed before `exp`, one refresh at a time. */
export class AccessTokenProvider {
  private readonly source: TokenSecretSource;
  private readonly client: Pick<ApptenticateClient, 'refresh'>;
  private readonly requestTokenRefresh: ((request: TokenRefreshRequest) => Promise<void>) | undefined;
  private readonly now: () => number;
  private readonly skewMs: number;
  private readonly refreshRequestIntervalMs: number;
  private readonly forcedReadIntervalMs: number;
  private readonly fallbackAccessTtlMs: number;
  private readonly logger: Logger;

  private access: { token: string; expiresAtMs: number } | undefined;
  private inflight: Promise<AccessTokenResult> | undefined;
  /** The last access token the vendor refused, so the copy in the secret is not reused. */
  private refusedAccess: string | undefined;
  /** The last refresh token the vendor refused, so it is not sent again. */
  private refusedRefresh: string | undefined;
  private lastForcedReadMs: number | undefined;
  private lastRefreshRequestMs: number | undefined;

  constructor(options: AccessTokenProviderOptions) {
    this.source = options.source;
    this.client = options.client;
    this.requestTokenRefresh = options.requestTokenRefresh;
    this.now = options.now ?? Date.now;
    this.skewMs = (options.skewSeconds ?? 30) * 1000;
    this.refreshRequestIntervalMs = (options.refreshRequestIntervalSeconds ?? 300) * 1000;
    this.forcedReadIntervalMs = (options.forcedReadIntervalSeconds ?? 30) * 1000;
    this.fallbackAccessTtlMs = (options.fallbackAccessTtlSeconds ?? 300) * 1000;
    this.logger = options.logger ?? createLogger('apptenticate');
  }

  /**
   * A valid access token, or the outcome to report when none can be had. Concurrent callers
   * share one refresh. Throws `RetryableError` when the token secret cannot be read.
   */
  async getAccessToken(): Promise<AccessTokenResult> {
    if (this.access && this.isFresh(this.access.expiresAtMs)) return { kind: 'ok', token: this.access.token };
    if (!this.inflight) {
      this.inflight = this.mint().finally(() => {
        this.inflight = undefined;
      });
    }
    return await this.inflight;
  }

  /** Forgets an access token the vendor refused. A token that was already replaced is ignored. */
  invalidate(token: string): void {
    this.refusedAccess = token;
    if (this.access?.token === token) this.access = undefined;
  }

  private async mint(): Promise<AccessTokenResult> {
    const secret = await this.source.read();
    const first = await this.tryToken(secret);
    if (first !== 'refused') return first;

    if (this.mayForceRead()) {
      this.lastForcedReadMs = this.now();
      this.logger.info('refresh token refused, reading the token secret again');
      const reread = await this.source.read({ force: true });
      const second = await this.tryToken(reread);
      if (second !== 'refused') return second;
    }

    await this.askForRefresh(secret === undefined ? 'token-secret-unusable' : 'refresh-token-refused');
    return {
      kind: 'auth-refused',
      httpStatus: 401,
      message:
        'no usable Apptenticate refresh token: the token-refresher was asked to log in again; retry later, and check its logs if this persists',
    };
  }

  /** A token from this secret (its stored access token, or a refreshed one), or 'refused'. */
  private async tryToken(secret: TokenSecret | undefined): Promise<AccessTokenResult | 'refused'> {
    if (!secret) return 'refused';
    if (secret.access && secret.access !== this.refusedAccess) {
      const expSeconds = decodeJwtExp(secret.access) ?? secret.accessExpiresAt;
      if (expSeconds !== undefined && this.isFresh(expSeconds * 1000)) {
        this.access = { token: secret.access, expiresAtMs: expSeconds * 1000 };
        return { kind: 'ok', token: secret.access };
      }
    }
    if (secret.refresh === this.refusedRefresh) return 'refused';
    const outcome = await this.client.refresh(secret.refresh);
    if (outcome.kind === 'refused') {
      this.refusedRefresh = secret.refresh;
      return 'refused';
    }
    if (outcome.kind !== 'ok') {
      this.logger.warn('access token refresh failed', { kind: outcome.kind, reason: outcome.reason });
      return outcome;
    }
    const expSeconds = decodeJwtExp(outcome.access);
    const expiresAtMs = expSeconds !== undefined ? expSeconds * 1000 : this.now() + this.fallbackAccessTtlMs;
    this.access = { token: outcome.access, expiresAtMs };
    this.logger.debug('access token refreshed', { expiresAt: new Date(expiresAtMs).toISOString() });
    return { kind: 'ok', token: outcome.access };
  }

  private isFresh(expiresAtMs: number): boolean {
    return expiresAtMs - this.skewMs > this.now();
  }

  private mayForceRead(): boolean {
    return (
      this.lastForcedReadMs === undefined || this.now() - this.lastForcedReadMs >= this.forcedReadIntervalMs
    );
  }

  private async askForRefresh(reason: string): Promise<void> {
    const now = this.now();
    if (
      this.lastRefreshRequestMs !== undefined &&
      now - this.lastRefreshRequestMs < this.refreshRequestIntervalMs
    ) {
      return;
    }
    this.lastRefreshRequestMs = now;
    if (!this.requestTokenRefresh) {
      this.logger.error('no usable refresh token and no way to ask the token-refresher', { reason });
      return;
    }
    try {
      await this.requestTokenRefresh({ force: true, reason });
      this.logger.warn('asked the token-refresher to log in again', { reason });
    } catch (error) {
      // Best effort: the scheduled run will log in anyway; the message is retried either way.
      this.logger.error('asking the token-refresher failed', { reason, error: describeError(error) });
    }
  }
}

/** Options of {@link AuthorizedLivenessChecker}. */
export interface AuthorizedLivenessCheckerOptions {
  client: Pick<ApptenticateClient, 'checkLiveness'>;
  tokens: Pick<AccessTokenProvider, 'getAccessToken' | 'invalidate'>;
  /** @default a logger for service `apptenticate` */
  logger?: Logger;
}

/**
 * The {@link LivenessChecker} the checker function uses: it authorises each call with a cached
 * access token and, on a 401, drops the token, refreshes once and retries once.
 */
export class AuthorizedLivenessChecker implements LivenessChecker {
  private readonly client: Pick<ApptenticateClient, 'checkLiveness'>;
  private readonly tokens: Pick<AccessTokenProvider, 'getAccessToken' | 'invalidate'>;
  private readonly logger: Logger;

  constructor(options: AuthorizedLivenessCheckerOptions) {
    this.client = options.client;
    this.tokens = options.tokens;
    this.logger = options.logger ?? createLogger('apptenticate');
  }

  /**
   * One liveness call with tokens handled. Returns `auth-refused` when no token is accepted
   * (the message should be retried later); throws `RetryableError` when the token secret cannot
   * be read.
   */
  async checkLiveness(request: LivenessRequest): Promise<LivenessOutcome> {
    const first = await this.tokens.getAccessToken();
    if (first.kind !== 'ok') return first;
    const outcome = await this.client.checkLiveness(first.token, request);
    if (outcome.kind !== 'auth-refused') return outcome;

    this.logger.info('access token refused, refreshing and retrying once');
    this.tokens.invalidate(first.token);
    const second = await this.tokens.getAccessToken();
    if (second.kind !== 'ok') return second;
    const retried = await this.client.checkLiveness(second.token, request);
    if (retried.kind === 'auth-refused') {
      this.tokens.invalidate(second.token);
      this.logger.warn('fresh access token refused too');
    }
    return retried;
  }
}

/** Options of {@link createAuthorizedLivenessChecker}. */
export interface CreateAuthorizedLivenessCheckerOptions
  extends Omit<AccessTokenProviderOptions, 'source' | 'client' | 'logger'> {
  /** ARN or name of the token secret. */
  tokenSecretId: string;
  client: Pick<ApptenticateClient, 'checkLiveness' | 'refresh'>;
  /** @default a new `SecretsManagerClient` */
  secretsClient?: SecretsManagerClient;
  /** How long the token secret is cached. @default 300 */
  secretMaxAgeSeconds?: number;
  /** @default a logger for service `apptenticate` */
  logger?: Logger;
}

/** Wires the Secrets Manager source, the access token provider and the checker together. */
export function createAuthorizedLivenessChecker(
  options: CreateAuthorizedLivenessCheckerOptions,
): AuthorizedLivenessChecker {
  const { tokenSecretId, client, secretsClient, secretMaxAgeSeconds, logger, ...providerOptions } = options;
  const source = new SecretsManagerTokenSource({
    secretId: tokenSecretId,
    ...(secretsClient ? { client: secretsClient } : {}),
    ...(secretMaxAgeSeconds !== undefined ? { maxAgeSeconds: secretMaxAgeSeconds } : {}),
  });
  const tokens = new AccessTokenProvider({
    ...providerOptions,
    source,
    client,
    ...(logger ? { logger } : {}),
  });
  return new AuthorizedLivenessChecker({ client, tokens, ...(logger ? { logger } : {}) });
}
