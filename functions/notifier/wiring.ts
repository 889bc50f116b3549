import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { systemClock } from '../../shared/clock.js';
import { createLogger, createMetrics } from '../../shared/observability.js';
import { awsClientOptions } from '../commons/aws-clients.js';
import type { NotifierDeps } from './deps.js';

/** AWS clients the notifier uses; tests and the local runtime may pass their own. */
export interface NotifierClients {
  eventBridge?: EventBridgeClient;
}

/** Builds the notifier's collaborators once per container. */
export function buildDeps(
  clients: NotifierClients = {},
): NotifierDeps & { logger: Logger; metrics: Metrics } {
  return {
    eventBridge: clients.eventBridge ?? new EventBridgeClient(awsClientOptions('notifier')),
    logger: createLogger('notifier'),
    metrics: createMetrics('notifier'),
    clock: systemClock,
  };
}
