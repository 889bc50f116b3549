import type { FinalOutcome } from '../../shared/check.js';

/** A vendor answer this container paid for and has not written yet. */
export interface KeptOutcome {
  outcome: FinalOutcome;
  /** The lease the answer was paid under: its verdict is written under that lease's guard. */
  leaseId: string;
  /** Whether the message still goes on to the DLQ once the outcome is written (last receive). */
  toDlq: boolean;
}

/**
 * Vendor answers kept in the container's memory, by check and SQS message, until their verdict write
 * succeeds: a redelivery of the same message that lands on this container writes the answer, under
 * the lease it was paid under, without a second paid call. Bounded in count and age; an entry is only
 * ever written through that lease's guard, so one whose check another delivery took over is refused,
 * never wrong.
 */
export class OutcomeMemory {
  private readonly entries = new Map<string, KeptOutcome & { storedAtMs: number }>();
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;

  constructor(options: { maxEntries?: number; maxAgeMs?: number } = {}) {
    // Outcomes are a few hundred bytes; 500 of them is well under a megabyte.
    this.maxEntries = options.maxEntries ?? 500;
    // Longer than the queue's retry window with the stack's defaults (3 receives x 360 s visibility).
    this.maxAgeMs = options.maxAgeMs ?? 30 * 60_000;
  }

  /** How many answers are kept. */
  get size(): number {
    return this.entries.size;
  }

  remember(input: { checkId: string; messageId: string; nowMs: number } & KeptOutcome): void {
    const key = keyOf(input.checkId, input.messageId);
    this.entries.delete(key);
    this.entries.set(key, {
      outcome: input.outcome,
      leaseId: input.leaseId,
      toDlq: input.toDlq,
      storedAtMs: input.nowMs,
    });
    // Maps iterate in insertion order: the first key is the oldest.
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  recall(checkId: string, messageId: string, nowMs: number): KeptOutcome | undefined {
    const key = keyOf(checkId, messageId);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (nowMs - entry.storedAtMs > this.maxAgeMs) {
      this.entries.delete(key);
      return undefined;
    }
    return { outcome: entry.outcome, leaseId: entry.leaseId, toDlq: entry.toDlq };
  }

  forget(checkId: string, messageId: string): void {
    this.entries.delete(keyOf(checkId, messageId));
  }
}

function keyOf(checkId: string, messageId: string): string {
  return `${checkId}\u0000${messageId}`;
}
