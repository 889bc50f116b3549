import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ApptenticateClient } from '../../shared/apptenticate/client.js';
import { createLogger } from '../../shared/observability.js';
import { readConfig } from './config.js';
import { type RefreshRequest, type RefreshResult, refreshTokenSecret } from './refresher.js';

const config = readConfig();
const logger = createLogger('token-refresher');
const secrets = new SecretsManagerClient({});
const client = new ApptenticateClient({ baseUrl: config.apiUrl });

/**
 * Invoked by the schedule (an EventBridge "Scheduled Event": not forced) or by a checker whose
 * refresh token was refused (`{"force": true, "reason": "..."}`, asynchronously). Errors are thrown
 * so the function's error alarm fires.
 */
export const handler = async (event: unknown): Promise<RefreshResult> => {
  return await refreshTokenSecret({ config, secrets, client, logger, now: Date.now }, parseRequest(event));
};

function parseRequest(event: unknown): RefreshRequest {
  if (event === null || typeof event !== 'object') return {};
  const { force, reason } = event as { force?: unknown; reason?: unknown };
  return {
    force: force === true,
    // Only a short constant-like reason is passed on to the logs.
    ...(typeof reason === 'string' && /^[\w .:-]{1,64}$/.test(reason) ? { reason } : {}),
  };
}
