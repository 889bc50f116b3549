import {
  Annotations,
  ArnFormat,
  Duration,
  RemovalPolicy,
  SecretValue,
  Stack,
  Token,
  Validations,
} from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CHECK_TABLE } from '../shared/check-table.js';
import { DETAIL_TYPES } from '../shared/events/contract.js';
import { LIVENESS_EVENT_SCHEMA } from '../shared/events/schema.js';
import { PipelineMonitoring } from './constructs/monitoring.js';
import { allow, PipelineFunction, viaService } from './constructs/pipeline-function.js';
import {
  NOTIFIER_STREAM_FILTERS,
  type PipelineFunctionName,
  type PipelineSettings,
  type PipelineSettingsOverrides,
  resolveSettings,
  settingsEnvironment,
  visibilityTimeoutSeconds,
} from './settings.js';

/** How callers of the HTTP API authenticate. */
export type LivenessApiAuth =
  /** AWS SigV4 (IAM): callers need `execute-api:Invoke` on the API. */
  | 'iam'
  /** A JWT from Cognito or any OIDC issuer, checked by an API Gateway JWT authorizer. */
  | {
      jwt: {
        /** The issuer URL (`iss`), e.g. `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`. */
        issuer: string;
        /** Accepted audiences (`aud`, or Cognito app client ids); at least one. */
        audience: string[];
      };
    };

/** Props of {@link LivenessPipeline}. */
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
   * access, CORS for POST uploads and a lifecycle expiry on the prefix yourself. If it uses SSE-KMS,
   * import it with `Bucket.fromBucketAttributes({ bucketName, encryptionKey })` so the functions get
   * the KMS permissions they need.
   * @default - a new bucket: private, TLS only, SSE-KMS with `encryptionKey`, CORS for browser
   * uploads, lifecycle expiry of the selfie prefix after `settings.selfieLifecycleDays`
   */
  readonly bucket?: s3.IBucket;
  /**
   * An existing event bus to publish the liveness events on.
   * @default - a new event bus
   */
  readonly eventBus?: events.IEventBus;
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
   * HTTP API from a browser (API CORS). Use exact origins such as `https://app.example.com`.
   * @default ['*'] on the bucket (the presigned policy, not CORS, is what authorizes an upload); no
   * CORS on the API
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
}

/**
 * The selfie liveness pipeline: presigned uploads to S3, liveness checks against Apptenticate,
 * verdicts in DynamoDB, and events on EventBridge. See docs/deploy.md.
 */
export class LivenessPipeline extends Construct {
  /** The resolved settings (defaults merged with `props.settings`). */
  readonly settings: PipelineSettings;
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

