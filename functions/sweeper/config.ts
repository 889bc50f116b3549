import { type Env, readEnv } from '../../shared/config.js';
import { SWEEPER_ENVIRONMENT } from './environment.js';

/** The sweeper's settings, read once per cold start. */
export interface SweeperConfig {
  /** `TABLE_NAME`: the check table. */
  readonly tableName: string;
  /** `SELFIE_BUCKET`: where apps upload selfies. */
  readonly selfieBucket: string;
  /** `SELFIE_PREFIX` (default `selfies/`): a check's selfie is at this prefix plus its id. */
  readonly selfiePrefix: string;
  /** `RETAIN_SELFIES` (default false): keep the selfie of a check the sweeper fails. */
  readonly retainSelfies: boolean;
  /**
   * `UPLOAD_URL_TTL_SECONDS` (default 300): the api's upload form lifetime. A check the API created
   * stays under its upload's index entry (`sweepAt` = its upload expiry) when a checker claims it,
   * so the sweeper looks at those entries from `uploadUrlTtlSeconds` before a claim made at creation
   * could be stale (decision 13).
   */
  readonly uploadUrlTtlSeconds: number;
  /**
   * `UPLOAD_GRACE_SECONDS` (default 300): how long after its URL expired a check whose selfie is not
   * in the bucket becomes EXPIRED. S3 refuses a POST after its policy expired, so a selfie under the
   * key means the upload was in time.
   */
  readonly uploadGraceSeconds: number;
  /**
   * `CLAIM_WAIT_SECONDS` (default 3600): how long a check whose selfie arrived in time but that no
   * checker claimed yet (its notification waits in a backlog, or its first deliveries failed) is
   * left to the checker before the sweeper fails it (`INTERNAL_ERROR`). At least the queue's retry
   * window (visibility timeout x max receives), so every delivery of the notification had its turn.
   */
  readonly claimWaitSeconds: number;
  /**
   * `STALE_CHECK_GRACE_SECONDS` (default 1800): how long after its lease ran out a CHECKING check
   * becomes FAILED. Must exceed the SQS retry window (visibility timeout x max receives): a checker
   * that hits a retryable error releases its lease and waits for SQS to redeliver the message, and
   * the sweeper must not fail the check while that redelivery is still due.
   */
  readonly staleCheckGraceSeconds: number;
  /** `MAX_SWEEP_ITEMS` (default 500): the most checks one run settles; the next run picks up the rest. */
  readonly maxSweepItems: number;
  /** `CHECK_RETENTION_DAYS` (default 30), in seconds: the TTL the repository sets on items it creates. */
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
