import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { handleInvocation } from '../../shared/observability.js';
import { type ApiResponse, createApi } from './app.js';
import { readConfig } from './config.js';
import { buildDeps } from './wiring.js';

// Cold start: a bad configuration fails the init with a message naming the variable.
const deps = buildDeps(readConfig());
const api = createApi(deps);

/** Lambda entry for the HTTP API (payload format 2.0): `POST /checks`, `GET /checks/{checkId}`. */
export async function handler(event: APIGatewayProxyEventV2, context: Context): Promise<ApiResponse> {
  return await handleInvocation(deps, context, () => api(event));
}
