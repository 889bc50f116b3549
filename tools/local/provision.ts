import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateBucketCommand,
  PutBucketCorsCommand,
  PutBucketNotificationConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BUCKET_CORS } from '../../infra/api-cors.js';
import {
  type PipelineResourceNames,
  type PipelineSettings,
  visibilityTimeoutSeconds,
} from '../../infra/settings.js';
import { createCheckTable } from './provision-table.js';

/** SDK clients bound to one local AWS endpoint. */
export interface LocalAwsClients {
  s3: S3Client;
  sqs: SQSClient;
  dynamodb: DynamoDBClient;
  dynamodbStreams: DynamoDBStreamsClient;
  eventBridge: EventBridgeClient;
  secretsManager: SecretsManagerClient;
}

/** Connection settings for every client: the endpoint, a region and dummy credentials. */
export interface LocalAwsTarget {
  endpoint: string;
  region: string;
}

/** Timeouts of the SDK's Node.js request handler, per attempt. */
export interface LocalRequestHandler {
  connectionTimeout: number;
  requestTimeout: number;
  throwOnRequestTimeout: boolean;
}

/**
 * Per attempt, for the harness's own calls (the pollers, the stream reader, the tap): a call moto
 * never answers fails instead of holding its poller for good, and the poller goes on, as Lambda's
 * pollers do. Well above any local call, long polls (1 s) included.
 */
export const LOCAL_REQUEST_HANDLER: Readonly<LocalRequestHandler> = Object.freeze({
  connectionTimeout: 2_000,
  requestTimeout: 10_000,
  throwOnRequestTimeout: true,
});

/** Creates SDK clients for a local AWS endpoint. */
export function localAwsClients(
  target: LocalAwsTarget,
  requestHandler: Readonly<LocalRequestHandler> = LOCAL_REQUEST_HANDLER,
): LocalAwsClients {
  const config = {
    endpoint: target.endpoint,
    region: target.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    forcePathStyle: true,
    requestHandler,
  };
  return {
    s3: new S3Client(config),
    sqs: new SQSClient(config),
    dynamodb: new DynamoDBClient(config),
    dynamodbStreams: new DynamoDBStreamsClient(config),
    eventBridge: new EventBridgeClient(config),
    secretsManager: new SecretsManagerClient(config),
  };
}

/** Everything the local pipeline created, as written to `.local/resources.json`. */
export interface LocalResources extends PipelineResourceNames {
  awsEndpoint: string;
  region: string;
  streamArn: string;
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  /** Where stream batches that exhausted their retries go (the notifier's on-failure destination). */
  notifierDlqUrl: string;
  tapQueueUrl: string;
  tapRuleName: string;
}

/** Credentials to put into the credentials secret, as an operator would. */
export interface VendorCredentials {
  username: string;
  password: string;
}

/**
 * Creates, with SDK calls, the resources the stack would create from the same settings: the bucket
 * with its notifications for the selfie prefix, the queue and its DLQ with the same receive limit and
 * visibility timeout, the table (from `shared/check-table.ts`), the bus, both secrets, and a tap rule
 * that copies every pipeline event to a queue so it can be shown. Bucket policies are left out on
 * purpose: moto ignores their conditions, so the stack's TLS-only deny would block everything.
 */
