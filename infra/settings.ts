/**
 * The pipeline's settings, with their defaults, and the environment each function gets from them.
 *
 * Plain data and pure functions only (no CDK constructs): the CDK construct and the local runtime
 * (`tools/local/`) both read this module, so the two create the same resources and hand the
 * functions the same environment.
 */
import { API_ENVIRONMENT } from '../functions/api/environment.js';
import {
  AWS_BEFORE_VENDOR_MS,
  OUTCOME_WRITE_MARGIN_MS,
  recordStartMs,
  VENDOR_CALLS_PER_RECORD,
  vendorCallMs,
} from '../functions/checker/budget.js';
import { CHECKER_ENVIRONMENT } from '../functions/checker/environment.js';
import { NOTIFIER_ENVIRONMENT } from '../functions/notifier/environment.js';
import { SWEEPER_ENVIRONMENT } from '../functions/sweeper/environment.js';
import { TOKEN_REFRESHER_ENVIRONMENT } from '../functions/token-refresher/environment.js';
import { FINAL_STATUSES } from '../shared/check.js';
import { isSecureOrLoopback, PLAIN_HTTP_PROBLEM } from '../shared/config.js';
import { settingDeclarations, settingValue } from './environment.js';

export {
  functionEnvironment,
  RESOURCE_ENVIRONMENT,
  resourceEnvironment,
  settingsEnvironment,
} from './environment.js';

/** The five Lambda functions of the pipeline. */
export const FUNCTION_NAMES = ['checker', 'notifier', 'api', 'sweeper', 'token-refresher'] as const;
export type PipelineFunctionName = (typeof FUNCTION_NAMES)[number];

/** Settings of the checker function and its SQS queue. */
export interface CheckerSettings {
  /** Lambda timeout. The queue's visibility timeout is derived from it (see `visibilityTimeoutSeconds`). */
  timeoutSeconds: number;
  memoryMb: number;
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
  /** Images wider or taller than this are rejected as implausible. */
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
  memoryMb: number;
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
  memoryMb: number;
  /** Lifetime of a presigned upload (POST policy). */
  uploadUrlTtlSeconds: number;
  /** Steady-state requests per second the HTTP API's default stage allows. */
  throttleRateLimit: number;
  throttleBurstLimit: number;
}

/** Settings of the sweeper function and its schedule. */
export interface SweeperSettings {
  timeoutSeconds: number;
  memoryMb: number;
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
  memoryMb: number;
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
  checker: CheckerSettings;
  notifier: NotifierSettings;
  api: ApiSettings;
  sweeper: SweeperSettings;
  tokenRefresher: TokenRefresherSettings;
}

/** Partial settings: any setting left out takes its default. */
export type PipelineSettingsOverrides = Partial<
  Omit<PipelineSettings, 'checker' | 'notifier' | 'api' | 'sweeper' | 'tokenRefresher'>
> & {
  checker?: Partial<CheckerSettings>;
  notifier?: Partial<NotifierSettings>;
  api?: Partial<ApiSettings>;
  sweeper?: Partial<SweeperSettings>;
  tokenRefresher?: Partial<TokenRefresherSettings>;
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
  checker: {
    timeoutSeconds: 60,
    memoryMb: 512,
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
    memoryMb: 256,
    batchSize: 25,
    maxBatchingWindowSeconds: 1,
    retryAttempts: 10,
    maxRecordAgeSeconds: 86_400,
    iteratorAgeAlarmSeconds: 300,
  },
  api: {
    timeoutSeconds: 10,
    memoryMb: 256,
    uploadUrlTtlSeconds: API_ENVIRONMENT.UPLOAD_URL_TTL_SECONDS.default,
    throttleRateLimit: 50,
    throttleBurstLimit: 100,
  },
  sweeper: {
    timeoutSeconds: 120,
    memoryMb: 256,
    scheduleMinutes: 5,
    uploadGraceSeconds: SWEEPER_ENVIRONMENT.UPLOAD_GRACE_SECONDS.default,
    claimWaitSeconds: SWEEPER_ENVIRONMENT.CLAIM_WAIT_SECONDS.default,
    staleCheckGraceSeconds: SWEEPER_ENVIRONMENT.STALE_CHECK_GRACE_SECONDS.default,
    maxSweepItems: SWEEPER_ENVIRONMENT.MAX_SWEEP_ITEMS.default,
  },
  tokenRefresher: {
    timeoutSeconds: 30,
    memoryMb: 256,
    scheduleHours: 6,
    minWriteIntervalSeconds: TOKEN_REFRESHER_ENVIRONMENT.MIN_WRITE_INTERVAL_SECONDS.default,
    refreshMarginSeconds: TOKEN_REFRESHER_ENVIRONMENT.REFRESH_MARGIN_SECONDS.default,
  },
});

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

