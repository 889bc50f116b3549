/**
 * Waiting for a verdict by polling `GET /checks/{checkId}`: a first read after the usual verdict
 * time, then a growing interval up to a cap, never sooner than a `Retry-After` asks, until a deadline.
 * Events on EventBridge are the primary way a backend learns a verdict; polling is for the app's screen.
 */
import { isFinalStatus } from '../shared/check.js';
import type { Clock } from '../shared/clock.js';
import {
  ApiError,
  ApiServerError,
  NetworkError,
  RateLimitedError,
  ServiceUnavailableError,
  VerdictTimeoutError,
} from './errors.js';
import type { CheckView } from './types.js';

/** How to poll; every field has a default. */
export interface PollingOptions {
  /** The first read, after the upload. @default 1000 */
  initialDelayMs?: number;
  /** Each next interval is the last one times this. @default 1.5 */
  backoff?: number;
  /** The longest interval. @default 5000 */
  maxIntervalMs?: number;
  /** Give up (a {@link VerdictTimeoutError}) after this long. @default 60000 */
  timeoutMs?: number;
}

/** Options of one wait. */
export interface WaitOptions extends PollingOptions {
  signal?: AbortSignal;
  /**
   * Called with the check as each successful read answers it ({@link CheckView}, as
   * `GET /checks/{checkId}` gives it): `status` is `AWAITING_UPLOAD` until the upload's notification
   * lands, then `CHECKING`, and last the final status, which the wait also returns. A read that fails
   * and is retried calls nothing; a throw from the callback ends the wait with that error.
   */
  onStatus?: (check: CheckView) => void;
}

/** The defaults: reads 1, 2.5, 4.75, 8.1 and 13.1 s after the upload, then every 5 s, for a minute (15 reads). */
export const DEFAULT_POLLING: Required<PollingOptions> = {
  initialDelayMs: 1000,
  backoff: 1.5,
  maxIntervalMs: 5000,
  timeoutMs: 60_000,
};

/**
 * Reads the check until its status is final; answers the final view. Retries what may pass
 * (network errors, 429, 5xx) within the deadline, waiting at least what `Retry-After` asks; throws
 * anything else at once (a wrong id, a refused token), and the signal's reason when aborted.
 */
export async function pollUntilFinal(
  read: (signal: AbortSignal | undefined) => Promise<CheckView>,
  checkId: string,
  clock: Clock,
  options: WaitOptions = {},
): Promise<CheckView> {
  const { initialDelayMs, backoff, maxIntervalMs, timeoutMs } = {
    ...DEFAULT_POLLING,
    ...definedOnly(options),
  };
  const { signal, onStatus } = options;
  const now = () => clock.now().getTime();
  const deadline = now() + timeoutMs;
  let interval = initialDelayMs;
  let wait = initialDelayMs;
  let askedToWait = false;
  let lastStatus: string | undefined;
  for (;;) {
    const left = deadline - now();
    if (wait > left) {
      // A Retry-After past the deadline is honoured by giving up, never by asking early.
      if (askedToWait) throw new VerdictTimeoutError(checkId, lastStatus);
      wait = Math.max(0, left);
    }
    await sleep(clock, wait, signal);
    let retryAfter = 0;
    let failure: unknown;
    try {
      const check = await read(signal);
      lastStatus = check.status;
      onStatus?.(check);
      if (isFinalStatus(check.status)) return check;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (!isRetryable(error)) throw error;
      failure = error;
      retryAfter = error instanceof ApiError ? (error.retryAfterMs ?? 0) : 0;
    }
    if (now() >= deadline)
      throw new VerdictTimeoutError(
        checkId,
        lastStatus,
        failure === undefined ? undefined : { cause: failure },
      );
    interval = Math.min(interval * backoff, maxIntervalMs);
    askedToWait = retryAfter > interval;
    wait = Math.max(interval, retryAfter);
  }
}

function isRetryable(error: unknown): boolean {
  return (
    error instanceof NetworkError ||
    error instanceof RateLimitedError ||
    error instanceof ServiceUnavailableError ||
    error instanceof ApiServerError
  );
}

/** Sleeps on the given clock; an abort ends the sleep at once with the signal's reason. */
async function sleep(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) throw signal.reason;
  if (!signal) return await clock.sleep(ms);
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([clock.sleep(ms), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
