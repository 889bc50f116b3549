/**
 * The pipeline's settings: their types, their defaults and the values derived from them.
 *
 * Plain data only (no CDK constructs): the construct and the local runtime (`tools/local/`) both
 * read it through `infra/settings.ts`. The ranges and the rules across settings are in
 * `settings-rules.ts`.
 */
import { API_ENVIRONMENT } from '../functions/api/environment.js';
import { CHECKER_ENVIRONMENT } from '../functions/checker/environment.js';
import { NOTIFIER_ENVIRONMENT } from '../functions/notifier/environment.js';
import { SWEEPER_ENVIRONMENT } from '../functions/sweeper/environment.js';
import { TOKEN_REFRESHER_ENVIRONMENT } from '../functions/token-refresher/environment.js';

export {
  FUNCTION_NAMES,
  FUNCTION_SETTINGS_KEYS,
  type PipelineFunctionName,
} from '../functions/commons/function-names.js';

/** Settings of the checker function and its SQS queue. */
export interface CheckerSettings {
  /** Lambda timeout. The queue's visibility timeout is derived from it (see `visibilityTimeoutSeconds`). */
  timeoutSeconds: number;
  /** How long a claim on a check holds; must exceed the timeout so a live invocation never loses it. */
  leaseSeconds: number;
  /** SQS messages per invocation. */
  batchSize: number;
  /** How long Lambda gathers messages before invoking; 0 invokes as soon as messages arrive. */
  maxBatchingWindowSeconds: number;
  /** Concurrent checker invocations the event source allows: protects the vendor's rate limit. */
  maxConcurrency: number;
  /** Receives before a message goes to the DLQ; the checker records FAILED on the last one. */
  maxReceiveCount: number;
  /** Records one invocation works on at the same time. */
  batchConcurrency: number;
  /** Images narrower or shorter than this are rejected before any paid call. */
  minImageSidePx: number;
  /** Images wider or taller than this are rejected (`IMAGE_DIMENSIONS_INVALID`) before any paid call. */
  maxImageSidePx: number;
  /** Vendor connect timeout. */
  vendorConnectTimeoutMs: number;
  /** Vendor response headers timeout, and again body timeout. */
  vendorResponseTimeoutMs: number;
  /** How long a checker container caches the token secret. */
  tokenCacheSeconds: number;
  /** Alarm when the oldest queued notification is older than this. */
  oldestMessageAlarmSeconds: number;
}

/** Settings of the notifier function and its DynamoDB stream event source. */
export interface NotifierSettings {
  timeoutSeconds: number;
  batchSize: number;
  maxBatchingWindowSeconds: number;
  /** Retries of a failing batch (after bisecting) before its records go to the on-failure DLQ. */
  retryAttempts: number;
  /** Records older than this go to the on-failure DLQ instead of being retried. */
  maxRecordAgeSeconds: number;
  /** Alarm when the stream's iterator age exceeds this. */
  iteratorAgeAlarmSeconds: number;
}

/** Settings of the api function and the HTTP API. */
export interface ApiSettings {
  timeoutSeconds: number;
  /** Lifetime of a presigned upload (POST policy). */
  uploadUrlTtlSeconds: number;
  /** Steady-state requests per second the HTTP API's default stage allows. */
  throttleRateLimit: number;
  throttleBurstLimit: number;
  /** Checks a user (a JWT `sub`, a Cognito identity) may have not yet final at once. */
  userMaxOpenChecks: number;
  /** Checks a user may create per clock minute. */
  userChecksPerMinute: number;
  /** Checks a service (an IAM principal) may create per clock minute. */
  serviceChecksPerMinute: number;
  /** Checks a user may create per UTC day (services have no daily limit of their own). */
  userChecksPerDay: number;
  /**
   * Checks the API creates per UTC day, all callers together: the vendor budget. The
   * `VendorCallsDaily` alarm fires when the checker's vendor calls of the last day pass 80% of it.
   */
  checksPerDay: number;
}

