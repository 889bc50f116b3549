import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { TokenRefreshRequest } from '../../shared/apptenticate/access-token-provider.js';
import { createAuthorizedLivenessChecker } from '../../shared/apptenticate/authorized-liveness.js';
import { ApptenticateClient } from '../../shared/apptenticate/client.js';
import { CheckRepository } from '../../shared/check-repository.js';
import { systemClock } from '../../shared/clock.js';
import { createLogger, createMetrics } from '../../shared/observability.js';
import { awsClientOptions } from '../commons/aws-clients.js';
import { vendorCallMs } from './budget.js';
import type { CheckerConfig } from './config.js';
import type { CheckerDeps } from './context.js';
import { OutcomeMemory } from './outcome-memory.js';

/** AWS clients the checker uses; tests and the local runtime pass their own. */
export interface CheckerClients {
  s3?: S3Client;
  dynamodb?: DynamoDBClient;
  secretsManager?: SecretsManagerClient;
  lambda?: LambdaClient;
}

/**
 * Per attempt, for the AWS clients the checker creates: the SDK has no timeout of its own, and a
 * hung socket would otherwise hold the record until the function timeout. The record's deadline
 * (`abortSignal` on each call) bounds the attempts together.
 */
export const AWS_REQUEST_HANDLER = Object.freeze({
  connectionTimeout: 1_000,
  requestTimeout: 3_000,
  // Without it the SDK only logs a warning when requestTimeout passes.
  throwOnRequestTimeout: true,
});

/**
 * The checker's S3 client reads selfies without asking S3 for their checksum (the SDK's default since
 * 2025 asks, and S3 keeps a CRC64NVME for every upload). The bytes come over TLS, which already
 * detects any change on the way, and the SDK computes CRC64NVME in JavaScript: 15 ms of CPU for a
 * 2 MiB selfie on the benchmark machine, four times the rest of the read (decision 12).
 */
export const CHECKER_S3_OPTIONS = Object.freeze({ responseChecksumValidation: 'WHEN_REQUIRED' as const });

/** Builds the checker's collaborators once per container. */
export function buildDeps(config: Readonly<CheckerConfig>, clients: CheckerClients = {}): CheckerDeps {
  const logger = createLogger('checker');
  const vendor = new ApptenticateClient({
    baseUrl: config.livenessApiUrl,
    connectTimeoutMs: config.vendorConnectTimeoutMs,
    headersTimeoutMs: config.vendorResponseTimeoutMs,
    bodyTimeoutMs: config.vendorResponseTimeoutMs,
    callTimeoutMs: vendorCallMs(config),
  });
  const aws = { ...awsClientOptions('checker'), requestHandler: AWS_REQUEST_HANDLER };
  const refresher = config.tokenRefresherFunctionName;
  const lambda = refresher ? (clients.lambda ?? new LambdaClient(aws)) : undefined;
  const liveness = createAuthorizedLivenessChecker({
    tokenSecretId: config.tokenSecretArn,
    client: vendor,
    secretsClient: clients.secretsManager ?? new SecretsManagerClient(aws),
    secretMaxAgeSeconds: config.tokenCacheSeconds,
    logger,
    ...(lambda && refresher
      ? {
          // Fire and forget: the refresher's own rate guard decides whether to log in.
          requestTokenRefresh: async (request: TokenRefreshRequest) => {
            await lambda.send(
              new InvokeCommand({
                FunctionName: refresher,
                InvocationType: 'Event',
                Payload: Buffer.from(JSON.stringify(request)),
              }),
            );
          },
        }
      : {}),
  });
  return {
    config,
    s3: clients.s3 ?? new S3Client({ ...aws, ...CHECKER_S3_OPTIONS }),
    repository: new CheckRepository(
      clients.dynamodb ?? new DynamoDBClient(aws),
      config.tableName,
      config.retentionSeconds,
    ),
    liveness,
    logger,
    metrics: createMetrics('checker'),
    clock: systemClock,
    outcomeMemory: new OutcomeMemory(),
  };
}
