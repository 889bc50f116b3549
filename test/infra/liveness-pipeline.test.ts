import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOTIFIER_STREAM_FILTERS } from '../../functions/notifier/stream-filters.js';
import { API_CORS } from '../../infra/api-cors.js';
import type { LivenessPipeline } from '../../infra/liveness-pipeline.js';
import { LivenessPipelineStack } from '../../infra/liveness-pipeline-stack.js';
import {
  DEFAULT_SETTINGS,
  FUNCTION_NAMES,
  functionEnvironment,
  type PipelineFunctionName,
  RESOURCE_ENVIRONMENT,
} from '../../infra/settings.js';
import { LIVENESS_EVENT_SCHEMA } from '../../shared/events/schema.js';
import { actionsOf, createTestApp, logicalIdOf, type Statement, statementsOfRole } from './support.js';

let template: Template;
let pipeline: LivenessPipeline;
let cleanup: () => void;

beforeAll(() => {
  const test = createTestApp();
  cleanup = test.cleanup;
  const stack = new LivenessPipelineStack(test.app, 'Pipeline');
  pipeline = stack.pipeline;
  template = Template.fromStack(stack);
});
afterAll(() => cleanup());

const fnId = (name: PipelineFunctionName) => logicalIdOf(pipeline.functions[name].function);
const roleId = (name: PipelineFunctionName) => logicalIdOf(pipeline.functions[name].role);
const statements = (name: PipelineFunctionName) => statementsOfRole(template, roleId(name));
const ref = (construct: Parameters<typeof logicalIdOf>[0]) => ({ Ref: logicalIdOf(construct) });
const arnOf = (construct: Parameters<typeof logicalIdOf>[0]) => ({
  'Fn::GetAtt': [logicalIdOf(construct), 'Arn'],
});
const fnProps = (name: PipelineFunctionName) =>
  template.toJSON().Resources[fnId(name)].Properties as {
    Environment: { Variables: Record<string, unknown> };
    Runtime: string;
    Architectures: string[];
    Timeout: number;
    MemorySize: number;
    LoggingConfig: { LogGroup: unknown };
  };
const tlsOnlyDeny = Match.objectLike({
  Effect: 'Deny',
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
});

describe('checker and its queue', () => {
  it('reports batch item failures and caps concurrency on the SQS event source', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: ref(pipeline.functions.checker.function),
      EventSourceArn: arnOf(pipeline.selfieQueue),
      BatchSize: DEFAULT_SETTINGS.checker.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: DEFAULT_SETTINGS.checker.maxConcurrency },
    });
  });

  it('sets the visibility timeout to 6x the checker timeout and redrives to the DLQ after maxReceiveCount', () => {
    expect(fnProps('checker').Timeout).toBe(60);
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 360,
      RedrivePolicy: { deadLetterTargetArn: arnOf(pipeline.selfieDeadLetterQueue), maxReceiveCount: 3 },
      SqsManagedSseEnabled: true,
    });
    expect(fnProps('checker').Environment.Variables.MAX_RECEIVE_COUNT).toBe('3');
    expect(Number(fnProps('checker').Environment.Variables.LEASE_SECONDS)).toBeGreaterThan(
      fnProps('checker').Timeout,
    );
  });

  it('sends ObjectCreated notifications for the selfie prefix only to the queue', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: ref(pipeline.bucket),
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'selfies/' }] } },
            QueueArn: arnOf(pipeline.selfieQueue),
          },
        ],
      },
    });
  });

  it('makes every queue TLS only and encrypted', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(4);
    for (const queue of Object.values(queues)) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy'));
    const tlsOnly = policies.filter((p) =>
      (p.Properties.PolicyDocument.Statement as Statement[]).some(
        (s) =>
          s.Effect === 'Deny' && JSON.stringify(s.Condition) === '{"Bool":{"aws:SecureTransport":"false"}}',
      ),
    );
    const queuesCovered = tlsOnly.flatMap((p) => p.Properties.Queues as unknown[]);
    expect(queuesCovered).toHaveLength(4);
  });
});

