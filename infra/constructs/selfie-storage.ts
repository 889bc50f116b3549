import { Annotations, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { BUCKET_CORS } from '../api-cors.js';
import { passThrough, passThroughProblems, type SecureDefault } from './pass-through.js';
import { allow, type PipelineFunction, viaService } from './pipeline-function.js';
import { throwIfInvalid } from './problems.js';

/** Props of {@link SelfieStorage}. */
export interface SelfieStorageProps {
  /**
   * The KMS key for the selfie bucket (and, in `LivenessPipeline`, the secrets and the alarm topic).
   * @default - a new key with rotation enabled
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * An existing bucket for the selfies; see `LivenessPipelineProps.bucket` for what you must
   * configure on it yourself.
   * @default - a new bucket: private, TLS only, SSE-KMS with `encryptionKey`, CORS for browser
   * uploads from `corsAllowedOrigins`, the selfie prefix expired after `selfieExpiration`
   */
  readonly bucket?: s3.IBucket;
  /**
   * Origins allowed to upload from a browser (CORS of a created bucket: the upload form's POST).
   * @default - no CORS: only apps outside a browser (mobile, a backend) can upload
   */
  readonly corsAllowedOrigins?: string[];
  /**
   * A bucket to receive S3 server access logs of the created bucket. Not allowed with `bucket`.
   * @default - no server access logs
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
  /** The key prefix selfies are uploaded under, e.g. `selfies/`; only it notifies the queue. */
  readonly selfiePrefix: string;
  /** How long a created bucket keeps a selfie its checker never deleted (a lifecycle rule; whole days). */
  readonly selfieExpiration: Duration;
  /** Visibility timeout of the selfie queue: long enough for every retry inside one checker invocation. */
  readonly visibilityTimeout: Duration;
  /** Receives of a notification before it moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** How long the dead-letter queue keeps a notification (at most 14 days). */
  readonly deadLetterRetention: Duration;
  /**
   * `DESTROY` also deletes the bucket's objects and schedules a created key's deletion after 7 days.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Props passed through to the bucket this part creates (not with `bucket`), over its defaults;
   * see `LivenessPipelineProps.bucketProps`.
   * @default - the defaults alone
   */
  readonly bucketProps?: s3.BucketProps;
  /**
   * Props passed through to the selfie queue, over its defaults; see `LivenessPipelineProps.selfieQueueProps`.
   * @default - the defaults alone
   */
  readonly selfieQueueProps?: sqs.QueueProps;
  /**
   * Props passed through to the selfie queue's dead-letter queue, over its defaults; see
   * `LivenessPipelineProps.selfieDeadLetterQueueProps`.
   * @default - the defaults alone
   */
  readonly selfieDeadLetterQueueProps?: sqs.QueueProps;
}

/** What the bucket's defaults keep safe; a pass-through that changes one is warned about at synth. */
const BUCKET_SECURE_DEFAULTS = {
  blockPublicAccess: { why: 'selfies are biometric data: no ACL or policy may make them public' },
  objectOwnership: {
    why: 'with ACLs off, the bucket policy and its data perimeter alone decide who reads a selfie',
  },
  enforceSSL: { why: 'requests without TLS are refused' },
  minimumTLSVersion: { why: 'requests below TLS 1.2 are refused' },
  encryption: {
    why: 'selfies are encrypted with the pipeline key, whose policy lets only the checker (and operators) decrypt',
  },
  encryptionKey: {
    why: 'the data perimeter guards the pipeline key only: the policy of another key is yours to limit',
  },
  versioned: {
    why: "a deleted selfie would stay as a noncurrent version: the checker's delete after the verdict no longer removes it",
  },
  objectLockEnabled: { why: 'locked selfies cannot be deleted after their verdict' },
  removalPolicy: { why: 'destroyOnDelete decides whether the selfies outlive the stack' },
  autoDeleteObjects: { why: 'destroyOnDelete decides whether the selfies outlive the stack' },
} satisfies Partial<Record<keyof s3.BucketProps, SecureDefault>>;

/** What the queues' defaults keep safe. */
export const QUEUE_SECURE_DEFAULTS = {
  encryption: { why: 'messages are encrypted at rest' },
  enforceSSL: { why: 'requests without TLS are refused' },
} satisfies Partial<Record<keyof sqs.QueueProps, SecureDefault>>;

/** What the pipeline decides on a dead-letter queue itself. */
export const DEAD_LETTER_QUEUE_FIXED = {
  retentionPeriod: 'it is the dlqRetentionDays setting (settings.dlqRetentionDays)',
  fifo: 'the dead-letter queue of a standard queue is a standard queue',
} satisfies Partial<Record<keyof sqs.QueueProps, string>>;

const SELFIE_QUEUE_FIXED = {
  deadLetterQueue:
    'the pipeline gives the selfie queue its dead-letter queue (selfieDeadLetterQueueProps shapes it; the checker.maxReceiveCount setting its receives)',
  visibilityTimeout:
    "it is derived from the checker's timeout and its retries (the checker.timeoutSeconds setting and the vendor budget): change those",
  fifo: 'S3 sends its notifications to standard queues only',
} satisfies Partial<Record<keyof sqs.QueueProps, string>>;

/**
 * Where selfies land: the KMS key, the selfie bucket, and the queue (with its dead-letter queue)
 * that receives the bucket's ObjectCreated notifications for the selfie prefix.
 *
 * A part of `LivenessPipeline`: it creates its resources directly in `scope` with fixed ids (see
 * the comment in infra/liveness-pipeline.ts), so a scope holds at most one.
 */
export class SelfieStorage {
  readonly encryptionKey: kms.IKey;
  readonly bucket: s3.IBucket;
  /** The queue of the bucket's ObjectCreated notifications (the checker consumes it). */
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly selfiePrefix: string;

  constructor(scope: Construct, props: SelfieStorageProps) {
    throwIfInvalid('SelfieStorage', [
      ...storageProblems(props),
      ...queuePassThroughProblems(props, {
        visibilityTimeout: props.visibilityTimeout,
        retentionPeriod: props.deadLetterRetention,
      }),
    ]);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const destroy = removalPolicy === RemovalPolicy.DESTROY;
    this.selfiePrefix = props.selfiePrefix;

    this.encryptionKey =
      props.encryptionKey ??
      new kms.Key(scope, 'Key', {
        description: 'Selfie liveness pipeline: selfies, Apptenticate secrets and alarm topic',
        enableKeyRotation: true,
        removalPolicy,
        ...(destroy ? { pendingWindow: Duration.days(7) } : {}),
      });

    this.bucket = props.bucket ?? this.createBucket(scope, props, removalPolicy);

    // SQS-managed encryption: the messages are S3 notifications (object keys, no image bytes), and
    // unlike a customer key it needs no key policy for S3 to publish (a brought key can't be edited).
    this.deadLetterQueue = new sqs.Queue(
      scope,
      'SelfieDeadLetterQueue',
      passThrough(
        scope,
        'selfieDeadLetterQueueProps',
        {
          encryption: sqs.QueueEncryption.SQS_MANAGED,
          enforceSSL: true,
          retentionPeriod: props.deadLetterRetention,
        },
        props.selfieDeadLetterQueueProps,
        QUEUE_SECURE_DEFAULTS,
      ),
    );
    acknowledgeDeadLetterQueue(this.deadLetterQueue);
    this.queue = new sqs.Queue(
      scope,
      'SelfieQueue',
      passThrough(
        scope,
        'selfieQueueProps',
        {
          encryption: sqs.QueueEncryption.SQS_MANAGED,
          enforceSSL: true,
          visibilityTimeout: props.visibilityTimeout,
          retentionPeriod: Duration.days(4),
          deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
        },
        props.selfieQueueProps,
        QUEUE_SECURE_DEFAULTS,
      ),
    );
    this.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(this.queue), {
      prefix: props.selfiePrefix,
    });
    acknowledgeNotificationsHandler(scope);
    if (props.bucket) warnAboutBroughtBucket(scope, props.bucket, props);
  }

  /**
   * Lets a function act on the selfie objects (and use the bucket's key through S3, if it has one);
   * with `envVar`, also sets that variable to the bucket name; with `listKeys`, also lets it list
   * keys under the selfie prefix (`s3:ListBucket` limited by `s3:prefix`: it sees keys, not bytes).
   */
  grantSelfies(
    fn: PipelineFunction,
    grant: { actions: string[]; keyActions: string[]; envVar?: string; listKeys?: boolean },
  ): void {
    const objects = this.bucket.arnForObjects(`${this.selfiePrefix}*`);
    const statements = [
      ...(grant.listKeys
        ? [
            allow(['s3:ListBucket'], [this.bucket.bucketArn], {
              StringLike: { 's3:prefix': `${this.selfiePrefix}*` },
            }),
          ]
        : []),
      allow(grant.actions, [objects]),
    ];
    if (grant.envVar) fn.bind(grant.envVar, this.bucket.bucketName, ...statements);
    else fn.grant(...statements);
    fn.acknowledgeWildcard(
      objects,
      `Selfie object keys are unknown in advance; the grant is limited to the ${this.selfiePrefix} prefix.`,
    );
    const key = this.bucket.encryptionKey;
    if (key && grant.keyActions.length > 0) {
      fn.grant(allow(grant.keyActions, [key.keyArn], viaService(fn, 's3')));
    }
  }

  private createBucket(scope: Construct, props: SelfieStorageProps, removalPolicy: RemovalPolicy) {
    const ourLifecycle: s3.LifecycleRule[] = [
      { id: 'expire-selfies', prefix: props.selfiePrefix, expiration: props.selfieExpiration },
      { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
    ];
    const encryption = props.bucketProps?.encryption ?? s3.BucketEncryption.KMS;
    const bucketProps = passThrough(
      scope,
      'bucketProps',
      {
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        enforceSSL: true,
        // CDK refuses a minimum TLS version without enforceSSL, as it refuses a key without KMS.
        ...(props.bucketProps?.enforceSSL !== false ? { minimumTLSVersion: 1.2 } : {}),
        encryption: s3.BucketEncryption.KMS,
        ...(encryption === s3.BucketEncryption.KMS || encryption === s3.BucketEncryption.DSSE
          ? { encryptionKey: this.encryptionKey }
          : {}),
        ...(encryption === s3.BucketEncryption.KMS ? { bucketKeyEnabled: true } : {}),
        // No versioning on purpose: a deleted selfie must be gone, not kept as a noncurrent version.
        versioned: false,
        ...(props.corsAllowedOrigins
          ? {
              cors: [
                {
                  allowedMethods: BUCKET_CORS.allowMethods.map((method) => s3.HttpMethods[method]),
                  allowedOrigins: props.corsAllowedOrigins,
                  allowedHeaders: [...BUCKET_CORS.allowHeaders],
                  maxAge: BUCKET_CORS.maxAgeSeconds,
                },
              ],
            }
          : {}),
        lifecycleRules: ourLifecycle,
        ...(props.serverAccessLogsBucket
          ? { serverAccessLogsBucket: props.serverAccessLogsBucket, serverAccessLogsPrefix: 'selfie-bucket/' }
          : {}),
        removalPolicy,
        autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
      },
      props.bucketProps,
      BUCKET_SECURE_DEFAULTS,
    );
    // The selfie expiry is a promise to the people in the selfies: rules passed through come on top.
    const bucket = new s3.Bucket(scope, 'SelfieBucket', {
      ...bucketProps,
      lifecycleRules: [...ourLifecycle, ...(props.bucketProps?.lifecycleRules ?? [])],
    });
    if (!bucketProps.serverAccessLogsBucket) {
      Validations.of(bucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason:
          'Server access logs need a second bucket and would record every upload key; pass serverAccessLogsBucket to turn them on, or use CloudTrail data events.',
      });
    }
    return bucket;
  }
}