  constructor(scope: Construct, id: string, props: LivenessPipelineProps = {}) {
    super(scope, id);
    validateProps(props);
    const settings = resolveSettings(props.settings);
    this.settings = settings;
    const destroy = props.destroyOnDelete ?? false;
    const dataRemoval = destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const logRetention = settings.logRetentionDays as logs.RetentionDays;
    const createdKey = props.encryptionKey === undefined;

    // --- Key ---------------------------------------------------------------------------------
    this.encryptionKey =
      props.encryptionKey ??
      new kms.Key(this, 'Key', {
        description: 'Selfie liveness pipeline: selfies, Apptenticate secrets and alarm topic',
        enableKeyRotation: true,
        removalPolicy: dataRemoval,
        ...(destroy ? { pendingWindow: Duration.days(7) } : {}),
      });

    // --- Selfie bucket -----------------------------------------------------------------------
    if (props.bucket) {
      this.bucket = props.bucket;
    } else {
      const bucket = new s3.Bucket(this, 'SelfieBucket', {
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        enforceSSL: true,
        minimumTLSVersion: 1.2,
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: this.encryptionKey,
        bucketKeyEnabled: true,
        // No versioning on purpose: a deleted selfie must be gone, not kept as a noncurrent version.
        versioned: false,
        cors: [
          {
            allowedMethods: [s3.HttpMethods.POST],
            allowedOrigins: props.corsAllowedOrigins ?? ['*'],
            allowedHeaders: ['*'],
            maxAge: 3000,
          },
        ],
        lifecycleRules: [
          {
            id: 'expire-selfies',
            prefix: settings.selfiePrefix,
            expiration: Duration.days(settings.selfieLifecycleDays),
          },
          { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        ],
        ...(props.serverAccessLogsBucket
          ? { serverAccessLogsBucket: props.serverAccessLogsBucket, serverAccessLogsPrefix: 'selfie-bucket/' }
          : {}),
        removalPolicy: dataRemoval,
        autoDeleteObjects: destroy,
      });
      if (!props.serverAccessLogsBucket) {
        Validations.of(bucket).acknowledge({
          id: 'AwsSolutions-S1',
          reason:
            'Server access logs need a second bucket and would record every upload key; pass serverAccessLogsBucket to turn them on, or use CloudTrail data events.',
        });
      }
      this.bucket = bucket;
    }

    // --- Check table ---------------------------------------------------------------------------
    const { sweepIndex } = CHECK_TABLE;
    this.table = new dynamodb.Table(this, 'CheckTable', {
      partitionKey: { name: CHECK_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Verdicts and ids only, no biometric data: the AWS managed key (no key fee; DynamoDB caches table keys).
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: CHECK_TABLE.ttlAttribute,
      stream: dynamodb.StreamViewType[CHECK_TABLE.streamViewType],
      deletionProtection: !destroy,
      removalPolicy: dataRemoval,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: sweepIndex.name,
      partitionKey: { name: sweepIndex.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: sweepIndex.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType[sweepIndex.projection],
    });

    // --- Queues ----------------------------------------------------------------------------------
    // SQS-managed encryption: the messages are S3 notifications (object keys, no image bytes), and
    // unlike a customer key it needs no key policy for S3 to publish (a brought key can't be edited).
    const dlqRetention = Duration.days(settings.dlqRetentionDays);
    this.selfieDeadLetterQueue = new sqs.Queue(this, 'SelfieDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: dlqRetention,
    });
    this.selfieQueue = new sqs.Queue(this, 'SelfieQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(visibilityTimeoutSeconds(settings)),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: {
        queue: this.selfieDeadLetterQueue,
        maxReceiveCount: settings.checker.maxReceiveCount,
      },
    });
    this.notifierDeadLetterQueue = new sqs.Queue(this, 'NotifierDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: dlqRetention,
    });
    for (const dlq of [this.selfieDeadLetterQueue, this.notifierDeadLetterQueue]) {
      Validations.of(dlq).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is itself a dead-letter queue; its depth is alarmed.',
      });
    }
    this.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(this.selfieQueue), {
      prefix: settings.selfiePrefix,
    });

    // --- Secrets ---------------------------------------------------------------------------------
    this.credentialsSecret =
      props.credentialsSecret ??
      new secretsmanager.Secret(this, 'CredentialsSecret', {
        description:
          'Apptenticate credentials {"username","password"} for the selfie liveness token-refresher. Replace the placeholder.',
        encryptionKey: this.encryptionKey,
        // A placeholder that shows the shape; the refresher fails clearly until an operator sets it.
        generateSecretString: {
          secretStringTemplate: JSON.stringify({ username: 'REPLACE_ME' }),
          generateStringKey: 'password',
        },
        removalPolicy: dataRemoval,
      });
    this.tokenSecret =
      props.tokenSecret ??
      new secretsmanager.Secret(this, 'TokenSecret', {
        description: 'Cached Apptenticate tokens, written by the selfie liveness token-refresher.',
        encryptionKey: this.encryptionKey,
        // Not a secret value: an empty token cache until the token-refresher first runs.
        secretStringValue: SecretValue.unsafePlainText('{}'),
        removalPolicy: dataRemoval,
      });
    if (!props.credentialsSecret) {
      Validations.of(this.credentialsSecret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Vendor-issued credentials: Secrets Manager cannot rotate them with Apptenticate; the operator rotates them with the vendor (see docs/deploy.md).',
      });
    }
    if (!props.tokenSecret) {
      Validations.of(this.tokenSecret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The token-refresher function replaces this value on a schedule (every few hours), which is its rotation.',
      });
    }

    // --- Alarm topic -----------------------------------------------------------------------------
    if (props.alarmTopic) {
      this.alarmTopic = props.alarmTopic;
    } else {
      this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
        displayName: 'Selfie liveness alarms',
        masterKey: this.encryptionKey,
        enforceSSL: true,
      });
      // CloudWatch publishes to an encrypted topic only if the key lets it.
      const added = this.encryptionKey.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: {
            ArnLike: {
              'aws:SourceArn': Stack.of(this).formatArn({
                service: 'cloudwatch',
                resource: 'alarm',
                resourceName: '*',
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              }),
            },
          },
        }),
        false,
      );
      if (!createdKey && !added.statementAdded) {
        Annotations.of(this).addWarningV2(
          '@selfie-liveness/pipeline:keyPolicyForAlarms',
          'The alarm topic is encrypted with the key you passed, whose policy this construct cannot edit: allow cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey* on it, or pass alarmTopic.',
        );
      }
    }

    // --- Event bus, archive, schema, example rule ------------------------------------------------
    this.eventBus = props.eventBus ?? new events.EventBus(this, 'EventBus', {});
    const ourEvents: events.EventPattern = {
      source: [settings.eventSource],
      detailType: Object.values(DETAIL_TYPES),
    };
    this.eventArchive = new events.Archive(this, 'EventArchive', {
      sourceEventBus: this.eventBus,
      description: 'Selfie liveness events, for replay',
      eventPattern: { source: [settings.eventSource] },
      retention: Duration.days(settings.eventArchiveRetentionDays),
    });
    this.schemaRegistry = new eventschemas.CfnRegistry(this, 'SchemaRegistry', {
      description: 'Selfie liveness event schemas',
    });
    this.eventSchema = new eventschemas.CfnSchema(this, 'EventSchema', {
      registryName: this.schemaRegistry.attrRegistryName,
      type: 'JSONSchemaDraft4',
      content: JSON.stringify(LIVENESS_EVENT_SCHEMA),
      description: 'A selfie liveness event (Liveness Check Passed|Rejected|Failed|Expired)',
    });
    this.exampleRule = new events.Rule(this, 'ExampleRule', {
      eventBus: this.eventBus,
      description: 'Example subscription: every liveness event from this pipeline',
      eventPattern: ourEvents,
    });
    if (props.eventTap ?? true) {
      const tap = new sqs.Queue(this, 'EventTapQueue', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(1),
      });
      Validations.of(tap).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'An inspection tap: its messages are copies of archived events and expire after a day.',
      });
      this.exampleRule.addTarget(new targets.SqsQueue(tap));
      this.eventTapQueue = tap;
    }

    // --- Functions -----------------------------------------------------------------------------
    const fn = (
      name: PipelineFunctionName,
      id: string,
      description: string,
      timeout: number,
      memory: number,
    ) =>
      new PipelineFunction(this, id, {
        name,
        description,
        timeout: Duration.seconds(timeout),
        memorySize: memory,
        environment: settingsEnvironment(name, settings),
        logRetention,
        removalPolicy: dataRemoval,
      });
    const checker = fn(
      'checker',
      'Checker',
      'Checks uploaded selfies with Apptenticate and records verdicts',
      settings.checker.timeoutSeconds,
      settings.checker.memoryMb,
    );
    const notifier = fn(
      'notifier',
      'Notifier',
      'Publishes final check statuses to EventBridge',
      settings.notifier.timeoutSeconds,
      settings.notifier.memoryMb,
    );
    const api = fn(
      'api',
      'Api',
      'Issues upload URLs and reads checks',
      settings.api.timeoutSeconds,
      settings.api.memoryMb,
    );
    const sweeper = fn(
      'sweeper',
      'Sweeper',
      'Expires never-uploaded checks and fails stale ones',
      settings.sweeper.timeoutSeconds,
      settings.sweeper.memoryMb,
    );
    const refresher = fn(
      'token-refresher',
      'TokenRefresher',
      'Keeps the Apptenticate refresh token fresh in Secrets Manager',
      settings.tokenRefresher.timeoutSeconds,
      settings.tokenRefresher.memoryMb,
    );
    this.functions = { checker, notifier, api, sweeper, 'token-refresher': refresher };

    const table = this.table.tableArn;
    const selfieObjects = this.bucket.arnForObjects(`${settings.selfiePrefix}*`);
    const selfieWildcardReason = `Selfie object keys are unknown in advance; the grant is limited to the ${settings.selfiePrefix} prefix.`;
    const bucketKey = this.bucket.encryptionKey;
    const secretKeyStatements = (secret: secretsmanager.ISecret, actions: string[]) =>
      secret.encryptionKey
        ? [allow(actions, [secret.encryptionKey.keyArn], viaService(this, 'secretsmanager'))]
        : [];

    // checker: the SQS consume permissions come from the event source.
    checker
      .bind('TABLE_NAME', this.table.tableName, allow(['dynamodb:GetItem', 'dynamodb:UpdateItem'], [table]))
      .bind(
        'TOKEN_SECRET_ARN',
        this.tokenSecret.secretArn,
        allow(['secretsmanager:GetSecretValue'], [this.tokenSecret.secretArn]),
        ...secretKeyStatements(this.tokenSecret, ['kms:Decrypt']),
      )
      .bind(
        'TOKEN_REFRESHER_FUNCTION_NAME',
        refresher.function.functionName,
        allow(['lambda:InvokeFunction'], [refresher.function.functionArn]),
      )
      .grant(allow(['s3:GetObject', 's3:DeleteObject'], [selfieObjects]))
      .acknowledgeWildcard(selfieObjects, selfieWildcardReason);
    if (bucketKey) checker.grant(allow(['kms:Decrypt'], [bucketKey.keyArn], viaService(this, 's3')));
    checker.function.addEventSource(
      new SqsEventSource(this.selfieQueue, {
        batchSize: settings.checker.batchSize,
        maxBatchingWindow: Duration.seconds(settings.checker.maxBatchingWindowSeconds),
        reportBatchItemFailures: true,
        maxConcurrency: settings.checker.maxConcurrency,
      }),
    );

    notifier.bind(
      'EVENT_BUS_NAME',
      this.eventBus.eventBusName,
      allow(['events:PutEvents'], [this.eventBus.eventBusArn]),
    );
    notifier.function.addEventSource(
      new DynamoEventSource(this.table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: settings.notifier.batchSize,
        maxBatchingWindow: Duration.seconds(settings.notifier.maxBatchingWindowSeconds),
        bisectBatchOnError: true,
        retryAttempts: settings.notifier.retryAttempts,
        maxRecordAge: Duration.seconds(settings.notifier.maxRecordAgeSeconds),
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.notifierDeadLetterQueue),
        filters: NOTIFIER_STREAM_FILTERS.map((pattern) => lambda.FilterCriteria.filter(pattern)),
      }),
    );
    notifier.acknowledgeWildcard(
      '*',
      'dynamodb:ListStreams has no resource-level permissions; CDK grants it with the stream read permissions.',
    );

    api
      .bind('TABLE_NAME', this.table.tableName, allow(['dynamodb:PutItem', 'dynamodb:GetItem'], [table]))
      // The presigned POST is signed with the api function's role, so the role itself must be allowed to upload.
      .bind('SELFIE_BUCKET', this.bucket.bucketName, allow(['s3:PutObject'], [selfieObjects]))
      .acknowledgeWildcard(selfieObjects, selfieWildcardReason);
    if (bucketKey) api.grant(allow(['kms:GenerateDataKey'], [bucketKey.keyArn], viaService(this, 's3')));

    sweeper.bind(
      'TABLE_NAME',
      this.table.tableName,
      allow(['dynamodb:Query'], [`${table}/index/${sweepIndex.name}`]),
      allow(['dynamodb:UpdateItem'], [table]),
    );

    refresher
      .bind(
        'CREDENTIALS_SECRET_ARN',
        this.credentialsSecret.secretArn,
        allow(['secretsmanager:GetSecretValue'], [this.credentialsSecret.secretArn]),
        ...secretKeyStatements(this.credentialsSecret, ['kms:Decrypt']),
      )
      .bind(
        'TOKEN_SECRET_ARN',
        this.tokenSecret.secretArn,
        allow(
          ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
          [this.tokenSecret.secretArn],
        ),
        ...secretKeyStatements(this.tokenSecret, ['kms:Decrypt', 'kms:GenerateDataKey']),
      );

    // --- Schedules -------------------------------------------------------------------------------
    new events.Rule(this, 'SweeperSchedule', {
      description: 'Runs the selfie liveness sweeper',
      schedule: events.Schedule.rate(Duration.minutes(settings.sweeper.scheduleMinutes)),
      targets: [new targets.LambdaFunction(sweeper.function, { retryAttempts: 0 })],
    });
    new events.Rule(this, 'TokenRefresherSchedule', {
      description: 'Refreshes the Apptenticate refresh token well inside its lifetime',
      schedule: events.Schedule.rate(Duration.hours(settings.tokenRefresher.scheduleHours)),
      targets: [new targets.LambdaFunction(refresher.function, { retryAttempts: 2 })],
    });

    // --- HTTP API -------------------------------------------------------------------------------
    const auth = props.apiAuth ?? 'iam';
    const authorizer =
      auth === 'iam'
        ? new HttpIamAuthorizer()
        : new HttpJwtAuthorizer('JwtAuthorizer', auth.jwt.issuer, { jwtAudience: auth.jwt.audience });
    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      description: 'Selfie liveness checks: issue uploads and read checks',
      defaultAuthorizer: authorizer,
      createDefaultStage: false,
      ...(props.corsAllowedOrigins
        ? {
            corsPreflight: {
              allowOrigins: props.corsAllowedOrigins,
              allowMethods: [apigw.CorsHttpMethod.GET, apigw.CorsHttpMethod.POST],
              allowHeaders: ['authorization', 'content-type', 'x-amz-date', 'x-amz-security-token'],
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    });
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logRetention,
      removalPolicy: dataRemoval,
    });
    this.apiAccessLogGroup = accessLogs;
    this.httpStage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: settings.api.throttleRateLimit, burstLimit: settings.api.throttleBurstLimit },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        // HTTP API variables only (the REST API presets name some that HTTP APIs lack).
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });
    const integration = new HttpLambdaIntegration('ApiIntegration', api.function, {
      payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
    });
    this.httpApi.addRoutes({ path: '/checks', methods: [apigw.HttpMethod.POST], integration });
    this.httpApi.addRoutes({ path: '/checks/{checkId}', methods: [apigw.HttpMethod.GET], integration });

    // --- Alarms and dashboard ----------------------------------------------------------------------
    const monitoring = new PipelineMonitoring(this, 'Monitoring', {
      settings,
      functions: {
        Checker: checker.function,
        Notifier: notifier.function,
        Api: api.function,
        Sweeper: sweeper.function,
        TokenRefresher: refresher.function,
      },
      selfieQueue: this.selfieQueue,
      selfieDlq: this.selfieDeadLetterQueue,
      notifierDlq: this.notifierDeadLetterQueue,
      notifier: notifier.function,
      alarmTopic: this.alarmTopic,
    });
    this.alarms = monitoring.alarms;
    this.dashboard = monitoring.dashboard;

    acknowledgeCdkManagedResources(this);
  }

  /** The base URL of the HTTP API. */
  get apiUrl(): string {
    return this.httpStage.url;
  }
}

