/**
 * The token-refresher's core: log in to Apptenticate with the operator's credentials and store the
 * resulting refresh token (and the access token minted with it) in the token secret.
 *
 * When it logs in, whoever calls it (the schedule, a checker's "please refresh" invoke, a person):
 * 1. Write-rate guard, always applied, even when forced: if the token secret was written less
 *    than `minWriteIntervalSeconds` ago AND its refresh token stays valid for longer than that
 *    window, skip (`RECENTLY_WRITTEN`). AWS advises against writing a secret more often than about
 *    every 10 minutes; a token that is about to expire is still replaced, since waiting would stop
 *    every checker.
 * 2. Freshness, unless forced: if the stored refresh token stays valid for more than
 *    `refreshMarginSeconds` (default 13 h: more than twice the 6 h schedule, so a token minted at
 *    any time is renewed before it lapses even if one run fails; see its declaration), skip
 *    (`STILL_VALID`). A checker whose refresh token was refused asks with `force: true`, because a
 *    token can be revoked before its `exp`.
 * 3. Otherwise read the credentials, log in, and write the secret, as a compare-and-swap on the
 *    version read in step 1 (`TokenSecretStore.replace`): when two runs overlap (both read before
 *    either writes), only the first write lands and the other run reports
 *    `WRITTEN_BY_ANOTHER_RUN`. In AWS the function's reserved concurrency of 1 keeps runs apart;
 *    this guard holds where that does not (the local runtime, a copy of the function).
 *
 * Refused credentials throw a `TerminalError` (the function's error alarm should fire: a person
 * must fix the credentials secret); a vendor that is down throws a `RetryableError`.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ApptenticateClient } from '../../shared/apptenticate/client.js';
import { decodeJwtExp } from '../../shared/apptenticate/jwt.js';
import { type TokenSecret, TokenSecretStore } from '../../shared/apptenticate/token-secret.js';
import type { Clock } from '../../shared/clock.js';
import { classifyAwsError, RetryableError, TerminalError } from '../../shared/errors.js';
import { REFRESH_TOKEN_REMAINING_METRIC } from '../../shared/metric-names.js';
import type { TokenRefresherConfig } from './config.js';

/** SimpleJWT's default refresh lifetime, assumed only if the vendor's refresh token has no `exp`. */
const ASSUMED_REFRESH_TTL_SECONDS = 86_400;

/** Everything the refresher talks to, injected so tests swap them. */
export interface RefresherDeps {
  config: Pick<
    TokenRefresherConfig,
    'credentialsSecretArn' | 'tokenSecretArn' | 'minWriteIntervalSeconds' | 'refreshMarginSeconds'
  >;
  secrets: SecretsManagerClient;
  client: Pick<ApptenticateClient, 'login'>;
  logger: Logger;
  /** Receives `RefreshTokenRemainingSeconds` once per run (the `RefreshTokenExpiring` alarm). */
  metrics: { addMetric(name: string, unit: (typeof MetricUnit)['Seconds'], value: number): unknown };
  clock: Clock;
}

/** Why a run did not log in. */
export type SkipReason = 'RECENTLY_WRITTEN' | 'STILL_VALID' | 'WRITTEN_BY_ANOTHER_RUN';

/** What one run did. */
export type RefreshResult =
  | { refreshed: true; refreshExpiresAt: string }
  | {
      refreshed: false;
      reason: 'RECENTLY_WRITTEN';
      refreshExpiresAt: string;
      /** When the write-rate guard lets a forced run write again (a password rotation waits for it). */
      writableAt: string;
    }
  | { refreshed: false; reason: Exclude<SkipReason, 'RECENTLY_WRITTEN'>; refreshExpiresAt: string };

/** What the caller asks for. */
export interface RefreshRequest {
  /** Log in even if the stored refresh token looks valid (the write-rate guard still applies). */
  force?: boolean;
  /** A constant, log-safe reason given by the caller. */
  reason?: string;
}

/**
 * Runs the rules above once, and reports how long the stored refresh token stays valid afterwards
 * (the one it wrote, kept, or found; 0 when there is none), whether the run succeeded or threw.
 */
export async function refreshTokenSecret(
  deps: RefresherDeps,
  request: RefreshRequest = {},
): Promise<RefreshResult> {
  const nowSeconds = Math.floor(deps.clock.now().getTime() / 1000);
  let storedExpiresAt: number | undefined;
  try {
    const result = await refreshOnce(deps, request, (expiresAt) => {
      storedExpiresAt = expiresAt;
    });
    storedExpiresAt = Math.floor(Date.parse(result.refreshExpiresAt) / 1000);
    return result;
  } finally {
    const remaining = storedExpiresAt === undefined ? 0 : Math.max(0, storedExpiresAt - nowSeconds);
    deps.metrics.addMetric(REFRESH_TOKEN_REMAINING_METRIC.metricName, MetricUnit.Seconds, remaining);
  }
}

