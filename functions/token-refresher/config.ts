import { type Env, optionalInt, optionalUrl, requireString } from '../../shared/config.js';

/** The token-refresher's configuration, read once at cold start. */
export interface TokenRefresherConfig {
  /** `CREDENTIALS_SECRET_ARN`: the operator's `{"username","password"}` secret. Required. */
  credentialsSecretArn: string;
  /** `TOKEN_SECRET_ARN`: the secret this function writes and checkers read. Required. */
  tokenSecretArn: string;
  /** `LIVENESS_API_URL`, default `https://api.apptenticate.com`. */
  apiUrl: string;
  /** `MIN_WRITE_INTERVAL_SECONDS`, default 600: the write-rate guard's window. */
  minWriteIntervalSeconds: number;
  /** `REFRESH_MARGIN_SECONDS`, default 7200: log in once the refresh token has less left than this. */
  refreshMarginSeconds: number;
}

/** Validates the environment; a missing or malformed value fails the cold start naming the variable. */
export function loadConfig(env: Env = process.env): Readonly<TokenRefresherConfig> {
  return Object.freeze({
    credentialsSecretArn: requireString(env, 'CREDENTIALS_SECRET_ARN'),
    tokenSecretArn: requireString(env, 'TOKEN_SECRET_ARN'),
    apiUrl: optionalUrl(env, 'LIVENESS_API_URL', 'https://api.apptenticate.com'),
    minWriteIntervalSeconds: optionalInt(env, 'MIN_WRITE_INTERVAL_SECONDS', 600, 0, 86_400),
    refreshMarginSeconds: optionalInt(env, 'REFRESH_MARGIN_SECONDS', 7200, 0, 30 * 86_400),
  });
}
