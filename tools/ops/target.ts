/**
 * Which pipeline the ops tool works on: the names of its resources, where AWS is, and in which region.
 *
 * The names come from, in this order of precedence:
 * 1. a flag per name (`--check-table-name`, ..., the output key in kebab case), over whichever of
 *    the others is chosen (it names a resource, not a pipeline);
 * 2. a resources file (`--resources <file>`; `npm start` writes `.local/resources.json`);
 * 3. the outputs of a deployed stack (`--stack <name>`, default `SelfieLiveness`), read with the
 *    default credential chain.
 * When none of `--resources`, `--stack` and `--region` is given, nothing names the pipeline, and
 * `.local/resources.json` in the working folder (npm runs scripts in the package root) is used if
 * the pipeline that wrote it still runs, or if `AWS_ENDPOINT_URL` is set (moto has no CloudFormation
 * stack for it); otherwise the default stack. `AWS_REGION` and `AWS_PROFILE` do not name one: many
 * shells set them for good, and `npm start`'s banner must work in those too.
 * A command asks only for the names it needs, and a missing one is named with its flag.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The names and addresses of a pipeline's resources, by the stack output that gives each. */
export const OUTPUT_KEYS = {
  checkTableName: 'CheckTableName',
  selfieBucketName: 'SelfieBucketName',
  selfiePrefix: 'SelfiePrefix',
  selfieQueueUrl: 'SelfieQueueUrl',
  selfieDeadLetterQueueUrl: 'SelfieDeadLetterQueueUrl',
  notifierDeadLetterQueueUrl: 'NotifierDeadLetterQueueUrl',
  eventBusName: 'EventBusName',
  eventSource: 'EventSource',
  credentialsSecretArn: 'CredentialsSecretArn',
  tokenSecretArn: 'TokenSecretArn',
  tokenRefresherFunctionName: 'TokenRefresherFunctionName',
  checkerLogGroupName: 'CheckerLogGroupName',
  notifierLogGroupName: 'NotifierLogGroupName',
  apiLogGroupName: 'ApiLogGroupName',
  sweeperLogGroupName: 'SweeperLogGroupName',
  tokenRefresherLogGroupName: 'TokenRefresherLogGroupName',
} as const;
export type PipelineName = keyof typeof OUTPUT_KEYS;
export type PipelineNames = Partial<Record<PipelineName, string>>;

/** How `.local/resources.json` (written by `npm start`, `tools/local/runtime.ts`) names each. */
const LOCAL_KEYS: Partial<Record<PipelineName, string>> = {
  checkTableName: 'tableName',
  selfieBucketName: 'bucketName',
  selfiePrefix: 'selfiePrefix',
  selfieQueueUrl: 'queueUrl',
  selfieDeadLetterQueueUrl: 'dlqUrl',
  notifierDeadLetterQueueUrl: 'notifierDlqUrl',
  eventBusName: 'eventBusName',
  eventSource: 'eventSource',
  credentialsSecretArn: 'credentialsSecretArn',
  tokenSecretArn: 'tokenSecretArn',
  tokenRefresherFunctionName: 'tokenRefresherFunctionName',
};

/** Where the pipeline is: its resource names, and endpoints when it is not AWS's own. */
export interface Target {
  /** What the names came from, for the first line of every command's output. */
  description: string;
  names: PipelineNames;
  /** The AWS endpoint of a local pipeline (moto); `undefined` for AWS itself (or `AWS_ENDPOINT_URL`). */
  awsEndpoint?: string;
  /** The local pipeline's Lambda invoke endpoint (it has no Lambda service of its own). */
  lambdaEndpoint?: string;
  region?: string;
  /** Whether this is a local pipeline (no CloudWatch metrics or logs there). */
  local: boolean;
  /** How the pipeline was found when nothing named it: the first line a command prints. */
  notice?: string;
}

