import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AlarmTopic } from './constructs/alarm-topic.js';
import { ApptenticateSecrets } from './constructs/apptenticate-secrets.js';
import { CheckTable } from './constructs/check-table.js';
import { applyDataPerimeter } from './constructs/data-perimeter.js';
import { LivenessApi } from './constructs/liveness-api.js';
import { LivenessEvents } from './constructs/liveness-events.js';
import { PipelineMonitoring } from './constructs/monitoring.js';
import { FUNCTION_NETWORK_NEEDS, warnAboutIsolatedVendorCalls } from './constructs/network.js';
import { PipelineFunction, type PipelineFunctionOptions } from './constructs/pipeline-function.js';
import { SelfieStorage } from './constructs/selfie-storage.js';
import { DEFAULT_MEMORY_MIB, type LivenessPipelineProps, validateProps } from './liveness-pipeline-props.js';
import {
  FUNCTION_NAMES,
  FUNCTION_SETTINGS_KEYS,
  type PipelineFunctionName,
  type PipelineSettings,
  resolveSettings,
  settingsEnvironment,
  visibilityTimeoutSeconds,
} from './settings.js';

/**
 * The selfie liveness pipeline: presigned uploads to S3, liveness checks against Apptenticate,
 * verdicts in DynamoDB, and events on EventBridge. See docs/deploy.md.
 *
 * Built from parts (`SelfieStorage`, `CheckTable`, `ApptenticateSecrets`, `AlarmTopic`,
 * `LivenessEvents`, `LivenessApi`) that create their resources in this construct's own scope, not
 * under a child construct of their own. CloudFormation logical IDs are derived from the construct
 * path, so a child per part would give every resource below it a new ID, and CloudFormation would
 * replace them on the next deploy: a new, empty check table and bucket, reset secrets, a new API
 * URL, the stream read again from TRIM_HORIZON. `overrideLogicalId` could pin the stateful
 * resources back, but not the dozens of roles, policies, permissions and mappings CDK adds around
 * them, and it would hard-code IDs that depend on the id the caller gives this construct. So every
 * logical ID stays as it was (test/infra/logical-ids.test.ts pins those that hold state).
 * `PipelineMonitoring` was a child construct from the start and stays one.
 */
export class LivenessPipeline extends Construct {
  /** The resolved settings (defaults merged with `props.settings`). */
  readonly settings: PipelineSettings;
  readonly storage: SelfieStorage;
  readonly checks: CheckTable;
  readonly secrets: ApptenticateSecrets;
  readonly events: LivenessEvents;
  readonly api: LivenessApi;
  readonly encryptionKey: kms.IKey;
  readonly bucket: s3.IBucket;
  readonly table: dynamodb.Table;
  readonly selfieQueue: sqs.Queue;
  readonly selfieDeadLetterQueue: sqs.Queue;
  readonly notifierDeadLetterQueue: sqs.Queue;
  readonly eventBus: events.IEventBus;
  readonly eventArchive: events.Archive;
  readonly schemaRegistry: eventschemas.CfnRegistry;
  readonly eventSchema: eventschemas.CfnSchema;
  /** The example rule: every liveness event from this pipeline. */
  readonly exampleRule: events.Rule;
  /** The queue the example rule feeds, when `eventTap` is on. */
  readonly eventTapQueue?: sqs.Queue;
  readonly credentialsSecret: secretsmanager.ISecret;
  readonly tokenSecret: secretsmanager.ISecret;
  readonly alarmTopic: sns.ITopic;
  readonly httpApi: apigw.HttpApi;
  /** The log group of the HTTP API's access logs. */
  readonly apiAccessLogGroup: logs.LogGroup;
  /** The API's `$default` stage, with access logs and throttling. */
  readonly httpStage: apigw.HttpStage;
  readonly functions: Readonly<Record<PipelineFunctionName, PipelineFunction>>;
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;
  /** Saved Logs Insights queries: a check's story, vendor errors by code, the slowest checks. */
  readonly queries: readonly logs.QueryDefinition[];

