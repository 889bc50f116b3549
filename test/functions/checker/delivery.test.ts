import { describe, expect, it } from 'vitest';
import { recordBudgetMs } from '../../../functions/checker/budget.js';
import { isLeaseOfMessage, leaseIdFor, recordTime } from '../../../functions/checker/delivery.js';
import { makeDeps } from './helpers.js';

/** Deps whose timer records each deadline asked for (never firing), on the fakes' fixed clock. */
function depsWithTimers() {
  const asked: number[] = [];
  const deps = makeDeps([]);
  return {
    asked,
    deps: {
      ...deps,
      deadlineSignal: (ms: number) => {
        asked.push(ms);
        return new AbortController().signal;
      },
    },
  };
}

describe('recordTime', () => {
  it("gives the record its budget when the invocation has more, and the outcome write the invocation's rest", () => {
    const { asked, deps } = depsWithTimers();
    const time = recordTime(900_000, deps);
    expect(asked).toEqual([recordBudgetMs(deps.config), 899_000]);
    expect(time.deadline.remainingMs()).toBe(recordBudgetMs(deps.config));
  });

  it('ends the record 5 s before the invocation when that comes first, and the outcome write 1 s before', () => {
    const { asked, deps } = depsWithTimers();
    const time = recordTime(20_000, deps);
    expect(asked).toEqual([15_000, 19_000]);
    expect(time.deadline.remainingMs()).toBe(15_000);
  });

  it('bounds the record with a real timer when no timer is given', () => {
    const deps = makeDeps([]);
    const time = recordTime(900_000, deps);
    expect(time.deadline.signal).toBeInstanceOf(AbortSignal);
    expect(time.deadline.signal.aborted).toBe(false);
    expect(time.deadline.remainingMs()).toBe(recordBudgetMs(deps.config));
    expect(time.writes).toBeInstanceOf(AbortSignal);
  });

  it('never aborts the outcome write of an invocation without an end', () => {
    const { asked, deps } = depsWithTimers();
    const time = recordTime(Number.POSITIVE_INFINITY, deps);
    expect(asked).toEqual([recordBudgetMs(deps.config)]);
    expect(time.writes.aborted).toBe(false);
  });
});

describe('leaseIdFor', () => {
  it('names the message and is unique to the delivery', () => {
    const [a, b] = [leaseIdFor('m-1'), leaseIdFor('m-1')];
    expect(a).toMatch(/^m-1\/[0-9a-f-]{36}$/);
    expect(a).not.toBe(b);
    expect(isLeaseOfMessage(a, 'm-1')).toBe(true);
  });

  it("tells another message's lease from a lease of this message, an older version's bare id included", () => {
    expect(isLeaseOfMessage(leaseIdFor('m-2'), 'm-1')).toBe(false);
    expect(isLeaseOfMessage(leaseIdFor('m-10'), 'm-1')).toBe(false);
    expect(isLeaseOfMessage('m-1', 'm-1')).toBe(true);
    expect(isLeaseOfMessage(undefined, 'm-1')).toBe(false);
  });
});
