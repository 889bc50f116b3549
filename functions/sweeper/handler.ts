import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { RetryableError } from '../../shared/errors.js';
import { SWEEPER_METRICS } from '../../shared/metric-names.js';
import { handleInvocation } from '../../shared/observability.js';
import { readConfig } from './config.js';
import { type SweepCounts, sweep } from './sweeper.js';
import { buildDeps } from './wiring.js';

// Cold start: a bad configuration fails the init with a message naming the variable.
const deps = buildDeps(readConfig());

/** Lambda entry for the schedule: settles expired uploads, unclaimed uploads and stale claims, a bounded batch per run. */
export async function handler(
  // EventBridge rules send a Scheduled Event, EventBridge Scheduler any input: neither is needed.
  _event: unknown,
  context?: Context,
): Promise<SweepCounts> {
  return await handleInvocation(deps, context, async () => {
    const counts = await sweep(deps);
    deps.metrics.addMetric(SWEEPER_METRICS.expired.metricName, MetricUnit.Count, counts.expired);
    deps.metrics.addMetric(SWEEPER_METRICS.failedStale.metricName, MetricUnit.Count, counts.failed);
    deps.metrics.addMetric('ChecksAwaitingChecker', MetricUnit.Count, counts.waiting);
    deps.metrics.addMetric(SWEEPER_METRICS.failedUnclaimed.metricName, MetricUnit.Count, counts.unclaimed);
    if (counts.errors > 0) {
      // Fail the run so the function's error alarm sees it; every write is conditional, a rerun is safe.
      throw new RetryableError(`sweep could not settle ${counts.errors} check(s)`);
    }
    return counts;
  });
}
