/**
 * Where each function's environment comes from. Every variable is declared once, next to the
 * function that reads it (`functions/<name>/environment.ts`: type, default, range, unit, doc); this
 * module says which setting of `infra/settings.ts` (or which resource) feeds it, builds the
 * environment the stack and the local runtime set, and renders the tables of docs/configuration.md.
 */
import { API_ENVIRONMENT } from '../functions/api/environment.js';
import { CHECKER_ENVIRONMENT } from '../functions/checker/environment.js';
import { NOTIFIER_ENVIRONMENT } from '../functions/notifier/environment.js';
import { SWEEPER_ENVIRONMENT } from '../functions/sweeper/environment.js';
import { TOKEN_REFRESHER_ENVIRONMENT } from '../functions/token-refresher/environment.js';
import type { EnvDeclaration, EnvVarSpec } from '../shared/config.js';
import {
  type PipelineFunctionName,
  type PipelineResourceNames,
  type PipelineSettings,
  type SettingPath,
  settingValue,
} from './settings-model.js';

/** Each function's declared environment. */
export const FUNCTION_ENVIRONMENTS = {
  checker: CHECKER_ENVIRONMENT,
  notifier: NOTIFIER_ENVIRONMENT,
  api: API_ENVIRONMENT,
  sweeper: SWEEPER_ENVIRONMENT,
  'token-refresher': TOKEN_REFRESHER_ENVIRONMENT,
} as const satisfies Record<PipelineFunctionName, EnvDeclaration>;

/**
 * For each function, the environment variables that carry a resource name, and which resource.
 * The construct sets each of these together with the IAM permission on that resource.
 */
export const RESOURCE_ENVIRONMENT = {
  checker: {
    TABLE_NAME: 'tableName',
    SELFIE_BUCKET: 'bucketName',
    TOKEN_SECRET_ARN: 'tokenSecretArn',
    TOKEN_REFRESHER_FUNCTION_NAME: 'tokenRefresherFunctionName',
  },
  notifier: { EVENT_BUS_NAME: 'eventBusName' },
  api: { TABLE_NAME: 'tableName', SELFIE_BUCKET: 'bucketName' },
  sweeper: { TABLE_NAME: 'tableName', SELFIE_BUCKET: 'bucketName' },
  'token-refresher': { CREDENTIALS_SECRET_ARN: 'credentialsSecretArn', TOKEN_SECRET_ARN: 'tokenSecretArn' },
} as const satisfies {
  [F in PipelineFunctionName]: Partial<
    Record<keyof (typeof FUNCTION_ENVIRONMENTS)[F], keyof PipelineResourceNames>
  >;
};

type SettingsFed<F extends PipelineFunctionName> = Exclude<
  keyof (typeof FUNCTION_ENVIRONMENTS)[F],
  keyof (typeof RESOURCE_ENVIRONMENT)[F]
>;

/**
 * For each function, the setting that feeds each variable that is not a resource name. The type
 * makes the mapping complete: a variable declared in a function and fed by neither a setting nor a
 * resource does not compile.
 */
export const SETTINGS_ENVIRONMENT: { [F in PipelineFunctionName]: Record<SettingsFed<F>, SettingPath> } = {
  checker: {
    SELFIE_PREFIX: 'selfiePrefix',
    LIVENESS_API_URL: 'livenessApiUrl',
    MAX_OBJECT_BYTES: 'maxObjectBytes',
    MIN_IMAGE_SIDE_PX: 'checker.minImageSidePx',
    MAX_IMAGE_SIDE_PX: 'checker.maxImageSidePx',
    // Must equal the queue's maxReceiveCount: the checker records FAILED on the last receive.
    MAX_RECEIVE_COUNT: 'checker.maxReceiveCount',
    LEASE_SECONDS: 'checker.leaseSeconds',
    BATCH_CONCURRENCY: 'checker.batchConcurrency',
    RETAIN_SELFIES: 'retainSelfies',
    CHECK_RETENTION_DAYS: 'checkRetentionDays',
    VENDOR_CONNECT_TIMEOUT_MS: 'checker.vendorConnectTimeoutMs',
    VENDOR_RESPONSE_TIMEOUT_MS: 'checker.vendorResponseTimeoutMs',
    TOKEN_CACHE_SECONDS: 'checker.tokenCacheSeconds',
    POWERTOOLS_LOG_LEVEL: 'logLevel',
  },
  notifier: { EVENT_SOURCE: 'eventSource', POWERTOOLS_LOG_LEVEL: 'logLevel' },
  api: {
    SELFIE_PREFIX: 'selfiePrefix',
    UPLOAD_URL_TTL_SECONDS: 'api.uploadUrlTtlSeconds',
    MAX_OBJECT_BYTES: 'maxObjectBytes',
    CHECK_RETENTION_DAYS: 'checkRetentionDays',
    USER_MAX_OPEN_CHECKS: 'api.userMaxOpenChecks',
    USER_CHECKS_PER_MINUTE: 'api.userChecksPerMinute',
    SERVICE_CHECKS_PER_MINUTE: 'api.serviceChecksPerMinute',
    USER_CHECKS_PER_DAY: 'api.userChecksPerDay',
    CHECKS_PER_DAY: 'api.checksPerDay',
    POWERTOOLS_LOG_LEVEL: 'logLevel',
  },
  sweeper: {
    SELFIE_PREFIX: 'selfiePrefix',
    RETAIN_SELFIES: 'retainSelfies',
    // At least the queue's retry window (rule claim-wait-covers-retry-window).
    CLAIM_WAIT_SECONDS: 'sweeper.claimWaitSeconds',
    // Where a claimed API check sits in the sweep index (decision 13).
    UPLOAD_URL_TTL_SECONDS: 'api.uploadUrlTtlSeconds',
    UPLOAD_GRACE_SECONDS: 'sweeper.uploadGraceSeconds',
    STALE_CHECK_GRACE_SECONDS: 'sweeper.staleCheckGraceSeconds',
    MAX_SWEEP_ITEMS: 'sweeper.maxSweepItems',
    CHECK_RETENTION_DAYS: 'checkRetentionDays',
    POWERTOOLS_LOG_LEVEL: 'logLevel',
  },
  'token-refresher': {
    LIVENESS_API_URL: 'livenessApiUrl',
    MIN_WRITE_INTERVAL_SECONDS: 'tokenRefresher.minWriteIntervalSeconds',
    REFRESH_MARGIN_SECONDS: 'tokenRefresher.refreshMarginSeconds',
    POWERTOOLS_LOG_LEVEL: 'logLevel',
  },
};