/** Settings that fail validation; the message says what is wrong and how to fix it. */
export class InvalidSettingsError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid pipeline settings:\n- ${problems.join('\n- ')}`);
    this.name = 'InvalidSettingsError';
    this.problems = problems;
  }
}

/** Merges overrides onto the defaults and validates the result; throws `InvalidSettingsError`. */
export function resolveSettings(overrides: PipelineSettingsOverrides = {}): PipelineSettings {
  const settings: PipelineSettings = {
    ...DEFAULT_SETTINGS,
    ...stripUndefined(overrides),
    checker: { ...DEFAULT_SETTINGS.checker, ...stripUndefined(overrides.checker ?? {}) },
    notifier: { ...DEFAULT_SETTINGS.notifier, ...stripUndefined(overrides.notifier ?? {}) },
    api: { ...DEFAULT_SETTINGS.api, ...stripUndefined(overrides.api ?? {}) },
    sweeper: { ...DEFAULT_SETTINGS.sweeper, ...stripUndefined(overrides.sweeper ?? {}) },
    tokenRefresher: { ...DEFAULT_SETTINGS.tokenRefresher, ...stripUndefined(overrides.tokenRefresher ?? {}) },
  };
  const problems = validateSettings(settings);
  if (problems.length > 0) throw new InvalidSettingsError(problems);
  return settings;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// Characters S3 documents as safe in keys; the api function applies the same rule to SELFIE_PREFIX.
const SAFE_PREFIX = /^[A-Za-z0-9!_.*'()/-]+\/$/;
// EventBridge `source`: no `aws.` prefix, printable, at most 256 characters.
const EVENT_SOURCE = /^[A-Za-z0-9._\-/]{1,256}$/;

/**
 * A rule tying settings together, checked at synth (and by the local runtime) with the ranges of
 * each setting. `check` answers `undefined` when the rule holds, else a message that names
 * the settings and says how to fix them.
 */
export interface SettingsRule {
  /** A short constant name, for tests and documentation. */
  readonly id: string;
  readonly check: (s: PipelineSettings) => string | undefined;
}

/** The rules across settings. A new one goes here, with a test that breaks it. */
export const SETTINGS_RULES: readonly SettingsRule[] = [
  {
    id: 'lease-exceeds-timeout',
    check: ({ checker: c }) =>
      c.leaseSeconds <= c.timeoutSeconds
        ? `checker.leaseSeconds (${c.leaseSeconds}) must exceed checker.timeoutSeconds (${c.timeoutSeconds}): raise the lease or lower the timeout, or a running check can be taken over`
        : undefined,
  },
  {
    id: 'visibility-within-sqs-limit',
    check: (s) =>
      visibilityTimeoutSeconds(s) > 43_200
        ? `the queue visibility timeout (6 x checker.timeoutSeconds = ${visibilityTimeoutSeconds(s)} s) exceeds SQS's 43200 s: lower checker.timeoutSeconds`
        : undefined,
  },
  {
    id: 'refresh-margin-exceeds-schedule',
    check: ({ tokenRefresher: t }) => {
      const interval = t.scheduleHours * 3600;
      return t.refreshMarginSeconds <= interval
        ? `tokenRefresher.refreshMarginSeconds (${t.refreshMarginSeconds}) must exceed the schedule interval (tokenRefresher.scheduleHours ${t.scheduleHours} = ${interval} s), or a refresh token minted between runs lapses before the next run: raise tokenRefresher.refreshMarginSeconds (twice the interval, ${2 * interval}, survives a failed run) or lower tokenRefresher.scheduleHours`
        : undefined;
    },
  },
  {
    // The checker starts a record only when its whole worst case fits (functions/checker/budget.ts).
    id: 'checker-timeout-fits-a-record',
    check: ({ checker: c }) => {
      const needed = Math.ceil(recordStartMs(c) / 1000);
      return c.timeoutSeconds <= needed
        ? `checker.timeoutSeconds (${c.timeoutSeconds}) must exceed the ${needed} s one record needs (${AWS_BEFORE_VENDOR_MS / 1000} s of AWS + ${VENDOR_CALLS_PER_RECORD} vendor calls of checker.vendorConnectTimeoutMs + checker.vendorResponseTimeoutMs = ${vendorCallMs(c)} ms + ${OUTCOME_WRITE_MARGIN_MS / 1000} s to write the outcome): raise checker.timeoutSeconds to at least ${needed + 1} or lower checker.vendorConnectTimeoutMs / checker.vendorResponseTimeoutMs, or no record could ever start`
        : undefined;
    },
  },
  {
    id: 'stale-grace-exceeds-retry-window',
    check: (s) => {
      const window = retryWindowSeconds(s);
      const grace = s.sweeper.staleCheckGraceSeconds;
      return grace <= window
        ? `sweeper.staleCheckGraceSeconds (${grace}) must exceed the queue's retry window (visibility timeout ${visibilityTimeoutSeconds(s)} s x checker.maxReceiveCount ${s.checker.maxReceiveCount} = ${window} s): raise it to at least ${window + 1}, or lower checker.timeoutSeconds or checker.maxReceiveCount, or the sweeper fails checks that SQS still delivers`
        : undefined;
    },
  },
  {
    id: 'claim-wait-covers-retry-window',
    check: (s) => {
      const window = retryWindowSeconds(s);
      return s.sweeper.claimWaitSeconds < window
        ? `sweeper.claimWaitSeconds (${s.sweeper.claimWaitSeconds}) must be at least the queue's retry window (visibility timeout ${visibilityTimeoutSeconds(s)} s x checker.maxReceiveCount ${s.checker.maxReceiveCount} = ${window} s), or the sweeper fails an uploaded check while its notification may still be delivered: raise sweeper.claimWaitSeconds, or lower checker.timeoutSeconds or checker.maxReceiveCount`
        : undefined;
    },
  },
];

