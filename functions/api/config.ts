import { type Env, readEnv } from '../../shared/config.js';
import { ConfigError } from '../../shared/errors.js';
import { API_ENVIRONMENT } from './environment.js';
import type { OwnerLimitSettings } from './owner-limits.js';

/** The api function's settings, read once per cold start. */
export interface ApiConfig {
  /** `TABLE_NAME`: the check table. */
  readonly tableName: string;
  /** `SELFIE_BUCKET`: where apps upload selfies. */
  readonly selfieBucket: string;
  /** `SELFIE_PREFIX` (default `selfies/`): every upload key is this prefix plus the check id. */
  readonly selfiePrefix: string;
  /** `UPLOAD_URL_TTL_SECONDS` (default 300, 60..3600): how long an upload URL works. */
  readonly uploadUrlTtlSeconds: number;
  /** `MAX_OBJECT_BYTES` (default 2 MiB): the largest selfie the upload policy accepts. */
  readonly maxObjectBytes: number;
  /** `CHECK_RETENTION_DAYS` (default 30), in seconds: the TTL of check items. */
  readonly retentionSeconds: number;
  /**
   * `USER_MAX_OPEN_CHECKS`, `USER_CHECKS_PER_MINUTE`, `SERVICE_CHECKS_PER_MINUTE`,
   * `USER_CHECKS_PER_DAY`: the per-owner limits; `CHECKS_PER_DAY`: the daily budget of all of them.
   */
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
