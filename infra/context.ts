import { Size } from 'aws-cdk-lib';
import type { LivenessApiAuth } from './constructs/liveness-api.js';
import type {
  PipelineFunctionOverrides,
  PipelineFunctionOverridesByName,
} from './liveness-pipeline-props.js';
import type { ExistingResources, LivenessPipelineStackProps } from './liveness-pipeline-stack.js';
import {
  DEFAULT_SETTINGS,
  FUNCTION_SETTINGS_KEYS,
  type PipelineSettingsOverrides,
  SETTING_PATHS,
  type SettingPath,
  settingValue,
} from './settings-model.js';

/** A context key that sets one setting: the setting's path, with the setting's default, stated once. */
function setting<P extends SettingPath>(path: P, doc: string): { default: string; setting: P; doc: string } {
  return { default: String(settingValue(DEFAULT_SETTINGS, path)), setting: path, doc };
}

/**
 * The CDK context keys the app reads (`cdk.json` "context", or `-c key=value`), with their defaults.
 * Every setting is a key by its path (`-c checker.timeoutSeconds=90`), listed here or not: these are
 * the ones docs/configuration.md shows, with the keys that are not settings. A test keeps that table
 * and this list in step.
 */
export const CONTEXT_KEYS = {
  stackName: { default: 'SelfieLiveness', doc: 'CloudFormation stack name' },
  destroyOnDelete: {
    default: 'false',
    doc: 'Delete data (bucket, table, secrets, key, logs) with the stack: development only',
  },
  apiAuth: { default: 'iam', doc: '`iam` (SigV4) or `jwt`' },
  jwtIssuer: { default: '-', doc: 'JWT issuer URL; required when apiAuth=jwt' },
  jwtAudience: { default: '-', doc: 'Comma-separated audiences / app client ids; required when apiAuth=jwt' },
  corsAllowedOrigins: {
    default: 'none (no CORS)',
    doc: 'Comma-separated browser origins allowed to call the API and upload (CORS on both): https://host[:port], or http://localhost[:port] / http://127.0.0.1[:port]',
  },
  alarmEmail: { default: '-', doc: 'Comma-separated emails subscribed to the alarm topic' },
  eventTap: { default: 'true', doc: 'Create the event tap queue fed by the example rule' },
  tracing: { default: 'false', doc: 'X-Ray active tracing for every function' },
  subscriberAccounts: {
    default: '-',
    doc: 'Comma-separated AWS account ids allowed to create their own rules on the bus for the liveness events',
  },
  operatorRoleArns: {
    default: '-',
    doc: 'Comma-separated ARNs of the roles that run `npm run ops` (republish, redrive, rotate-credentials)',
  },
  uploaderRoleArns: {
    default: '-',
    doc: 'Comma-separated ARNs of the roles of backends that upload selfies directly (no POST /checks)',
  },
  functions: {
    default: '-',
    doc: 'JSON object of per-function overrides (`memorySize` in MiB, `reservedConcurrentExecutions`, `logLevel`, `tracing`)',
  },
  selfiePrefix: setting('selfiePrefix', 'Key prefix of uploaded selfies'),
  eventSource: setting('eventSource', '`source` of the events'),
  livenessApiUrl: setting('livenessApiUrl', 'Apptenticate base URL'),
  maxObjectBytes: setting('maxObjectBytes', 'Largest selfie accepted, bytes'),
  retainSelfies: setting(
    'retainSelfies',
    'Keep selfies after the verdict (the lifecycle rule still expires them)',
  ),
  selfieLifecycleDays: setting('selfieLifecycleDays', 'S3 expires selfies left after this many days'),
  checkRetentionDays: setting('checkRetentionDays', 'Check items expire (TTL) after this many days'),
  logRetentionDays: setting('logRetentionDays', 'Log retention, a CloudWatch Logs value'),
  logLevel: setting('logLevel', 'Least severe level every function logs'),
  eventArchiveRetentionDays: setting('eventArchiveRetentionDays', 'Event archive retention'),
  'checker.timeoutSeconds': setting('checker.timeoutSeconds', 'Checker timeout; the queue visibility is 6x'),
  'checker.leaseSeconds': setting(
    'checker.leaseSeconds',
    'Check claim lease; must exceed the checker timeout',
  ),
  'checker.maxConcurrency': setting(
    'checker.maxConcurrency',
    'Concurrent checker invocations (vendor rate limit)',
  ),
  'checker.maxReceiveCount': setting(
    'checker.maxReceiveCount',
    'Receives before a notification goes to the DLQ',
  ),
  'api.uploadUrlTtlSeconds': setting('api.uploadUrlTtlSeconds', 'Presigned upload lifetime'),
  'api.userChecksPerDay': setting(
    'api.userChecksPerDay',
    'Checks a user may create per UTC day (429 `OWNER_DAILY_LIMITED` beyond)',
  ),
  'api.checksPerDay': setting(
    'api.checksPerDay',
    'Checks the API creates per UTC day for everyone (429 `CHECK_BUDGET_EXHAUSTED` beyond); the vendor-call alarm fires at 80%',
  ),
  'sweeper.scheduleMinutes': setting('sweeper.scheduleMinutes', 'Sweeper schedule'),
  'tokenRefresher.scheduleHours': setting(
    'tokenRefresher.scheduleHours',
    'Token-refresher schedule; well inside the 1-day refresh token lifetime',
  ),
  'tokenRefresher.reserveConcurrency': setting(
    'tokenRefresher.reserveConcurrency',
    'Reserve a concurrency of 1 for the token-refresher (one run at a time); needs 11 units of account concurrency',
  ),
  'monitoring.expiredSharePercent': setting(
    'monitoring.expiredSharePercent',
    "Alarm when more of the window's final checks are EXPIRED, %",
  ),
  'monitoring.failedSharePercent': setting(
    'monitoring.failedSharePercent',
    "Alarm when more of the window's final checks are FAILED, %",
  ),
  'monitoring.outcomeWindowMinutes': setting(
    'monitoring.outcomeWindowMinutes',
    'Window of the EXPIRED and FAILED share alarms',
  ),
  'monitoring.apiServerErrorPercent': setting(
    'monitoring.apiServerErrorPercent',
    'Alarm when more API requests answer 5xx, %',
  ),
  'monitoring.apiLatencyP99Ms': setting(
    'monitoring.apiLatencyP99Ms',
    'Alarm when the API p99 latency exceeds this',
  ),
  'monitoring.runbookUrl': setting('monitoring.runbookUrl', 'Where the runbooks linked from alarms are read'),
  settings: {
    default: '-',
    doc: "JSON object of several settings at once (see `infra/settings-model.ts`); a setting's own key wins over it",
  },
  existingBucketName: { default: '-', doc: 'Use this bucket instead of creating one' },
  existingBucketKeyArn: { default: '-', doc: 'KMS key of the existing bucket, if it uses SSE-KMS' },
  existingEventBusArn: { default: '-', doc: 'Use this event bus' },
  eventBusName: {
    default: '- (derived from the stack name)',
    doc: 'Name of the created event bus (not with existingEventBusArn); set it to keep the name of a bus created by 0.1.0',
  },
  existingKeyArn: { default: '-', doc: 'Use this KMS key for what the stack creates' },
  existingCredentialsSecretArn: { default: '-', doc: 'Use this credentials secret (complete ARN)' },
  existingTokenSecretArn: { default: '-', doc: 'Use this token secret (complete ARN)' },
  existingSecretsKeyArn: { default: '-', doc: 'Customer managed key of the existing secrets' },
  existingAlarmTopicArn: { default: '-', doc: 'Use this SNS topic for alarms' },
} as const;
/** A key the app reads: one of `CONTEXT_KEYS`, or any setting by its path. */
export type ContextKey = keyof typeof CONTEXT_KEYS | SettingPath;