describe('check table and notifier', () => {
  it('is on demand with PITR, TTL on expiresAt, a NEW_AND_OLD_IMAGES stream, encryption and the sparse bySweep index', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      SSESpecification: { SSEEnabled: true },
      KeySchema: [{ AttributeName: 'checkId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'bySweep',
          KeySchema: [
            { AttributeName: 'sweepStatus', KeyType: 'HASH' },
            { AttributeName: 'sweepAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
      DeletionProtectionEnabled: true,
    });
  });

  it('bisects, bounds retries and record age, reports item failures and sends failures to a DLQ', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: ref(pipeline.functions.notifier.function),
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(pipeline.table), 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 86_400,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: arnOf(pipeline.notifierDeadLetterQueue) } },
    });
  });

  it('filters the stream to transitions into a final status', () => {
    const mappings = template.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { FunctionName: ref(pipeline.functions.notifier.function) },
    });
    const [mapping] = Object.values(mappings);
    expect(mapping).toBeDefined();
    const patterns = ((mapping?.Properties.FilterCriteria.Filters ?? []) as { Pattern: string }[]).map((f) =>
      JSON.parse(f.Pattern),
    );
    expect(patterns).toEqual(NOTIFIER_STREAM_FILTERS);
  });
});

describe('selfie bucket', () => {
  it('blocks public access, encrypts with the pipeline key and expires selfies', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: arnOf(pipeline.encryptionKey),
            },
          },
        ],
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'selfies/', ExpirationInDays: 1, Status: 'Enabled' }),
        ]),
      },
    });
    expect(
      template.findResources('AWS::S3::Bucket', {
        Properties: { VersioningConfiguration: Match.anyValue() },
      }),
    ).toEqual({});
  });

  it('denies requests without TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: ref(pipeline.bucket),
      PolicyDocument: { Statement: Match.arrayWith([tlsOnlyDeny]) },
    });
  });

  it('retains the data (bucket, table, key, secrets, log groups) when the stack is deleted', () => {
    for (const type of [
      'AWS::S3::Bucket',
      'AWS::DynamoDB::Table',
      'AWS::KMS::Key',
      'AWS::SecretsManager::Secret',
      'AWS::Logs::LogGroup',
    ]) {
      const all = template.findResources(type);
      expect(Object.keys(all).length, type).toBeGreaterThan(0);
      for (const [id, resource] of Object.entries(all))
        expect(resource.DeletionPolicy, `${type} ${id}`).toBe('Retain');
    }
  });
});

describe('functions', () => {
  it('run Node.js 24 on arm64', () => {
    for (const name of FUNCTION_NAMES) {
      expect(fnProps(name).Runtime, name).toBe('nodejs24.x');
      expect(fnProps(name).Architectures, name).toEqual(['arm64']);
    }
    // The only other function is CDK's bucket-notifications handler.
    expect(Object.keys(template.findResources('AWS::Lambda::Function'))).toHaveLength(
      FUNCTION_NAMES.length + 1,
    );
  });

  it('get exactly the environment settings.ts defines for them', () => {
    const names = {
      tableName: 'T',
      bucketName: 'B',
      eventBusName: 'E',
      credentialsSecretArn: 'C',
      tokenSecretArn: 'K',
      tokenRefresherFunctionName: 'R',
    };
    for (const name of FUNCTION_NAMES) {
      const expected = functionEnvironment(name, DEFAULT_SETTINGS, names);
      const actual = fnProps(name).Environment.Variables;
      expect(Object.keys(actual).sort(), name).toEqual(Object.keys(expected).sort());
      for (const [key, value] of Object.entries(expected)) {
        if (!(key in RESOURCE_ENVIRONMENT[name])) expect(actual[key], `${name} ${key}`).toBe(value);
      }
    }
    expect(fnProps('checker').Environment.Variables.TABLE_NAME).toEqual(ref(pipeline.table));
    expect(fnProps('checker').Environment.Variables.TOKEN_SECRET_ARN).toEqual(ref(pipeline.tokenSecret));
    expect(fnProps('checker').Environment.Variables.SELFIE_BUCKET).toEqual(ref(pipeline.bucket));
    expect(fnProps('token-refresher').Environment.Variables.CREDENTIALS_SECRET_ARN).toEqual(
      ref(pipeline.credentialsSecret),
    );
    expect(fnProps('api').Environment.Variables.SELFIE_BUCKET).toEqual(ref(pipeline.bucket));
    expect(fnProps('notifier').Environment.Variables.EVENT_BUS_NAME).toEqual(ref(pipeline.eventBus));
  });

  it('log to their own log group with the configured retention', () => {
    for (const name of FUNCTION_NAMES) {
      expect(fnProps(name).LoggingConfig.LogGroup, name).toEqual(ref(pipeline.functions[name].logGroup));
    }
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(groups).toHaveLength(FUNCTION_NAMES.length + 1);
    for (const group of groups) expect(group.Properties.RetentionInDays).toBe(30);
  });

  it('have roles without managed policies', () => {
    for (const name of FUNCTION_NAMES) {
      const role = template.toJSON().Resources[roleId(name)];
      expect(role.Properties.ManagedPolicyArns, name).toBeUndefined();
    }
  });
});

