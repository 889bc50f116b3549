/**
 * The AWS clients of the ops tool, for a target: the SDK clients the project depends on, with the
 * default credential chain and region (and `AWS_ENDPOINT_URL`, which the SDK reads itself), or bound
 * to a local pipeline's endpoints; plus signed calls to CloudFormation, CloudWatch and CloudWatch Logs.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AwsApi, type ExtraService } from './aws/aws-api.js';
import { describeStackOutputs } from './aws/cloudformation.js';
import {
  namesFromFlags,
  namesFromOutputs,
  type PipelineName,
  type Target,
  targetFromResourcesFile,
} from './target.js';

/** Every client a command may use. */
export interface OpsClients {
  region: string;
  dynamodb: DynamoDBClient;
  sqs: SQSClient;
  s3: S3Client;
  secretsManager: SecretsManagerClient;
  lambda: LambdaClient;
  eventBridge: EventBridgeClient;
  /** CloudFormation, CloudWatch and CloudWatch Logs. */
  aws: AwsApi;
}

/** The `AWS_ENDPOINT_URL_<ID>` of each service called through `AwsApi`, as the SDKs name them. */
const ENDPOINT_ENV: Record<ExtraService, string> = {
  cloudformation: 'AWS_ENDPOINT_URL_CLOUDFORMATION',
  monitoring: 'AWS_ENDPOINT_URL_CLOUDWATCH',
  logs: 'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS',
};

/** Clients for a target. */
export async function createClients(
  target: Target,
  env: NodeJS.ProcessEnv = process.env,
): Promise<OpsClients> {
  const local = target.awsEndpoint
    ? {
        endpoint: target.awsEndpoint,
        region: target.region ?? 'us-east-1',
        // A local AWS stand-in takes any key; the default chain may have none on this machine.
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        forcePathStyle: true,
      }
    : undefined;
  const config = local ?? (target.region ? { region: target.region } : {});
  const dynamodb = new DynamoDBClient(config);
  const region = await dynamodb.config.region();
  const endpoint = (service: ExtraService) =>
    target.awsEndpoint ??
    env[ENDPOINT_ENV[service]] ??
    env.AWS_ENDPOINT_URL ??
    `https://${service}.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
  return {
    region,
    dynamodb,
    sqs: new SQSClient(config),
    s3: new S3Client(config),
    secretsManager: new SecretsManagerClient(config),
    lambda: new LambdaClient(target.lambdaEndpoint ? { ...config, endpoint: target.lambdaEndpoint } : config),
    eventBridge: new EventBridgeClient(config),
    aws: new AwsApi({ region, credentials: () => dynamodb.config.credentials(), endpoint }),
  };
}

/** The flags and environment that choose a target. */
export interface TargetChoice {
  flags: Readonly<Record<string, string | boolean | undefined>>;
  env: NodeJS.ProcessEnv;
  /** The names the command needs: when flags give them all, no stack is read. */
  needed: readonly PipelineName[];
}

/** The default resources file of `npm start`. */
export const LOCAL_RESOURCES_FILE = '.local/resources.json';

/** Finds the target (see `target.ts` for the order) and builds its clients. */
export async function resolveTarget(choice: TargetChoice): Promise<{ target: Target; clients: OpsClients }> {
  const { flags, env } = choice;
  const fromFlags = namesFromFlags(flags);
  const file = typeof flags.resources === 'string' ? flags.resources : undefined;
  const localDefault =
    !file &&
    typeof flags.stack !== 'string' &&
    env.AWS_ENDPOINT_URL &&
    existsSync(resolve(LOCAL_RESOURCES_FILE));
  if (file || localDefault) {
    const target = targetFromResourcesFile(file ?? LOCAL_RESOURCES_FILE);
    target.names = { ...target.names, ...fromFlags };
    return { target, clients: await createClients(target, env) };
  }
  const region = typeof flags.region === 'string' ? flags.region : undefined;
  const base: Target = {
    description: 'names given by flags',
    names: fromFlags,
    local: false,
    ...(region ? { region } : {}),
  };
  const clients = await createClients(base, env);
  if (choice.needed.every((name) => fromFlags[name])) return { target: base, clients };
  const stackName = typeof flags.stack === 'string' ? flags.stack : 'SelfieLiveness';
  const outputs = await describeStackOutputs(clients.aws, stackName, clients.region);
  const target: Target = {
    ...base,
    description: `stack ${stackName} (${clients.region})`,
    names: { ...namesFromOutputs(outputs), ...fromFlags },
  };
  return { target, clients };
}