/**
 * The keys of earlier versions that named a setting by another name, and the setting's path that
 * replaced each. A context that still sets one fails the synth, naming the new key.
 */
export const RENAMED_CONTEXT_KEYS = {
  checkerTimeoutSeconds: 'checker.timeoutSeconds',
  checkerLeaseSeconds: 'checker.leaseSeconds',
  checkerMaxConcurrency: 'checker.maxConcurrency',
  checkerMaxReceiveCount: 'checker.maxReceiveCount',
  uploadUrlTtlSeconds: 'api.uploadUrlTtlSeconds',
  userChecksPerDay: 'api.userChecksPerDay',
  checksPerDay: 'api.checksPerDay',
  sweepScheduleMinutes: 'sweeper.scheduleMinutes',
  tokenRefreshHours: 'tokenRefresher.scheduleHours',
  tokenRefresherReserveConcurrency: 'tokenRefresher.reserveConcurrency',
  expiredAlarmPercent: 'monitoring.expiredSharePercent',
  failedAlarmPercent: 'monitoring.failedSharePercent',
  outcomeAlarmWindowMinutes: 'monitoring.outcomeWindowMinutes',
  apiErrorAlarmPercent: 'monitoring.apiServerErrorPercent',
  apiLatencyAlarmMs: 'monitoring.apiLatencyP99Ms',
  runbookUrl: 'monitoring.runbookUrl',
} as const satisfies Record<string, SettingPath>;