describe('least-privilege IAM', () => {
  it('grants each function exactly the actions it needs', () => {
    const logs = ['logs:CreateLogStream', 'logs:PutLogEvents'];
    const sqsConsume = [
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
    ];
    const expected: Record<PipelineFunctionName, string[]> = {
      checker: [
        ...logs,
        ...sqsConsume,
        'dynamodb:UpdateItem',
        'kms:Decrypt',
        'lambda:InvokeFunction',
        's3:DeleteObject',
        's3:GetObject',
        'secretsmanager:GetSecretValue',
      ],
      notifier: [
        ...logs,
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
        'events:PutEvents',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
      ],
      api: [
        ...logs,
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'kms:GenerateDataKey',
        's3:PutObject',
      ],
      // GetItem: an entry a claim may have joined is read before its own deadline (decision 13).
      sweeper: [
        ...logs,
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        's3:DeleteObject',
        's3:ListBucket',
      ],
      'token-refresher': [
        ...logs,
        'kms:Decrypt',
        'kms:GenerateDataKey',
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
      ],
    };
    for (const name of FUNCTION_NAMES)
      expect(actionsOf(statements(name)), name).toEqual(expected[name].sort());
  });

  it("lets the api update only its per-owner limit counters, never a check's item", () => {
    const updates = statements('api').filter((s) => actionsOf([s]).includes('dynamodb:UpdateItem'));
    expect(updates).toEqual([
      expect.objectContaining({
        Action: 'dynamodb:UpdateItem',
        Resource: arnOf(pipeline.table),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['owner#*'] } },
      }),
    ]);
  });

  it('lets only the token-refresher read the credentials secret', () => {
    const credentials = JSON.stringify(ref(pipeline.credentialsSecret));
    for (const name of FUNCTION_NAMES) {
      const mentions = JSON.stringify(statements(name)).includes(credentials);
      expect(mentions, name).toBe(name === 'token-refresher');
    }
    const checkerSecretStatements = statements('checker').filter((s) =>
      actionsOf([s]).includes('secretsmanager:GetSecretValue'),
    );
    expect(checkerSecretStatements.map((s) => s.Resource)).toEqual([ref(pipeline.tokenSecret)]);
  });

  it('limits object access to the selfie prefix and KMS use to calls through S3 or Secrets Manager', () => {
    const selfies = {
      'Fn::Join': ['', [arnOf(pipeline.bucket), '/selfies/*']],
    };
    const objectStatements = (name: PipelineFunctionName) =>
      statements(name).filter((s) => actionsOf([s]).some((a) => a.startsWith('s3:')));
    expect(objectStatements('checker').map((s) => s.Resource)).toEqual([selfies]);
    expect(objectStatements('api').map((s) => s.Resource)).toEqual([selfies]);
    for (const name of FUNCTION_NAMES) {
      for (const s of statements(name).filter((st) => actionsOf([st]).some((a) => a.startsWith('kms:')))) {
        expect(JSON.stringify(s.Condition), name).toMatch(/kms:ViaService.*(s3|secretsmanager)\./);
      }
    }
  });

  it('lets the sweeper list only selfie keys and delete only selfies, never read one', () => {
    const s3Statements = statements('sweeper').filter((s) => actionsOf([s]).some((a) => a.startsWith('s3:')));
    expect(s3Statements).toEqual([
      expect.objectContaining({
        Action: 's3:ListBucket',
        Resource: arnOf(pipeline.bucket),
        Condition: { StringLike: { 's3:prefix': 'selfies/*' } },
      }),
      expect.objectContaining({
        Action: 's3:DeleteObject',
        Resource: { 'Fn::Join': ['', [arnOf(pipeline.bucket), '/selfies/*']] },
      }),
    ]);
    expect(actionsOf(statements('sweeper')).filter((a) => a.startsWith('kms:'))).toEqual([]);
    expect(fnProps('sweeper').Environment.Variables).toMatchObject({
      SELFIE_BUCKET: ref(pipeline.bucket),
      SELFIE_PREFIX: 'selfies/',
      CLAIM_WAIT_SECONDS: '3600',
    });
  });

  it('lets the sweeper query only the bySweep index and the checker invoke only the refresher', () => {
    const query = statements('sweeper').find((s) => s.Action === 'dynamodb:Query');
    expect(query?.Resource).toEqual({ 'Fn::Join': ['', [arnOf(pipeline.table), '/index/bySweep']] });
    const invoke = statements('checker').find((s) => s.Action === 'lambda:InvokeFunction');
    expect(invoke?.Resource).toEqual(arnOf(pipeline.functions['token-refresher'].function));
  });
});

