import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { type ApiDeps, type ApiResponse, createApi } from '../../../functions/api/app.js';
import type { OwnerLimits } from '../../../functions/api/owner-limits.js';
import type { CheckItem } from '../../../shared/check.js';
import { RetryableError } from '../../../shared/errors.js';
import { finalCheckItem } from '../../shared/events/check-items.js';
import { testClock } from '../../support/clock.js';
import { contractProblems } from '../../support/openapi.js';
import { loadEvent } from './events.js';

const NOW = new Date('2026-11-25T10:00:00.000Z');
const ID_A = '3f6c1a2e-8b4d-4c1f-9a7e-2d5b6c8e9f01';
const ID_B = '0b7e2d9c-4a51-4f3e-8c26-9d1e7a3b5c40';
const BACKEND_SESSION = 'arn:aws:sts::123456789012:assumed-role/app-backend/i-0abc';
const BACKEND = 'arn:aws:sts::123456789012:assumed-role/app-backend';

type Caller = { jwt: string } | { iam: string; identityId?: string } | { none: true };

/** The request as API Gateway hands it over after its authorizer accepted `caller`. */
function as(caller: Caller, event: APIGatewayProxyEventV2): APIGatewayProxyEventV2 {
  const context = event.requestContext as unknown as Record<string, unknown>;
  if ('jwt' in caller) {
    context.authorizer = {
      jwt: { claims: { sub: caller.jwt, iss: 'https://issuer.example' }, scopes: null },
    };
  } else if ('iam' in caller) {
    context.authorizer = {
      iam: {
        accessKey: 'ASIAEXAMPLE',
        accountId: '123456789012',
        callerId: 'AROAEXAMPLE:i-0abc',
        cognitoIdentity: caller.identityId
          ? { amr: ['authenticated'], identityId: caller.identityId, identityPoolId: 'eu-west-1:pool' }
          : null,
        principalOrgId: null,
        userArn: caller.iam,
        userId: 'AROAEXAMPLE:i-0abc',
      },
    };
  } else {
    delete context.authorizer;
  }
  return event;
}

const create = (caller: Caller) => as(caller, loadEvent('post-checks'));
function read(caller: Caller, checkId: string) {
  const event = as(caller, loadEvent('get-check'));
  event.rawPath = `/checks/${checkId}`;
  event.pathParameters = { checkId };
  return event;
}

function setup(limits: Pick<OwnerLimits, 'admit' | 'release'> = admitAll()) {
  const items = new Map<string, CheckItem>();
  const ids = [ID_A, ID_B];
  const repository = {
    createAwaitingUpload: vi.fn(
      async (input: Parameters<ApiDeps['repository']['createAwaitingUpload']>[0]) => {
        const item: CheckItem = {
          checkId: input.checkId,
          status: 'AWAITING_UPLOAD',
          version: 1,
          createdAt: input.now.toISOString(),
          updatedAt: input.now.toISOString(),
          attempts: 0,
          expiresAt: 0,
          ...(input.owner !== undefined ? { owner: input.owner } : {}),
        };
        items.set(item.checkId, item);
        return item;
      },
    ),
    get: vi.fn(async (checkId: string) => items.get(checkId)),
  };
  const presigner = {
    presign: vi.fn(async () => ({
      url: 'https://bucket.s3.amazonaws.com/',
      fields: { key: 'k', Policy: 'p' },
    })),
  };
  const api = createApi({
    config: {
      selfieBucket: 'b',
      selfiePrefix: 'selfies/',
      uploadUrlTtlSeconds: 300,
      maxObjectBytes: 2_097_152,
    },
    repository,
    presigner,
    limits,
    clock: testClock(() => NOW),
    idGenerator: () => ids.shift() ?? crypto.randomUUID(),
    logger: { info: vi.fn(), warn: vi.fn(), error: vi.fn() },
  });
  return { api, items, repository, presigner };
}

function admitAll(): Pick<OwnerLimits, 'admit' | 'release'> {
  return { admit: vi.fn(async () => ({ admitted: true as const })), release: vi.fn(async () => undefined) };
}

const bodyOf = (response: ApiResponse) => JSON.parse(response.body) as Record<string, unknown>;

