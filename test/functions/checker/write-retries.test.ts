import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CheckerDeps, Invocation } from '../../../functions/checker/context.js';
import { withWriteRetries } from '../../../functions/checker/write-retries.js';
import { RetryableError, TerminalError } from '../../../shared/errors.js';
import { makeDeps } from './helpers.js';

/** A write that fails retryably `failures` times, then answers `done`. */
function flakyWrite(failures: number) {
  let calls = 0;
  const write = async () => {
    calls++;
    if (calls <= failures) throw new RetryableError('DynamoDB UpdateItem failed with ThrottlingException');
    return 'done';
  };
  return { write, calls: () => calls };
}

const ENDLESS = { remainingMs: () => Number.POSITIVE_INFINITY };

/** The write's step: the invocation's time, the deps' logger and clock. */
function step(invocation: Invocation, deps: CheckerDeps) {
  return { delivery: { invocation }, logger: deps.logger, deps };
}

function depsWithMetrics(): CheckerDeps & { sleeps: number[]; retriesCounted: () => number } {
  const deps = makeDeps([]);
  const addMetric = vi.spyOn(deps.metrics, 'addMetric');
  return {
    ...deps,
    retriesCounted: () => addMetric.mock.calls.filter(([name]) => name === 'FinalWriteRetries').length,
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('withWriteRetries', () => {
  it('returns the first answer without waiting', async () => {
    const deps = depsWithMetrics();
    const { write, calls } = flakyWrite(0);
    await expect(withWriteRetries(write, step(ENDLESS, deps))).resolves.toBe('done');
    expect(calls()).toBe(1);
    expect(deps.sleeps).toEqual([]);
  });

  it('waits at least half of a ceiling that doubles from 100 ms up to 2 s', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const deps = depsWithMetrics();
    const { write } = flakyWrite(7);
    await expect(withWriteRetries(write, step(ENDLESS, deps))).resolves.toBe('done');
    expect(deps.sleeps).toEqual([50, 100, 200, 400, 800, 1_000, 1_000]);
    expect(deps.retriesCounted()).toBe(7);
  });

  it('adds up to the other half of the ceiling as jitter', async () => {
    const deps = depsWithMetrics();
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const { write } = flakyWrite(6);
    await withWriteRetries(write, step(ENDLESS, deps));
    expect(deps.sleeps).toEqual([75, 150, 300, 600, 1_200, 1_500]);
  });

  it('sleeps at most 15 s in all between the attempts of one write, then throws its error', async () => {
    // Waits of half the ceiling: 50 + 100 + 200 + 400 + 800 ms, then 1 s twelve times (13,550 ms); a
    // jittered wait of 1,450 ms brings the total to exactly 15 s, still allowed; the next is not.
    const random = [...Array<number>(17).fill(0), 0.45];
    vi.spyOn(Math, 'random').mockImplementation(() => random.shift() ?? 0);
    const deps = depsWithMetrics();
    const { write, calls } = flakyWrite(30);
    await expect(withWriteRetries(write, step(ENDLESS, deps))).rejects.toThrow(RetryableError);
    expect(deps.sleeps.reduce((sum, ms) => sum + ms, 0)).toBe(15_000);
    expect(deps.sleeps.at(-1)).toBe(1_450);
    expect(deps.sleeps).toHaveLength(18);
    expect(calls()).toBe(19);
  });

  it('retries only while the invocation keeps 3 s after the wait', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const deps = depsWithMetrics();
    const { write, calls } = flakyWrite(5);
    // 3,050 ms left: the first wait (50 ms) leaves exactly 3 s; the second (100 ms) would not.
    await expect(withWriteRetries(write, step({ remainingMs: () => 3_050 }, deps))).rejects.toThrow(
      RetryableError,
    );
    expect(deps.sleeps).toEqual([50]);
    expect(calls()).toBe(2);
  });

  it('never retries a write refused for good', async () => {
    const deps = depsWithMetrics();
    let calls = 0;
    const write = async () => {
      calls++;
      throw new TerminalError('DynamoDB UpdateItem failed with ValidationException');
    };
    await expect(withWriteRetries(write, step(ENDLESS, deps))).rejects.toThrow(TerminalError);
    expect(calls).toBe(1);
    expect(deps.sleeps).toEqual([]);
    expect(deps.retriesCounted()).toBe(0);
  });
});