export async function provisionLocalResources(
  clients: LocalAwsClients,
  target: LocalAwsTarget,
  settings: PipelineSettings,
  credentials: VendorCredentials,
  prefix = 'selfie-liveness',
): Promise<LocalResources> {
  const { s3, sqs, dynamodb, eventBridge, secretsManager } = clients;
  const bucketName = `${prefix}-selfies`;
  const tableName = `${prefix}-checks`;
  const eventBusName = `${prefix}-events`;

  const dlq = await createQueue(sqs, `${prefix}-checks-dlq`, {
    MessageRetentionPeriod: String(settings.dlqRetentionDays * 86_400),
  });
  const queue = await createQueue(sqs, `${prefix}-checks`, {
    VisibilityTimeout: String(visibilityTimeoutSeconds(settings)),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: dlq.arn,
      maxReceiveCount: settings.checker.maxReceiveCount,
    }),
  });
  const notifierDlq = await createQueue(sqs, `${prefix}-notifier-dlq`, {
    MessageRetentionPeriod: String(settings.dlqRetentionDays * 86_400),
  });
  const tap = await createQueue(sqs, `${prefix}-event-tap`, {});

  await s3.send(new CreateBucketCommand({ Bucket: bucketName }));
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucketName,
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            QueueArn: queue.arn,
            Events: ['s3:ObjectCreated:*'],
            // moto matches filter rule names case-sensitively: lowercase, as AWS also accepts.
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: settings.selfiePrefix }] } },
          },
        ],
      },
    }),
  );

  const { streamArn } = await createCheckTable(dynamodb, tableName);

  await eventBridge.send(new CreateEventBusCommand({ Name: eventBusName }));
  const tapRuleName = `${prefix}-tap`;
  await createEventTap(eventBridge, {
    eventBusName,
    ruleName: tapRuleName,
    queueArn: tap.arn,
    source: settings.eventSource,
  });

  const credentialsSecretArn = await createSecret(
    secretsManager,
    `${prefix}/apptenticate-credentials`,
    JSON.stringify(credentials),
  );
  const tokenSecretArn = await createSecret(secretsManager, `${prefix}/apptenticate-tokens`);

  return {
    awsEndpoint: target.endpoint,
    region: target.region,
    bucketName,
    tableName,
    eventBusName,
    credentialsSecretArn,
    tokenSecretArn,
    // There is no Lambda locally: the runtime calls the refresher itself when the checker asks.
    tokenRefresherFunctionName: '',
    streamArn,
    queueUrl: queue.url,
    queueArn: queue.arn,
    dlqUrl: dlq.url,
    notifierDlqUrl: notifierDlq.url,
    tapQueueUrl: tap.url,
    tapRuleName,
  };
}

/** A rule on the bus that copies every pipeline event to a queue, so it can be shown. */
export async function createEventTap(
  eventBridge: EventBridgeClient,
  tap: { eventBusName: string; ruleName: string; queueArn: string; source: string },
): Promise<void> {
  await eventBridge.send(
    new PutRuleCommand({
      Name: tap.ruleName,
      EventBusName: tap.eventBusName,
      EventPattern: JSON.stringify({ source: [tap.source] }),
    }),
  );
  await eventBridge.send(
    new PutTargetsCommand({
      Rule: tap.ruleName,
      EventBusName: tap.eventBusName,
      Targets: [{ Id: 'tap', Arn: tap.queueArn }],
    }),
  );
}

async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string>) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new Error(`queue ${name} was not created`);
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${name} has no ARN`);
  return { url: QueueUrl, arn };
}

async function createSecret(secrets: SecretsManagerClient, name: string, value?: string): Promise<string> {
  const { ARN } = await secrets.send(
    new CreateSecretCommand({ Name: name, ...(value ? { SecretString: value } : {}) }),
  );
  if (!ARN) throw new Error(`secret ${name} was not created`);
  return ARN;
}

/**
 * The bucket's CORS, as the stack sets it from `corsAllowedOrigins`: the upload form's POST from
 * these origins (`infra/api-cors.ts`). The local runtime calls it once its API listens, so its own
 * origin is among them.
 */
export async function allowBrowserUploads(s3: S3Client, bucketName: string, origins: readonly string[]) {
  if (origins.length === 0) return;
  await s3.send(
    new PutBucketCorsCommand({
      Bucket: bucketName,
      CORSConfiguration: {
        CORSRules: [
          {
            AllowedMethods: [...BUCKET_CORS.allowMethods],
            AllowedOrigins: [...origins],
            AllowedHeaders: [...BUCKET_CORS.allowHeaders],
            MaxAgeSeconds: BUCKET_CORS.maxAgeSeconds,
          },
        ],
      },
    }),
  );
}
