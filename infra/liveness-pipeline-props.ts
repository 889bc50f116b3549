import type { Size } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { secretsProblems } from './constructs/apptenticate-secrets.js';
import { tablePassThroughProblems } from './constructs/check-table.js';
import { apiProblems, type LivenessApiAuth } from './constructs/liveness-api.js';
import { eventsProblems } from './constructs/liveness-events.js';
import { networkProblems, type PipelineNetwork, type VendorNetwork } from './constructs/network.js';
import { overrideProblems, type PipelineLogLevel } from './constructs/pipeline-function.js';
import { throwIfInvalid } from './constructs/problems.js';
import { storageProblems } from './constructs/selfie-storage.js';
import {
  DEFAULT_SETTINGS,
  FUNCTION_SETTINGS_KEYS,
  type PipelineFunctionName,
  type PipelineSettingsOverrides,
} from './settings-model.js';

export type { PipelineNetwork, VendorNetwork } from './constructs/network.js';
export type { PipelineLogLevel } from './constructs/pipeline-function.js';

/**
 * What one function may change beyond the settings: the escape hatches a platform team needs for
 * its account (memory, a concurrency reservation, its own log level, tracing).
 */
export interface PipelineFunctionOverrides {
  /**
   * Memory (Lambda gives CPU in proportion), whole mebibytes from 128 to 10,240: the one place to
   * set it (there is no memory setting).
   * @default - `DEFAULT_MEMORY_MIB`: the checker 512 MiB, the others 256 MiB
   */
  readonly memorySize?: Size;
  /**
   * Concurrency reserved for the function, which is also its cap; at least 1. The checker's must be
   * at least `settings.checker.maxConcurrency`, or Lambda throttles what the queue hands it and
   * notifications burn their receives. Not for the token-refresher: its one-at-a-time reservation is
   * the `tokenRefresher.reserveConcurrency` setting. A new account's concurrency quota is 10, all of
   * which Lambda keeps unreserved: any reservation needs a quota increase there.
   * @default - none: the function shares the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * This function's log level (`POWERTOOLS_LOG_LEVEL`); wins over the `logLevel` setting.
   * @default - `settings.logLevel` (INFO)
   */
  readonly logLevel?: PipelineLogLevel;
  /**
   * X-Ray active tracing for this function; wins over the pipeline's `tracing`.
   * @default - the pipeline's `tracing`
   */
  readonly tracing?: boolean;
}

/**
 * Each function's memory in MiB when its `memorySize` override does not set it. Not a setting:
 * memory has that one place, and only Lambda uses it.
 */
export const DEFAULT_MEMORY_MIB: Readonly<Record<PipelineFunctionName, number>> = Object.freeze({
  checker: 512,
  notifier: 256,
  api: 256,
  sweeper: 256,
  'token-refresher': 256,
});

/** Per-function overrides, by function (the names the settings use). */
export interface PipelineFunctionOverridesByName {
  readonly checker?: PipelineFunctionOverrides;
  readonly notifier?: PipelineFunctionOverrides;
  readonly api?: PipelineFunctionOverrides;
  readonly sweeper?: PipelineFunctionOverrides;
  /** The token-refresher's `reservedConcurrentExecutions` cannot be set: use the `tokenRefresher.reserveConcurrency` setting. */
  readonly tokenRefresher?: PipelineFunctionOverrides;
}