/** Every problem with a set of settings, each phrased as what to change; empty when valid. */
export function validateSettings(s: PipelineSettings): string[] {
  const problems: string[] = [];
  const int = (name: string, value: number, min: number, max: number, hint = '') => {
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(
        `${name} must be an integer from ${min} to ${max}, got ${value}${hint ? `: ${hint}` : ''}`,
      );
    }
  };

  if (!SAFE_PREFIX.test(s.selfiePrefix) || s.selfiePrefix.startsWith('/')) {
    problems.push(
      `selfiePrefix must end with "/", must not start with "/" and may hold only letters, digits and !_.*'()-/, got "${s.selfiePrefix}"`,
    );
  }
  if (!EVENT_SOURCE.test(s.eventSource) || s.eventSource.startsWith('aws.')) {
    problems.push(
      `eventSource must be 1-256 letters, digits or ._-/ and must not start with "aws.", got "${s.eventSource}"`,
    );
  }
  if (!/^https?:\/\/[^\s/]+/.test(s.livenessApiUrl)) {
    problems.push(`livenessApiUrl must be an absolute http(s) URL, got "${s.livenessApiUrl}"`);
  } else if (!URL.canParse(s.livenessApiUrl) || !isSecureOrLoopback(new URL(s.livenessApiUrl))) {
    problems.push(`livenessApiUrl ${PLAIN_HTTP_PROBLEM}, got "${s.livenessApiUrl}"`);
  }
  int('selfieLifecycleDays', s.selfieLifecycleDays, 1, 3650);
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(s.logRetentionDays)) {
    problems.push(
      `logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${s.logRetentionDays}`,
    );
  }
  int('eventArchiveRetentionDays', s.eventArchiveRetentionDays, 1, 3650, 'set a bounded archive retention');
  int('dlqRetentionDays', s.dlqRetentionDays, 1, 14, 'SQS keeps messages at most 14 days');

  const c = s.checker;
  int('checker.timeoutSeconds', c.timeoutSeconds, 5, 900);
  int('checker.memoryMb', c.memoryMb, 128, 10_240);
  int('checker.maxBatchingWindowSeconds', c.maxBatchingWindowSeconds, 0, 300);
  int(
    'checker.batchSize',
    c.batchSize,
    1,
    c.maxBatchingWindowSeconds > 0 ? 10_000 : 10,
    'batches above 10 need checker.maxBatchingWindowSeconds > 0',
  );
  int('checker.maxConcurrency', c.maxConcurrency, 2, 1000, 'SQS event sources accept 2 to 1000');
  int('checker.oldestMessageAlarmSeconds', c.oldestMessageAlarmSeconds, 60, 1_209_600);

  const n = s.notifier;
  int('notifier.timeoutSeconds', n.timeoutSeconds, 3, 900);
  int('notifier.memoryMb', n.memoryMb, 128, 10_240);
  int('notifier.batchSize', n.batchSize, 1, 10_000);
  int('notifier.maxBatchingWindowSeconds', n.maxBatchingWindowSeconds, 0, 300);
  int('notifier.retryAttempts', n.retryAttempts, 0, 10_000, 'keep retries bounded');
  int('notifier.maxRecordAgeSeconds', n.maxRecordAgeSeconds, 60, 604_800, 'keep record age bounded');
  int('notifier.iteratorAgeAlarmSeconds', n.iteratorAgeAlarmSeconds, 10, 86_400);

  const a = s.api;
  int('api.timeoutSeconds', a.timeoutSeconds, 3, 29, 'API Gateway waits at most 29 s (30 s for HTTP APIs)');
  int('api.memoryMb', a.memoryMb, 128, 10_240);
  int('api.throttleRateLimit', a.throttleRateLimit, 1, 100_000);
  int('api.throttleBurstLimit', a.throttleBurstLimit, 1, 100_000);

  const w = s.sweeper;
  int('sweeper.timeoutSeconds', w.timeoutSeconds, 10, 900);
  int('sweeper.memoryMb', w.memoryMb, 128, 10_240);
  int('sweeper.scheduleMinutes', w.scheduleMinutes, 1, 1440);

  const t = s.tokenRefresher;
  int('tokenRefresher.timeoutSeconds', t.timeoutSeconds, 5, 900);
  int('tokenRefresher.memoryMb', t.memoryMb, 128, 10_240);

  // Settings that feed a function variable: the range its declaration gives.
  for (const { path, spec } of settingDeclarations()) {
    if (spec.type === 'int') int(path, settingValue(s, path) as number, spec.min, spec.max);
  }
  for (const rule of SETTINGS_RULES) {
    const problem = rule.check(s);
    if (problem) problems.push(problem);
  }
  int(
    'tokenRefresher.scheduleHours',
    t.scheduleHours,
    1,
    12,
    'the schedule must stay well inside the refresh token lifetime (1 day by default)',
  );
  return problems;
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

