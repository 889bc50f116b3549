/**
 * What makes a set of settings valid: each setting's range and the rules that tie settings
 * together, checked at synth and by the local runtime. Each problem says how to fix it.
 */
import {
  AWS_BEFORE_VENDOR_MS,
  OUTCOME_WRITE_MARGIN_MS,
  recordStartMs,
  VENDOR_CALLS_PER_RECORD,
  vendorCallMs,
} from '../functions/checker/budget.js';
import { isSecureOrLoopback, PLAIN_HTTP_PROBLEM } from '../shared/config.js';
import { settingDeclarations } from './environment.js';
import {
  LOG_RETENTION_DAYS,
  type PipelineSettings,
  retryWindowSeconds,
  settingValue,
  visibilityTimeoutSeconds,
} from './settings-model.js';

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
  int('notifier.batchSize', n.batchSize, 1, 10_000);
  int('notifier.maxBatchingWindowSeconds', n.maxBatchingWindowSeconds, 0, 300);
  int('notifier.retryAttempts', n.retryAttempts, 0, 10_000, 'keep retries bounded');
  int('notifier.maxRecordAgeSeconds', n.maxRecordAgeSeconds, 60, 604_800, 'keep record age bounded');
  int('notifier.iteratorAgeAlarmSeconds', n.iteratorAgeAlarmSeconds, 10, 86_400);

  const a = s.api;
  int('api.timeoutSeconds', a.timeoutSeconds, 3, 29, 'API Gateway waits at most 29 s (30 s for HTTP APIs)');
  int('api.throttleRateLimit', a.throttleRateLimit, 1, 100_000);
  int('api.throttleBurstLimit', a.throttleBurstLimit, 1, 100_000);

  const w = s.sweeper;
  int('sweeper.timeoutSeconds', w.timeoutSeconds, 10, 900);
  int('sweeper.scheduleMinutes', w.scheduleMinutes, 1, 1440);

  const t = s.tokenRefresher;
  int('tokenRefresher.timeoutSeconds', t.timeoutSeconds, 5, 900);
  if (typeof t.reserveConcurrency !== 'boolean') {
    problems.push(
      `tokenRefresher.reserveConcurrency must be true or false, got ${String(t.reserveConcurrency)}`,
    );
  }

  const m = s.monitoring;
  int(
    'monitoring.outcomeWindowMinutes',
    m.outcomeWindowMinutes,
    5,
    1440,
    'CloudWatch alarms look at most 1 day back',
  );
  int('monitoring.minSampleCount', m.minSampleCount, 1, 1_000_000);
  int('monitoring.expiredSharePercent', m.expiredSharePercent, 1, 100);
  int('monitoring.failedSharePercent', m.failedSharePercent, 1, 100);
  int('monitoring.apiServerErrorPercent', m.apiServerErrorPercent, 1, 100);
  int('monitoring.apiLatencyP99Ms', m.apiLatencyP99Ms, 10, 30_000, 'the HTTP API times out at 30 s');
  if (!/^\S{1,800}$/.test(m.runbookUrl)) {
    problems.push(
      `monitoring.runbookUrl must be a URL or path without spaces, at most 800 characters (it goes into every alarm description), got "${m.runbookUrl}"`,
    );
  }

  // Settings that feed a function variable: the range its declaration gives.
  for (const { path, spec } of settingDeclarations()) {
    if (spec.type === 'int') int(path, settingValue(s, path) as number, spec.min, spec.max);
    const value = settingValue(s, path);
    if (spec.type === 'enum' && !spec.values.includes(value as string)) {
      problems.push(`${path} must be one of ${spec.values.join(', ')}, got "${String(value)}"`);
    }
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
