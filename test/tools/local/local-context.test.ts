import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { localContext } from '../../../tools/local/local-context.js';

describe('localContext', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-11-30T06:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("runs the remaining time down from the function's timeout, as Lambda does", () => {
    const context = localContext('checker', 60);
    expect(context.getRemainingTimeInMillis()).toBe(60_000);

    vi.advanceTimersByTime(45_000);
    expect(context.getRemainingTimeInMillis()).toBe(15_000);

    vi.advanceTimersByTime(20_000);
    expect(context.getRemainingTimeInMillis()).toBe(0);
  });
});
