import { describe, expect, it } from 'vitest';
import { OutcomeMemory } from '../../../functions/checker/outcome-memory.js';
import type { FinalOutcome } from '../../../shared/check.js';

const passed = (transactionId: string): FinalOutcome => ({
  status: 'PASSED',
  result: { valid: true, transactionId },
});

describe('OutcomeMemory', () => {
  it('recalls an answer by check and message only, with the lease it was paid under', () => {
    const memory = new OutcomeMemory();
    memory.remember({
      checkId: 'c1',
      messageId: 'm1',
      leaseId: 'm1/a',
      outcome: passed('1'),
      toDlq: false,
      nowMs: 0,
    });
    expect(memory.recall('c1', 'm1', 1)).toEqual({ outcome: passed('1'), leaseId: 'm1/a', toDlq: false });
    expect(memory.recall('c1', 'm2', 1)).toBeUndefined();
    expect(memory.recall('c2', 'm1', 1)).toBeUndefined();
  });

  it('forgets an answer once written', () => {
    const memory = new OutcomeMemory();
    memory.remember({
      checkId: 'c1',
      messageId: 'm1',
      leaseId: 'm1/a',
      outcome: passed('1'),
      toDlq: false,
      nowMs: 0,
    });
    memory.forget('c1', 'm1');
    expect(memory.recall('c1', 'm1', 1)).toBeUndefined();
  });

  it('drops answers older than its maximum age', () => {
    const memory = new OutcomeMemory({ maxEntries: 10, maxAgeMs: 1_000 });
    memory.remember({
      checkId: 'c1',
      messageId: 'm1',
      leaseId: 'm1/a',
      outcome: passed('1'),
      toDlq: false,
      nowMs: 0,
    });
    expect(memory.recall('c1', 'm1', 1_000)).toBeDefined();
    expect(memory.recall('c1', 'm1', 1_001)).toBeUndefined();
  });

  it('holds at most its bound, dropping the oldest first', () => {
    const memory = new OutcomeMemory({ maxEntries: 2, maxAgeMs: 60_000 });
    for (const id of ['a', 'b', 'c'])
      memory.remember({
        checkId: id,
        messageId: 'm',
        leaseId: 'm/a',
        outcome: passed(id),
        toDlq: false,
        nowMs: 0,
      });
    expect(memory.size).toBe(2);
    expect(memory.recall('a', 'm', 1)).toBeUndefined();
    expect(memory.recall('c', 'm', 1)).toBeDefined();
  });
});
