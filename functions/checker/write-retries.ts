/** A final write's own retries: AWS faults are retried while the invocation has time for them. */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { describeError, RetryableError } from '../../shared/errors.js';
import type { CheckerDeps, Delivery, StepLogger } from './context.js';

/** Time a final write leaves for the selfie delete and the batch response. */
const WRITE_RESERVE_MS = 3_000;
/** At most this long asleep between the attempts of one final write, whatever the budget. */
const WRITE_RETRY_WINDOW_MS = 15_000;
const WRITE_BACKOFF_BASE_MS = 100;
const WRITE_BACKOFF_CAP_MS = 2_000;

/** What a final write's retries need of the object's context: the invocation's time, a logger, the clock. */
export interface WriteStep {
  delivery: Pick<Delivery, 'invocation'>;
  logger: StepLogger;
  deps: Pick<CheckerDeps, 'metrics' | 'clock'>;
}

/**
 * Runs a final write, and again after a retryable AWS fault (throttling, 5xx, network) with growing
 * jittered backoff, while the invocation has time for it (the SDK's own 3 attempts are inside each).
 * A write refused for good, or out of time, throws for the caller's catch.
 */
export async function withWriteRetries<T>(write: () => Promise<T>, step: WriteStep): Promise<T> {
  const { delivery, logger, deps } = step;
  let slept = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      const ceiling = Math.min(WRITE_BACKOFF_CAP_MS, WRITE_BACKOFF_BASE_MS * 2 ** (attempt - 1));
      // Equal jitter: at least half the ceiling, so the waits keep growing.
      const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
      const retry =
        error instanceof RetryableError &&
        slept + delay <= WRITE_RETRY_WINDOW_MS &&
        delivery.invocation.remainingMs() - delay >= WRITE_RESERVE_MS;
      if (!retry) throw error;
      logger.warn('final write will be retried', { attempt, error: describeError(error) });
      deps.metrics.addMetric('FinalWriteRetries', MetricUnit.Count, 1);
      await deps.clock.sleep(delay);
      slept += delay;
    }
  }
}
