/**
 * When a piece of work must be done by. The checker makes one per record from the invocation's
 * remaining time and its budget (`functions/checker/budget.ts`) and hands it to every call the
 * record makes: undici takes the `signal`, the AWS SDK takes it as `abortSignal`.
 */
export interface Deadline {
  /** Aborts when the deadline passes. */
  readonly signal: AbortSignal;
  /** Milliseconds left before the deadline (0 or less once it has passed). */
  remainingMs(): number;
}

/**
 * A deadline `ms` from now on `clock`, whose signal comes from `timer` (tests pass a controlled one).
 * The signal and the clock are separate on purpose: `AbortSignal.timeout` runs on Node's own timers.
 */
export function deadlineIn(
  ms: number,
  clock: () => number = Date.now,
  timer: (ms: number) => AbortSignal = (delay) => AbortSignal.timeout(delay),
): Deadline {
  const endsAt = clock() + ms;
  const signal = timer(Math.max(0, ms));
  return { signal, remainingMs: () => (signal.aborted ? 0 : endsAt - clock()) };
}

/**
 * `work`'s result, or `aborted` as soon as `signal` aborts, whichever comes first. `work` itself
 * runs on: it may be shared with callers whose deadline has not passed.
 */
export async function untilAborted<T>(work: Promise<T>, signal: AbortSignal, aborted: T): Promise<T> {
  if (signal.aborted) return aborted;
  let onAbort: () => void = () => undefined;
  const whenAborted = new Promise<T>((resolve) => {
    onAbort = () => resolve(aborted);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, whenAborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
