import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { CheckRepository } from '../../shared/check-repository.js';
import { RetryableError } from '../../shared/errors.js';
import { createLogger, createMetrics } from '../../shared/observability.js';
import { readConfig } from './config.js';
import { type SweepCounts, sweep } from './sweeper.js';

// Cold start: a bad configuration fails the init with a message naming the variable.
const config = readConfig();
const logger = createLogger('sweeper');
const metrics = createMetrics('sweeper');
const repository = new CheckRepository(new DynamoDBClient({}), config.tableName, config.retentionSeconds);

/** Lambda entry for the schedule: settles expired uploads and stale claims, a bounded batch per run. */
export async function handler(
  // EventBridge rules send a Scheduled Event, EventBridge Scheduler any input: neither is needed.
  _event: unknown,
  context: Context,
): Promise<SweepCounts> {
  logger.addContext(context);
  try {
    const counts = await sweep({ config, repository, clock: () => new Date(), logger });
    metrics.addMetric('ChecksExpired', MetricUnit.Count, counts.expired);
    metrics.addMetric('ChecksFailedStale', MetricUnit.Count, counts.failed);
    if (counts.errors > 0) {
      // Fail the run so the function's error alarm sees it; every write is conditional, a rerun is safe.
      throw new RetryableError(`sweep could not settle ${counts.errors} check(s)`);
    }
    return counts;
  } finally {
    metrics.publishStoredMetrics();
  }
}