function defaultOf(key: ContextKey): string {
  return key in CONTEXT_KEYS
    ? CONTEXT_KEYS[key as keyof typeof CONTEXT_KEYS].default
    : String(settingValue(DEFAULT_SETTINGS, key as SettingPath));
}

/** The stack name and props the app builds from context. */
export interface AppConfig {
  stackName: string;
  props: LivenessPipelineStackProps;
}

/**
 * Reads the app's configuration from CDK context. Values may be strings (`-c key=value`) or JSON
 * values (`cdk.json`); unknown keys starting with none of ours are ignored (feature flags live there too).
 */
export function readAppConfig(tryGetContext: (key: string) => unknown): AppConfig {
  const problems: string[] = [];
  const str = (key: ContextKey): string | undefined => {
    const value = tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'string') return value.trim();
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    problems.push(`context ${key} must be a string, got ${JSON.stringify(value)}`);
    return undefined;
  };
  const int = (key: ContextKey): number | undefined => {
    const raw = str(key);
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw)) {
      problems.push(`context ${key} must be a whole number, e.g. -c ${key}=${defaultOf(key)}; got "${raw}"`);
      return undefined;
    }
    return Number(raw);
  };
  const bool = (key: ContextKey): boolean | undefined => {
    const raw = str(key)?.toLowerCase();
    if (raw === undefined) return undefined;
    if (raw === 'true' || raw === 'false') return raw === 'true';
    problems.push(`context ${key} must be true or false, got "${raw}"`);
    return undefined;
  };
  const list = (key: ContextKey): string[] | undefined => {
    const value = tryGetContext(key);
    if (Array.isArray(value)) return value.map(String);
    return str(key)
      ?.split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  };

  for (const [old, path] of Object.entries(RENAMED_CONTEXT_KEYS)) {
    const value = tryGetContext(old);
    if (value === undefined) continue;
    problems.push(
      `context ${old} was renamed to ${path}, the setting's own name: use -c ${path}=${typeof value === 'object' ? defaultOf(path) : String(value)}`,
    );
  }
  // `<group>.memoryMb` was a setting; memory is now `functions.<group>.memorySize`.
  for (const group of Object.values(FUNCTION_SETTINGS_KEYS)) {
    if (tryGetContext(`${group}.memoryMb`) === undefined) continue;
    problems.push(
      `context ${group}.memoryMb is no longer a setting: set memory with -c functions='{"${group}":{"memorySize":1024}}' (MiB)`,
    );
  }

  const extra = tryGetContext('settings');
  let extraSettings: PipelineSettingsOverrides = {};
  if (typeof extra === 'string' && extra.trim()) {
    try {
      extraSettings = JSON.parse(extra) as PipelineSettingsOverrides;
    } catch {
      problems.push(`context settings must be a JSON object, e.g. -c settings='{"checker":{"batchSize":5}}'`);
    }
  } else if (typeof extra === 'object' && extra !== null) {
    extraSettings = extra as PipelineSettingsOverrides;
  }

  // Each setting's key is its path, read as the type of that setting's default; a key wins over `settings`.
  const settings: Record<string, unknown> = { ...extraSettings };
  for (const path of SETTING_PATHS) {
    const fallback = settingValue(DEFAULT_SETTINGS, path);
    const value =
      typeof fallback === 'number' ? int(path) : typeof fallback === 'boolean' ? bool(path) : str(path);
    if (value === undefined) continue;
    const [head, tail] = path.split('.') as [string, string | undefined];
    settings[head] =
      tail === undefined ? value : { ...(settings[head] as object | undefined), [tail]: value };
  }

  // JSON has no Size: memory in the `functions` key is a number of MiB.
  const overrides = tryGetContext('functions');
  let parsed: unknown;
  if (typeof overrides === 'string' && overrides.trim()) {
    try {
      parsed = JSON.parse(overrides);
    } catch {
      problems.push(
        `context functions must be a JSON object, e.g. -c functions='{"checker":{"reservedConcurrentExecutions":10}}'`,
      );
    }
  } else if (typeof overrides === 'object' && overrides !== null) {
    parsed = overrides;
  }
  let functions: PipelineFunctionOverridesByName | undefined;
  if (parsed !== undefined) {
    functions = Object.fromEntries(
      Object.entries(parsed as Record<string, unknown>).map(([name, entry]) => {
        if (!entry || typeof entry !== 'object' || !('memorySize' in entry)) return [name, entry];
        const { memorySize, ...rest } = entry as Record<string, unknown>;
        if (typeof memorySize !== 'number' || !Number.isInteger(memorySize)) {
          problems.push(
            `context functions.${name}.memorySize must be a whole number of MiB, e.g. -c functions='{"${name}":{"memorySize":1024}}'; got ${JSON.stringify(memorySize)}`,
          );
          return [name, rest];
        }
        return [
          name,
          { ...rest, memorySize: Size.mebibytes(memorySize) } satisfies PipelineFunctionOverrides,
        ];
      }),
    ) as PipelineFunctionOverridesByName;
  }

  let apiAuth: LivenessApiAuth = 'iam';
  const authMode = str('apiAuth') ?? 'iam';
  if (authMode === 'jwt') {
    const issuer = str('jwtIssuer');
    const audience = list('jwtAudience') ?? [];
    if (!issuer || audience.length === 0) {
      problems.push(
        'apiAuth=jwt needs -c jwtIssuer=https://... and -c jwtAudience=<client id>[,<client id>...]',
      );
    }
    apiAuth = { jwt: { issuer: issuer ?? '', audience } };
  } else if (authMode !== 'iam') {
    problems.push(`context apiAuth must be "iam" or "jwt", got "${authMode}"`);
  }

  const existing: ExistingResources = defined({
    bucketName: str('existingBucketName'),
    bucketKeyArn: str('existingBucketKeyArn'),
    eventBusArn: str('existingEventBusArn'),
    encryptionKeyArn: str('existingKeyArn'),
    credentialsSecretArn: str('existingCredentialsSecretArn'),
    tokenSecretArn: str('existingTokenSecretArn'),
    secretsKeyArn: str('existingSecretsKeyArn'),
    alarmTopicArn: str('existingAlarmTopicArn'),
  });

  const props: LivenessPipelineStackProps = {
    settings: settings as PipelineSettingsOverrides,
    apiAuth,
    existing,
    ...defined({
      corsAllowedOrigins: list('corsAllowedOrigins'),
      alarmEmails: list('alarmEmail'),
      eventTap: bool('eventTap'),
      destroyOnDelete: bool('destroyOnDelete'),
      tracing: bool('tracing'),
      subscriberAccounts: list('subscriberAccounts'),
      operatorRoleArns: list('operatorRoleArns'),
      uploaderRoleArns: list('uploaderRoleArns'),
      eventBusName: str('eventBusName'),
      functions,
    }),
  };
  const stackName = str('stackName') ?? CONTEXT_KEYS.stackName.default;
  if (problems.length > 0) throw new Error(`Invalid CDK context:\n- ${problems.join('\n- ')}`);
  return { stackName, props };
}

function defined<T extends Record<string, unknown>>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
