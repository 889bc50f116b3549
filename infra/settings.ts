/**
 * The pipeline's settings, with their defaults, and the environment each function gets from them.
 *
 * Plain data and pure functions only (no CDK constructs): the CDK construct and the local runtime
 * (`tools/local/`) both read this module, so the two create the same resources and hand the
 * functions the same environment. The types and defaults are in `settings-model.ts`, the ranges
 * and rules in `settings-rules.ts`; this module merges and validates them.
 */
import { FINAL_STATUSES } from '../shared/check.js';
import { DEFAULT_SETTINGS, type PipelineSettings, type PipelineSettingsOverrides } from './settings-model.js';
import { validateSettings } from './settings-rules.js';

export {
  functionEnvironment,
  RESOURCE_ENVIRONMENT,
  resourceEnvironment,
  settingsEnvironment,
} from './environment.js';
export {
  type ApiSettings,
  type CheckerSettings,
  DEFAULT_SETTINGS,
  FUNCTION_NAMES,
  LOG_RETENTION_DAYS,
  type MonitoringSettings,
  type NotifierSettings,
  type PipelineFunctionName,
  type PipelineResourceNames,
  type PipelineSettings,
  type PipelineSettingsOverrides,
  retryWindowSeconds,
  type SweeperSettings,
  type TokenRefresherSettings,
  visibilityTimeoutSeconds,
} from './settings-model.js';
export { SETTINGS_RULES, type SettingsRule, validateSettings } from './settings-rules.js';

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
    monitoring: { ...DEFAULT_SETTINGS.monitoring, ...stripUndefined(overrides.monitoring ?? {}) },
  };
  const problems = validateSettings(settings);
  if (problems.length > 0) throw new InvalidSettingsError(problems);
  return settings;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
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
 * The patterns deliberately do not require `decidedAt`: a final status without it (no decider wrote
 * it) would be dropped here without a trace, while the notifier logs, counts and alarms on it.
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