/** Settings of the sweeper function and its schedule. */
export interface SweeperSettings {
  timeoutSeconds: number;
  scheduleMinutes: number;
  /** Grace after an upload URL expired before the check becomes EXPIRED (when its selfie is not in the bucket). */
  uploadGraceSeconds: number;
  /**
   * How long a check whose selfie arrived in time, but that no checker claimed by the end of its
   * upload grace (a queue backlog, failed first deliveries), is left to the checker before it is
   * FAILED with `INTERNAL_ERROR`. At least the queue's retry window (visibility timeout x
   * `checker.maxReceiveCount`); what it holds beyond that is the backlog it rides out.
   */
  claimWaitSeconds: number;
  /** Grace after a lease ran out before a CHECKING check becomes FAILED. */
  staleCheckGraceSeconds: number;
  maxSweepItems: number;
}

/** Settings of the token-refresher function and its schedule. */
export interface TokenRefresherSettings {
  timeoutSeconds: number;
  /** Must be well inside the vendor's refresh-token lifetime (1 day by default). */
  scheduleHours: number;
  /** Secrets Manager advises against writing a secret more often than about every 10 minutes. */
  minWriteIntervalSeconds: number;
  /**
   * A scheduled run skips login while the refresh token stays valid longer than this. Must exceed
   * the schedule interval (`scheduleHours` x 3600), or a token minted off the schedule's phase
   * lapses before the next run; twice the interval survives one failed run; below the token
   * lifetime minus the interval, or every run logs in. Default 46,800 s (13 h) for a 6 h schedule
   * and 1-day tokens: a login every second run.
   */
  refreshMarginSeconds: number;
  /**
   * Reserve a concurrency of 1 for the token-refresher, so that it runs one at a time. Off by
   * default: AWS keeps 10 units of an account's concurrency unreserved, and a new account's quota is
   * 10, so any reservation fails the first deploy there. Overlapping runs are safe without it: the
   * token secret write is a compare-and-swap (`TokenSecretStore.replace`), so two runs write it
   * once; the cost is at most one extra vendor login. Turn it on where the account has spare
   * concurrency and the vendor counts logins strictly.
   */
  reserveConcurrency: boolean;
}

/** Thresholds of the alarms on outcomes and on the API, and where their runbooks are. */
export interface MonitoringSettings {
  /** Window over which the shares of EXPIRED and FAILED among final checks are computed. */
  outcomeWindowMinutes: number;
  /** A share computed over fewer final checks (or API requests) than this never alarms: 1 of 2 is noise. */
  minSampleCount: number;
  /** Alarm when more than this percentage of the window's final checks are EXPIRED (uploads not arriving). */
  expiredSharePercent: number;
  /** Alarm when more than this percentage of the window's final checks are FAILED (vendor or AWS trouble). */
  failedSharePercent: number;
  /** Alarm when more than this percentage of API requests answer 5xx, 3 periods of 5 minutes in a row. */
  apiServerErrorPercent: number;
  /** Alarm when the API's p99 latency exceeds this, 3 periods of 5 minutes in a row. */
  apiLatencyP99Ms: number;
  /** Where `docs/runbooks.md` is read; each alarm's description links its section (`<url>#<alarm id>`). */
  runbookUrl: string;
}

/** Every setting of the pipeline. */
export interface PipelineSettings {
  /** Key prefix of uploaded selfies; ends with `/`. */
  selfiePrefix: string;
  /** `source` of the events on the bus. */
  eventSource: string;
  /** Base URL of the Apptenticate API. */
  livenessApiUrl: string;
  /** Largest selfie accepted (bytes): enforced by the upload policy and the checker's pre-check. */
  maxObjectBytes: number;
  /** Keep selfies after their verdict (by default they are deleted at once). */
  retainSelfies: boolean;
  /** Backstop: S3 expires any selfie left after this many days. */
  selfieLifecycleDays: number;
  /** Check items expire by DynamoDB TTL after this many days. */
  checkRetentionDays: number;
  /** Retention of the functions' and the API's log groups; a value CloudWatch Logs accepts. */
  logRetentionDays: number;
  /** Retention of the event archive on the bus. */
  eventArchiveRetentionDays: number;
  /** Retention of the dead-letter queues (SQS allows 1 to 14 days). */
  dlqRetentionDays: number;
  /** The least severe level every function logs (`POWERTOOLS_LOG_LEVEL`): one of `LOG_LEVELS`. */
  logLevel: string;
  checker: CheckerSettings;
  notifier: NotifierSettings;
  api: ApiSettings;
  sweeper: SweeperSettings;
  tokenRefresher: TokenRefresherSettings;
  monitoring: MonitoringSettings;
}

