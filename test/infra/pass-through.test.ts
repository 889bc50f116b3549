import { type Stack as CdkStack, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { LivenessPipeline } from '../../infra/liveness-pipeline.js';
import type { LivenessPipelineProps } from '../../infra/liveness-pipeline-props.js';
import { logicalIdOf, testAppsRemovedAfterEach } from './support.js';

const newApp = testAppsRemovedAfterEach();
const KEY = { name: 'checkId', type: dynamodb.AttributeType.STRING };

function synth(props: LivenessPipelineProps | ((stack: CdkStack) => LivenessPipelineProps) = {}) {
  const stack = new Stack(newApp(), 'S', { env: { account: '111122223333', region: 'eu-west-1' } });
  const pipeline = new LivenessPipeline(
    stack,
    'Pipeline',
    typeof props === 'function' ? props(stack) : props,
  );
  const template = Template.fromStack(stack);
  const resource = (construct: Parameters<typeof logicalIdOf>[0]) =>
    template.toJSON().Resources[logicalIdOf(construct)] as { Properties: Record<string, unknown> };
  const warnings = Annotations.fromStack(stack)
    .findWarning('*', Match.anyValue())
    .map((w) => String(w.entry.data))
    .filter((text) => text.includes('secureDefault:'));
  return { stack, pipeline, template, resource, warnings };
}

/** The ids of the secure-default warnings, as `prop.field`. */
const overridden = (warnings: string[]) =>
  warnings.map((text) => /secureDefault:([\w.]+)/.exec(text)?.[1]).sort();

describe('props passed through to the bucket, the table and the queues', () => {
  it('change nothing and warn about nothing when they repeat the defaults', () => {
    const plain = synth();
    const repeated = synth({
      bucketProps: { enforceSSL: true, versioned: false, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL },
      tableProps: {
        partitionKey: KEY,
        stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        removalPolicy: RemovalPolicy.RETAIN,
      },
      selfieQueueProps: { encryption: sqs.QueueEncryption.SQS_MANAGED },
      selfieDeadLetterQueueProps: { enforceSSL: true, retentionPeriod: Duration.days(14) },
      notifierDeadLetterQueueProps: {},
    });
    expect(repeated.template.toJSON()).toEqual(plain.template.toJSON());
    expect(repeated.warnings).toEqual([]);
  });

  it('set what they name on each resource, under the same logical ids', () => {
    const plain = synth();
    const { pipeline, resource, warnings } = synth({
      bucketProps: { transferAcceleration: true },
      tableProps: {
        partitionKey: KEY,
        billingMode: dynamodb.BillingMode.PROVISIONED,
        readCapacity: 7,
        writeCapacity: 3,
        tableClass: dynamodb.TableClass.STANDARD_INFREQUENT_ACCESS,
      },
      selfieQueueProps: { retentionPeriod: Duration.days(7) },
      selfieDeadLetterQueueProps: { receiveMessageWaitTime: Duration.seconds(20) },
      notifierDeadLetterQueueProps: { receiveMessageWaitTime: Duration.seconds(10) },
    });
    expect(resource(pipeline.bucket).Properties.AccelerateConfiguration).toEqual({
      AccelerationStatus: 'Enabled',
    });
    const table = resource(pipeline.table).Properties;
    expect(table.ProvisionedThroughput).toEqual({ ReadCapacityUnits: 7, WriteCapacityUnits: 3 });
    expect(table.TableClass).toBe('STANDARD_INFREQUENT_ACCESS');
    // What the pipeline needs stays.
    expect(table.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    const queue = resource(pipeline.selfieQueue).Properties;
    expect(queue.MessageRetentionPeriod).toBe(7 * 86_400);
    expect(queue.RedrivePolicy).toBeDefined();
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(resource(pipeline.selfieDeadLetterQueue).Properties.ReceiveMessageWaitTimeSeconds).toBe(20);
    expect(resource(pipeline.notifierDeadLetterQueue).Properties.ReceiveMessageWaitTimeSeconds).toBe(10);
    expect(warnings).toEqual([]);
    for (const name of [
      'bucket',
      'table',
      'selfieQueue',
      'selfieDeadLetterQueue',
      'notifierDeadLetterQueue',
    ] as const) {
      expect(logicalIdOf(pipeline[name]), name).toBe(logicalIdOf(plain.pipeline[name]));
    }
  });

  it('add lifecycle rules on top of the selfie expiry', () => {
    const { pipeline, resource } = synth({
      bucketProps: {
        lifecycleRules: [{ id: 'archive-reports', prefix: 'reports/', expiration: Duration.days(400) }],
      },
    });
    const rules = (resource(pipeline.bucket).Properties.LifecycleConfiguration as { Rules: { Id: string }[] })
      .Rules;
    expect(rules.map((rule) => rule.Id)).toEqual([
      'expire-selfies',
      'abort-incomplete-uploads',
      'archive-reports',
    ]);
  });

  it('warn once for each secure default they change, each warning with an id of its own', () => {
    const { warnings } = synth((stack) => ({
      bucketProps: {
        enforceSSL: false,
        versioned: true,
        encryption: s3.BucketEncryption.S3_MANAGED,
        removalPolicy: RemovalPolicy.DESTROY,
        // Not a secure default: no warning.
        transferAcceleration: true,
      },
      tableProps: {
        partitionKey: KEY,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: false },
        encryption: dynamodb.TableEncryption.DEFAULT,
      },
      selfieQueueProps: {
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: new kms.Key(stack, 'QueueKey'),
      },
      selfieDeadLetterQueueProps: { enforceSSL: false },
      notifierDeadLetterQueueProps: { encryption: sqs.QueueEncryption.UNENCRYPTED },
    }));
    expect(overridden(warnings)).toEqual([
      'bucketProps.encryption',
      'bucketProps.enforceSSL',
      'bucketProps.removalPolicy',
      'bucketProps.versioned',
      'notifierDeadLetterQueueProps.encryption',
      'selfieDeadLetterQueueProps.enforceSSL',
      'selfieQueueProps.encryption',
      'tableProps.encryption',
      'tableProps.pointInTimeRecoverySpecification',
    ]);
    const versioned = warnings.find((text) => text.includes('bucketProps.versioned'));
    expect(versioned).toMatch(
      /bucketProps\.versioned overrides a secure default of the pipeline \(false, now true\): .*noncurrent version/,
    );
  });

  it.each<[string, LivenessPipelineProps | ((stack: CdkStack) => LivenessPipelineProps), RegExp]>([
    [
      'a table keyed otherwise',
      { tableProps: { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } } },
      /tableProps\.partitionKey cannot be passed through: .*keyed by checkId.*\{ name: 'checkId', type: AttributeType\.STRING \}/,
    ],
    [
      'a sort key',
      { tableProps: { partitionKey: KEY, sortKey: { name: 'at', type: dynamodb.AttributeType.STRING } } },
      /tableProps\.sortKey cannot be passed through/,
    ],
    [
      'a table without the stream the notifier reads',
      { tableProps: { partitionKey: KEY, stream: dynamodb.StreamViewType.KEYS_ONLY } },
      /tableProps\.stream cannot be passed through: the notifier reads the stream with NEW_AND_OLD_IMAGES/,
    ],
    [
      'a customer managed key for the table',
      { tableProps: { partitionKey: KEY, encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED } },
      /tableProps\.encryption cannot be passed through as CUSTOMER_MANAGED: .*not supported yet/,
    ],
    [
      'a selfie queue with a dead-letter queue of its own',
      (stack) => ({
        selfieQueueProps: { deadLetterQueue: { queue: new sqs.Queue(stack, 'Mine'), maxReceiveCount: 3 } },
      }),
      /selfieQueueProps\.deadLetterQueue cannot be passed through: the pipeline gives the selfie queue its dead-letter queue/,
    ],
    [
      'a selfie queue visibility timeout',
      { selfieQueueProps: { visibilityTimeout: Duration.minutes(1) } },
      /selfieQueueProps\.visibilityTimeout cannot be passed through: .*checker/,
    ],
    [
      'a FIFO selfie queue',
      { selfieQueueProps: { fifo: true } },
      /selfieQueueProps\.fifo cannot be passed through: S3/,
    ],
    [
      'a dead-letter retention besides the setting',
      { notifierDeadLetterQueueProps: { retentionPeriod: Duration.days(3) } },
      /notifierDeadLetterQueueProps\.retentionPeriod cannot be passed through: it is the dlqRetentionDays setting/,
    ],
    [
      'bucket props with a brought bucket',
      (stack) => ({
        bucket: s3.Bucket.fromBucketName(stack, 'B', 'acme'),
        bucketProps: { versioned: false },
      }),
      /bucketProps shape a bucket the construct creates/,
    ],
    [
      'bucket CORS besides corsAllowedOrigins',
      {
        corsAllowedOrigins: ['https://app.example.com'],
        bucketProps: {
          cors: [{ allowedMethods: [s3.HttpMethods.POST], allowedOrigins: ['https://a.example.com'] }],
        },
      },
      /bucketProps\.cors and corsAllowedOrigins both set the bucket's CORS: set one/,
    ],
    [
      'the pipeline key on the notifier dead-letter queue',
      (stack) => {
        const encryptionKey = new kms.Key(stack, 'Key');
        return {
          encryptionKey,
          notifierDeadLetterQueueProps: {
            encryption: sqs.QueueEncryption.KMS,
            encryptionMasterKey: encryptionKey,
          },
        };
      },
      /notifierDeadLetterQueueProps\.encryptionMasterKey must not be encryptionKey/,
    ],
  ])('refuse %s, saying what to do', (_label, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });

  it('keep cdk-nag clean when they keep the secure defaults', () => {
    const app = newApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = new Stack(app, 'Nag');
    new LivenessPipeline(stack, 'Pipeline', {
      bucketProps: {
        transferAcceleration: true,
        lifecycleRules: [{ prefix: 'other/', expiration: Duration.days(9) }],
      },
      tableProps: { partitionKey: KEY, tableClass: dynamodb.TableClass.STANDARD_INFREQUENT_ACCESS },
      selfieQueueProps: { retentionPeriod: Duration.days(7) },
    });
    expect(() => app.synth()).not.toThrow();
  });
});
