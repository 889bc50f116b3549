/**
 * The AWS clients of the ops tool, for a target: SDK clients with the default credential chain and
 * region (and `AWS_ENDPOINT_URL` or `AWS_ENDPOINT_URL_<SERVICE>`, which the SDK reads itself), or
 * bound to a local pipeline's endpoints.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import {
  namesFromFlags,
  namesFromOutputs,
  type PipelineName,
  type PipelineNames,
  probeLocalPipeline,
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
  /** The stack's outputs (names of its resources). */
  cloudFormation: CloudFormationClient;
  /** Queue ages and final-check counts on a deployed stack. */
  cloudWatch: CloudWatchClient;
  /** The functions' log lines on a deployed stack. */
  logs: CloudWatchLogsClient;
}

/** Clients for a target. */
export async function createClients(target: Target): Promise<OpsClients> {
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
  return {
    region: await dynamodb.config.region(),
    dynamodb,
    sqs: new SQSClient(config),
    s3: new S3Client(config),
    secretsManager: new SecretsManagerClient(config),
    lambda: new LambdaClient(target.lambdaEndpoint ? { ...config, endpoint: target.lambdaEndpoint } : config),
    eventBridge: new EventBridgeClient(config),
    cloudFormation: new CloudFormationClient(config),
    cloudWatch: new CloudWatchClient(config),
    logs: new CloudWatchLogsClient(config),
  };
}

/** The flags and environment that choose a target. */
export interface TargetChoice {
  flags: Readonly<Record<string, string | boolean | undefined>>;
  env: NodeJS.ProcessEnv;
  /** The names the command needs: when flags give them all, no stack is read. */
  needed: readonly PipelineName[];
  /** Where `.local/resources.json` is looked for. @default the process's working folder */
  cwd?: string;
}

/** The default resources file of `npm start`. */
export const LOCAL_RESOURCES_FILE = '.local/resources.json';

/** What the help and the errors call the options that name a pipeline. */
const NAMING_OPTIONS = 'no --stack, --region or --resources given';

/** Finds the target (see `target.ts` for the order) and builds its clients. */
export async function resolveTarget(choice: TargetChoice): Promise<{ target: Target; clients: OpsClients }> {
  const { flags, env } = choice;
  const fromFlags = namesFromFlags(flags);
  const file = typeof flags.resources === 'string' ? flags.resources : undefined;
  const fromFile = async (path: string, notice?: string) => {
    const target = targetFromResourcesFile(path);
    target.names = { ...target.names, ...fromFlags };
    if (notice) target.notice = notice;
    return { target, clients: await createClients(target) };
  };
  if (file) return await fromFile(file);
  const named = typeof flags.stack === 'string' || typeof flags.region === 'string';
  /** Why no local pipeline was used, when nothing named the pipeline. */
  let noLocal: string | undefined;
  if (!named) {
    const path = resolve(choice.cwd ?? process.cwd(), LOCAL_RESOURCES_FILE);
    if (!existsSync(path)) {
      noLocal = `no local pipeline runs here (no ${LOCAL_RESOURCES_FILE} in ${choice.cwd ?? process.cwd()})`;
    } else if (env.AWS_ENDPOINT_URL) {
      return await fromFile(
        path,
        `the local pipeline of ${path}: AWS_ENDPOINT_URL is set, ${NAMING_OPTIONS}`,
      );
    } else {
      const probe = await probeLocalPipeline(path);
      if (probe.running) {
        const pid = probe.pid === undefined ? '' : `, pid ${probe.pid}`;
        return await fromFile(path, `the local pipeline running here (${path}${pid}): ${NAMING_OPTIONS}`);
      }
      noLocal = `the local pipeline of ${path} is not running (${probe.why})`;
    }
  }
  try {
    return await resolveStackTarget(choice, fromFlags);
  } catch (error) {
    if (noLocal === undefined) throw error;
    throw new Error(
      `${noLocal} and no stack is named: ${(error as Error).message}; start the local pipeline with npm start, or name a deployed stack with --stack <name> --region <region>`,
      { cause: error },
    );
  }
}

/** The target of the given flags, or of a deployed stack's outputs when they do not name everything. */
async function resolveStackTarget(
  choice: TargetChoice,
  fromFlags: PipelineNames,
): Promise<{ target: Target; clients: OpsClients }> {
  const { flags } = choice;
  const region = typeof flags.region === 'string' ? flags.region : undefined;
  const base: Target = {
    description: 'names given by flags',
    names: fromFlags,
    local: false,
    ...(region ? { region } : {}),
  };
  const clients = await createClients(base);
  if (choice.needed.every((name) => fromFlags[name])) return { target: base, clients };
  const stackName = typeof flags.stack === 'string' ? flags.stack : 'SelfieLiveness';
  const outputs = await describeStackOutputs(clients.cloudFormation, stackName, clients.region);
  const target: Target = {
    ...base,
    description: `stack ${stackName} (${clients.region})`,
    names: { ...namesFromOutputs(outputs), ...fromFlags },
  };
  return { target, clients };
}

/** A stack that is not there (or not visible with these credentials in this region). */
export class StackNotFoundError extends Error {
  constructor(stackName: string, region: string, options?: ErrorOptions) {
    super(
      `stack ${stackName} was not found in ${region}: pass --stack <name> (the stackName context key), set AWS_REGION, or name the resources with flags or --resources <file>`,
      options,
    );
    this.name = 'StackNotFoundError';
  }
}

/** The outputs of a stack, by output key. */
async function describeStackOutputs(
  client: CloudFormationClient,
  stackName: string,
  region: string,
): Promise<Record<string, string>> {
  try {
    const { Stacks = [] } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs: Record<string, string> = {};
    for (const { OutputKey, OutputValue } of Stacks[0]?.Outputs ?? []) {
      if (OutputKey !== undefined && OutputValue !== undefined) outputs[OutputKey] = OutputValue;
    }
    return outputs;
  } catch (error) {
    // CloudFormation answers an unknown stack name with a ValidationError ("Stack with id X does not exist").
    if (error instanceof Error && error.name === 'ValidationError') {
      throw new StackNotFoundError(stackName, region, { cause: error });
    }
    throw error;
  }
}
