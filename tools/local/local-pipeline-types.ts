/** The local pipeline's options and what a running one exposes. */
import type {
  PipelineFunctionName,
  PipelineSettings,
  PipelineSettingsOverrides,
} from '../../infra/settings.js';
import type { Simulator, SimulatorOptions } from '../simulator/server.js';
import type { AwsFaultProxy, AwsFaultProxyOptions } from './aws-fault-proxy.js';
import type { ContainerStats, RecyclePolicy, RunningInvocation } from './containers.js';

export type { ContainerStats, RecyclePolicy, RunningInvocation } from './containers.js';

import type { LocalAwsClients, LocalResources } from './provision.js';

/** A real Apptenticate-compatible vendor to use instead of the simulator. */
export interface VendorTarget {
  url: string;
  username: string;
  password: string;
}

/** Options of {@link startLocalPipeline}. */
export interface LocalPipelineOptions {
  /** Port of the api on 127.0.0.1; 0 picks a free one. @default 3000 */
  port?: number;
  /** An AWS endpoint already running (e.g. `AWS_ENDPOINT_URL`); otherwise moto is started. */
  awsEndpoint?: string;
  /** @default 'us-east-1' */
  region?: string;
  /** A real vendor; otherwise the simulator is started. */
  vendor?: VendorTarget;
  /** Options for the simulator when it is started. */
  simulator?: SimulatorOptions;
  /** Overrides of the stack's settings (the same module the stack reads). */
  settings?: PipelineSettingsOverrides;
  /**
   * Seconds before a failed message is delivered again. Lambda leaves it for the queue's visibility
   * timeout (6x the checker timeout, minutes); locally that makes retries slow to watch, so this
   * shortens it; a message whose check is still under a live lease waits for the lease's end instead
   * (see `checker-redelivery.ts`). @default the queue's visibility timeout
   */
  retryDelaySeconds?: number;
  /** Extra environment for the functions (e.g. `VENDOR_RESPONSE_TIMEOUT_MS`). */
  environment?: Record<string, string>;
  /**
   * Browser origins allowed by CORS, on the API and the bucket's upload form, besides the
   * pipeline's own (`http://127.0.0.1:<port>` and `http://localhost:<port>`, always allowed).
   * @default none besides its own
   */
  corsAllowedOrigins?: string[];
  /**
   * Where to write the resources file once the pipeline is up; an earlier run's file there is removed
   * at start. @default none written
   */
  resourcesFile?: string;
  /** Called with every event the tap rule delivers. */
  onEvent?: (event: TappedEvent) => void;
  /**
   * Also write every tapped event to `<eventsDir>/<checkId>.json`, for other processes to read; the
   * event files (`*.json`) of earlier runs there are removed at start. @default none written
   */
  eventsDir?: string;
  /** How often the sweeper runs. @default the stack's schedule */
  sweepIntervalMs?: number;
  /**
   * Route the functions' AWS calls through a fault-injecting proxy (`tools/local/aws-fault-proxy.ts`).
   * The played event sources, the tap and provisioning keep talking to the AWS endpoint directly, as
   * Lambda's own pollers are not the functions' calls; app uploads (presigned POSTs) pass the proxy
   * untouched. The rates apply once the pipeline is up (provisioning and the refresher's first run
   * are not faulted). With `recordCalls`, `faults.calls()` lists every call the functions made,
   * from the schedule's first refresher run on. @default no proxy
   */
  awsFaults?: Omit<AwsFaultProxyOptions, 'target' | 'port'>;
  /**
   * Run each function's deployed bundle in containers of its own on Node 24, as Lambda does
   * (docs/local.md, "Containers"): killed at its timeout, recycled by `recycle`, crashable through
   * `pipeline.containers`. `true` takes the defaults. @default `LOCAL_CONTAINERS` (1 or 0), else
   * false: the handlers' sources are imported into this process, on its Node
   */
  containers?: boolean | LocalContainersOptions;
}

/** Options of the container mode ({@link LocalPipelineOptions.containers}). */
export interface LocalContainersOptions {
  /** The Node binary the containers run on. @default Node 24 (`tools/node24.ts`, installed on first use) */
  node?: string;
  /** A folder of built bundles (`<name>/index.mjs`, as `dist/bundles`). @default built from source at start */
  bundlesDir?: string;
  /**
   * How each function's containers are recycled, by function name (e.g. `{ checker: { afterInvocations:
   * 5, rate: 0.1, seed: 1 } }`). @default never, for every function
   */
  recycle?: Partial<Record<PipelineFunctionName, RecyclePolicy>>;
  /**
   * Containers per function at most, besides the checker's (`checker.maxConcurrency`); more
   * invocations wait for one, and the wait does not count against the timeout. @default 4
   */
  maxContainersPerFunction?: number;
  /** The functions' logs: forwarded to this process's stdout and stderr, or dropped. @default 'forward' */
  logs?: 'forward' | 'ignore';
}

/** The containers of a pipeline started with `containers`. */
export interface LocalContainers {
  /** The invocations running now in `fn`'s containers. */
  running(fn: PipelineFunctionName): RunningInvocation[];
  /**
   * Kills (SIGKILL) each of `fn`'s containers whose running invocation `where` selects (all busy
   * ones without it): the invocation fails as a dead Lambda sandbox's does, and what the container
   * held in memory is lost. Returns the killed invocations.
   */
  crash(fn: PipelineFunctionName, where?: (invocation: RunningInvocation) => boolean): RunningInvocation[];
  /** Cold starts, invocations, timeouts, crashes and recycles, per function. */
  stats(): Record<PipelineFunctionName, ContainerStats>;
}

/** An EventBridge event copied to the tap queue. */
export interface TappedEvent {
  id: string;
  'detail-type': string;
  source: string;
  time: string;
  detail: Record<string, unknown> & { checkId: string; status: string; eventId: string };
}

/** A running local pipeline. */
export interface LocalPipeline {
  apiUrl: string;
  /** What `.local/resources.json` holds: the resources, the api and vendor URLs, and what `npm run ops` needs. */
  resources: LocalResources & {
    apiUrl: string;
    vendorUrl: string;
    functionsAwsEndpoint?: string;
    eventSource: string;
    selfiePrefix: string;
    /** Lambda's Invoke API for the token-refresher (`tools/local/local-lambda.ts`). */
    lambdaEndpoint: string;
    /** The process running the pipeline: `npm run ops` tells a running pipeline's file from a stopped one's. */
    pid: number;
  };
  settings: PipelineSettings;
  clients: LocalAwsClients;
  /** The simulator, when the pipeline started one. */
  simulator?: Simulator;
  /** The AWS fault proxy the functions talk through, when `awsFaults` was given. */
  faults?: AwsFaultProxy;
  /** The functions' containers, when the pipeline runs them (`containers`). */
  containers?: LocalContainers;
  /** Every event tapped from the bus so far. */
  events: TappedEvent[];
  /** Runs the sweeper once now. */
  sweep(): Promise<unknown>;
  /**
   * Stops the played SQS source (a backlog: notifications wait in the queue); resolves once no
   * poll is in flight.
   */
  pauseChecker(): Promise<void>;
  /** Starts the played SQS source again. */
  resumeChecker(): void;
  /**
   * Stops the played stream source (records wait in the stream, their retries too); resolves once
   * no poll is in flight.
   */
  pauseNotifier(): Promise<void>;
  /** Starts the played stream source again. */
  resumeNotifier(): void;
  /** Stops the pollers and the server, and whatever the pipeline started. */
  stop(): Promise<void>;
}
