import { type Env, readEnv } from '../../shared/config.js';
import { TOKEN_REFRESHER_ENVIRONMENT } from './environment.js';

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
  /** `REFRESH_MARGIN_SECONDS`, default 46800: log in once the refresh token has less left than this. */
  refreshMarginSeconds: number;
}

/** Validates the environment; a missing or malformed value fails the cold start naming the variable. */
export function readConfig(env: Env = process.env): Readonly<TokenRefresherConfig> {
  const v = readEnv(env, TOKEN_REFRESHER_ENVIRONMENT);
  return Object.freeze({
    credentialsSecretArn: v.CREDENTIALS_SECRET_ARN,
    tokenSecretArn: v.TOKEN_SECRET_ARN,
    apiUrl: v.LIVENESS_API_URL,
    minWriteIntervalSeconds: v.MIN_WRITE_INTERVAL_SECONDS,
    refreshMarginSeconds: v.REFRESH_MARGIN_SECONDS,
  });
}
