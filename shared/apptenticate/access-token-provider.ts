/**
 * The checker's side of Apptenticate authentication (DESIGN.md section 5).
 *
 * The token secret holds a refresh token written by the token-refresher. Each container reads it
 * through an in-memory cache, mints short-lived access tokens from it in memory, reuses each access
 * token until shortly before its `exp`, and runs at most one refresh at a time. The checker never
 * sees the password: the provider is given only a reader of the token secret (`token-secret.ts`).
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
import { describeError, RetryableError } from '../errors.js';
import { createLogger } from '../observability.js';
import type { ApptenticateClient } from './client.js';
import { decodeJwtExp } from './jwt.js';
import type { VendorRetryable, VendorTerminal } from './outcome.js';
import type { TokenSecret, TokenSecretReader } from './token-secret.js';

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

/** What {@link AccessTokenProvider.getAccessToken} gives: a token, or the outcome to report. */
export type AccessTokenResult =
  | { kind: 'ok'; token: string }
  | { kind: 'auth-refused'; httpStatus: number; message: string }
  | VendorRetryable
  | VendorTerminal;

/** Options of {@link AccessTokenProvider}. */
export interface AccessTokenProviderOptions {
  source: TokenSecretReader;
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
  private readonly source: TokenSecretReader;
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
    const secret = await this.readSecret();
    const first = await this.tryToken(secret);
    if (first !== 'refused') return first;

    if (this.mayForceRead()) {
      this.lastForcedReadMs = this.now();
      this.logger.info('refresh token refused, reading the token secret again');
      const reread = await this.readSecret({ force: true });
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

  /** The usable token secret, if any. Throws `RetryableError` when it cannot be read. */
  private async readSecret(options: { force?: boolean } = {}): Promise<TokenSecret | undefined> {
    try {
      const read = await this.source.read(options);
      return read.kind === 'found' ? read.secret : undefined;
    } catch (error) {
      // Even a client fault (access denied, wrong ARN) is retried: the operator can fix it
      // while the message waits, and the message's last receive still records a failure.
      throw new RetryableError(
        `${describeError(error).message}; check the token secret's ARN in the function's settings and its secretsmanager:GetSecretValue permission`,
        { cause: error },
      );
    }
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
