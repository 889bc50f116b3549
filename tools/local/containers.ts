/**
 * Lambda's containers for the local pipeline: each function's deployed bundle runs in processes of
 * its own (on Node 24, the Lambda runtime's major), one invocation at a time per process, with only
 * the environment the stack gives that function. As in Lambda:
 * - a container starts cold (the bundle's module scope runs once) and is reused warm afterwards,
 *   keeping what it holds in memory (clients, cached tokens, vendor answers not yet written);
 * - an invocation still running at the function's timeout is killed with its process (Lambda resets
 *   the sandbox), and the caller gets `Task timed out`;
 * - containers are recycled: after a number of invocations, or at random from a seed;
 * - a container can be crashed at any moment (`crash`), as a sandbox dies: everything in flight in
 *   it is lost, its sockets close, nothing it had not written is written.
 * See docs/local.md, "Containers".
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../seeded-random.js';

const HOST = fileURLToPath(new URL('./container-host.mjs', import.meta.url));

/**
 * How long a cold start may take before the container is given up. Lambda's init limit is 10 s; a
 * loaded two-core machine starting ten containers at once needs more, and init time is not what the
 * local pipeline tests.
 */
const INIT_TIMEOUT_MS = 30_000;

/** How containers are recycled. */
export interface RecyclePolicy {
  /** A container is retired after this many invocations. @default never */
  afterInvocations?: number;
  /** After each invocation, the chance (0 to 1) that its container is retired. @default 0 */
  rate?: number;
  /** Seed of the random recycling. @default 1 */
  seed?: number;
}

/** One function's containers. */
export interface FunctionContainersOptions {
  /** The function's name, for logs and the Lambda context. */
  name: string;
  /** The Node binary (Node 24 for the Lambda runtime's major). */
  node: string;
  /** The bundle's entry (`<bundles>/<name>/index.mjs`). */
  bundle: string;
  /** The container's whole environment: nothing of the parent's is inherited. */
  environment: Record<string, string>;
  /** The function's timeout: an invocation still running then is killed with its container. */
  timeoutSeconds: number;
  /** At most this many containers at once; more invocations wait for one. @default 10 */
  maxContainers?: number;
  recycle?: RecyclePolicy;
  /** Where the functions' own logs go. @default this process's stdout and stderr */
  logs?: 'forward' | 'ignore';
}

/** An invocation running in a container, as {@link FunctionContainers.running} lists it. */
export interface RunningInvocation {
  function: string;
  /** The container's process id. */
  pid: number;
  /** The container's number, from 1, in start order. */
  container: number;
  /** Epoch ms when the event was handed to the container. */
  startedAt: number;
  event: unknown;
}

/** What one function's containers did so far. */
export interface ContainerStats {
  /** Containers started (each a cold start). */
  coldStarts: number;
  invocations: number;
  /** Invocations killed at the function's timeout. */
  timeouts: number;
  /** Containers killed by {@link FunctionContainers.crash}. */
  crashes: number;
  /** Containers retired by the recycle policy. */
  recycles: number;
  /** Containers that died on their own (an unhandled error that ended the process, an init failure). */
  exits: number;
}

/** The error of an invocation whose container died, as Lambda names it. */
export class ContainerInvocationError extends Error {
  constructor(
    message: string,
    /** `Sandbox.Timedout`, `Runtime.ExitError` or the handler's own error name. */
    readonly errorType: string,
  ) {
    super(message);
    this.name = 'ContainerInvocationError';
  }
}

interface Container {
  number: number;
  child: ChildProcess;
  ready: Promise<void>;
  invocations: number;
  current?: {
    id: number;
    info: RunningInvocation;
    resolve: (value: unknown) => void;
    reject: (error: Error) => void;
    timer: NodeJS.Timeout;
  };
  /** Set once the container must take no more invocations (dead, killed or retired). */
  gone: boolean;
}

/** The containers of one function. */
export class FunctionContainers {
  private readonly idle: Container[] = [];
  private readonly all = new Set<Container>();
  private readonly waiting: (() => void)[] = [];
  private readonly random: () => number;
  private started = 0;
  private nextId = 1;
  private stopped = false;
  private readonly counts: ContainerStats = {
    coldStarts: 0,
    invocations: 0,
    timeouts: 0,
    crashes: 0,
    recycles: 0,
    exits: 0,
  };

  constructor(private readonly options: FunctionContainersOptions) {
    this.random = mulberry32(options.recycle?.seed ?? 1);
  }

  /** Invokes the function with `event` in a warm container, or a new one; resolves with its result. */
  async invoke(event: unknown): Promise<unknown> {
    if (this.stopped) throw new Error(`local ${this.options.name} containers are stopped`);
    const container = await this.acquire();
    try {
      await container.ready;
    } catch (error) {
      this.release(container);
      throw error;
    }
    return await new Promise<unknown>((resolve, reject) => {
      const id = this.nextId++;
      const startedAt = Date.now();
      const timeoutMs = this.options.timeoutSeconds * 1000;
      const timer = setTimeout(() => {
        this.counts.timeouts++;
        this.kill(
          container,
          new ContainerInvocationError(
            `Task timed out after ${this.options.timeoutSeconds.toFixed(2)} seconds`,
            'Sandbox.Timedout',
          ),
        );
      }, timeoutMs);
      container.current = {
        id,
        info: {
          function: this.options.name,
          pid: container.child.pid ?? 0,
          container: container.number,
          startedAt,
          event,
        },
        resolve,
        reject,
        timer,
      };
      this.counts.invocations++;
      container.invocations++;
      container.child.send({ type: 'invoke', id, event, deadline: startedAt + timeoutMs });
    });
  }

