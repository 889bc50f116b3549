import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ContainerInvocationError, FunctionContainers } from '../../../tools/local/containers.js';
import { ensureNode24, NODE24_VERSION } from '../../../tools/node24.js';

/**
 * A bundle as small as a function's: its module scope counts cold starts, and the event says what
 * the invocation does (answer, wait, throw, exit).
 */
const BUNDLE = `
let invocations = 0;
const coldStartedAt = Date.now();
export async function handler(event, context) {
  invocations += 1;
  if (event.wait) await new Promise((resolve) => setTimeout(resolve, event.wait));
  if (event.throw) throw new TypeError(event.throw);
  if (event.exit) process.exit(3);
  return {
    node: process.version,
    pid: process.pid,
    invocations,
    coldStartedAt,
    remainingMs: context.getRemainingTimeInMillis(),
    env: Object.keys(process.env).sort(),
    functionName: context.functionName,
  };
}
`;

interface Answer {
  node: string;
  pid: number;
  invocations: number;
  remainingMs: number;
  env: string[];
  functionName: string;
}

describe('FunctionContainers', () => {
  let node: string;
  let dir: string;
  let bundle: string;
  const pools: FunctionContainers[] = [];

  beforeAll(async () => {
    node = await ensureNode24();
    dir = mkdtempSync(join(tmpdir(), 'liveness-containers-'));
    mkdirSync(join(dir, 'fn'));
    bundle = join(dir, 'fn', 'index.mjs');
    writeFileSync(bundle, BUNDLE);
  }, 120_000);
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.stop()));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const containers = (options: Partial<ConstructorParameters<typeof FunctionContainers>[0]> = {}) => {
    const pool = new FunctionContainers({
      name: 'fn',
      node,
      bundle,
      environment: { TABLE_NAME: 'checks', PATH: process.env.PATH ?? '' },
      timeoutSeconds: 5,
      logs: 'ignore',
      ...options,
    });
    pools.push(pool);
    return pool;
  };
  const invoke = async (pool: FunctionContainers, event: object = {}) => (await pool.invoke(event)) as Answer;
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it(`runs the bundle on Node ${NODE24_VERSION} in a process of its own with only the environment given`, async () => {
    const answer = await invoke(containers());
    expect(answer.node).toBe(`v${NODE24_VERSION}`);
    expect(answer.pid).not.toBe(process.pid);
    expect(answer.functionName).toBe('local-fn');
    // Node adds NODE_CHANNEL_* for the IPC channel; nothing of this process's environment leaks in.
    expect(answer.env.filter((name) => !name.startsWith('NODE_CHANNEL'))).toEqual(['PATH', 'TABLE_NAME']);
    expect(answer.remainingMs).toBeGreaterThan(3000);
    expect(answer.remainingMs).toBeLessThanOrEqual(5000);
  });

  it('reuses a warm container, keeping its module state, and starts one more for a concurrent invocation', async () => {
    const pool = containers();
    const first = await invoke(pool);
    const second = await invoke(pool);
    expect(second).toMatchObject({ pid: first.pid, invocations: 2 });
    const [a, b] = await Promise.all([invoke(pool, { wait: 200 }), invoke(pool, { wait: 200 })]);
    expect(new Set([a.pid, b.pid]).size).toBe(2);
    expect(pool.stats()).toMatchObject({ coldStarts: 2, invocations: 4 });
  });

  it('waits for a container when the limit is reached', async () => {
    const pool = containers({ maxContainers: 1 });
    const answers = await Promise.all([invoke(pool, { wait: 100 }), invoke(pool, { wait: 100 })]);
    expect(answers.map((a) => a.invocations).sort()).toEqual([1, 2]);
    expect(pool.stats().coldStarts).toBe(1);
  });

  it('kills an invocation still running at the timeout with its process, and starts the next one cold', async () => {
    const pool = containers({ timeoutSeconds: 1 });
    const { pid } = await invoke(pool);
    const timedOut = pool.invoke({ wait: 60_000 });
    await expect(timedOut).rejects.toThrow('Task timed out after 1.00 seconds');
    await expect(timedOut).rejects.toMatchObject({ errorType: 'Sandbox.Timedout' });
    await expect.poll(() => alive(pid)).toBe(false);
    const next = await invoke(pool);
    expect(next.pid).not.toBe(pid);
    expect(next.invocations).toBe(1);
    expect(pool.stats()).toMatchObject({ timeouts: 1, coldStarts: 2 });
  });

  it('crashes the container of a chosen running invocation and leaves the others running', async () => {
    const pool = containers();
    const doomed = pool.invoke({ wait: 1000, id: 'doomed' });
    const spared = pool.invoke({ wait: 1000, id: 'spared' });
    await expect.poll(() => pool.running().length).toBe(2);
    const killed = pool.crash((invocation) => (invocation.event as { id: string }).id === 'doomed');
    expect(killed.map((k) => k.event)).toEqual([{ wait: 1000, id: 'doomed' }]);
    await expect(doomed).rejects.toBeInstanceOf(ContainerInvocationError);
    await expect(doomed).rejects.toMatchObject({ errorType: 'Runtime.ExitError' });
    await expect.poll(() => alive(killed[0]?.pid ?? 0)).toBe(false);
    await expect(spared).resolves.toMatchObject({ invocations: 1 });
    expect(pool.stats()).toMatchObject({ crashes: 1 });
  });

  it('retires a container after the set number of invocations', async () => {
    const pool = containers({ recycle: { afterInvocations: 2 } });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await invoke(pool));
    expect(answers.map((a) => a.invocations)).toEqual([1, 2, 1, 2, 1]);
    expect(new Set(answers.map((a) => a.pid)).size).toBe(3);
    expect(pool.stats()).toMatchObject({ recycles: 2, coldStarts: 3 });
  });

  it('retires containers at random, the same ones for the same seed', async () => {
    const pattern = async (seed: number) => {
      const pool = containers({ recycle: { rate: 0.5, seed } });
      const counts = [];
      for (let i = 0; i < 8; i++) counts.push((await invoke(pool)).invocations);
      return counts;
    };
    const first = await pattern(42);
    expect(await pattern(42)).toEqual(first);
    // A rate of one half retires some containers and keeps some.
    expect(first.filter((n) => n === 1).length).toBeGreaterThan(1);
    expect(first.some((n) => n > 1)).toBe(true);
  });

  it("reports the handler's error and keeps the container; a process that exits fails its invocation", async () => {
    const pool = containers();
    const { pid } = await invoke(pool);
    await expect(pool.invoke({ throw: 'bad event' })).rejects.toMatchObject({
      name: 'TypeError',
      message: 'bad event',
    });
    expect((await invoke(pool)).pid).toBe(pid);
    await expect(pool.invoke({ exit: true })).rejects.toMatchObject({ errorType: 'Runtime.ExitError' });
    expect(pool.stats()).toMatchObject({ exits: 1 });
    expect((await invoke(pool)).pid).not.toBe(pid);
  });

  it('fails an invocation whose bundle cannot load, naming the init error', async () => {
    const broken = join(dir, 'broken.mjs');
    writeFileSync(broken, 'throw new Error("missing TABLE_NAME");\n');
    await expect(containers({ bundle: broken }).invoke({})).rejects.toThrow(
      'fn init failed: Error: missing TABLE_NAME',
    );
  });
});