/**
 * What synth cannot see on a brought bucket: S3 refuses a second notification whose events and
 * prefix overlap an existing one ("Configurations overlap"), failing the deploy, and the bucket's
 * CORS is not the construct's to set.
 */
function warnAboutBroughtBucket(
  scope: Construct,
  bucket: s3.IBucket,
  props: Pick<SelfieStorageProps, 'selfiePrefix' | 'corsAllowedOrigins'>,
): void {
  const name = Token.isUnresolved(bucket.bucketName) ? 'the brought bucket' : `bucket ${bucket.bucketName}`;
  Annotations.of(scope).addWarningV2(
    '@selfie-liveness/pipeline:broughtBucketNotification',
    `The pipeline adds an ObjectCreated notification for keys under "${props.selfiePrefix}" to ${name}. If the bucket already has an ObjectCreated notification whose prefix overlaps it (one with no prefix, a virus scanner's, for example), S3 refuses it and the deploy fails with "Configurations overlap". Give the selfies a prefix of their own no other notification covers (the selfiePrefix setting), or move the other consumer to the bucket's EventBridge notifications, which never overlap (docs/deploy.md#bringing-your-own-resources).`,
  );
  if (props.corsAllowedOrigins) {
    Annotations.of(scope).addWarningV2(
      '@selfie-liveness/pipeline:broughtBucketCors',
      `corsAllowedOrigins sets the HTTP API's CORS only: ${name} is brought, so its CORS is yours to set. Allow POST from ${props.corsAllowedOrigins.join(', ')} in its CORS configuration, or browsers cannot upload the form (docs/deploy.md#bringing-your-own-resources).`,
    );
  }
}

