import { type Env, type EnvValues, readEnv } from '../../shared/config.js';
import { ConfigError } from '../../shared/errors.js';
import { API_ENVIRONMENT } from './environment.js';
import type { OwnerLimitSettings } from './owner-limits.js';

type Vars = EnvValues<typeof API_ENVIRONMENT>;

/**
 * The api function's configuration, read once per cold start. Each field is the variable of
 * `environment.ts` with the same name in upper snake case, where its default, range and meaning
 * are declared; `retentionSeconds` is `CHECK_RETENTION_DAYS` in seconds, and `limits` holds the
 * per-owner limits (`USER_MAX_OPEN_CHECKS` ... `CHECKS_PER_DAY`).
 */
export interface ApiConfig {
  readonly tableName: Vars['TABLE_NAME'];
  readonly selfieBucket: Vars['SELFIE_BUCKET'];
  readonly selfiePrefix: Vars['SELFIE_PREFIX'];
  readonly uploadUrlTtlSeconds: Vars['UPLOAD_URL_TTL_SECONDS'];
  readonly maxObjectBytes: Vars['MAX_OBJECT_BYTES'];
  readonly retentionSeconds: number;
  readonly limits: OwnerLimitSettings;
}

// Characters S3 documents as safe in keys; a prefix with anything else would need encoding everywhere.
const SAFE_PREFIX = /^[A-Za-z0-9!_.*'()/-]+\/$/;

/** Reads and validates the api function's environment; throws a `ConfigError` naming the variable. */
export function readConfig(env: Env = process.env): ApiConfig {
  const v = readEnv(env, API_ENVIRONMENT);
  const selfiePrefix = v.SELFIE_PREFIX;
  if (!SAFE_PREFIX.test(selfiePrefix) || selfiePrefix.startsWith('/')) {
    throw new ConfigError(
      `SELFIE_PREFIX must end with "/", must not start with "/" and may hold only letters, digits and !_.*'()-/, got "${selfiePrefix}"`,
    );
  }
  return Object.freeze({
    tableName: v.TABLE_NAME,
    selfieBucket: v.SELFIE_BUCKET,
    selfiePrefix,
    uploadUrlTtlSeconds: v.UPLOAD_URL_TTL_SECONDS,
    maxObjectBytes: v.MAX_OBJECT_BYTES,
    retentionSeconds: v.CHECK_RETENTION_DAYS * 86_400,
    limits: Object.freeze({
      userMaxOpenChecks: v.USER_MAX_OPEN_CHECKS,
      userChecksPerMinute: v.USER_CHECKS_PER_MINUTE,
      serviceChecksPerMinute: v.SERVICE_CHECKS_PER_MINUTE,
      userChecksPerDay: v.USER_CHECKS_PER_DAY,
      checksPerDay: v.CHECKS_PER_DAY,
    }),
  });
}
