import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { CheckRepository } from '../../shared/check-repository.js';
import { systemClock } from '../../shared/clock.js';
import { createLogger, createMetrics } from '../../shared/observability.js';
import { awsClientOptions } from '../commons/aws-clients.js';
import type { SweeperConfig } from './config.js';
import { createSelfieStore } from './selfie-store.js';
import type { SweeperDeps } from './sweeper.js';

/** AWS clients the sweeper uses; tests and the local runtime may pass their own. */
export interface SweeperClients {
  dynamodb?: DynamoDBClient;
  s3?: S3Client;
}

/** Builds the sweeper's collaborators once per container. */
export function buildDeps(
  config: SweeperConfig,
  clients: SweeperClients = {},
): SweeperDeps & { logger: Logger; metrics: Metrics } {
  const aws = awsClientOptions('sweeper');
  return {
    config,
    repository: new CheckRepository(
      clients.dynamodb ?? new DynamoDBClient(aws),
      config.tableName,
      config.retentionSeconds,
    ),
    selfies: createSelfieStore(clients.s3 ?? new S3Client(aws), config.selfieBucket),
    clock: systemClock,
    logger: createLogger('sweeper'),
    metrics: createMetrics('sweeper'),
  };
}
