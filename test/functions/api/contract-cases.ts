/**
 * Requests that make the api answer every route and every error it has, with the DynamoDB answers
 * behind each: the handler's contract test and the local server's both run them, and validate each
 * answer against `docs/openapi.json`.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AwsStub } from 'aws-sdk-client-mock';
import type { ApiErrorCode } from '../../../functions/api/validation.js';
import type { CheckItem } from '../../../shared/check.js';
import { localBearerToken } from '../../../tools/local/local-auth.js';
import { finalCheckItem } from '../../shared/events/check-items.js';
import type { ContractLocation } from '../../support/openapi.js';

export const CHECK_ID = '3f6c1a2e-8b4d-4c1f-9a7e-2d5b6c8e9f01';

/** A request as an app sends it. */
export interface ContractRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One request, what DynamoDB answers behind it, and what the api must answer. */
export interface ContractCase {
  name: string;
  request: ContractRequest;
  // biome-ignore lint/suspicious/noExplicitAny: any document-client stub
  dynamodb?: (ddb: AwsStub<any, any, any>) => void;
  status: number;
  code?: ApiErrorCode;
  where: ContractLocation;
  /**
   * Where the answer can come from: the handler alone (a request without any authorizer context,
   * which the local API, like the stack, never sends), the local API alone (its authorizer's own
   * refusal), or both.
   */
  only?: 'handler' | 'local';
  /** The handler gets no authorizer context at all. */
  withoutAuthorizer?: true;
}

const JSON_HEADERS = { 'content-type': 'application/json' };
/** A user's request under JWT auth (locally, an unverified token; for the handler, its claims). */
const USER = { authorization: localBearerToken('user-a') };
const CREATE: ContractLocation = { method: 'POST', path: '/checks' };
const READ: ContractLocation = { method: 'GET', path: '/checks/{checkId}' };

const throttled = () =>
  Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
    name: 'ProvisionedThroughputExceededException',
    $fault: 'client',
  });
const refused = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

const invalid = () =>
  Object.assign(new Error('One or more parameter values were invalid'), {
    name: 'ValidationException',
    $fault: 'client',
  });

// biome-ignore lint/suspicious/noExplicitAny: any document-client stub
const counting = (ddb: AwsStub<any, any, any>) => ddb.on(UpdateCommand).resolves({});

/** Every counter admits the creation but the one whose key matches `key`. */
// biome-ignore lint/suspicious/noExplicitAny: any document-client stub
const refusingCounter = (key: RegExp) => (ddb: AwsStub<any, any, any>) =>
  ddb.on(UpdateCommand).callsFake((input: { Key: { checkId: string } }) => {
    if (key.test(input.Key.checkId)) throw refused();
    return {};
  });

/** The user already holds `count` reservations, each for a check still awaiting its upload. */
// biome-ignore lint/suspicious/noExplicitAny: any document-client stub
const holdingOpenChecks = (count: number) => (ddb: AwsStub<any, any, any>) => {
  const reservations = Array.from({ length: count }, (_, i) => `1795600000000:${CHECK_ID.slice(0, -1)}${i}`);
  ddb.on(UpdateCommand).callsFake((input: { Key: { checkId: string } }) => {
    if (!input.Key.checkId.endsWith('#open')) return {};
    throw new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: {},
      Item: marshall({ checkId: input.Key.checkId, open: new Set(reservations) }),
    });
  });
  ddb.on(GetCommand).callsFake((input: { Key: { checkId: string } }) => ({
    Item: { ...open.AWAITING_UPLOAD, checkId: input.Key.checkId },
  }));
};

const open: Record<'AWAITING_UPLOAD' | 'CHECKING', CheckItem> = {
  AWAITING_UPLOAD: {
    checkId: CHECK_ID,
    status: 'AWAITING_UPLOAD',
    version: 1,
    createdAt: '2026-11-25T10:00:00.000Z',
    updatedAt: '2026-11-25T10:00:00.000Z',
    attempts: 0,
    uploadExpiresAt: '2026-11-25T10:05:00.000Z',
    expiresAt: 1_796_000_000,
  },
  CHECKING: { ...finalCheckItem('PASSED'), status: 'CHECKING', checkId: CHECK_ID },
};

