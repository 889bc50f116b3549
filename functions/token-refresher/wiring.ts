import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ApptenticateClient } from '../../shared/apptenticate/client.js';
import { systemClock } from '../../shared/clock.js';
import { createLogger, createMetrics } from '../../shared/observability.js';
import { awsClientOptions } from '../commons/aws-clients.js';
import type { TokenRefresherConfig } from './config.js';
import type { RefresherDeps } from './refresher.js';

/** AWS clients the token-refresher uses; tests and the local runtime may pass their own. */
export interface RefresherClients {
  secretsManager?: SecretsManagerClient;
}

/** Builds the token-refresher's collaborators once per container. */
export function buildDeps(
  config: Readonly<TokenRefresherConfig>,
  clients: RefresherClients = {},
): RefresherDeps & { logger: Logger; metrics: Metrics } {
  return {
    config,
    secrets: clients.secretsManager ?? new SecretsManagerClient(awsClientOptions('token-refresher')),
    client: new ApptenticateClient({ baseUrl: config.livenessApiUrl }),
    logger: createLogger('token-refresher'),
    metrics: createMetrics('token-refresher'),
    clock: systemClock,
  };
}