/** Props of `LivenessPipeline`. */
export interface LivenessPipelineProps {
  /**
   * Pipeline settings (timeouts, concurrency, retention, prefixes, schedules...).
   * @default - `DEFAULT_SETTINGS` from `infra/settings.ts`
   */
  readonly settings?: PipelineSettingsOverrides;
  /**
   * An existing bucket for the selfies. The construct adds the ObjectCreated notification for the
   * selfie prefix (through CDK's notifications custom resource) and grants the functions access, but
   * cannot change an imported bucket's policy, CORS, lifecycle or encryption: configure TLS-only
   * access, CORS for POST uploads and a lifecycle expiry on the prefix yourself (synth warns that
   * `corsAllowedOrigins` sets only the API's CORS then). S3 refuses the notification if another
   * ObjectCreated notification's prefix overlaps it (synth warns: choose a `selfiePrefix` of its own,
   * or move the other consumer to EventBridge notifications). If it uses SSE-KMS,
   * import it with `Bucket.fromBucketAttributes({ bucketName, encryptionKey })` so the functions get
   * the KMS permissions they need.
   * @default - a new bucket: private, TLS only, SSE-KMS with `encryptionKey`, CORS for browser
   * uploads from `corsAllowedOrigins`, lifecycle expiry of the selfie prefix after `settings.selfieLifecycleDays`
   */
  readonly bucket?: s3.IBucket;
  /**
   * An existing event bus to publish the liveness events on, in the stack's account and region (the
   * archive, the example rule and the notifier act on it there); one elsewhere is refused at synth
   * when both environments are known. For a bus in another account, leave this out and forward the
   * events with a rule (docs/deploy.md).
   * @default - a new event bus
   */
  readonly eventBus?: events.IEventBus;
  /**
   * The name of the event bus the construct creates (not with `eventBus`). A bus's name is fixed:
   * a new one replaces the bus (subscribers' rules and the archive stay with the old). Set it to
   * keep the name an installation of 0.1.0 derived from the construct path (the synth warning
   * names it), or to choose one.
   * @default - derived from the stack name and the construct path (`Names.uniqueResourceName`),
   * unique per stack and per pipeline; for a top-level stack whose name is its construct id, the
   * name 0.1.0 gave it
   */
  readonly eventBusName?: string;
  /**
   * The KMS key that encrypts what the construct creates and holds sensitive data: the selfie
   * bucket, both secrets and the alarm topic. A key you bring must let the account's IAM policies
   * grant its use (the default key policy does) and, for a created alarm topic, let CloudWatch use it.
   * @default - a new key with rotation enabled
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * An existing secret holding the Apptenticate credentials `{"username": ..., "password": ...}`.
   * Only the token-refresher may read it. Import it with its complete ARN and, if it is encrypted
   * with a customer managed key, with that key (`Secret.fromSecretAttributes`).
   * @default - a new secret holding a placeholder; put the credentials in after deploying
   */
  readonly credentialsSecret?: secretsmanager.ISecret;
  /**
   * An existing secret for the cached Apptenticate tokens; the token-refresher writes it and the
   * checker reads it. Must not be the credentials secret.
   * @default - a new secret holding `{}` until the token-refresher first runs
   */
  readonly tokenSecret?: secretsmanager.ISecret;
  /**
   * An existing SNS topic for alarm notifications.
   * @default - a new topic, encrypted with `encryptionKey`, TLS only
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * How callers of the HTTP API authenticate.
   * @default 'iam'
   */
  readonly apiAuth?: LivenessApiAuth;
  /**
   * Origins allowed to upload from a browser (bucket CORS for the presigned POST) and to call the
   * HTTP API from a browser (API CORS). Use exact origins such as `https://app.example.com`: each is
   * `https://host[:port]` as a browser sends it (lower case, no default port, no path), or
   * `http://localhost[:port]` / `http://127.0.0.1[:port]` for development; never `*`.
   * @default - no CORS on the API or the bucket: browsers can neither call the API nor upload
   * (mobile apps and backends need no CORS)
   */
  readonly corsAllowedOrigins?: string[];
  /**
   * A bucket to receive S3 server access logs of the created selfie bucket. Not allowed with `bucket`.
   * @default - no server access logs (CloudTrail data events are the alternative)
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
  /**
   * Delete the data (bucket and its objects, table, secrets, key, log groups) when the stack or the
   * construct is deleted. Only for development stacks.
   * @default false - data is retained on deletion
   */
  readonly destroyOnDelete?: boolean;
  /**
   * Create an SQS queue that receives every liveness event through an example rule, so events can
   * be inspected (`aws sqs receive-message`). Costs nothing at rest.
   * @default true
   */
  readonly eventTap?: boolean;
  /**
   * Per-function overrides: memory, reserved concurrency, log level, tracing.
   * @default - every function as the settings say
   */
  readonly functions?: PipelineFunctionOverridesByName;
  /**
   * X-Ray active tracing for every function (a function's own `tracing` override wins). Lambda
   * records a segment per invocation; the code is not instrumented, so the AWS SDK and vendor calls
   * inside it are not subsegments. Costs X-Ray's per-trace price.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Run the functions that call Apptenticate (the checker and the token-refresher) in these subnets
   * of a VPC: with NAT gateways holding Elastic IPs, the vendor sees fixed source addresses it can
   * allowlist (docs/deploy.md). Without `network` the other functions never call the vendor and
   * stay outside; with it, this wins for these two.
   * @default - `network`, else not in a VPC: Lambda's shared, changing egress addresses
   */
  readonly vendorNetwork?: VendorNetwork;
  /**
   * Run every function (all five) in these subnets of a VPC, for a rule that no Lambda function
   * runs outside one. The subnets need routes to what the functions call: S3 and DynamoDB (gateway
   * endpoints), Secrets Manager, Lambda and EventBridge (interface endpoints, or a NAT gateway),
   * and Apptenticate on the internet for the checker and the token-refresher (a NAT gateway; give
   * those two `vendorNetwork` to put them in other subnets). SQS, KMS and CloudWatch Logs need no
   * route: Lambda polls the queue and writes the logs outside the VPC (docs/deploy.md#every-function-in-a-vpc).
   * @default - not in a VPC (`vendorNetwork` aside)
   */
  readonly network?: PipelineNetwork;
  /**
   * Props passed through to the selfie bucket the construct creates (not with `bucket`), over its
   * defaults: a field set here wins. Synth warns (`@selfie-liveness/pipeline:secureDefault:bucketProps.<field>`)
   * for each secure default it changes: `blockPublicAccess`, `objectOwnership`, `enforceSSL`,
   * `minimumTLSVersion`, `encryption`, `encryptionKey`, `versioned`, `objectLockEnabled`,
   * `removalPolicy`, `autoDeleteObjects`. `lifecycleRules` come on top of the selfie expiry (the
   * `selfieLifecycleDays` setting); `cors` only without `corsAllowedOrigins`,
   * `serverAccessLogsBucket` only without the prop of that name.
   * @default - the defaults: see `bucket`
   */
  readonly bucketProps?: s3.BucketProps;
  /**
   * Props passed through to the check table, over its defaults. `TableProps` requires a
   * `partitionKey`: give the table's own, `{ name: 'checkId', type: AttributeType.STRING }`.
   * Refused: another key, a `sortKey`, another `stream` or `timeToLiveAttribute` (the pipeline
   * needs its own), a customer managed key (not supported yet). Synth warns for each secure default
   * changed: `pointInTimeRecoverySpecification`, `encryption`, `deletionProtection`, `removalPolicy`.
   * @default - on-demand, point-in-time recovery, the AWS managed key, deletion protection unless `destroyOnDelete`
   */
  readonly tableProps?: dynamodb.TableProps;
  /**
   * Props passed through to the selfie queue (S3's notifications; the checker consumes it), over its
   * defaults. Refused: `deadLetterQueue`, `visibilityTimeout` (the settings derive it) and `fifo`.
   * Synth warns when `encryption` or `enforceSSL` change. A customer managed key must let S3 use it
   * (CDK adds that to a key it creates, and warns for one it imports).
   * @default - SQS-managed encryption, TLS only, 4 days' retention
   */
  readonly selfieQueueProps?: sqs.QueueProps;
  /**
   * Props passed through to the selfie queue's dead-letter queue, over its defaults. Refused:
   * `retentionPeriod` (the `dlqRetentionDays` setting) and `fifo`. Synth warns when `encryption` or
   * `enforceSSL` change.
   * @default - SQS-managed encryption, TLS only, retention of `settings.dlqRetentionDays`
   */
  readonly selfieDeadLetterQueueProps?: sqs.QueueProps;
  /**
   * Props passed through to the notifier's dead-letter queue (stream batches it could not publish),
   * over its defaults; as `selfieDeadLetterQueueProps`. Its key must not be `encryptionKey`: the
   * notifier sends with `kms:Decrypt`, which the key's data perimeter refuses it.
   * @default - SQS-managed encryption, TLS only, retention of `settings.dlqRetentionDays`
   */
  readonly notifierDeadLetterQueueProps?: sqs.QueueProps;
  /**
   * AWS accounts (12 digits) allowed to create, change and delete their own rules on the event bus
   * for the liveness events (`source` = the `eventSource` setting), with targets in their own
   * accounts: an `AWS::Events::EventBusPolicy` on the bus, created or brought.
   * @default - no other account may create rules on the bus
   */
  readonly subscriberAccounts?: string[];
  /**
   * The roles of the people and tools that operate the pipeline (`npm run ops`). The resource
   * policies refuse everyone the pipeline does not name, whatever their IAM policies allow; these
   * roles may, beyond looking: put events with the pipeline's `source` on a created bus
   * (`republish`, `dlq redrive notifier`), send to the selfie queue (`dlq redrive selfie`), read and
   * write the credentials secret and decrypt with the key (`rotate-credentials`). They never read a
   * selfie, the token secret, or write the check table. Give them the IAM permissions too
   * (docs/deploy.md lists them).
   * @default - no operator role: republish, redrive and rotation are refused to everyone
   */
  readonly operatorRoles?: iam.IRole[];
  /**
   * The roles of backends that upload selfies directly under the selfie prefix (`PutObject` with
   * `x-amz-meta-reference`, no `POST /checks`). They may write selfie objects and nothing else the
   * pipeline guards; give them `s3:PutObject` on the prefix and `kms:GenerateDataKey` on the key.
   * @default - none: only uploads through `POST /checks` (signed by the api's role) are accepted
   */
  readonly uploaderRoles?: iam.IRole[];
}