/** Partial settings: any setting left out takes its default. */
export type PipelineSettingsOverrides = Partial<
  Omit<PipelineSettings, 'checker' | 'notifier' | 'api' | 'sweeper' | 'tokenRefresher' | 'monitoring'>
> & {
  checker?: Partial<CheckerSettings>;
  notifier?: Partial<NotifierSettings>;
  api?: Partial<ApiSettings>;
  sweeper?: Partial<SweeperSettings>;
  tokenRefresher?: Partial<TokenRefresherSettings>;
  monitoring?: Partial<MonitoringSettings>;
};

/**
 * The defaults. A setting that feeds a function's environment takes its default from the
 * function's declaration (`functions/<name>/environment.ts`), so each default is stated once.
 */
export const DEFAULT_SETTINGS: Readonly<PipelineSettings> = Object.freeze({
  selfiePrefix: CHECKER_ENVIRONMENT.SELFIE_PREFIX.default,
  eventSource: NOTIFIER_ENVIRONMENT.EVENT_SOURCE.default,
  livenessApiUrl: CHECKER_ENVIRONMENT.LIVENESS_API_URL.default,
  maxObjectBytes: CHECKER_ENVIRONMENT.MAX_OBJECT_BYTES.default,
  retainSelfies: CHECKER_ENVIRONMENT.RETAIN_SELFIES.default,
  selfieLifecycleDays: 1,
  checkRetentionDays: CHECKER_ENVIRONMENT.CHECK_RETENTION_DAYS.default,
  logRetentionDays: 30,
  eventArchiveRetentionDays: 30,
  dlqRetentionDays: 14,
  logLevel: CHECKER_ENVIRONMENT.POWERTOOLS_LOG_LEVEL.default,
  checker: {
    timeoutSeconds: 60,
    leaseSeconds: CHECKER_ENVIRONMENT.LEASE_SECONDS.default,
    batchSize: 10,
    maxBatchingWindowSeconds: 0,
    maxConcurrency: 5,
    maxReceiveCount: CHECKER_ENVIRONMENT.MAX_RECEIVE_COUNT.default,
    batchConcurrency: CHECKER_ENVIRONMENT.BATCH_CONCURRENCY.default,
    minImageSidePx: CHECKER_ENVIRONMENT.MIN_IMAGE_SIDE_PX.default,
    maxImageSidePx: CHECKER_ENVIRONMENT.MAX_IMAGE_SIDE_PX.default,
    vendorConnectTimeoutMs: CHECKER_ENVIRONMENT.VENDOR_CONNECT_TIMEOUT_MS.default,
    vendorResponseTimeoutMs: CHECKER_ENVIRONMENT.VENDOR_RESPONSE_TIMEOUT_MS.default,
    tokenCacheSeconds: CHECKER_ENVIRONMENT.TOKEN_CACHE_SECONDS.default,
    oldestMessageAlarmSeconds: 900,
  },
  notifier: {
    timeoutSeconds: 30,
    batchSize: 25,
    maxBatchingWindowSeconds: 1,
    retryAttempts: 10,
    maxRecordAgeSeconds: 86_400,
    iteratorAgeAlarmSeconds: 300,
  },
  api: {
    timeoutSeconds: 10,
    uploadUrlTtlSeconds: API_ENVIRONMENT.UPLOAD_URL_TTL_SECONDS.default,
    throttleRateLimit: 50,
    throttleBurstLimit: 100,
    userMaxOpenChecks: API_ENVIRONMENT.USER_MAX_OPEN_CHECKS.default,
    userChecksPerMinute: API_ENVIRONMENT.USER_CHECKS_PER_MINUTE.default,
    serviceChecksPerMinute: API_ENVIRONMENT.SERVICE_CHECKS_PER_MINUTE.default,
    userChecksPerDay: API_ENVIRONMENT.USER_CHECKS_PER_DAY.default,
    checksPerDay: API_ENVIRONMENT.CHECKS_PER_DAY.default,
  },
  sweeper: {
    timeoutSeconds: 120,
    scheduleMinutes: 5,
    uploadGraceSeconds: SWEEPER_ENVIRONMENT.UPLOAD_GRACE_SECONDS.default,
    claimWaitSeconds: SWEEPER_ENVIRONMENT.CLAIM_WAIT_SECONDS.default,
    staleCheckGraceSeconds: SWEEPER_ENVIRONMENT.STALE_CHECK_GRACE_SECONDS.default,
    maxSweepItems: SWEEPER_ENVIRONMENT.MAX_SWEEP_ITEMS.default,
  },
  tokenRefresher: {
    timeoutSeconds: 30,
    scheduleHours: 6,
    minWriteIntervalSeconds: TOKEN_REFRESHER_ENVIRONMENT.MIN_WRITE_INTERVAL_SECONDS.default,
    refreshMarginSeconds: TOKEN_REFRESHER_ENVIRONMENT.REFRESH_MARGIN_SECONDS.default,
    reserveConcurrency: false,
  },
  monitoring: {
    outcomeWindowMinutes: 60,
    minSampleCount: 20,
    // Some checks are never uploaded (an abandoned screen); a broken upload path or CORS makes nearly all of them EXPIRED.
    expiredSharePercent: 30,
    // FAILED is recorded only after every receive failed: more than a few in an hour is a vendor or AWS problem.
    failedSharePercent: 5,
    apiServerErrorPercent: 5,
    apiLatencyP99Ms: 2000,
    runbookUrl: 'docs/runbooks.md',
  },
});

