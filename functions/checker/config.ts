import { type Env, readEnv } from '../../shared/config.js';
import { CHECKER_ENVIRONMENT } from './environment.js';

/** The checker's configuration, validated once at cold start; each field documents its variable in `environment.ts`. */
export interface CheckerConfig {
  /** `TABLE_NAME` (required): the check table. */
  tableName: string;
  /** `SELFIE_BUCKET` (required): the only bucket the checker reads selfies from or decides on. */
  selfieBucket: string;
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
  /** `CHECK_RETENTION_DAYS` (default 30), in seconds: the TTL of check items. */
  retentionSeconds: number;
  /** `VENDOR_CONNECT_TIMEOUT_MS` (default 2000). */
  vendorConnectTimeoutMs: number;
  /** `VENDOR_RESPONSE_TIMEOUT_MS` (default 8000): one vendor call once connected, headers and body together. */
  vendorResponseTimeoutMs: number;
  /** `TOKEN_CACHE_SECONDS` (default 300): how long the token secret is cached in memory. */
  tokenCacheSeconds: number;
}

/** Reads and validates the checker's configuration; throws a `ConfigError` naming the variable. */
export function readConfig(env: Env = process.env): Readonly<CheckerConfig> {
  const v = readEnv(env, CHECKER_ENVIRONMENT);
  return Object.freeze({
    tableName: v.TABLE_NAME,
    selfieBucket: v.SELFIE_BUCKET,
    selfiePrefix: v.SELFIE_PREFIX,
    tokenSecretArn: v.TOKEN_SECRET_ARN,
    ...(v.TOKEN_REFRESHER_FUNCTION_NAME
      ? { tokenRefresherFunctionName: v.TOKEN_REFRESHER_FUNCTION_NAME }
      : {}),
    livenessApiUrl: v.LIVENESS_API_URL,
    maxObjectBytes: v.MAX_OBJECT_BYTES,
    minImageSidePx: v.MIN_IMAGE_SIDE_PX,
    maxImageSidePx: v.MAX_IMAGE_SIDE_PX,
    maxReceiveCount: v.MAX_RECEIVE_COUNT,
    leaseSeconds: v.LEASE_SECONDS,
    batchConcurrency: v.BATCH_CONCURRENCY,
    retainSelfies: v.RETAIN_SELFIES,
    retentionSeconds: v.CHECK_RETENTION_DAYS * 86_400,
    vendorConnectTimeoutMs: v.VENDOR_CONNECT_TIMEOUT_MS,
    vendorResponseTimeoutMs: v.VENDOR_RESPONSE_TIMEOUT_MS,
    tokenCacheSeconds: v.TOKEN_CACHE_SECONDS,
  });
}
