import {
  type Env,
  optionalBool,
  optionalInt,
  optionalString,
  optionalUrl,
  requireString,
} from '../../shared/config.js';

/** The checker's configuration, validated once at cold start. */
export interface CheckerConfig {
  /** `TABLE_NAME` (required): the check table. */
  tableName: string;
  /** `SELFIE_PREFIX` (default `selfies/`): only keys under it are checked. */
  selfiePrefix: string;
  /** `TOKEN_SECRET_ARN` (required): the secret holding the cached Apptenticate refresh/access tokens. */
  tokenSecretArn: string;
  /** `TOKEN_REFRESHER_FUNCTION_NAME` (optional): invoked asynchronously when the refresh token is refused. */
  tokenRefresherFunctionName?: string;
  /** `LIVENESS_API_URL` (default `https://api.apptenticate.com`). */
  livenessApiUrl: string;
  /** `MAX_OBJECT_BYTES` (default 2097152, the vendor's assumed 2 MB limit). */
  maxObjectBytes: number;
  /** `MIN_IMAGE_SIDE_PX` (default 64): narrower or shorter images are rejected before any paid call. */
  minImageSidePx: number;
  /** `MAX_IMAGE_SIDE_PX` (default 10000): wider or taller images are rejected as implausible. */
  maxImageSidePx: number;
  /** `MAX_RECEIVE_COUNT` (default 3): must equal the queue's maxReceiveCount; the last receive records FAILED. */
  maxReceiveCount: number;
  /** `LEASE_SECONDS` (default 120): how long a claim holds; must exceed the function timeout. */
  leaseSeconds: number;
  /** `BATCH_CONCURRENCY` (default 5): selfies checked at once per container. */
  batchConcurrency: number;
  /** `RETAIN_SELFIES` (default false): keep selfies after their verdict (the bucket lifecycle still expires them). */
  retainSelfies: boolean;
  /** `CHECK_RETENTION_DAYS` (default 30): DynamoDB TTL of check items. */
  checkRetentionDays: number;
  /** `VENDOR_CONNECT_TIMEOUT_MS` (default 3000). */
  vendorConnectTimeoutMs: number;
  /** `VENDOR_RESPONSE_TIMEOUT_MS` (default 10000): for the response headers and again for the body. */
  vendorResponseTimeoutMs: number;
  /** `TOKEN_CACHE_SECONDS` (default 300): how long the token secret is cached in memory. */
  tokenCacheSeconds: number;
}

/**
 * The invocation time a record needs before it may start: one vendor call at its worst (connect,
 * headers, body) plus 5 s for S3 and DynamoDB. A record that cannot finish is not started at all:
 * it goes back to SQS unclaimed instead of being cut off by the function timeout holding a lease.
 */
export function minRemainingMsToStart(
  config: Pick<CheckerConfig, 'vendorConnectTimeoutMs' | 'vendorResponseTimeoutMs'>,
): number {
  return config.vendorConnectTimeoutMs + 2 * config.vendorResponseTimeoutMs + 5_000;
}

/** Reads and validates the checker's configuration; throws a `ConfigError` naming the variable. */
export function readCheckerConfig(env: Env): Readonly<CheckerConfig> {
  const refresher = env.TOKEN_REFRESHER_FUNCTION_NAME?.trim();
  return Object.freeze({
    tableName: requireString(env, 'TABLE_NAME'),
    selfiePrefix: optionalString(env, 'SELFIE_PREFIX', 'selfies/'),
    tokenSecretArn: requireString(env, 'TOKEN_SECRET_ARN'),
    ...(refresher ? { tokenRefresherFunctionName: refresher } : {}),
    livenessApiUrl: optionalUrl(env, 'LIVENESS_API_URL', 'https://api.apptenticate.com'),
    maxObjectBytes: optionalInt(env, 'MAX_OBJECT_BYTES', 2 * 1024 * 1024, 1024, 50 * 1024 * 1024),
    minImageSidePx: optionalInt(env, 'MIN_IMAGE_SIDE_PX', 64, 1, 4096),
    maxImageSidePx: optionalInt(env, 'MAX_IMAGE_SIDE_PX', 10_000, 64, 100_000),
    maxReceiveCount: optionalInt(env, 'MAX_RECEIVE_COUNT', 3, 1, 1000),
    leaseSeconds: optionalInt(env, 'LEASE_SECONDS', 120, 10, 43_200),
    batchConcurrency: optionalInt(env, 'BATCH_CONCURRENCY', 5, 1, 100),
    retainSelfies: optionalBool(env, 'RETAIN_SELFIES', false),
    checkRetentionDays: optionalInt(env, 'CHECK_RETENTION_DAYS', 30, 1, 3650),
    vendorConnectTimeoutMs: optionalInt(env, 'VENDOR_CONNECT_TIMEOUT_MS', 3000, 100, 60_000),
    vendorResponseTimeoutMs: optionalInt(env, 'VENDOR_RESPONSE_TIMEOUT_MS', 10_000, 100, 120_000),
    tokenCacheSeconds: optionalInt(env, 'TOKEN_CACHE_SECONDS', 300, 0, 3600),
  });
}

/** The checker's configuration from this process's environment. */
export function loadCheckerConfig(): Readonly<CheckerConfig> {
  return readCheckerConfig(process.env);
}
