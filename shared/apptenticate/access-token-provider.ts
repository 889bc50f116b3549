/**
 * The checker's side of Apptenticate authentication (docs/architecture.md, "Vendor tokens").
 *
 * The token secret holds a refresh token written by the token-refresher. Each container reads it
 * through an in-memory cache, mints short-lived access tokens from it in memory, reuses each access
 * token until shortly before it lapses, and runs at most one refresh at a time. The checker never
 * sees the password: the provider is given only a reader of the token secret (`token-secret.ts`).
 *
 * Renewal margin (`token-lifetime.ts`): a token is renewed `min(skewSeconds, renewFraction x its
 * lifetime)` before it lapses, the lifetime read from the JWT (`exp - iat`). A fixed 30 s margin
 * would refresh before every call with tokens that live less than that. A token this container
 * minted lapses, by our clock, at (when we asked for it + its lifetime): it cannot have been issued
 * earlier, and a skewed clock between us and the vendor does not matter.
 *
 * A refresh token is never sent past its `refreshExpiresAt`: it counts as refused at once.
 * Only a refused refresh token (the vendor's 401) walks the ladder below; any other failure of the
 * refresh endpoint (5xx, timeouts, and also 400/403/404 or an HTML page) is retryable for the check.
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
import { untilAborted } from '../deadline.js';
import { describeError, RetryableError } from '../errors.js';
import { createLogger } from '../observability.js';
import type { ApptenticateClient } from './client.js';
import type { VendorRetryable, VendorTerminal } from './outcome.js';
import { lapseOf, type RenewalPolicy, renewAt, storedTokenRenewAt } from './token-lifetime.js';
import type { TokenSecret, TokenSecretReader } from './token-secret.js';

const MAX_REFUSED_ACCESS_TOKENS = 8;

const DEADLINE_PASSED: VendorRetryable = {
  kind: 'retryable',
  reason: 'TIMEOUT',
  message: "the record's deadline passed while waiting for an access token; retry later",
};

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
  /** Renew an access token at most this many seconds before it lapses. @default 30 */
  skewSeconds?: number;
  /**
   * Renew an access token at most this share of its lifetime before it lapses (so short-lived
   * tokens are still reused). @default 0.25
   */
  renewFraction?: number;
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
  private readonly renewal: RenewalPolicy;
  private readonly refreshRequestIntervalMs: number;
  private readonly forcedReadIntervalMs: number;
  private readonly logger: Logger;

  /** The access token in use and when (our clock) to stop using it. */
  private access: { token: string; renewAtMs: number } | undefined;
  private inflight: Promise<AccessTokenResult> | undefined;
  /**
   * Access tokens the vendor refused (the last few), so the copy in the secret is not reused: one
   * remembered token is not enough once the container's own refreshed token is refused too.
   */
  private readonly refusedAccess = new Set<string>();
  /** The last refresh token the vendor refused, so it is not sent again. */
  private refusedRefresh: string | undefined;
  private lastForcedReadMs: number | undefined;
  private lastRefreshRequestMs: number | undefined;

  constructor(options: AccessTokenProviderOptions) {
    this.source = options.source;
    this.client = options.client;
    this.requestTokenRefresh = options.requestTokenRefresh;
    this.now = options.now ?? Date.now;
    this.renewal = {
      skewMs: (options.skewSeconds ?? 30) * 1000,
      renewFraction: options.renewFraction ?? 0.25,
      fallbackAccessTtlMs: (options.fallbackAccessTtlSeconds ?? 300) * 1000,
    };
    this.refreshRequestIntervalMs = (options.refreshRequestIntervalSeconds ?? 300) * 1000;
    this.forcedReadIntervalMs = (options.forcedReadIntervalSeconds ?? 30) * 1000;
    this.logger = options.logger ?? createLogger('apptenticate');
  }

  /**
   * A valid access token, or the outcome to report when none can be had. Concurrent callers
   * share one refresh. Throws `RetryableError` when the token secret cannot be read.
   *
   * `signal`: the caller's deadline. When it fires first the caller gets a retryable `TIMEOUT`; the
   * shared refresh is not cut short (other callers may have time for it, and its token is kept),
   * being bounded by the client's own call timeout.
   */
  async getAccessToken(options: { signal?: AbortSignal } = {}): Promise<AccessTokenResult> {
    if (this.access && this.access.renewAtMs > this.now()) return { kind: 'ok', token: this.access.token };
    if (!this.inflight) {
      this.inflight = this.mint().finally(() => {
        this.inflight = undefined;
      });
    }
    return options.signal
      ? await untilAborted(this.inflight, options.signal, DEADLINE_PASSED)
      : await this.inflight;
  }

  /** Forgets an access token the vendor refused. A token that was already replaced is ignored. */
  invalidate(token: string): void {
    this.refusedAccess.add(token);
    if (this.refusedAccess.size > MAX_REFUSED_ACCESS_TOKENS) {
      const oldest = this.refusedAccess.values().next().value;
      if (oldest !== undefined) this.refusedAccess.delete(oldest);
    }
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
    if (secret.access && !this.refusedAccess.has(secret.access)) {
      const renewAtMs = storedTokenRenewAt(secret.access, secret.accessExpiresAt, this.renewal);
      if (renewAtMs !== undefined && renewAtMs > this.now()) {
        this.access = { token: secret.access, renewAtMs };
        return { kind: 'ok', token: secret.access };
      }
    }
    if (secret.refresh === this.refusedRefresh) return 'refused';
    if (secret.refreshExpiresAt * 1000 <= this.now()) {
      // The vendor would refuse it: no call, straight to the next rung of the ladder.
      this.logger.info('refresh token past its expiry, not sent', {
        refreshExpiresAt: new Date(secret.refreshExpiresAt * 1000).toISOString(),
      });
      return 'refused';
    }
    const askedAtMs = this.now();
    const outcome = await this.client.refresh(secret.refresh);
    if (outcome.kind === 'refused') {
      this.refusedRefresh = secret.refresh;
      return 'refused';
    }
    if (outcome.kind === 'terminal') {
      // A 400/403/404 or an HTML page from the refresh endpoint says nothing about the selfie,
      // and the refresh token was not refused: retry the check later instead of failing it.
      this.logger.warn('access token refresh failed', { kind: outcome.kind, reason: outcome.reason });
      return {
        kind: 'retryable',
        reason: 'TOKEN_REFRESH_FAILED',
        ...(outcome.httpStatus !== undefined ? { httpStatus: outcome.httpStatus } : {}),
        message: `the token refresh endpoint answered HTTP ${outcome.httpStatus ?? '?'} without an access token; retry later, and check the vendor's base URL in the function's settings if this persists`,
      };
    }
    if (outcome.kind !== 'ok') {
      this.logger.warn('access token refresh failed', { kind: outcome.kind, reason: outcome.reason });
      return outcome;
    }
    const [lapseMs, lifetimeMs] = lapseOf(outcome.access, askedAtMs, this.renewal);
    const renewAtMs = renewAt(lapseMs, lifetimeMs, this.renewal);
    this.access = { token: outcome.access, renewAtMs };
    this.logger.debug('access token refreshed', { renewAt: new Date(renewAtMs).toISOString() });
    return { kind: 'ok', token: outcome.access };
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
