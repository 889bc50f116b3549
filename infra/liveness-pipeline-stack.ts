import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { LivenessApiAuth } from './constructs/liveness-api.js';
import { LivenessPipeline } from './liveness-pipeline.js';
import type { PipelineFunctionOverridesByName, VendorNetwork } from './liveness-pipeline-props.js';
import type { PipelineSettingsOverrides } from './settings.js';

/** Existing resources the stack imports by name or ARN instead of creating them. */
export interface ExistingResources {
  /** Name of an existing selfie bucket. */
  readonly bucketName?: string;
  /** ARN of the KMS key the existing bucket encrypts with (SSE-KMS); omit for SSE-S3. */
  readonly bucketKeyArn?: string;
  /** ARN of an existing event bus. */
  readonly eventBusArn?: string;
  /** ARN of an existing KMS key for what the stack creates (bucket, secrets, alarm topic). */
  readonly encryptionKeyArn?: string;
  /** Complete ARN (with the 6-character suffix) of an existing credentials secret. */
  readonly credentialsSecretArn?: string;
  /** Complete ARN of an existing token secret. */
  readonly tokenSecretArn?: string;
  /** ARN of the customer managed KMS key of the existing secrets; omit for `aws/secretsmanager`. */
  readonly secretsKeyArn?: string;
  /** ARN of an existing SNS topic for alarms. */
  readonly alarmTopicArn?: string;
}

/** Props of {@link LivenessPipelineStack}. */
export interface LivenessPipelineStackProps extends StackProps {
  /** @default - `DEFAULT_SETTINGS` */
  readonly settings?: PipelineSettingsOverrides;
  /** @default 'iam' */
  readonly apiAuth?: LivenessApiAuth;
  /** @default - see `LivenessPipelineProps.corsAllowedOrigins` */
  readonly corsAllowedOrigins?: string[];
  /** Email addresses subscribed to the alarm topic (each must confirm the subscription). @default - none */
  readonly alarmEmails?: string[];
  /** @default true */
  readonly eventTap?: boolean;
  /** @default false */
  readonly destroyOnDelete?: boolean;
  /** @default - every resource is created */
  readonly existing?: ExistingResources;
  /** Name of the created event bus: see `LivenessPipelineProps.eventBusName`. @default - derived from the stack name */
  readonly eventBusName?: string;
  /** @default - see `LivenessPipelineProps.functions` */
  readonly functions?: PipelineFunctionOverridesByName;
  /** @default false */
  readonly tracing?: boolean;
  /** A VPC (from a network stack of the same app) for the checker and the token-refresher. @default - none */
  readonly vendorNetwork?: VendorNetwork;
  /** @default - none */
  readonly subscriberAccounts?: string[];
  /** ARNs of the operators' roles: see `LivenessPipelineProps.operatorRoles`. @default - none */
  readonly operatorRoleArns?: string[];
  /** ARNs of the roles of backends that upload directly: see `LivenessPipelineProps.uploaderRoles`. @default - none */
  readonly uploaderRoleArns?: string[];
}

/** The ready-made stack: one `LivenessPipeline`, existing resources imported, and the outputs a platform team needs. */
export class LivenessPipelineStack extends Stack {
  readonly pipeline: LivenessPipeline;