function readCase(name: string, item: CheckItem): ContractCase {
  return {
    name,
    request: { method: 'GET', path: `/checks/${CHECK_ID}` },
    // The fixtures' caller is a service; the items have no owner (a direct upload), which it may read.
    dynamodb: (ddb) => {
      const { owner: _owner, ...ownerless } = item;
      ddb.on(GetCommand).resolves({ Item: { ...ownerless, checkId: CHECK_ID } });
    },
    status: 200,
    where: READ,
  };
}

function createError(name: string, body: string, code: ApiErrorCode, headers = JSON_HEADERS): ContractCase {
  return {
    name,
    request: { method: 'POST', path: '/checks', headers, body },
    status: code === 'PAYLOAD_TOO_LARGE' ? 413 : code === 'UNSUPPORTED_MEDIA_TYPE' ? 415 : 400,
    code,
    where: CREATE,
  };
}

/** Every route's answers and every error code the api function can give. */
export const CONTRACT_CASES: ContractCase[] = [
  {
    name: 'POST /checks with every field',
    request: {
      method: 'POST',
      path: '/checks',
      headers: JSON_HEADERS,
      body: '{"device":"IOS","reference":"order-4711","contentType":"image/png"}',
    },
    dynamodb: (ddb) => {
      counting(ddb);
      ddb.on(PutCommand).resolves({});
    },
    status: 201,
    where: CREATE,
  },
  {
    name: 'POST /checks without a body, by a user',
    request: { method: 'POST', path: '/checks', headers: USER },
    dynamodb: (ddb) => {
      counting(ddb);
      ddb.on(PutCommand).resolves({});
    },
    status: 201,
    where: CREATE,
  },
  createError('a body that is not JSON', '{"device":', 'INVALID_JSON'),
  createError('a JSON array', '[]', 'INVALID_BODY'),
  createError('an unknown field', '{"selfie":"..."}', 'UNKNOWN_FIELD'),
  createError('an unknown device', '{"device":"PHONE"}', 'INVALID_DEVICE'),
  createError('an empty reference', '{"reference":""}', 'INVALID_REFERENCE'),
  createError('a reference with markup', '{"reference":"<b>order</b>"}', 'INVALID_REFERENCE'),
  createError('a GIF', '{"contentType":"image/gif"}', 'INVALID_CONTENT_TYPE'),
  createError('a body over 4 KiB', JSON.stringify({ reference: 'r'.repeat(5000) }), 'PAYLOAD_TOO_LARGE'),
  createError('a form body', 'device=IOS', 'UNSUPPORTED_MEDIA_TYPE', {
    'content-type': 'application/x-www-form-urlencoded',
  }),
  {
    name: 'POST /checks while DynamoDB throttles',
    request: { method: 'POST', path: '/checks' },
    dynamodb: (ddb) => {
      counting(ddb);
      ddb.on(PutCommand).rejects(throttled());
    },
    status: 503,
    code: 'SERVICE_UNAVAILABLE',
    where: CREATE,
  },
  {
    name: 'POST /checks when the write is refused',
    request: { method: 'POST', path: '/checks' },
    dynamodb: (ddb) => {
      counting(ddb);
      ddb.on(PutCommand).rejects(refused());
    },
    status: 500,
    code: 'INTERNAL_ERROR',
    where: CREATE,
  },
  {
    name: 'POST /checks over the minute limit',
    request: { method: 'POST', path: '/checks', headers: USER },
    dynamodb: (ddb) => ddb.on(UpdateCommand).rejects(refused()),
    status: 429,
    code: 'OWNER_RATE_LIMITED',
    where: CREATE,
  },
  {
    name: "POST /checks over a user's checks of the day",
    request: { method: 'POST', path: '/checks', headers: USER },
    dynamodb: refusingCounter(/#day#/),
    status: 429,
    code: 'OWNER_DAILY_LIMITED',
    where: CREATE,
  },
  {
    name: "POST /checks over the installation's daily budget",
    request: { method: 'POST', path: '/checks' },
    dynamodb: refusingCounter(/^owner#\*budget\*#/),
    status: 429,
    code: 'CHECK_BUDGET_EXHAUSTED',
    where: CREATE,
  },
  {
    name: "POST /checks over a user's open checks",
    request: { method: 'POST', path: '/checks', headers: USER },
    dynamodb: holdingOpenChecks(3),
    status: 429,
    code: 'OPEN_CHECKS_LIMITED',
    where: CREATE,
  },
  {
    name: 'POST /checks without any authorizer context',
    request: { method: 'POST', path: '/checks' },
    status: 401,
    code: 'UNAUTHENTICATED',
    where: CREATE,
    only: 'handler',
    withoutAuthorizer: true,
  },
  {
    name: 'POST /checks with a bearer token that is no JWT',
    request: { method: 'POST', path: '/checks', headers: { authorization: 'Bearer not-a-jwt' } },
    status: 401,
    where: CREATE,
    only: 'local',
  },
  {
    name: "GET someone else's check",
    request: { method: 'GET', path: `/checks/${CHECK_ID}`, headers: USER },
    dynamodb: (ddb) => ddb.on(GetCommand).resolves({ Item: { ...open.AWAITING_UPLOAD, owner: 'user-b' } }),
    status: 404,
    code: 'CHECK_NOT_FOUND',
    where: READ,
  },
  readCase('GET a check awaiting its upload', open.AWAITING_UPLOAD),
  readCase('GET a check being checked', open.CHECKING),
  readCase('GET a passed check', finalCheckItem('PASSED')),
  readCase('GET a rejected check', finalCheckItem('REJECTED')),
  readCase('GET a pre-check rejection', {
    ...finalCheckItem('REJECTED'),
    result: undefined,
    rejection: { reason: 'IMAGE_TOO_SMALL', message: 'the image is 8x8', source: 'precheck' },
  } as CheckItem),
  readCase('GET a failed check', finalCheckItem('FAILED')),
  readCase('GET an expired check', finalCheckItem('EXPIRED')),
  {
    name: 'GET with an id that is not a UUID',
    request: { method: 'GET', path: '/checks/not-a-uuid' },
    status: 400,
    code: 'INVALID_CHECK_ID',
    where: READ,
  },
  {
    name: 'GET an unknown check',
    request: { method: 'GET', path: `/checks/${CHECK_ID}` },
    dynamodb: (ddb) => ddb.on(GetCommand).resolves({}),
    status: 404,
    code: 'CHECK_NOT_FOUND',
    where: READ,
  },
  {
    name: 'GET while DynamoDB throttles',
    request: { method: 'GET', path: `/checks/${CHECK_ID}` },
    dynamodb: (ddb) => ddb.on(GetCommand).rejects(throttled()),
    status: 503,
    code: 'SERVICE_UNAVAILABLE',
    where: READ,
  },
  {
    name: 'GET when DynamoDB fails unexpectedly',
    request: { method: 'GET', path: `/checks/${CHECK_ID}` },
    dynamodb: (ddb) => ddb.on(GetCommand).rejects(invalid()),
    status: 500,
    code: 'INTERNAL_ERROR',
    where: READ,
  },
  {
    name: 'a create at a wrong base URL behind a proxy route',
    request: { method: 'POST', path: '/v1/checks', headers: JSON_HEADERS, body: '{}' },
    status: 404,
    code: 'NOT_FOUND',
    where: CREATE,
  },
  {
    name: 'a read at a wrong base URL behind a proxy route',
    request: { method: 'GET', path: `/v1/checks/${CHECK_ID}` },
    status: 404,
    code: 'NOT_FOUND',
    where: READ,
  },
  {
    name: 'another method on the create path behind a proxy route',
    request: { method: 'GET', path: '/checks' },
    status: 405,
    code: 'METHOD_NOT_ALLOWED',
    where: { method: 'GET', path: '/checks' },
  },
  {
    name: 'another method on the read path behind a proxy route',
    request: { method: 'DELETE', path: `/checks/${CHECK_ID}` },
    status: 405,
    code: 'METHOD_NOT_ALLOWED',
    where: { method: 'DELETE', path: '/checks/{checkId}' },
  },
];