/** What is wrong with the storage props, each with how to fix it. */
export function storageProblems(
  props: Pick<SelfieStorageProps, 'bucket' | 'serverAccessLogsBucket' | 'bucketProps' | 'corsAllowedOrigins'>,
): string[] {
  const problems: string[] = [];
  if (props.bucket && props.serverAccessLogsBucket) {
    problems.push(
      'serverAccessLogsBucket applies only to a bucket the construct creates: configure access logs on your own bucket instead',
    );
  }
  const given = props.bucketProps;
  if (!given) return problems;
  if (props.bucket) {
    problems.push(
      'bucketProps shape a bucket the construct creates: leave them out with bucket (configure your own bucket)',
    );
  }
  if (given.serverAccessLogsBucket && props.serverAccessLogsBucket) {
    problems.push(
      'serverAccessLogsBucket and bucketProps.serverAccessLogsBucket both set access logs: set one',
    );
  }
  if (given.cors && props.corsAllowedOrigins) {
    problems.push(
      "bucketProps.cors and corsAllowedOrigins both set the bucket's CORS: set one (corsAllowedOrigins also sets the API's)",
    );
  }
  return problems;
}

/**
 * What is wrong with the selfie queues' pass-through props; `ours` holds the values the pipeline
 * derives from the settings (a pass-through equal to them is accepted).
 */
