/**
 * The five functions as the local pipeline runs them: imported into this process (one process,
 * never recycled; what a handler keeps in memory always survives) or, with `containers`, each
 * function's deployed bundle in containers of its own on Node 24 (tools/local/containers.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import {
  FUNCTION_NAMES,
  FUNCTION_SETTINGS_KEYS,
  functionEnvironment,
  type PipelineFunctionName,
  type PipelineSettings,
} from '../../infra/settings.js';
import { ensureNode24 } from '../node24.js';
import { buildFunctionBundles } from '../package/function-bundles.js';
import { type ContainerStats, FunctionContainers, type RunningInvocation } from './containers.js';
import { localContext } from './local-context.js';
import type { LocalContainers, LocalContainersOptions } from './local-pipeline-types.js';
import type { LocalResources } from './provision.js';

/** One function, invoked with an event. */
export type LocalInvoke = (event: unknown) => Promise<unknown>;

/** The five functions, however they run. */
export interface LocalFunctions {
  invoke: Record<PipelineFunctionName, LocalInvoke>;
  /** The containers, in container mode. */
  containers?: LocalContainers;
  stop(): Promise<void>;
}

/** What both modes need to know. */
export interface LocalFunctionsInput {
  settings: PipelineSettings;
  resources: LocalResources;
  /** Where the functions reach AWS (moto, or the fault proxy in front of it). */
  awsEndpoint: string;
  region: string;
  /** Extra environment for every function. */
  environment?: Record<string, string>;
}

/** The environment every function gets besides its own: where AWS is, and what Lambda sets. */
function baseEnvironment(input: LocalFunctionsInput): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: input.awsEndpoint,
    AWS_REGION: input.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    // No Lambda to invoke locally: the runtime runs the refresher on its schedule instead.
    TOKEN_REFRESHER_FUNCTION_NAME: '',
  };
}

/** Timeout of each function, in seconds, from the settings. */
function timeoutSeconds(settings: PipelineSettings, fn: PipelineFunctionName): number {
  return settings[FUNCTION_SETTINGS_KEYS[fn]].timeoutSeconds;
}

/**
 * Imports the handlers into this process, configured through `process.env` with every function's
 * variables at once. One pipeline per process: handlers read their configuration once, at import.
 */
export async function importFunctions(input: LocalFunctionsInput): Promise<LocalFunctions> {
  const { settings, resources } = input;
  Object.assign(process.env, {
    ...baseEnvironment(input),
    ...Object.assign({}, ...FUNCTION_NAMES.map((fn) => functionEnvironment(fn, settings, resources))),
    TOKEN_REFRESHER_FUNCTION_NAME: '',
    ...input.environment,
  });
  const [checker, notifier, api, sweeper, refresher] = await Promise.all([
    import('../../functions/checker/handler.js'),
    import('../../functions/notifier/handler.js'),
    import('../../functions/api/handler.js'),
    import('../../functions/sweeper/handler.js'),
    import('../../functions/token-refresher/handler.js'),
  ]);
  const context = (fn: PipelineFunctionName): Context => localContext(fn, timeoutSeconds(settings, fn));
  type Handler = (event: never, context: Context) => Promise<unknown>;
  const call = (fn: PipelineFunctionName, handler: Handler): LocalInvoke => {
    return async (event) => await handler(event as never, context(fn));
  };
  return {
    invoke: {
      checker: call('checker', checker.handler as Handler),
      notifier: call('notifier', notifier.handler as Handler),
      api: call('api', api.handler as Handler),
      sweeper: call('sweeper', sweeper.handler as Handler),
      'token-refresher': call('token-refresher', refresher.handler as Handler),
    },
    stop: async () => undefined,
  };
}

/**
 * Runs each function's deployed bundle (built from source with the stack's bundling settings, or
 * taken from `bundlesDir`) in containers on Node 24, each with only its own environment.
 */
export async function startContainers(
  input: LocalFunctionsInput,
  options: LocalContainersOptions,
): Promise<LocalFunctions> {
  const { settings, resources } = input;
  const built = options.bundlesDir ? undefined : await mkdtemp(join(tmpdir(), 'liveness-local-bundles-'));
  try {
    const [node] = await Promise.all([
      options.node ? Promise.resolve(options.node) : ensureNode24(),
      built ? buildFunctionBundles(built) : Promise.resolve(undefined),
    ]);
    const bundles = options.bundlesDir ?? (built as string);
    const pools = Object.fromEntries(
      FUNCTION_NAMES.map((fn) => {
        const recycle = options.recycle?.[fn];
        const pool = new FunctionContainers({
          name: fn,
          node,
          bundle: join(bundles, fn, 'index.mjs'),
          environment: {
            // What Lambda's Node.js runtime sets, then the stack's variables for this function alone.
            PATH: process.env.PATH ?? '/usr/bin:/bin',
            TZ: 'UTC',
            LANG: 'en_US.UTF-8',
            AWS_EC2_METADATA_DISABLED: 'true',
            AWS_LAMBDA_FUNCTION_NAME: `local-${fn}`,
            AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
            AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
            AWS_SESSION_TOKEN: 'local',
            ...baseEnvironment(input),
            ...functionEnvironment(fn, settings, resources),
            ...(fn === 'checker' ? { TOKEN_REFRESHER_FUNCTION_NAME: '' } : {}),
            ...input.environment,
          },
          timeoutSeconds: timeoutSeconds(settings, fn),
          // Lambda runs as many checker containers as the mapping's maximum concurrency.
          maxContainers:
            fn === 'checker' ? settings.checker.maxConcurrency : (options.maxContainersPerFunction ?? 4),
          ...(recycle ? { recycle } : {}),
          logs: options.logs ?? 'forward',
        });
        return [fn, pool] as const;
      }),
    ) as Record<PipelineFunctionName, FunctionContainers>;
    const containers: LocalContainers = {
      running: (fn) => pools[fn].running(),
      crash: (fn, where: (invocation: RunningInvocation) => boolean = () => true) => pools[fn].crash(where),
      stats: () =>
        Object.fromEntries(FUNCTION_NAMES.map((fn) => [fn, pools[fn].stats()])) as Record<
          PipelineFunctionName,
          ContainerStats
        >,
    };
    return {
      invoke: Object.fromEntries(
        FUNCTION_NAMES.map((fn) => [fn, (event: unknown) => pools[fn].invoke(event)]),
      ) as Record<PipelineFunctionName, LocalInvoke>,
      containers,
      stop: async () => {
        await Promise.all(FUNCTION_NAMES.map((fn) => pools[fn].stop()));
        if (built) await rm(built, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (built) await rm(built, { recursive: true, force: true });
    throw error;
  }
}
