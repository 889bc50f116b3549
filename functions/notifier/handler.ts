import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { createLogger, createMetrics } from '../../shared/observability.js';
import { readConfig } from './config.js';
import { publishFinalTransitions, systemClock } from './notifier.js';

const config = readConfig();
const logger = createLogger('notifier');
const metrics = createMetrics('notifier');
const eventBridge = new EventBridgeClient({});

/**
 * DynamoDB stream batch in, one EventBridge event per check that became final out. Failed records
 * come back as batch item failures (the event source mapping needs `ReportBatchItemFailures`);
 * every record failing is a valid answer too, not an exception.
 */
export const handler = async (
  event: DynamoDBStreamEvent,
  context: Context,
): Promise<DynamoDBBatchResponse> => {
  logger.addContext(context);
  try {
    return await publishFinalTransitions(
      event.Records ?? [],
      { eventBridge, logger, metrics, clock: systemClock },
      { eventBusName: config.eventBusName, eventSource: config.eventSource },
    );
  } finally {
    metrics.publishStoredMetrics();
  }
};