  constructor(scope: Construct, id: string, props: LivenessPipelineStackProps = {}) {
    super(scope, id, {
      description:
        'Selfie liveness pipeline: S3 uploads, Apptenticate liveness checks, DynamoDB, EventBridge',
      ...props,
    });
    const existing = props.existing ?? {};
    validateExisting(existing);
    validateRoleArns(props);

    const bucket = existing.bucketName
      ? s3.Bucket.fromBucketAttributes(this, 'ExistingBucket', {
          bucketName: existing.bucketName,
          ...(existing.bucketKeyArn
            ? { encryptionKey: kms.Key.fromKeyArn(this, 'ExistingBucketKey', existing.bucketKeyArn) }
            : {}),
        })
      : undefined;
    const secretsKey = existing.secretsKeyArn
      ? kms.Key.fromKeyArn(this, 'ExistingSecretsKey', existing.secretsKeyArn)
      : undefined;
    const importSecret = (id: string, arn: string | undefined) =>
      arn
        ? secretsmanager.Secret.fromSecretAttributes(this, id, {
            secretCompleteArn: arn,
            ...(secretsKey ? { encryptionKey: secretsKey } : {}),
          })
        : undefined;

    // Imported immutable: the stack names them in its resource policies and never edits the roles.
    const importRoles = (kind: string, arns: string[] | undefined) =>
      (arns ?? []).map((arn, i) => iam.Role.fromRoleArn(this, `${kind}Role${i}`, arn, { mutable: false }));
    const operatorRoles = importRoles('Operator', props.operatorRoleArns);
    const uploaderRoles = importRoles('Uploader', props.uploaderRoleArns);

    this.pipeline = new LivenessPipeline(this, 'Pipeline', {
      ...(operatorRoles.length > 0 ? { operatorRoles } : {}),
      ...(uploaderRoles.length > 0 ? { uploaderRoles } : {}),
      ...(props.settings ? { settings: props.settings } : {}),
      ...(props.apiAuth ? { apiAuth: props.apiAuth } : {}),
      ...(props.corsAllowedOrigins ? { corsAllowedOrigins: props.corsAllowedOrigins } : {}),
      ...(props.eventTap !== undefined ? { eventTap: props.eventTap } : {}),
      ...(props.functions ? { functions: props.functions } : {}),
      ...(props.tracing !== undefined ? { tracing: props.tracing } : {}),
      ...(props.vendorNetwork ? { vendorNetwork: props.vendorNetwork } : {}),
      ...(props.subscriberAccounts ? { subscriberAccounts: props.subscriberAccounts } : {}),
      ...(props.eventBusName ? { eventBusName: props.eventBusName } : {}),
      destroyOnDelete: props.destroyOnDelete ?? false,
      ...(bucket ? { bucket } : {}),
      ...(existing.eventBusArn
        ? { eventBus: events.EventBus.fromEventBusArn(this, 'ExistingEventBus', existing.eventBusArn) }
        : {}),
      ...(existing.encryptionKeyArn
        ? { encryptionKey: kms.Key.fromKeyArn(this, 'ExistingKey', existing.encryptionKeyArn) }
        : {}),
      ...optional(
        'credentialsSecret',
        importSecret('ExistingCredentialsSecret', existing.credentialsSecretArn),
      ),
      ...optional('tokenSecret', importSecret('ExistingTokenSecret', existing.tokenSecretArn)),
      ...(existing.alarmTopicArn
        ? { alarmTopic: sns.Topic.fromTopicArn(this, 'ExistingAlarmTopic', existing.alarmTopicArn) }
        : {}),
    });
    for (const email of props.alarmEmails ?? []) {
      this.pipeline.alarmTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    const p = this.pipeline;
    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output('ApiUrl', p.apiUrl, 'Base URL of the HTTP API (POST /checks, GET /checks/{checkId})');
    output('ApiId', p.httpApi.apiId, 'HTTP API id, for execute-api:Invoke policies');
    output('SelfieBucketName', p.bucket.bucketName, 'Bucket the selfies are uploaded to');
    output('CheckTableName', p.table.tableName, 'DynamoDB table of checks');
    output('EventBusName', p.eventBus.eventBusName, 'Event bus the liveness events are published on');
    output('EventBusArn', p.eventBus.eventBusArn, 'Event bus ARN, for subscribers');
    output('EventSource', p.settings.eventSource, 'source of the liveness events');
    output('SchemaRegistryName', p.schemaRegistry.attrRegistryName, 'Schema registry holding LivenessEvent');
    output('CredentialsSecretArn', p.credentialsSecret.secretArn, 'Put the Apptenticate credentials here');
    output(
      'TokenSecretArn',
      p.tokenSecret.secretArn,
      'Cached Apptenticate tokens (written by the token-refresher)',
    );
    output(
      'TokenRefresherFunctionName',
      p.functions['token-refresher'].function.functionName,
      'Invoke once after setting the credentials',
    );
    output('AlarmTopicArn', p.alarmTopic.topicArn, 'Subscribe to receive alarms');
    output(
      'SelfieDeadLetterQueueUrl',
      p.selfieDeadLetterQueue.queueUrl,
      'Notifications that failed every receive',
    );
    output(
      'NotifierDeadLetterQueueUrl',
      p.notifierDeadLetterQueue.queueUrl,
      'Stream batches that failed to publish',
    );
    output('DashboardName', p.dashboard.dashboardName, 'CloudWatch dashboard');
    // What `npm run ops` finds the pipeline by (tools/ops/target.ts).
    output('SelfieQueueUrl', p.selfieQueue.queueUrl, 'S3 notifications waiting for the checker');
    output('SelfiePrefix', p.settings.selfiePrefix, 'Key prefix of uploaded selfies');
    const logGroupOutputs = {
      CheckerLogGroupName: 'checker',
      NotifierLogGroupName: 'notifier',
      ApiLogGroupName: 'api',
      SweeperLogGroupName: 'sweeper',
      TokenRefresherLogGroupName: 'token-refresher',
    } as const;
    for (const [id, fn] of Object.entries(logGroupOutputs)) {
      output(id, p.functions[fn].logGroup.logGroupName, `Log group of the ${fn} function`);
    }
    if (p.eventTapQueue) {
      output('EventTapQueueUrl', p.eventTapQueue.queueUrl, 'Receives a copy of every liveness event');
    }
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

const COMPLETE_SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

function validateRoleArns(props: Pick<LivenessPipelineStackProps, 'operatorRoleArns' | 'uploaderRoleArns'>) {
  const problems = (['operatorRoleArns', 'uploaderRoleArns'] as const).flatMap((name) =>
    (props[name] ?? [])
      .filter((arn) => !ROLE_ARN.test(arn))
      .map(
        (arn) =>
          `${name} entries must be IAM role ARNs (arn:aws:iam::<account>:role/<name>; a role, not an assumed-role session or a user), got "${arn}"`,
      ),
  );
  if (problems.length > 0) throw new Error(`Invalid role ARNs:\n- ${problems.join('\n- ')}`);
}

function validateExisting(existing: ExistingResources): void {
  const problems: string[] = [];
  const arn = (name: keyof ExistingResources, service: string) => {
    const value = existing[name];
    if (value !== undefined && !value.startsWith(`arn:aws`)) {
      problems.push(`${name} must be an ARN (arn:aws:${service}:...), got "${value}"`);
    } else if (value !== undefined && value.split(':')[2] !== service) {
      problems.push(`${name} must be an ${service} ARN, got "${value}"`);
    }
  };
  arn('bucketKeyArn', 'kms');
  arn('eventBusArn', 'events');
  arn('encryptionKeyArn', 'kms');
  arn('secretsKeyArn', 'kms');
  arn('alarmTopicArn', 'sns');
  for (const name of ['credentialsSecretArn', 'tokenSecretArn'] as const) {
    const value = existing[name];
    if (value !== undefined && !COMPLETE_SECRET_ARN.test(value)) {
      problems.push(
        `${name} must be the complete secret ARN ending in "-" and 6 characters, as "aws secretsmanager describe-secret --secret-id <name> --query ARN" prints it; got "${value}"`,
      );
    }
  }
  if (existing.bucketKeyArn && !existing.bucketName) {
    problems.push('bucketKeyArn applies only with bucketName: set both, or neither');
  }
  if (existing.secretsKeyArn && !existing.credentialsSecretArn && !existing.tokenSecretArn) {
    problems.push('secretsKeyArn applies only with credentialsSecretArn or tokenSecretArn');
  }
  if (existing.bucketName !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(existing.bucketName)) {
    problems.push(
      `bucketName must be an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens), got "${existing.bucketName}"`,
    );
  }
  if (problems.length > 0) throw new Error(`Invalid existing resources:\n- ${problems.join('\n- ')}`);
}