function validateProps(props: LivenessPipelineProps): void {
  const problems: string[] = [];
  const auth = props.apiAuth;
  if (auth !== undefined && auth !== 'iam') {
    if (typeof auth !== 'object' || !auth.jwt) {
      problems.push(`apiAuth must be 'iam' or { jwt: { issuer, audience } }`);
    } else {
      const { issuer, audience } = auth.jwt;
      if (!Token.isUnresolved(issuer) && !/^https:\/\/\S+$/.test(issuer ?? '')) {
        problems.push(
          `apiAuth.jwt.issuer must be the https URL of the token issuer (e.g. https://cognito-idp.<region>.amazonaws.com/<userPoolId>), got "${issuer}"`,
        );
      }
      if (!Array.isArray(audience) || audience.length === 0 || audience.some((a) => !a)) {
        problems.push(
          'apiAuth.jwt.audience must list at least one audience (e.g. your Cognito app client id)',
        );
      }
    }
  }
  if (props.corsAllowedOrigins !== undefined) {
    if (props.corsAllowedOrigins.length === 0) {
      problems.push('corsAllowedOrigins must not be empty: leave it out for the default, or list origins');
    }
    for (const origin of props.corsAllowedOrigins) {
      if (origin !== '*' && !Token.isUnresolved(origin) && !/^https?:\/\/[^/\s]+$/.test(origin)) {
        problems.push(
          `corsAllowedOrigins entries must be "*" or an origin like https://app.example.com (no path), got "${origin}"`,
        );
      }
    }
  }
  if (props.bucket && props.serverAccessLogsBucket) {
    problems.push(
      'serverAccessLogsBucket applies only to a bucket the construct creates: configure access logs on your own bucket instead',
    );
  }
  if (props.credentialsSecret && props.tokenSecret && props.credentialsSecret === props.tokenSecret) {
    problems.push(
      'credentialsSecret and tokenSecret must be different secrets: the checker may read the token secret but never the credentials',
    );
  }
  if (problems.length > 0) {
    throw new Error(`Invalid LivenessPipeline props:\n- ${problems.join('\n- ')}`);
  }
}

/** Reasons for cdk-nag findings on the helper functions CDK itself adds to the stack. */
function acknowledgeCdkManagedResources(scope: Construct): void {
  const stack = Stack.of(scope);
  // CDK's singleton that writes S3 bucket notifications (a custom resource).
  const notificationsHandler = stack.node.tryFindChild(
    'BucketNotificationsHandler050a0587b7544547bf325f094a3db834',
  );
  if (notificationsHandler) {
    Validations.of(notificationsHandler).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: "CDK's bucket-notifications custom resource; its role is managed by aws-cdk-lib.",
    });
    Validations.of(notificationsHandler).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'CDK grants s3:PutBucketNotification on * to its bucket-notifications custom resource.',
    });
  }
}
