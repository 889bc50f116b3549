import { type Env, type EnvValues, readEnv } from '../../shared/config.js';
import { CHECKER_ENVIRONMENT } from './environment.js';

type Vars = EnvValues<typeof CHECKER_ENVIRONMENT>;

/**
 * The checker's configuration, validated once at cold start. Each field is the variable of
 * `environment.ts` with the same name in upper snake case (`leaseSeconds` is `LEASE_SECONDS`),
 * where its default, range and meaning are declared; `retentionSeconds` is `CHECK_RETENTION_DAYS`
 * in seconds.
 */
export interface CheckerConfig {
  tableName: Vars['TABLE_NAME'];
  selfieBucket: Vars['SELFIE_BUCKET'];
  selfiePrefix: Vars['SELFIE_PREFIX'];
  tokenSecretArn: Vars['TOKEN_SECRET_ARN'];
  tokenRefresherFunctionName?: string;
  livenessApiUrl: Vars['LIVENESS_API_URL'];
  maxObjectBytes: Vars['MAX_OBJECT_BYTES'];
  minImageSidePx: Vars['MIN_IMAGE_SIDE_PX'];
  maxImageSidePx: Vars['MAX_IMAGE_SIDE_PX'];
  maxReceiveCount: Vars['MAX_RECEIVE_COUNT'];
  leaseSeconds: Vars['LEASE_SECONDS'];
  batchConcurrency: Vars['BATCH_CONCURRENCY'];
  retainSelfies: Vars['RETAIN_SELFIES'];
  retentionSeconds: number;
  vendorConnectTimeoutMs: Vars['VENDOR_CONNECT_TIMEOUT_MS'];
  vendorResponseTimeoutMs: Vars['VENDOR_RESPONSE_TIMEOUT_MS'];
  tokenCacheSeconds: Vars['TOKEN_CACHE_SECONDS'];
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
