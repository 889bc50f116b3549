import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { CheckRepository } from '../../shared/check-repository.js';
import type { Clock } from '../../shared/clock.js';
import { describeError, RetryableError } from '../../shared/errors.js';
import { type Caller, callerOf, mayRead } from './caller.js';
import { toCheckView } from './check-view.js';
import type { ApiConfig } from './config.js';
import type { LimitCode, OwnerLimits } from './owner-limits.js';
import type { UploadPresigner } from './presign.js';
import { matchRoute } from './routes.js';
import { API_ERRORS, ApiError, parseCheckId, parseCreateCheckRequest } from './validation.js';

/** Everything the API core needs, injected so tests can swap any of it. */
export interface ApiDeps {
  config: Pick<ApiConfig, 'selfieBucket' | 'selfiePrefix' | 'uploadUrlTtlSeconds' | 'maxObjectBytes'>;
  repository: Pick<CheckRepository, 'createAwaitingUpload' | 'get'>;
  presigner: UploadPresigner;
  /** Per-owner limits on creating checks. */
  limits: Pick<OwnerLimits, 'admit' | 'release'>;
  clock: Clock;
  idGenerator: () => string;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

/** The API's HTTP answer. */
export type ApiResponse = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
};

/** The `POST /checks` answer. */
export interface CreateCheckResponse {
  checkId: string;
  status: 'AWAITING_UPLOAD';
  upload: { url: string; fields: Record<string, string>; expiresAt: string; maxBytes: number };
}

const BASE_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

/** Builds the request handler: routes, validates, runs the operation and maps every outcome to JSON. */
export function createApi(deps: ApiDeps): (event: APIGatewayProxyEventV2) => Promise<ApiResponse> {
  return async (event) => {
    try {
      const route = matchRoute(event);
      const caller = callerOf(event);
      if (!caller) {
        throw new ApiError(
          'UNAUTHENTICATED',
          'the request carries no caller identity: call the API through its authorizer',
        );
      }
      switch (route.name) {
        case 'createCheck':
          return json(201, await createCheck(deps, event, caller));
        case 'getCheck':
          return json(200, await getCheck(deps, parseCheckId(route.checkId), caller));
      }
    } catch (error) {
      return errorResponse(deps, error);
    }
  };
}

async function createCheck(
  deps: ApiDeps,
  event: APIGatewayProxyEventV2,
  caller: Caller,
): Promise<CreateCheckResponse> {
  const request = parseCreateCheckRequest(event);
  const { config } = deps;
  const checkId = deps.idGenerator();
  const now = deps.clock.now();
  const uploadExpiresAt = new Date(now.getTime() + config.uploadUrlTtlSeconds * 1000);
  const creation = { caller, checkId, now };
  let admission: Awaited<ReturnType<ApiDeps['limits']['admit']>>;
  try {
    admission = await deps.limits.admit(creation);
  } catch (error) {
    // A reservation may have been made before the failure; this check will never be written now.
    await releaseSlot(deps, creation);
    throw error;
  }
  if (!admission.admitted) {
    throw new ApiError(admission.code, LIMIT_MESSAGES[admission.code], {
      'retry-after': String(admission.retryAfterSeconds),
    });
  }
  let upload: Awaited<ReturnType<UploadPresigner['presign']>>;
  try {
    // Presign first: if it fails, no item is left awaiting an upload nobody can make.
    upload = await deps.presigner.presign({
      key: `${config.selfiePrefix}${checkId}`,
      contentType: request.contentType,
      maxBytes: config.maxObjectBytes,
      expiresInSeconds: config.uploadUrlTtlSeconds,
    });
  } catch (error) {
    await releaseSlot(deps, creation);
    throw error;
  }
  // A failed write keeps its slot: DynamoDB may have applied it and lost the answer, and the check
  // then exists and is open. The limits free the slot once they find no check (decision 15).
  await deps.repository.createAwaitingUpload({
    checkId,
    now,
    uploadExpiresAt,
    contentType: request.contentType,
    owner: caller.owner,
    ...(request.device ? { device: request.device } : {}),
    ...(request.reference !== undefined ? { reference: request.reference } : {}),
  });
  // Never log the upload URL or fields: together they are a credential. Nor the owner: it names a person.
  deps.logger.info('check issued', {
    checkId,
    device: request.device,
    contentType: request.contentType,
    uploadExpiresAt: uploadExpiresAt.toISOString(),
  });
  return {
    checkId,
    status: 'AWAITING_UPLOAD',
    upload: {
      url: upload.url,
      fields: upload.fields,
      expiresAt: uploadExpiresAt.toISOString(),
      maxBytes: config.maxObjectBytes,
    },
  };
}

async function getCheck(deps: ApiDeps, checkId: string, caller: Caller) {
  const item = await deps.repository.get(checkId);
  // Someone else's check is answered exactly as a missing one: its existence is not the caller's to learn.
  if (!item || !mayRead(caller, item.owner)) throw new ApiError('CHECK_NOT_FOUND', 'no check with this id');
  return toCheckView(item, caller);
}

const LIMIT_MESSAGES = {
  OWNER_RATE_LIMITED: 'too many checks created in this minute; try again after retry-after seconds',
  OPEN_CHECKS_LIMITED:
    'too many checks not yet decided; upload or wait for the ones you have, then try again after retry-after seconds',
  OWNER_DAILY_LIMITED: 'too many checks created today; try again after retry-after seconds (midnight UTC)',
  CHECK_BUDGET_EXHAUSTED:
    'checks are not available at the moment; try again after retry-after seconds (midnight UTC) at the latest',
} as const satisfies Record<LimitCode, string>;

/**
 * Gives back the slot of a creation that failed before its check's write was sent; a failure here
 * only delays the slot's return.
 */
async function releaseSlot(deps: ApiDeps, creation: Parameters<ApiDeps['limits']['release']>[0]) {
  try {
    await deps.limits.release(creation);
  } catch (error) {
    deps.logger.warn('open-check slot not released', {
      checkId: creation.checkId,
      error: describeError(error),
    });
  }
}

function errorResponse(deps: ApiDeps, error: unknown): ApiResponse {
  if (error instanceof ApiError) {
    deps.logger.info('request refused', { statusCode: error.statusCode, code: error.code });
    return json(error.statusCode, { error: { code: error.code, message: error.message } }, error.headers);
  }
  // Raw AWS errors and stack traces stay in the logs; the client gets a stable code only.
  if (error instanceof RetryableError) {
    deps.logger.warn('dependency unavailable', { error: describeError(error) });
    return json(
      API_ERRORS.SERVICE_UNAVAILABLE,
      { error: { code: 'SERVICE_UNAVAILABLE', message: 'the service is busy, try again shortly' } },
      { 'retry-after': '1' },
    );
  }
  deps.logger.error('request failed', { error: describeError(error) });
  return json(API_ERRORS.INTERNAL_ERROR, {
    error: { code: 'INTERNAL_ERROR', message: 'an internal error occurred' },
  });
}

function json(
  statusCode: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): ApiResponse {
  return { statusCode, headers: { ...BASE_HEADERS, ...headers }, body: JSON.stringify(body) };
}
