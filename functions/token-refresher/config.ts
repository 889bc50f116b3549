import { type Env, type EnvValues, readEnv } from '../../shared/config.js';
import { TOKEN_REFRESHER_ENVIRONMENT } from './environment.js';

type Vars = EnvValues<typeof TOKEN_REFRESHER_ENVIRONMENT>;

/**
 * The token-refresher's configuration, read once at cold start. Each field is the variable of
 * `environment.ts` with the same name in upper snake case, where its default, range and meaning
 * are declared.
 */
export interface TokenRefresherConfig {
  credentialsSecretArn: Vars['CREDENTIALS_SECRET_ARN'];
  tokenSecretArn: Vars['TOKEN_SECRET_ARN'];
  livenessApiUrl: Vars['LIVENESS_API_URL'];
  minWriteIntervalSeconds: Vars['MIN_WRITE_INTERVAL_SECONDS'];
  refreshMarginSeconds: Vars['REFRESH_MARGIN_SECONDS'];
}

/** Validates the environment; a missing or malformed value fails the cold start naming the variable. */
export function readConfig(env: Env = process.env): Readonly<TokenRefresherConfig> {
  const v = readEnv(env, TOKEN_REFRESHER_ENVIRONMENT);
  return Object.freeze({
    credentialsSecretArn: v.CREDENTIALS_SECRET_ARN,
    tokenSecretArn: v.TOKEN_SECRET_ARN,
    livenessApiUrl: v.LIVENESS_API_URL,
    minWriteIntervalSeconds: v.MIN_WRITE_INTERVAL_SECONDS,
    refreshMarginSeconds: v.REFRESH_MARGIN_SECONDS,
  });
}
