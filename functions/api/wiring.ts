import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { CheckRepository } from '../../shared/check-repository.js';
import { systemClock } from '../../shared/clock.js';
import { createLogger } from '../../shared/observability.js';
import { awsClientOptions } from '../commons/aws-clients.js';
import type { ApiDeps } from './app.js';
import type { ApiConfig } from './config.js';
import { OwnerLimits } from './owner-limits.js';
import { createUploadPresigner } from './presign.js';

/** AWS clients the api uses; tests and the local runtime may pass their own. */
export interface ApiClients {
  s3?: S3Client;
  dynamodb?: DynamoDBClient;
}

/** Builds the api's collaborators once per container. */
export function buildDeps(config: ApiConfig, clients: ApiClients = {}): ApiDeps & { logger: Logger } {
  const aws = awsClientOptions('api');
  const dynamodb = clients.dynamodb ?? new DynamoDBClient(aws);
  const repository = new CheckRepository(dynamodb, config.tableName, config.retentionSeconds);
  return {
    config,
    repository,
    limits: new OwnerLimits(dynamodb, config.tableName, repository, config.limits, config.retentionSeconds),
    presigner: createUploadPresigner(clients.s3 ?? new S3Client(aws), config.selfieBucket),
    clock: systemClock,
    idGenerator: randomUUID,
    logger: createLogger('api'),
  };
}
