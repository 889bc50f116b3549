import type { Context } from 'aws-lambda';
import { handleInvocation } from '../../shared/observability.js';
import { readConfig } from './config.js';
import { type RefreshRequest, type RefreshResult, refreshTokenSecret } from './refresher.js';
import { buildDeps } from './wiring.js';

// Cold start: a bad configuration fails the init with a message naming the variable.
const deps = buildDeps(readConfig());

/**
 * Invoked by the schedule (an EventBridge "Scheduled Event": not forced) or by a checker whose
 * refresh token was refused (`{"force": true, "reason": "..."}`, asynchronously). Errors are thrown
 * so the function's error alarm fires.
 */
export async function handler(event: unknown, context?: Context): Promise<RefreshResult> {
  return await handleInvocation(deps, context, () => refreshTokenSecret(deps, parseRequest(event)));
}

function parseRequest(event: unknown): RefreshRequest {
  if (event === null || typeof event !== 'object') return {};
  const { force, reason } = event as { force?: unknown; reason?: unknown };
  return {
    force: force === true,
    // Only a short constant-like reason is passed on to the logs.
    ...(typeof reason === 'string' && /^[\w .:-]{1,64}$/.test(reason) ? { reason } : {}),
  };
}