export function queuePassThroughProblems(
  props: Pick<SelfieStorageProps, 'selfieQueueProps' | 'selfieDeadLetterQueueProps'>,
  ours: { visibilityTimeout?: Duration; retentionPeriod?: Duration } = {},
): string[] {
  return [
    ...passThroughProblems(
      'selfieQueueProps',
      { visibilityTimeout: ours.visibilityTimeout },
      props.selfieQueueProps,
      SELFIE_QUEUE_FIXED,
    ),
    ...passThroughProblems(
      'selfieDeadLetterQueueProps',
      { retentionPeriod: ours.retentionPeriod },
      props.selfieDeadLetterQueueProps,
      DEAD_LETTER_QUEUE_FIXED,
    ),
  ];
}

/** The cdk-nag acknowledgement of a dead-letter queue having no dead-letter queue of its own. */
export function acknowledgeDeadLetterQueue(queue: sqs.IQueue): void {
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: 'This queue is itself a dead-letter queue; its depth is alarmed.',
  });
}

/** Reasons for cdk-nag findings on the function CDK itself adds to write S3 bucket notifications. */
function acknowledgeNotificationsHandler(scope: Construct): void {
  // CDK's singleton that writes S3 bucket notifications (a custom resource).
  const handler = Stack.of(scope).node.tryFindChild(
    'BucketNotificationsHandler050a0587b7544547bf325f094a3db834',
  );
  if (!handler) return;
  Validations.of(handler).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: "CDK's bucket-notifications custom resource; its role is managed by aws-cdk-lib.",
  });
  Validations.of(handler).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'CDK grants s3:PutBucketNotification on * to its bucket-notifications custom resource.',
  });
}