describe('checks bound to their owner', () => {
  it("stores the JWT's sub as the owner", async () => {
    const { api, repository } = setup();
    expect((await api(create({ jwt: 'user-a' }))).statusCode).toBe(201);
    expect(repository.createAwaitingUpload).toHaveBeenCalledWith(
      expect.objectContaining({ owner: 'user-a' }),
    );
  });

  it("stores an assumed role's principal without its session name, so a backend keeps its checks across credentials", async () => {
    const { api, repository } = setup();
    await api(create({ iam: BACKEND_SESSION }));
    expect(repository.createAwaitingUpload).toHaveBeenCalledWith(expect.objectContaining({ owner: BACKEND }));
    const other = as(
      { iam: 'arn:aws:sts::123456789012:assumed-role/app-backend/i-0def' },
      read({ none: true }, ID_A),
    );
    expect((await api(other)).statusCode).toBe(200);
  });

  it('stores the Cognito identity of an identity-pool caller, not the shared role', async () => {
    const { api, repository } = setup();
    await api(create({ iam: BACKEND_SESSION, identityId: 'eu-west-1:1111-2222' }));
    expect(repository.createAwaitingUpload).toHaveBeenCalledWith(
      expect.objectContaining({ owner: 'cognito-identity:eu-west-1:1111-2222' }),
    );
  });

  it('answers its owner, and anyone else exactly as for an unknown id', async () => {
    const { api } = setup();
    await api(create({ jwt: 'user-a' }));
    expect((await api(read({ jwt: 'user-a' }, ID_A))).statusCode).toBe(200);
    const foreign = await api(read({ jwt: 'user-b' }, ID_A));
    const unknown = await api(read({ jwt: 'user-b' }, ID_B));
    expect(foreign.statusCode).toBe(404);
    expect(foreign.body).toBe(unknown.body);
    expect(foreign.headers).toEqual(unknown.headers);
    expect((await api(read({ iam: BACKEND_SESSION }, ID_A))).statusCode).toBe(404);
  });

  it('lets a service, never a user, read a check without an owner (a direct upload, or one created before owners)', async () => {
    const { api, items } = setup();
    items.set(ID_A, {
      checkId: ID_A,
      status: 'PASSED',
      version: 2,
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
      attempts: 1,
      expiresAt: 0,
      result: { valid: true },
    });
    expect((await api(read({ iam: BACKEND_SESSION }, ID_A))).statusCode).toBe(200);
    expect((await api(read({ jwt: 'user-a' }, ID_A))).statusCode).toBe(404);
    expect((await api(read({ iam: BACKEND_SESSION, identityId: 'eu-west-1:1111' }, ID_A))).statusCode).toBe(
      404,
    );
  });

  it('refuses a request without a caller identity (a route without the authorizer) with 401', async () => {
    const { api, repository } = setup();
    const response = await api(create({ none: true }));
    expect(response.statusCode).toBe(401);
    expect(bodyOf(response)).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } });
    expect(repository.createAwaitingUpload).not.toHaveBeenCalled();
    expect((await api(read({ none: true }, ID_A))).statusCode).toBe(401);
  });
});