  /** The invocations running now. */
  running(): RunningInvocation[] {
    return [...this.all].flatMap((c) => (c.current && !c.gone ? [c.current.info] : []));
  }

  /**
   * Kills, at once (SIGKILL), every container whose running invocation `where` selects: its
   * invocation fails with `Runtime.ExitError`, as when a Lambda sandbox dies. Returns those invocations.
   */
  crash(where: (invocation: RunningInvocation) => boolean): RunningInvocation[] {
    const killed: RunningInvocation[] = [];
    for (const container of this.all) {
      const info = container.current?.info;
      if (!info || container.gone || !where(info)) continue;
      killed.push(info);
      this.counts.crashes++;
      this.kill(
        container,
        new ContainerInvocationError(
          `RequestId: ${container.current?.id} Error: Runtime exited with signal: SIGKILL`,
          'Runtime.ExitError',
        ),
      );
    }
    return killed;
  }

  stats(): ContainerStats {
    return { ...this.counts };
  }

  /** Kills every container; invocations still running fail. */
  async stop(): Promise<void> {
    this.stopped = true;
    const exits = [...this.all].map((c) => exited(c.child));
    for (const container of this.all)
      this.kill(container, new ContainerInvocationError('local pipeline stopped', 'Runtime.ExitError'));
    for (const wake of this.waiting.splice(0)) wake();
    await Promise.all(exits);
  }

  private async acquire(): Promise<Container> {
    for (;;) {
      const warm = this.idle.pop();
      if (warm && !warm.gone) return warm;
      if (warm) continue;
      if (this.liveCount() < (this.options.maxContainers ?? 10)) return this.start();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      if (this.stopped) throw new Error(`local ${this.options.name} containers are stopped`);
    }
  }

  private liveCount(): number {
    return [...this.all].filter((c) => !c.gone).length;
  }

  private start(): Container {
    const { options } = this;
    this.counts.coldStarts++;
    const number = ++this.started;
    const forward = (options.logs ?? 'forward') === 'forward';
    const child = spawn(options.node, [HOST, options.bundle, `local-${options.name}`], {
      env: options.environment,
      stdio: ['ignore', forward ? 'pipe' : 'ignore', forward ? 'pipe' : 'ignore', 'ipc'],
    });
    if (forward) {
      child.stdout?.on('data', (chunk: Buffer) => process.stdout.write(chunk));
      child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    }
    const container: Container = {
      number,
      child,
      invocations: 0,
      gone: false,
      ready: new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.kill(container, new Error(`local ${options.name} container did not start in time`));
          reject(new Error(`local ${options.name} container did not start in ${INIT_TIMEOUT_MS} ms`));
        }, INIT_TIMEOUT_MS);
        const settle = (error?: Error) => {
          clearTimeout(timer);
          child.off('message', onReady);
          child.off('exit', onEarlyExit);
          if (error) reject(error);
          else resolve();
        };
        const onReady = (message: { type?: string; error?: { name: string; message: string } }) => {
          if (message?.type === 'ready') settle();
          if (message?.type === 'init-error')
            settle(
              new ContainerInvocationError(
                `${options.name} init failed: ${message.error?.name}: ${message.error?.message}`,
                'Runtime.InitError',
              ),
            );
        };
        const onEarlyExit = (code: number | null, signal: string | null) =>
          settle(new Error(`local ${options.name} container exited at start (${signal ?? code})`));
        child.on('message', onReady);
        child.once('exit', onEarlyExit);
      }),
    };
    // A container that fails at start is not reused; the failing invocation reports why.
    container.ready.catch(() => undefined);
    this.all.add(container);
    child.on('message', (message: { type?: string; id?: number; result?: unknown; error?: Error }) =>
      this.answered(container, message),
    );
    child.on('error', (error) => this.kill(container, error));
    child.once('exit', (code, signal) => {
      if (!container.gone) {
        this.counts.exits++;
        this.kill(
          container,
          new ContainerInvocationError(
            `Runtime exited with ${signal ? `signal: ${signal}` : `error: exit status ${code}`}`,
            'Runtime.ExitError',
          ),
        );
      }
      this.all.delete(container);
    });
    return container;
  }

  private answered(
    container: Container,
    message: { type?: string; id?: number; result?: unknown; error?: { name?: string; message?: string } },
  ): void {
    const current = container.current;
    if (!current || message.id !== current.id || container.gone) return;
    if (message.type !== 'result' && message.type !== 'error') return;
    clearTimeout(current.timer);
    container.current = undefined;
    if (message.type === 'result') current.resolve(message.result);
    else {
      const error = new Error(message.error?.message ?? 'handler failed');
      error.name = message.error?.name ?? 'Error';
      current.reject(error);
    }
    const { recycle } = this.options;
    const retire =
      (recycle?.afterInvocations !== undefined && container.invocations >= recycle.afterInvocations) ||
      (recycle?.rate !== undefined && recycle.rate > 0 && this.random() < recycle.rate);
    if (retire) {
      this.counts.recycles++;
      container.gone = true;
      // Lambda shuts an idle sandbox down when it likes; here at once, so the next invocation starts cold.
      container.child.kill('SIGTERM');
    } else {
      this.idle.push(container);
    }
    this.release(container);
  }

  /** A slot may be free: wakes one waiting invocation. */
  private release(_container: Container): void {
    this.waiting.shift()?.();
  }

  private kill(container: Container, error: Error): void {
    const wasGone = container.gone;
    container.gone = true;
    const current = container.current;
    container.current = undefined;
    if (current) {
      clearTimeout(current.timer);
      current.reject(error);
    }
    if (container.child.exitCode === null && container.child.signalCode === null)
      container.child.kill('SIGKILL');
    if (!wasGone) this.release(container);
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