/** The kebab-case flag that names one resource, e.g. `--check-table-name`. */
export function flagOf(name: PipelineName): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The names given by flags. */
export function namesFromFlags(flags: Readonly<Record<string, string | boolean | undefined>>): PipelineNames {
  const names: PipelineNames = {};
  for (const name of Object.keys(OUTPUT_KEYS) as PipelineName[]) {
    const value = flags[flagOf(name).slice(2)];
    if (typeof value === 'string' && value !== '') names[name] = value;
  }
  return names;
}

/** The names in a stack's outputs. */
export function namesFromOutputs(outputs: Readonly<Record<string, string>>): PipelineNames {
  const names: PipelineNames = {};
  for (const [name, key] of Object.entries(OUTPUT_KEYS) as [PipelineName, string][]) {
    const value = outputs[key];
    if (value) names[name] = value;
  }
  return names;
}

/** The target a local resources file describes. */
export function targetFromResourcesFile(file: string): Target {
  const path = resolve(file);
  if (!existsSync(path)) {
    throw new Error(
      `no resources file at ${path}: start the local pipeline with npm start, or pass --stack <name>`,
    );
  }
  const data = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const names: PipelineNames = {};
  for (const [name, key] of Object.entries(LOCAL_KEYS) as [PipelineName, string][]) {
    const value = data[key];
    if (typeof value === 'string' && value !== '') names[name] = value;
  }
  const text = (key: string) =>
    typeof data[key] === 'string' && data[key] !== '' ? (data[key] as string) : undefined;
  const awsEndpoint = text('awsEndpoint');
  const lambdaEndpoint = text('lambdaEndpoint');
  const region = text('region');
  return {
    description: `local pipeline (${path})`,
    names,
    local: true,
    ...(awsEndpoint ? { awsEndpoint } : {}),
    ...(lambdaEndpoint ? { lambdaEndpoint } : {}),
    ...(region ? { region } : {}),
  };
}

/** Whether the local pipeline that wrote a resources file still runs, and if not, why not. */
export type LocalPipelineProbe = { running: true; pid?: number } | { running: false; why: string };

/** How long a running local api takes at most to answer (it answers in milliseconds). */
const LOCAL_API_PROBE_MS = 2_000;

/**
 * Asks whether the pipeline of a resources file runs: its recorded process is alive and its api
 * answers. The api is asked too because a pid outlives its pipeline (a stopped one in a test
 * process) and is reused after a reboot; the pid, when it has ended, answers without a request.
 */
export async function probeLocalPipeline(file: string): Promise<LocalPipelineProbe> {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    return { running: false, why: `it cannot be read: ${(error as Error).message}` };
  }
  const pid = typeof data.pid === 'number' && Number.isInteger(data.pid) ? data.pid : undefined;
  if (pid !== undefined && !isProcessAlive(pid))
    return { running: false, why: `its process ${pid} has ended` };
  const apiUrl = typeof data.apiUrl === 'string' ? data.apiUrl : undefined;
  if (!apiUrl) return { running: false, why: 'it names no apiUrl' };
  try {
    // Any answer will do: the capture page, the contract or a 404 all mean the api listens.
    const response = await fetch(new URL('/openapi.json', apiUrl), {
      signal: AbortSignal.timeout(LOCAL_API_PROBE_MS),
    });
    await response.body?.cancel();
  } catch {
    return { running: false, why: `its api at ${apiUrl} does not answer` };
  }
  return { running: true, ...(pid !== undefined ? { pid } : {}) };
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The names a command needs, or an error naming each missing one with its flag and output. */
export function requireNames<K extends PipelineName>(
  target: Target,
  needed: readonly K[],
): Record<K, string> {
  const missing = needed.filter((name) => !target.names[name]);
  if (missing.length > 0) {
    throw new Error(
      `${target.description} does not name ${missing
        .map((name) => `${OUTPUT_KEYS[name]} (pass ${flagOf(name)})`)
        .join(', ')}`,
    );
  }
  return Object.fromEntries(needed.map((name) => [name, target.names[name]])) as Record<K, string>;
}
