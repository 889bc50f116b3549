import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { handleInvocation } from '../../shared/observability.js';
import { checkBatch } from './checker.js';
import { readConfig } from './config.js';
import { buildDeps } from './wiring.js';

// Once per cold start: a bad setting fails the init with a message naming the variable.
const deps = buildDeps(readConfig());

/** SQS batch of S3 notifications in, partial batch response out. */
export async function handler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  return await handleInvocation(deps, context, () =>
    checkBatch(event, deps, {
      remainingMs: () => context?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY,
    }),
  );
}