/** Every (setting, declaration) pair that feeds a function variable, once per setting. */
export function settingDeclarations(): { path: SettingPath; name: string; spec: EnvVarSpec }[] {
  const seen = new Map<SettingPath, { path: SettingPath; name: string; spec: EnvVarSpec }>();
  for (const fn of Object.keys(SETTINGS_ENVIRONMENT) as PipelineFunctionName[]) {
    const declaration: EnvDeclaration = FUNCTION_ENVIRONMENTS[fn];
    for (const [name, path] of Object.entries(SETTINGS_ENVIRONMENT[fn]) as [string, SettingPath][]) {
      const spec = declaration[name];
      if (spec && !seen.has(path)) seen.set(path, { path, name, spec });
    }
  }
  return [...seen.values()];
}

/** The environment variables of a function that come from settings alone (no resource names). */
export function settingsEnvironment(fn: PipelineFunctionName, s: PipelineSettings): Record<string, string> {
  const mapping: Record<string, SettingPath> = SETTINGS_ENVIRONMENT[fn];
  return Object.fromEntries(
    Object.entries(mapping).map(([name, path]) => [name, String(settingValue(s, path))]),
  );
}

/** The environment variables of a function that carry resource names. */
export function resourceEnvironment(
  fn: PipelineFunctionName,
  names: PipelineResourceNames,
): Record<string, string> {
  const mapping: Record<string, keyof PipelineResourceNames> = RESOURCE_ENVIRONMENT[fn];
  return Object.fromEntries(Object.entries(mapping).map(([envVar, key]) => [envVar, names[key]]));
}

/** A function's whole environment: what the local runtime sets, and what the stack sets. */
export function functionEnvironment(
  fn: PipelineFunctionName,
  settings: PipelineSettings,
  names: PipelineResourceNames,
): Record<string, string> {
  return { ...settingsEnvironment(fn, settings), ...resourceEnvironment(fn, names) };
}

/** The docs/configuration.md table of one function's variables, rendered from its declaration. */
export function environmentTable(fn: PipelineFunctionName): string {
  const declaration: EnvDeclaration = FUNCTION_ENVIRONMENTS[fn];
  const settingsFed: Record<string, SettingPath> = SETTINGS_ENVIRONMENT[fn];
  const rows = Object.entries(declaration).map(([name, spec]) => {
    const source = settingsFed[name] ? `\`${settingsFed[name]}\`` : 'resource';
    return `| \`${name}\` | ${defaultCell(spec)} | ${rangeCell(spec)} | ${source} | ${spec.doc} |`;
  });
  return [
    '| variable | default | range / unit | set from | meaning |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

function defaultCell(spec: EnvVarSpec): string {
  if ('default' in spec) return `\`${String(spec.default)}\``;
  return spec.required ? 'required' : 'none';
}

function rangeCell(spec: EnvVarSpec): string {
  switch (spec.type) {
    case 'int':
      return `${spec.min}..${spec.max} ${spec.unit}`;
    case 'bool':
      return '`true` / `false`';
    case 'url':
      return 'https URL (http only to loopback)';
    case 'enum':
      return spec.values.map((value) => `\`${value}\``).join(' / ');
    case 'string':
      return '-';
  }
}
