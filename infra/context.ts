import type { LivenessApiAuth } from './constructs/liveness-api.js';
import { type SettingPath, settingValue } from './environment.js';
import type { PipelineFunctionOverridesByName } from './liveness-pipeline-props.js';
import type { ExistingResources, LivenessPipelineStackProps } from './liveness-pipeline-stack.js';
import { DEFAULT_SETTINGS, type PipelineSettingsOverrides } from './settings.js';

/** A context key that sets one setting: its default is the setting's, stated once. */
function setting(path: SettingPath): { default: string; setting: SettingPath } {
  return { default: String(settingValue(DEFAULT_SETTINGS, path)), setting: path };
}

/**
 * The CDK context keys the app reads (`cdk.json` "context", or `-c key=value`), with their defaults.
 * docs/deploy.md documents each one; a test keeps that table and this list in step.
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
    doc: 'JSON object of per-function overrides (`reservedConcurrentExecutions`, `logLevel`, `tracing`)',
  },
  selfiePrefix: { ...setting('selfiePrefix'), doc: 'Key prefix of uploaded selfies' },
  eventSource: { ...setting('eventSource'), doc: '`source` of the events' },
  livenessApiUrl: { ...setting('livenessApiUrl'), doc: 'Apptenticate base URL' },
  maxObjectBytes: { ...setting('maxObjectBytes'), doc: 'Largest selfie accepted, bytes' },
  retainSelfies: {
    ...setting('retainSelfies'),
    doc: 'Keep selfies after the verdict (the lifecycle rule still expires them)',
  },
  selfieLifecycleDays: {
    ...setting('selfieLifecycleDays'),
    doc: 'S3 expires selfies left after this many days',
  },
  checkRetentionDays: {
    ...setting('checkRetentionDays'),
    doc: 'Check items expire (TTL) after this many days',
  },
  logRetentionDays: { ...setting('logRetentionDays'), doc: 'Log retention, a CloudWatch Logs value' },
  logLevel: { ...setting('logLevel'), doc: 'Least severe level every function logs' },
  eventArchiveRetentionDays: { ...setting('eventArchiveRetentionDays'), doc: 'Event archive retention' },
  checkerTimeoutSeconds: {
    ...setting('checker.timeoutSeconds'),
    doc: 'Checker timeout; the queue visibility is 6x',
  },
  checkerLeaseSeconds: {
    ...setting('checker.leaseSeconds'),
    doc: 'Check claim lease; must exceed the checker timeout',
  },
  checkerMaxConcurrency: {
    ...setting('checker.maxConcurrency'),
    doc: 'Concurrent checker invocations (vendor rate limit)',
  },
  checkerMaxReceiveCount: {
    ...setting('checker.maxReceiveCount'),
    doc: 'Receives before a notification goes to the DLQ',
  },
  uploadUrlTtlSeconds: { ...setting('api.uploadUrlTtlSeconds'), doc: 'Presigned upload lifetime' },
  userChecksPerDay: {
    ...setting('api.userChecksPerDay'),
    doc: 'Checks a user may create per UTC day (429 `OWNER_DAILY_LIMITED` beyond)',
  },
  checksPerDay: {
    ...setting('api.checksPerDay'),
    doc: 'Checks the API creates per UTC day for everyone (429 `CHECK_BUDGET_EXHAUSTED` beyond); the vendor-call alarm fires at 80%',
  },
  sweepScheduleMinutes: { ...setting('sweeper.scheduleMinutes'), doc: 'Sweeper schedule' },
  tokenRefreshHours: {
    ...setting('tokenRefresher.scheduleHours'),
    doc: 'Token-refresher schedule; well inside the 1-day refresh token lifetime',
  },
  tokenRefresherReserveConcurrency: {
    ...setting('tokenRefresher.reserveConcurrency'),
    doc: 'Reserve a concurrency of 1 for the token-refresher (one run at a time); needs 11 units of account concurrency',
  },
  expiredAlarmPercent: {
    ...setting('monitoring.expiredSharePercent'),
    doc: "Alarm when more of the window's final checks are EXPIRED, %",
  },
  failedAlarmPercent: {
    ...setting('monitoring.failedSharePercent'),
    doc: "Alarm when more of the window's final checks are FAILED, %",
  },
  outcomeAlarmWindowMinutes: {
    ...setting('monitoring.outcomeWindowMinutes'),
    doc: 'Window of the EXPIRED and FAILED share alarms',
  },
  apiErrorAlarmPercent: {
    ...setting('monitoring.apiServerErrorPercent'),
    doc: 'Alarm when more API requests answer 5xx, %',
  },
  apiLatencyAlarmMs: {
    ...setting('monitoring.apiLatencyP99Ms'),
    doc: 'Alarm when the API p99 latency exceeds this',
  },
  runbookUrl: { ...setting('monitoring.runbookUrl'), doc: 'Where the runbooks linked from alarms are read' },
  settings: {
    default: '-',
    doc: 'JSON object of any further settings (see `infra/settings.ts`), merged last',
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
export type ContextKey = keyof typeof CONTEXT_KEYS;

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
      problems.push(
        `context ${key} must be a whole number, e.g. -c ${key}=${CONTEXT_KEYS[key].default}; got "${raw}"`,
      );
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

  const extra = tryGetContext('settings');
  let extraSettings: PipelineSettingsOverrides = {};
  if (typeof extra === 'string' && extra.trim()) {
    try {
      extraSettings = JSON.parse(extra) as PipelineSettingsOverrides;
    } catch {
      problems.push(
        `context settings must be a JSON object, e.g. -c settings='{"checker":{"memoryMb":1024}}'`,
      );
    }
  } else if (typeof extra === 'object' && extra !== null) {
    extraSettings = extra as PipelineSettingsOverrides;
  }

  // Each key that sets one setting is read as the type of that setting's default.
  const settings: Record<string, unknown> = { ...extraSettings };
  for (const [key, entry] of Object.entries(CONTEXT_KEYS) as [ContextKey, { setting?: SettingPath }][]) {
    if (!entry.setting) continue;
    const fallback = settingValue(DEFAULT_SETTINGS, entry.setting);
    const value =
      typeof fallback === 'number' ? int(key) : typeof fallback === 'boolean' ? bool(key) : str(key);
    if (value === undefined) continue;
    const [head, tail] = entry.setting.split('.') as [string, string | undefined];
    settings[head] =
      tail === undefined ? value : { ...(settings[head] as object | undefined), [tail]: value };
  }

  // Memory is a setting (a number of MiB); the construct's `memorySize` override takes a Size.
  const overrides = tryGetContext('functions');
  let functions: PipelineFunctionOverridesByName | undefined;
  if (typeof overrides === 'string' && overrides.trim()) {
    try {
      functions = JSON.parse(overrides) as PipelineFunctionOverridesByName;
    } catch {
      problems.push(
        `context functions must be a JSON object, e.g. -c functions='{"checker":{"reservedConcurrentExecutions":10}}'`,
      );
    }
  } else if (typeof overrides === 'object' && overrides !== null) {
    functions = overrides as PipelineFunctionOverridesByName;
  }
  for (const [name, entry] of Object.entries(functions ?? {})) {
    if (entry && typeof entry === 'object' && 'memorySize' in entry) {
      problems.push(
        `context functions.${name}.memorySize: set memory with -c settings='{"${name}":{"memoryMb":1024}}'`,
      );
    }
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
