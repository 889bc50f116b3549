import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { CheckRepository } from '../../shared/check-repository.js';
import { createLogger } from '../../shared/observability.js';
import { type ApiResponse, createApi } from './app.js';
import { readConfig } from './config.js';
import { createUploadPresigner } from './presign.js';

// Cold start: a bad configuration fails the init with a message naming the variable.
const config = readConfig();
const logger = createLogger('api');
const api = createApi({
  config,
  repository: new CheckRepository(new DynamoDBClient({}), config.tableName, config.retentionSeconds),
  presigner: createUploadPresigner(new S3Client({}), config.selfieBucket),
  clock: () => new Date(),
  idGenerator: randomUUID,
  logger,
});

/** Lambda entry for the HTTP API (payload format 2.0): `POST /checks`, `GET /checks/{checkId}`. */
export async function handler(event: APIGatewayProxyEventV2, context: Context): Promise<ApiResponse> {
  logger.addContext(context);
  return await api(event);
}