/** A setting of `PipelineSettings` by its dotted path, e.g. `checker.leaseSeconds`: its one name (the context key too). */
export type SettingPath =
  | Exclude<
      keyof PipelineSettings,
      'checker' | 'notifier' | 'api' | 'sweeper' | 'tokenRefresher' | 'monitoring'
    >
  | `checker.${keyof CheckerSettings}`
  | `notifier.${keyof NotifierSettings}`
  | `api.${keyof ApiSettings}`
  | `sweeper.${keyof SweeperSettings}`
  | `tokenRefresher.${keyof TokenRefresherSettings}`
  | `monitoring.${keyof MonitoringSettings}`;

/** Every setting's path, in the order of `DEFAULT_SETTINGS`. */
export const SETTING_PATHS: readonly SettingPath[] = Object.entries(DEFAULT_SETTINGS).flatMap(
  ([key, value]) =>
    typeof value === 'object' && value !== null
      ? Object.keys(value).map((sub) => `${key}.${sub}` as SettingPath)
      : [key as SettingPath],
);

/** The value of a setting by its path. */
export function settingValue(s: PipelineSettings, path: SettingPath): unknown {
  const [head, tail] = path.split('.') as [string, string | undefined];
  const top = (s as unknown as Record<string, unknown>)[head];
  return tail === undefined ? top : (top as Record<string, unknown>)[tail];
}

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** SQS visibility timeout of the checker queue: 6x the checker timeout, as AWS advises for Lambda sources. */
export function visibilityTimeoutSeconds(settings: Pick<PipelineSettings, 'checker'>): number {
  return 6 * settings.checker.timeoutSeconds;
}

/**
 * How long SQS may keep delivering one notification: every receive can wait a whole visibility
 * timeout. A check still CHECKING may be taken up again within this window.
 */
export function retryWindowSeconds(settings: Pick<PipelineSettings, 'checker'>): number {
  return visibilityTimeoutSeconds(settings) * settings.checker.maxReceiveCount;
}

/** Names and ARNs of the resources the functions are told about. */
export interface PipelineResourceNames {
  tableName: string;
  bucketName: string;
  eventBusName: string;
  credentialsSecretArn: string;
  tokenSecretArn: string;
  tokenRefresherFunctionName: string;
}