describe('events', () => {
  it('archives the pipeline events for a bounded time', () => {
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: arnOf(pipeline.eventBus),
      RetentionDays: 30,
      EventPattern: { source: ['selfie-liveness'] },
    });
  });

  it('registers the event JSON Schema in a schema registry', () => {
    template.hasResourceProperties('AWS::EventSchemas::Schema', {
      Type: 'JSONSchemaDraft4',
      Content: JSON.stringify(LIVENESS_EVENT_SCHEMA),
      RegistryName: { 'Fn::GetAtt': [logicalIdOf(pipeline.schemaRegistry), 'RegistryName'] },
    });
  });

  it('has an example rule for every liveness event, feeding the tap queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: ref(pipeline.eventBus),
      EventPattern: {
        source: ['selfie-liveness'],
        'detail-type': [
          'Liveness Check Passed',
          'Liveness Check Rejected',
          'Liveness Check Failed',
          'Liveness Check Expired',
        ],
      },
      // biome-ignore lint/style/noNonNullAssertion: eventTap defaults to true.
      Targets: [Match.objectLike({ Arn: arnOf(pipeline.eventTapQueue!) })],
    });
  });

  it('reserves no concurrency for any function and never retries a failed refresher invoke', () => {
    // A new account has a concurrency quota of 10, all of which Lambda keeps unreserved: any
    // reservation fails the first deploy (docs/deploy.md).
    const refresher = pipeline.functions['token-refresher'].function;
    expect(JSON.stringify(template.toJSON())).not.toContain('ReservedConcurrentExecutions');
    // A terminal error (refused credentials) retried twice by Lambda risks a vendor lockout.
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(refresher),
      MaximumRetryAttempts: 0,
    });
  });

  it('runs the token-refresher one at a time with tokenRefresher.reserveConcurrency', () => {
    const test = createTestApp();
    try {
      const stack = new LivenessPipelineStack(test.app, 'Reserved', {
        settings: { tokenRefresher: { reserveConcurrency: true } },
      });
      const reserved = stack.pipeline;
      const resources = Template.fromStack(stack).toJSON().Resources;
      const reservation = (name: (typeof FUNCTION_NAMES)[number]) =>
        (resources[logicalIdOf(reserved.functions[name].function)].Properties as Record<string, unknown>)
          .ReservedConcurrentExecutions;
      expect(reservation('token-refresher')).toBe(1);
      for (const name of FUNCTION_NAMES.filter((n) => n !== 'token-refresher')) {
        expect(reservation(name), name).toBeUndefined();
      }
    } finally {
      test.cleanup();
    }
  });

  it('runs the sweeper every 5 minutes and the token-refresher every 6 hours', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: arnOf(pipeline.functions.sweeper.function) })],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(6 hours)',
      Targets: [Match.objectLike({ Arn: arnOf(pipeline.functions['token-refresher'].function) })],
    });
  });
});