/** Checks the props as a whole; throws one error listing every problem and how to fix it. */
export function validateProps(props: LivenessPipelineProps): void {
  // Each rule lives with the part that owns the prop; the parts check again when used alone.
  throwIfInvalid('LivenessPipeline', [
    ...apiProblems(props),
    ...storageProblems(props),
    ...secretsProblems(props),
    ...functionsProblems(props),
    ...networkProblems('vendorNetwork', props.vendorNetwork),
    ...networkProblems('network', props.network),
    ...eventsProblems(props),
    ...tablePassThroughProblems(props),
    ...(props.encryptionKey && props.notifierDeadLetterQueueProps?.encryptionMasterKey === props.encryptionKey
      ? [
          "notifierDeadLetterQueueProps.encryptionMasterKey must not be encryptionKey: the notifier's sends need kms:Decrypt, which the key's data perimeter refuses all but the checker and the token-refresher; use another key or leave it out (SQS-managed encryption)",
        ]
      : []),
  ]);
}

function functionsProblems(props: LivenessPipelineProps): string[] {
  const problems: string[] = [];
  for (const key of Object.values(FUNCTION_SETTINGS_KEYS)) {
    const overrides = props.functions?.[key];
    if (!overrides) continue;
    problems.push(...overrideProblems(key, overrides));
  }
  const refresher = props.functions?.tokenRefresher?.reservedConcurrentExecutions;
  if (refresher !== undefined) {
    problems.push(
      'functions.tokenRefresher.reservedConcurrentExecutions cannot be set: set tokenRefresher.reserveConcurrency (-c tokenRefresher.reserveConcurrency=true) to run it one at a time (a reservation of 1); more would only use up account concurrency',
    );
  }
  const checker = props.functions?.checker?.reservedConcurrentExecutions;
  const maxConcurrency = props.settings?.checker?.maxConcurrency ?? DEFAULT_SETTINGS.checker.maxConcurrency;
  if (checker !== undefined && Number.isInteger(checker) && checker >= 1 && checker < maxConcurrency) {
    problems.push(
      `functions.checker.reservedConcurrentExecutions must be at least checker.maxConcurrency (${maxConcurrency}): below it Lambda throttles the batches the queue hands the checker and notifications use up their receives; raise it or lower checker.maxConcurrency`,
    );
  }
  return problems;
}
