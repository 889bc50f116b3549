import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { checkBatch } from './checker.js';
import { readConfig } from './config.js';
import { buildCheckerDeps } from './wiring.js';

// Once per cold start: a bad setting fails the init with a message naming the variable.
const deps = buildCheckerDeps(readConfig());

/** SQS batch of S3 notifications in, partial batch response out. */
export async function handler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  try {
    return await checkBatch(event, deps, {
      remainingMs: () => context?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY,
    });
  } finally {
    // A batch of only test events or duplicates has nothing to report; Powertools would warn.
    if (deps.metrics.hasStoredMetrics()) deps.metrics.publishStoredMetrics();
  }
}
