import { type Env, type EnvValues, readEnv } from '../../shared/config.js';
import { SWEEPER_ENVIRONMENT } from './environment.js';

type Vars = EnvValues<typeof SWEEPER_ENVIRONMENT>;

/**
 * The sweeper's configuration, read once per cold start. Each field is the variable of
 * `environment.ts` with the same name in upper snake case, where its default, range and meaning
 * (and why) are declared; `retentionSeconds` is `CHECK_RETENTION_DAYS` in seconds.
 */
export interface SweeperConfig {
  readonly tableName: Vars['TABLE_NAME'];
  readonly selfieBucket: Vars['SELFIE_BUCKET'];
  readonly selfiePrefix: Vars['SELFIE_PREFIX'];
  readonly retainSelfies: Vars['RETAIN_SELFIES'];
  readonly uploadUrlTtlSeconds: Vars['UPLOAD_URL_TTL_SECONDS'];
  readonly uploadGraceSeconds: Vars['UPLOAD_GRACE_SECONDS'];
  readonly claimWaitSeconds: Vars['CLAIM_WAIT_SECONDS'];
  readonly staleCheckGraceSeconds: Vars['STALE_CHECK_GRACE_SECONDS'];
  readonly maxSweepItems: Vars['MAX_SWEEP_ITEMS'];
  readonly retentionSeconds: number;
}

/** Reads and validates the sweeper's environment; throws a `ConfigError` naming the variable. */
export function readConfig(env: Env = process.env): SweeperConfig {
  const v = readEnv(env, SWEEPER_ENVIRONMENT);
  return Object.freeze({
    tableName: v.TABLE_NAME,
    selfieBucket: v.SELFIE_BUCKET,
    selfiePrefix: v.SELFIE_PREFIX,
    retainSelfies: v.RETAIN_SELFIES,
    uploadUrlTtlSeconds: v.UPLOAD_URL_TTL_SECONDS,
    uploadGraceSeconds: v.UPLOAD_GRACE_SECONDS,
    claimWaitSeconds: v.CLAIM_WAIT_SECONDS,
    staleCheckGraceSeconds: v.STALE_CHECK_GRACE_SECONDS,
    maxSweepItems: v.MAX_SWEEP_ITEMS,
    retentionSeconds: v.CHECK_RETENTION_DAYS * 86_400,
  });
}