async function refreshOnce(
  deps: RefresherDeps,
  request: RefreshRequest,
  found: (refreshExpiresAt: number) => void,
): Promise<RefreshResult> {
  const { config, logger } = deps;
  const nowSeconds = Math.floor(deps.clock.now().getTime() / 1000);
  // Every run reads the stored value afresh (no cache): the write-rate guard depends on it.
  const store = new TokenSecretStore({
    secretId: config.tokenSecretArn,
    client: deps.secrets,
    maxAgeSeconds: 0,
  });
  const { read, versionId } = await store.readVersioned();
  // No value yet (a secret created empty) or a malformed one: log in and write one.
  if (read.kind === 'malformed') logger.warn('token secret has an unexpected shape, replacing it');
  const current = read.kind === 'found' ? read.secret : undefined;

  if (current) {
    found(current.refreshExpiresAt);
    const ageSeconds = nowSeconds - Math.floor(Date.parse(current.updatedAt) / 1000);
    const remainingSeconds = current.refreshExpiresAt - nowSeconds;
    const refreshExpiresAt = new Date(current.refreshExpiresAt * 1000).toISOString();
    if (ageSeconds < config.minWriteIntervalSeconds && remainingSeconds > config.minWriteIntervalSeconds) {
      const writableAt = new Date(Date.parse(current.updatedAt) + config.minWriteIntervalSeconds * 1000);
      logger.info('token refresh skipped', { reason: 'RECENTLY_WRITTEN', ageSeconds, refreshExpiresAt });
      return {
        refreshed: false,
        reason: 'RECENTLY_WRITTEN',
        refreshExpiresAt,
        writableAt: writableAt.toISOString(),
      };
    }
    if (!request.force && remainingSeconds > config.refreshMarginSeconds) {
      logger.info('token refresh skipped', { reason: 'STILL_VALID', remainingSeconds, refreshExpiresAt });
      return { refreshed: false, reason: 'STILL_VALID', refreshExpiresAt };
    }
  }

  const credentials = await readCredentials(deps);
  const outcome = await deps.client.login(credentials.username, credentials.password);
  switch (outcome.kind) {
    case 'ok':
      break;
    case 'refused':
      throw new TerminalError(
        'Apptenticate refused the username and password in the credentials secret (HTTP 401); put the correct ones into CREDENTIALS_SECRET_ARN',
      );
    case 'retryable':
      throw new RetryableError(`login failed: ${outcome.message}`);
    case 'terminal':
      throw new TerminalError(`login failed: ${outcome.message}`);
  }

  let refreshExp = decodeJwtExp(outcome.refresh);
  if (refreshExp === undefined) {
    logger.warn('refresh token has no exp claim, assuming the default lifetime', {
      assumedSeconds: ASSUMED_REFRESH_TTL_SECONDS,
    });
    refreshExp = nowSeconds + ASSUMED_REFRESH_TTL_SECONDS;
  }
  const accessExp = decodeJwtExp(outcome.access);
  const secret: TokenSecret = {
    refresh: outcome.refresh,
    refreshExpiresAt: refreshExp,
    access: outcome.access,
    ...(accessExp !== undefined ? { accessExpiresAt: accessExp } : {}),
    updatedAt: deps.clock.now().toISOString(),
  };
  if ((await store.replace(secret, versionId)) === 'conflict') {
    // Another run replaced the value we read while we logged in: its write stands, ours is dropped.
    const now = await store.readVersioned();
    const kept = now.read.kind === 'found' ? now.read.secret.refreshExpiresAt : refreshExp;
    const keptExpiresAt = new Date(kept * 1000).toISOString();
    logger.info('token refresh skipped', {
      reason: 'WRITTEN_BY_ANOTHER_RUN',
      refreshExpiresAt: keptExpiresAt,
    });
    return { refreshed: false, reason: 'WRITTEN_BY_ANOTHER_RUN', refreshExpiresAt: keptExpiresAt };
  }
  const refreshExpiresAt = new Date(refreshExp * 1000).toISOString();
  logger.info('token secret written', {
    refreshExpiresAt,
    forced: request.force === true,
    ...(request.reason ? { requestReason: request.reason } : {}),
  });
  return { refreshed: true, refreshExpiresAt };
}

async function readCredentials(deps: RefresherDeps): Promise<{ username: string; password: string }> {
  let text: string | undefined;
  try {
    const answer = await deps.secrets.send(
      new GetSecretValueCommand({ SecretId: deps.config.credentialsSecretArn }),
    );
    text = answer.SecretString;
  } catch (error) {
    throw classifyAwsError(error, 'reading the credentials secret (CREDENTIALS_SECRET_ARN)');
  }
  let value: unknown;
  try {
    value = text ? JSON.parse(text) : undefined;
  } catch {
    value = undefined;
  }
  const record = value as { username?: unknown; password?: unknown } | undefined;
  if (
    !record ||
    typeof record !== 'object' ||
    typeof record.username !== 'string' ||
    record.username === '' ||
    typeof record.password !== 'string' ||
    record.password === ''
  ) {
    throw new TerminalError(
      'the credentials secret (CREDENTIALS_SECRET_ARN) must be JSON {"username": "...", "password": "..."}; put a value of that shape into it',
    );
  }
  return { username: record.username, password: record.password };
}
