import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { handleInvocation } from '../../shared/observability.js';
import { readConfig } from './config.js';
import { publishFinalTransitions } from './notifier.js';
import { buildDeps } from './wiring.js';

// Cold start: a bad configuration fails the init with a message naming the variable.
const config = readConfig();
const deps = buildDeps();

/**
 * DynamoDB stream batch in, one EventBridge event per check that became final out. Failed records
 * come back as batch item failures (the event source mapping needs `ReportBatchItemFailures`);
 * every record failing is a valid answer too, not an exception.
 */
export async function handler(event: DynamoDBStreamEvent, context?: Context): Promise<DynamoDBBatchResponse> {
  return await handleInvocation(deps, context, () =>
    publishFinalTransitions(event.Records ?? [], deps, {
      eventBusName: config.eventBusName,
      eventSource: config.eventSource,
    }),
  );
}
