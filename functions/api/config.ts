import { type Env, optionalInt, optionalString, requireString } from '../../shared/config.js';
import { ConfigError } from '../../shared/errors.js';

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
}

export const DEFAULT_SELFIE_PREFIX = 'selfies/';
export const DEFAULT_UPLOAD_URL_TTL_SECONDS = 300;
export const DEFAULT_MAX_OBJECT_BYTES = 2 * 1024 * 1024;
export const DEFAULT_CHECK_RETENTION_DAYS = 30;

// Characters S3 documents as safe in keys; a prefix with anything else would need encoding everywhere.
const SAFE_PREFIX = /^[A-Za-z0-9!_.*'()/-]+\/$/;

/** Reads and validates the api function's environment; throws a `ConfigError` naming the variable. */
export function readApiConfig(env: Env = process.env): ApiConfig {
  const selfiePrefix = optionalString(env, 'SELFIE_PREFIX', DEFAULT_SELFIE_PREFIX);
  if (!SAFE_PREFIX.test(selfiePrefix) || selfiePrefix.startsWith('/')) {
    throw new ConfigError(
      `SELFIE_PREFIX must end with "/", must not start with "/" and may hold only letters, digits and !_.*'()-/, got "${selfiePrefix}"`,
    );
  }
  return Object.freeze({
    tableName: requireString(env, 'TABLE_NAME'),
    selfieBucket: requireString(env, 'SELFIE_BUCKET'),
    selfiePrefix,
    uploadUrlTtlSeconds: optionalInt(env, 'UPLOAD_URL_TTL_SECONDS', DEFAULT_UPLOAD_URL_TTL_SECONDS, 60, 3600),
    maxObjectBytes: optionalInt(env, 'MAX_OBJECT_BYTES', DEFAULT_MAX_OBJECT_BYTES, 1024, 50 * 1024 * 1024),
    retentionSeconds:
      optionalInt(env, 'CHECK_RETENTION_DAYS', DEFAULT_CHECK_RETENTION_DAYS, 1, 3650) * 86_400,
  });
}