describe('HTTP API', () => {
  it('routes POST /checks and GET /checks/{checkId} with IAM auth by default', () => {
    for (const routeKey of ['POST /checks', 'GET /checks/{checkId}']) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: routeKey,
        AuthorizationType: 'AWS_IAM',
      });
    }
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 2);
  });

  it('logs access and throttles on the default stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: {
        DestinationArn: arnOf(pipeline.apiAccessLogGroup),
      },
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  it('keeps no personal data in the access log: no source IP, user agent or caller identity', () => {
    const stages = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    expect(stages).toHaveLength(1);
    const format = JSON.parse(stages[0]?.Properties.AccessLogSettings.Format as string) as Record<
      string,
      string
    >;
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    for (const value of Object.values(format)) expect(value).not.toMatch(/\$context\.identity\./);
  });
});

describe('CORS', () => {
  it('allows no browser origin by default, on the API or the bucket', () => {
    const [api] = Object.values(template.findResources('AWS::ApiGatewayV2::Api'));
    expect(api?.Properties.CorsConfiguration).toBeUndefined();
    const [bucket] = Object.values(
      template.findResources('AWS::S3::Bucket', { Properties: { LifecycleConfiguration: Match.anyValue() } }),
    );
    expect(bucket?.Properties.CorsConfiguration).toBeUndefined();
  });

  describe('with corsAllowedOrigins', () => {
    let cors: Template;
    let cleanupCors: () => void;
    const origins = ['https://app.example.com', 'http://localhost:5173'];
    beforeAll(() => {
      const test = createTestApp();
      cleanupCors = test.cleanup;
      cors = Template.fromStack(new LivenessPipelineStack(test.app, 'Cors', { corsAllowedOrigins: origins }));
    });
    afterAll(() => cleanupCors());

    it('answers preflights for those origins on the API, with the Authorization header and retry-after shown', () => {
      cors.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        CorsConfiguration: {
          AllowOrigins: origins,
          AllowMethods: ['GET', 'POST'],
          AllowHeaders: [...API_CORS.allowHeaders],
          ExposeHeaders: ['retry-after'],
          MaxAge: 3600,
        },
      });
      expect(API_CORS.allowHeaders).toContain('authorization');
    });

    it('lets those origins POST the upload form to the bucket, and nothing else', () => {
      cors.hasResourceProperties('AWS::S3::Bucket', {
        CorsConfiguration: {
          CorsRules: [
            { AllowedMethods: ['POST'], AllowedOrigins: origins, AllowedHeaders: ['*'], MaxAge: 3000 },
          ],
        },
      });
    });
  });
});

describe('alarms and dashboard', () => {
  const alarmsWith = (props: Record<string, unknown>) =>
    Object.keys(template.findResources('AWS::CloudWatch::Alarm', { Properties: props }));

  it('alarms on DLQ depth, oldest message age, iterator age, errors, throttles and vendor error rate', () => {
    expect(alarmsWith({ MetricName: 'ApproximateNumberOfMessagesVisible' })).toHaveLength(2);
    expect(alarmsWith({ MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 900 })).toHaveLength(1);
    expect(alarmsWith({ MetricName: 'IteratorAge', Threshold: 300_000 })).toHaveLength(1);
    expect(alarmsWith({ MetricName: 'Errors', Namespace: 'AWS/Lambda' })).toHaveLength(5);
    expect(alarmsWith({ MetricName: 'Throttles', Namespace: 'AWS/Lambda' })).toHaveLength(5);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 20,
      EvaluationPeriods: 3,
      Metrics: Match.arrayWith([
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: {
              Namespace: 'SelfieLiveness',
              MetricName: 'VendorErrors',
              Dimensions: [{ Name: 'service', Value: 'checker' }],
            },
          }),
        }),
        Match.objectLike({
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'VendorCalls' }) }),
        }),
      ]),
    });
  });

  it('alarms when the sweeper fails an upload that arrived in time but no checker claimed', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'SelfieLiveness',
      MetricName: 'ChecksFailedUnclaimed',
      Dimensions: [{ Name: 'service', Value: 'sweeper' }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('sends every alarm to the encrypted, TLS-only alarm topic', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(23);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([ref(pipeline.alarmTopic)]);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: arnOf(pipeline.encryptionKey) });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([tlsOnlyDeny]) },
    });
  });

  it('has a dashboard', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});