/** The checker's EMF metrics the vendor error-rate alarm divides (Powertools adds the `service` dimension). */
export const VENDOR_METRICS = {
  errors: 'VendorErrors',
  calls: 'VendorCalls',
  latency: 'VendorLatency',
  dimensions: { service: 'checker' },
  /** Alarm when more than this percentage of vendor calls fail, 3 periods of 5 minutes in a row. */
  errorRateAlarmPercent: 20,
} as const;

const FINAL: string[] = [...FINAL_STATUSES];

/**
 * Lambda event filter patterns (EventBridge pattern syntax) for the notifier's DynamoDB stream:
 * a record passes when any pattern matches. Only transitions into a final status pass: an INSERT
 * already final, or a MODIFY whose old status was not final. No-op rewrites of a final item and TTL
 * deletions (REMOVE) are dropped before the function is invoked; the notifier re-checks in code.
 */
export const NOTIFIER_STREAM_FILTERS: readonly Record<string, unknown>[] = [
  { eventName: ['INSERT'], dynamodb: { NewImage: { status: { S: FINAL } } } },
  {
    eventName: ['MODIFY'],
    dynamodb: {
      NewImage: { status: { S: FINAL } },
      OldImage: { status: { S: [{ 'anything-but': FINAL }] } },
    },
  },
];