  constructor(scope: Construct, id: string, props: LivenessPipelineProps = {}) {
    super(scope, id);
    validateProps(props);
    const settings = resolveSettings(props.settings);
    this.settings = settings;
    const removalPolicy = props.destroyOnDelete ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const logRetention = settings.logRetentionDays as logs.RetentionDays;
    // Settings are plain numbers (context keys, the local runtime); the parts take CDK units.
    // The props' per-function overrides go on top; the functions that call the vendor get its VPC.
    const functionOptions = (
      name: PipelineFunctionName,
      fn: { timeoutSeconds: number },
    ): PipelineFunctionOptions => {
      const overrides = props.functions?.[FUNCTION_SETTINGS_KEYS[name]] ?? {};
      const network = FUNCTION_NETWORK_NEEDS[name].vendor
        ? (props.vendorNetwork ?? props.network)
        : props.network;
      return {
        timeout: Duration.seconds(fn.timeoutSeconds),
        memorySize: overrides.memorySize ?? Size.mebibytes(DEFAULT_MEMORY_MIB[name]),
        environment: settingsEnvironment(name, settings),
        logRetention,
        removalPolicy,
        reservedConcurrentExecutions: overrides.reservedConcurrentExecutions,
        logLevel: overrides.logLevel,
        tracing: overrides.tracing ?? props.tracing ?? false,
        network,
      };
    };
    const deadLetterRetention = Duration.days(settings.dlqRetentionDays);
    const vendorCallers = FUNCTION_NAMES.filter((name) => FUNCTION_NETWORK_NEEDS[name].vendor);
    if (props.vendorNetwork) {
      warnAboutIsolatedVendorCalls(this, 'vendorNetwork', props.vendorNetwork, vendorCallers);
    } else if (props.network) {
      warnAboutIsolatedVendorCalls(this, 'network', props.network, vendorCallers);
    }

    const storage = new SelfieStorage(this, {
      encryptionKey: props.encryptionKey,
      bucket: props.bucket,
      corsAllowedOrigins: props.corsAllowedOrigins,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      selfiePrefix: settings.selfiePrefix,
      selfieExpiration: Duration.days(settings.selfieLifecycleDays),
      visibilityTimeout: Duration.seconds(visibilityTimeoutSeconds(settings)),
      maxReceiveCount: settings.checker.maxReceiveCount,
      deadLetterRetention,
      removalPolicy,
      bucketProps: props.bucketProps,
      selfieQueueProps: props.selfieQueueProps,
      selfieDeadLetterQueueProps: props.selfieDeadLetterQueueProps,
    });
    const checks = new CheckTable(this, {
      sweeper: functionOptions('sweeper', settings.sweeper),
      sweepInterval: Duration.minutes(settings.sweeper.scheduleMinutes),
      removalPolicy,
      tableProps: props.tableProps,
    });
    const secrets = new ApptenticateSecrets(this, {
      encryptionKey: storage.encryptionKey,
      credentialsSecret: props.credentialsSecret,
      tokenSecret: props.tokenSecret,
      refresher: functionOptions('token-refresher', settings.tokenRefresher),
      refreshInterval: Duration.hours(settings.tokenRefresher.scheduleHours),
      reserveConcurrency: settings.tokenRefresher.reserveConcurrency,
      removalPolicy,
    });
    const alarmTopic = new AlarmTopic(this, {
      encryptionKey: storage.encryptionKey,
      alarmTopic: props.alarmTopic,
    });
    const liveness = new LivenessEvents(this, {
      eventBus: props.eventBus,
      eventBusName: props.eventBusName,
      eventSource: settings.eventSource,
      archiveRetention: Duration.days(settings.eventArchiveRetentionDays),
      eventTap: props.eventTap,
      table: checks.table,
      notifier: functionOptions('notifier', settings.notifier),
      stream: {
        batchSize: settings.notifier.batchSize,
        maxBatchingWindow: Duration.seconds(settings.notifier.maxBatchingWindowSeconds),
        retryAttempts: settings.notifier.retryAttempts,
        maxRecordAge: Duration.seconds(settings.notifier.maxRecordAgeSeconds),
      },
      deadLetterRetention,
      subscriberAccounts: props.subscriberAccounts,
      notifierDeadLetterQueueProps: props.notifierDeadLetterQueueProps,
    });

    // The checker joins the parts: notifications from storage, claims and verdicts in the table,
    // tokens from the secrets. Its SQS consume permissions come from the event source.
    const checker = new PipelineFunction(this, 'Checker', {
      name: 'checker',
      description: 'Checks uploaded selfies with Apptenticate and records verdicts',
      ...functionOptions('checker', settings.checker),
    });
    // Every checker write is a conditional UpdateItem that returns the item (also on a failed
    // condition); it never reads an item on its own, so it gets no GetItem.
    checks.bindTable(checker, ['dynamodb:UpdateItem']);
    secrets.bindTokenReader(checker);
    // The checker reads and decides on its own bucket only: a queue message naming another is ignored.
    storage.grantSelfies(checker, {
      actions: ['s3:GetObject', 's3:DeleteObject'],
      keyActions: ['kms:Decrypt'],
      envVar: 'SELFIE_BUCKET',
    });
    checker.function.addEventSource(
      new SqsEventSource(storage.queue, {
        batchSize: settings.checker.batchSize,
        maxBatchingWindow: Duration.seconds(settings.checker.maxBatchingWindowSeconds),
        reportBatchItemFailures: true,
        maxConcurrency: settings.checker.maxConcurrency,
      }),
    );

    const api = new LivenessApi(this, {
      api: functionOptions('api', settings.api),
      apiAuth: props.apiAuth,
      corsAllowedOrigins: props.corsAllowedOrigins,
      throttleRateLimit: settings.api.throttleRateLimit,
      throttleBurstLimit: settings.api.throttleBurstLimit,
      accessLogRetention: logRetention,
      removalPolicy,
    });
    checks.bindTable(api.api, ['dynamodb:PutItem', 'dynamodb:GetItem']);
    checks.grantLimitCounters(api.api);
    // The presigned POST is signed with the api function's role, so the role itself must be allowed to upload.
    storage.grantSelfies(api.api, {
      actions: ['s3:PutObject'],
      keyActions: ['kms:GenerateDataKey'],
      envVar: 'SELFIE_BUCKET',
    });

    // The sweeper looks for an upload before expiring a check and deletes the selfie of a check it
    // fails: listing keys and deleting need no object read and no KMS key (HEAD would need s3:GetObject).
    storage.grantSelfies(checks.sweeper, {
      actions: ['s3:DeleteObject'],
      keyActions: [],
      envVar: 'SELFIE_BUCKET',
      listKeys: true,
    });

    applyDataPerimeter(
      this,
      {
        checker: checker.role.roleArn,
        sweeper: checks.sweeper.role.roleArn,
        api: api.api.role.roleArn,
        notifier: liveness.notifier.role.roleArn,
        tokenRefresher: secrets.refresher.role.roleArn,
        operators: (props.operatorRoles ?? []).map((role) => role.roleArn),
        uploaders: (props.uploaderRoles ?? []).map((role) => role.roleArn),
      },
      {
        bucket: storage.bucket,
        selfieQueue: storage.queue,
        table: checks.table,
        eventBus: liveness.eventBus,
        ownsEventBus: props.eventBus === undefined,
        eventSource: settings.eventSource,
        tokenSecret: secrets.tokenSecret,
        credentialsSecret: secrets.credentialsSecret,
        key: storage.encryptionKey,
      },
    );

    const functions = {
      checker,
      notifier: liveness.notifier,
      api: api.api,
      sweeper: checks.sweeper,
      'token-refresher': secrets.refresher,
    };
    const monitoring = new PipelineMonitoring(this, 'Monitoring', {
      settings,
      functions: {
        Checker: functions.checker.function,
        Notifier: functions.notifier.function,
        Api: functions.api.function,
        Sweeper: functions.sweeper.function,
        TokenRefresher: functions['token-refresher'].function,
      },
      selfieQueue: storage.queue,
      selfieDlq: storage.deadLetterQueue,
      notifierDlq: liveness.notifierDeadLetterQueue,
      notifier: liveness.notifier.function,
      alarmTopic: alarmTopic.topic,
      httpApi: api.httpApi,
      logGroups: {
        checker: functions.checker.logGroup,
        notifier: functions.notifier.logGroup,
        api: functions.api.logGroup,
        sweeper: functions.sweeper.logGroup,
        'token-refresher': functions['token-refresher'].logGroup,
      },
    });

    this.storage = storage;
    this.checks = checks;
    this.secrets = secrets;
    this.events = liveness;
    this.api = api;
    this.encryptionKey = storage.encryptionKey;
    this.bucket = storage.bucket;
    this.table = checks.table;
    this.selfieQueue = storage.queue;
    this.selfieDeadLetterQueue = storage.deadLetterQueue;
    this.notifierDeadLetterQueue = liveness.notifierDeadLetterQueue;
    this.eventBus = liveness.eventBus;
    this.eventArchive = liveness.eventArchive;
    this.schemaRegistry = liveness.schemaRegistry;
    this.eventSchema = liveness.eventSchema;
    this.exampleRule = liveness.exampleRule;
    if (liveness.eventTapQueue) this.eventTapQueue = liveness.eventTapQueue;
    this.credentialsSecret = secrets.credentialsSecret;
    this.tokenSecret = secrets.tokenSecret;
    this.alarmTopic = alarmTopic.topic;
    this.httpApi = api.httpApi;
    this.apiAccessLogGroup = api.accessLogGroup;
    this.httpStage = api.stage;
    this.functions = functions;
    this.alarms = monitoring.alarms;
    this.dashboard = monitoring.dashboard;
    this.queries = monitoring.queries;
  }

  /** The base URL of the HTTP API. */
  get apiUrl(): string {
    return this.httpStage.url;
  }
}
