/**
 * The pipeline's settings, with their defaults, and the environment each function gets from them.
 *
 * Plain data and pure functions only (no CDK constructs): the CDK construct and the local runtime
 * (`tools/local/`) both read this module, so the two create the same resources and hand the
 * functions the same environment. The types and defaults are in `settings-model.ts`, the ranges
 * and rules in `settings-rules.ts`; this module merges and validates them.
 */
import {
  DEFAULT_SETTINGS,
  FUNCTION_SETTINGS_KEYS,
  type PipelineSettings,
  type PipelineSettingsOverrides,
} from './settings-model.js';
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
  FUNCTION_SETTINGS_KEYS,
  LOG_RETENTION_DAYS,
  type MonitoringSettings,
  type NotifierSettings,
  type PipelineFunctionName,
  type PipelineResourceNames,
  type PipelineSettings,
  type PipelineSettingsOverrides,
  retryWindowSeconds,
  SETTING_PATHS,
  type SettingPath,
  type SweeperSettings,
  settingValue,
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
  const problems = [...removedSettingProblems(overrides), ...validateSettings(settings)];
  if (problems.length > 0) throw new InvalidSettingsError(problems);
  return settings;
}

/**
 * Settings that were removed, each with where the value goes now. Memory has one place: the
 * construct's per-function `memorySize` (a `Size`), not a `memoryMb` setting.
 */
function removedSettingProblems(overrides: PipelineSettingsOverrides): string[] {
  return Object.values(FUNCTION_SETTINGS_KEYS)
    .filter((group) => {
      const values = overrides[group] as Record<string, unknown> | undefined;
      return values !== undefined && values.memoryMb !== undefined;
    })
    .map(
      (group) =>
        `${group}.memoryMb is no longer a setting: set memory as functions.${group}.memorySize (Size.mebibytes(1024) in the construct's props; -c functions='{"${group}":{"memorySize":1024}}', in MiB, with the ready stack)`,
    );
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