describe('scores only services see', () => {
  const SCORES = ['score', 'quality', 'liveness'] as const;
  const decided = (status: 'PASSED' | 'REJECTED', owner: string): CheckItem =>
    finalCheckItem(status, { checkId: ID_A, owner });
  const readAs = async (caller: Caller, item: CheckItem) => {
    const { api, items } = setup();
    items.set(ID_A, item);
    const response = await api(read(caller, ID_A));
    expect(response.statusCode).toBe(200);
    expect(contractProblems({ method: 'GET', path: '/checks/{checkId}' }, response)).toEqual([]);
    return bodyOf(response) as { result?: Record<string, unknown>; rejection?: Record<string, unknown> };
  };

  it.each(['PASSED', 'REJECTED'] as const)(
    'shows a JWT user its %s check with the verdict and transaction id but no score, quality or liveness',
    async (status) => {
      const view = await readAs({ jwt: 'user-a' }, decided(status, 'user-a'));
      expect(view.result).toEqual({ valid: status === 'PASSED', transactionId: expect.any(String) });
      for (const field of SCORES) expect(view.result).not.toHaveProperty(field);
      expect(JSON.stringify(view)).not.toMatch(/"(score|quality|liveness)"/);
    },
  );

  it('shows a JWT user the reason of its rejection', async () => {
    const view = await readAs({ jwt: 'user-a' }, decided('REJECTED', 'user-a'));
    expect(view.rejection).toEqual({
      code: 700,
      reason: 'FACE_TOO_CLOSE',
      message: 'Face to close.',
      source: 'apptenticate',
    });
  });

  it('hides the scores from a Cognito identity-pool user too: an end user under IAM auth', async () => {
    const identity = { iam: BACKEND_SESSION, identityId: 'eu-west-1:1111-2222' };
    const view = await readAs(identity, decided('REJECTED', 'cognito-identity:eu-west-1:1111-2222'));
    for (const field of SCORES) expect(view.result).not.toHaveProperty(field);
  });

  it.each(['PASSED', 'REJECTED'] as const)(
    'shows a service (IAM caller) its %s check with every score',
    async (status) => {
      const item = decided(status, BACKEND);
      const view = await readAs({ iam: BACKEND_SESSION }, item);
      expect(view.result).toEqual(item.result);
      for (const field of SCORES) expect(view.result?.[field]).toEqual(expect.any(Number));
    },
  );
});

describe('per-owner limits', () => {
  it('admits each creation for its owner and check before anything is presigned or stored', async () => {
    const limits = admitAll();
    const { api } = setup(limits);
    await api(create({ jwt: 'user-a' }));
    expect(limits.admit).toHaveBeenCalledWith({
      caller: { owner: 'user-a', kind: 'user' },
      checkId: ID_A,
      now: NOW,
    });
  });

  it.each([
    ['OWNER_RATE_LIMITED', 41],
    ['OPEN_CHECKS_LIMITED', 30],
  ] as const)('answers 429 %s with retry-after, and creates nothing', async (code, retryAfterSeconds) => {
    const limits = {
      admit: vi.fn(async () => ({ admitted: false as const, code, retryAfterSeconds })),
      release: vi.fn(async () => undefined),
    };
    const { api, repository, presigner } = setup(limits);
    const response = await api(create({ jwt: 'user-a' }));
    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toBe(String(retryAfterSeconds));
    expect(bodyOf(response)).toEqual({ error: { code, message: expect.any(String) } });
    expect(contractProblems({ method: 'POST', path: '/checks' }, response)).toEqual([]);
    expect(presigner.presign).not.toHaveBeenCalled();
    expect(repository.createAwaitingUpload).not.toHaveBeenCalled();
  });

  it('keeps the slot when the check write fails: DynamoDB may have applied it and lost the answer', async () => {
    const limits = admitAll();
    const { api, repository } = setup(limits);
    repository.createAwaitingUpload.mockRejectedValueOnce(new Error('boom'));
    expect((await api(create({ jwt: 'user-a' }))).statusCode).toBe(500);
    expect(limits.release).not.toHaveBeenCalled();
  });

  it('gives the slot back when the upload cannot be presigned, before any check is written', async () => {
    const limits = admitAll();
    const { api, repository, presigner } = setup(limits);
    presigner.presign.mockRejectedValueOnce(new Error('no credentials'));
    expect((await api(create({ jwt: 'user-a' }))).statusCode).toBe(500);
    expect(repository.createAwaitingUpload).not.toHaveBeenCalled();
    expect(limits.release).toHaveBeenCalledWith({
      caller: { owner: 'user-a', kind: 'user' },
      checkId: ID_A,
      now: NOW,
    });
  });

  it('gives the slot back when the admission fails midway: its reservation may have been made', async () => {
    const limits = admitAll();
    vi.mocked(limits.admit).mockRejectedValueOnce(new RetryableError('DynamoDB UpdateItem failed'));
    const { api, repository } = setup(limits);
    expect((await api(create({ jwt: 'user-a' }))).statusCode).toBe(503);
    expect(repository.createAwaitingUpload).not.toHaveBeenCalled();
    expect(limits.release).toHaveBeenCalledWith({
      caller: { owner: 'user-a', kind: 'user' },
      checkId: ID_A,
      now: NOW,
    });
  });
});
