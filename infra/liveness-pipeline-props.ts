import type * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { secretsProblems } from './constructs/apptenticate-secrets.js';
import { apiProblems, type LivenessApiAuth } from './constructs/liveness-api.js';
import { throwIfInvalid } from './constructs/problems.js';
import { storageProblems } from './constructs/selfie-storage.js';
import type { PipelineSettingsOverrides } from './settings.js';

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
   * access, CORS for POST uploads and a lifecycle expiry on the prefix yourself. If it uses SSE-KMS,
   * import it with `Bucket.fromBucketAttributes({ bucketName, encryptionKey })` so the functions get
   * the KMS permissions they need.
   * @default - a new bucket: private, TLS only, SSE-KMS with `encryptionKey`, CORS for browser
   * uploads from `corsAllowedOrigins`, lifecycle expiry of the selfie prefix after `settings.selfieLifecycleDays`
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
}

/** Checks the props as a whole; throws one error listing every problem and how to fix it. */
export function validateProps(props: LivenessPipelineProps): void {
  // Each rule lives with the part that owns the prop; the parts check again when used alone.
  throwIfInvalid('LivenessPipeline', [
    ...apiProblems(props),
    ...storageProblems(props),
    ...secretsProblems(props),
  ]);
}
