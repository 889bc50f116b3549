import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApi } from '../../../functions/api/app.js';
import { type OwnerLimitSettings, OwnerLimits } from '../../../functions/api/owner-limits.js';
import { createUploadPresigner } from '../../../functions/api/presign.js';
import { CheckRepository } from '../../../shared/check-repository.js';
import {
  type AwsFaultProxy,
  type LostAnswer,
  startAwsFaultProxy,
} from '../../../tools/local/aws-fault-proxy.js';
import { createCheckTable } from '../../../tools/local/provision-table.js';
import { awsClientConfig, type Moto, startMoto } from '../../support/moto.js';
import { loadEvent } from './events.js';

const TABLE = 'checks';
const PUT_ITEM = 'DynamoDB_20120810.PutItem';
const UPDATE_ITEM = 'DynamoDB_20120810.UpdateItem';
const ROOMY: OwnerLimitSettings = {
  userMaxOpenChecks: 3,
  userChecksPerMinute: 100,
  serviceChecksPerMinute: 100,
  userChecksPerDay: 100,
  checksPerDay: 10_000,
};

/**
 * Issue 22 point 5: DynamoDB applies a write and its answer is lost (a 500, a reset connection); the
 * SDK sends the same request again. The api's answers and the owner's counters must come out as if
 * the first answer had arrived. The SDK retries through the fault proxy, which loses the answers
 * after moto applied the calls.
 */
describe('creating checks when DynamoDB applies a write and its answer is lost (moto)', () => {
  let moto: Moto;
  let proxy: AwsFaultProxy;
  let doc: DynamoDBDocumentClient;
  let day = 0;

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startAwsFaultProxy({ target: moto.endpoint });
    const direct = new DynamoDBClient(awsClientConfig(moto.endpoint));
    await createCheckTable(direct, TABLE);
    doc = DynamoDBDocumentClient.from(direct);
  });
  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
  });
  afterEach(() => {
    // Every test starts on a day of its own, so the installation's daily budget starts at zero.
    day++;
  });

  /** An api on moto through the proxy, at a fixed time (a day of the test's own), with `limits`. */
  function apiWith(limits: Partial<OwnerLimitSettings> = {}, endpoint = proxy.endpoint) {
    const now = new Date(Date.UTC(2026, 0, 1 + day, 12, 0, 30));
    // The SDK's default retries (3 attempts) are what re-sends a request whose answer was lost.
    const dynamodb = new DynamoDBClient({ ...awsClientConfig(endpoint), maxAttempts: 3 });
    const repository = new CheckRepository(dynamodb, TABLE, 30 * 86_400);
    const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const api = createApi({
      config: {
        selfieBucket: 'selfies',
        selfiePrefix: 'selfies/',
        uploadUrlTtlSeconds: 300,
        maxObjectBytes: 2_097_152,
      },
      repository,
      presigner: createUploadPresigner(new S3Client(awsClientConfig(moto.endpoint)), 'selfies'),
      limits: new OwnerLimits(dynamodb, TABLE, repository, { ...ROOMY, ...limits }, 30 * 86_400),
      clock: { now: () => now, sleep: async () => undefined },
      idGenerator: () => crypto.randomUUID(),
      logger,
    });
    return { api, now, logger };
  }

  /** `count` creations one after another by `user`; their status codes. */
  async function create(api: ReturnType<typeof apiWith>['api'], user: string, count: number) {
    const statuses: number[] = [];
    for (let i = 0; i < count; i++) statuses.push((await api(asUser(user))).statusCode);
    return statuses;
  }

  /** The user's check items that are not final: the open checks the limit is about. */
  async function openChecks(user: string): Promise<number> {
    const { Items = [] } = await doc.send(
      new ScanCommand({
        TableName: TABLE,
        FilterExpression: '#owner = :owner AND #status = :awaiting',
        ExpressionAttributeNames: { '#owner': 'owner', '#status': 'status' },
        ExpressionAttributeValues: { ':owner': user, ':awaiting': 'AWAITING_UPLOAD' },
      }),
    );
    return Items.length;
  }

  /** The count a day's counter item holds (the budget's key, or a user's found through the scan). */
  async function counterCount(key: string): Promise<unknown> {
    const { Item } = await doc.send(
      new GetCommand({ TableName: TABLE, Key: { checkId: key }, ConsistentRead: true }),
    );
    return Item?.count;
  }

  it.each(['error', 'reset'] as LostAnswer[])(
    'answers 201 for a check whose write was applied and its answer lost (%s), and counts it as open',
    async (how) => {
      const user = `user-put-${how}`;
      const { api } = apiWith();
      proxy.loseAnswers({ target: PUT_ITEM, bodyIncludes: user, answers: [how] });
      expect(await create(api, user, 4)).toEqual([201, 201, 201, 429]);
      expect(await openChecks(user)).toBe(3);
    },
  );

  it('makes no extra AWS call when every answer arrives: 5 for a user, 3 for a service', async () => {
    const recording = await startAwsFaultProxy({ target: moto.endpoint, recordCalls: true });
    try {
      const { api } = apiWith({}, recording.endpoint);
      expect((await api(asUser('user-calls'))).statusCode).toBe(201);
      const user = recording.calls().map((call) => call.action);
      expect(user).toEqual([...Array(4).fill('dynamodb:UpdateItem'), 'dynamodb:PutItem']);
      expect((await api(loadEvent('post-checks'))).statusCode).toBe(201);
      expect(
        recording
          .calls()
          .slice(user.length)
          .map((call) => call.action),
      ).toEqual(['dynamodb:UpdateItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem']);
    } finally {
      await recording.stop();
    }
  });

  it('still refuses a check id another creation or a direct upload already holds', async () => {
    const repository = new CheckRepository(new DynamoDBClient(awsClientConfig(moto.endpoint)), TABLE, 86_400);
    const checkId = crypto.randomUUID();
    const at = new Date('2026-01-01T12:00:00.000Z');
    const uploadExpiresAt = new Date(at.getTime() + 300_000);
    await repository.createAwaitingUpload({ checkId, now: at, uploadExpiresAt, owner: 'user-a' });
    // The same request again is its own write; another owner, or another time, is not.
    await expect(
      repository.createAwaitingUpload({ checkId, now: at, uploadExpiresAt, owner: 'user-a' }),
    ).resolves.toMatchObject({ checkId, owner: 'user-a' });
    await expect(
      repository.createAwaitingUpload({ checkId, now: at, uploadExpiresAt, owner: 'user-b' }),
    ).rejects.toThrow(/ConditionalCheckFailed/);
    await expect(
      repository.createAwaitingUpload({
        checkId,
        now: new Date(at.getTime() + 1),
        uploadExpiresAt,
        owner: 'user-a',
      }),
    ).rejects.toThrow(/ConditionalCheckFailed/);
    const direct = crypto.randomUUID();
    await repository.claim({
      checkId: direct,
      object: { bucket: 'b', objectKey: `selfies/${direct}` },
      leaseId: 'l',
      leaseMs: 60_000,
      now: at,
    });
    await expect(
      repository.createAwaitingUpload({ checkId: direct, now: at, uploadExpiresAt }),
    ).rejects.toThrow(/ConditionalCheckFailed/);
  });

  it("counts a creation once in its minute's counter when the counter's answer was lost", async () => {
    const user = 'user-minute';
    const { api } = apiWith({ userChecksPerMinute: 2 });
    proxy.loseAnswers({ target: UPDATE_ITEM, bodyIncludes: '#minute#', answers: ['error'] });
    expect(await create(api, user, 3)).toEqual([201, 201, 429]);
    expect(await openChecks(user)).toBe(2);
  });

  it("counts a creation once in the user's day when the counter's answer was lost", async () => {
    const user = 'user-day';
    const { api } = apiWith({ userChecksPerDay: 2 });
    proxy.loseAnswers({ target: UPDATE_ITEM, bodyIncludes: '#day#', answers: ['reset'] });
    expect(await create(api, user, 3)).toEqual([201, 201, 429]);
  });

  it("counts a creation once in the installation's budget when the counter's answer was lost", async () => {
    const { api, now } = apiWith({ checksPerDay: 2 });
    proxy.loseAnswers({ target: UPDATE_ITEM, bodyIncludes: '*budget*', answers: ['error', 'error'] });
    expect(await create(api, 'user-budget', 3)).toEqual([201, 201, 429]);
    expect(await counterCount(`owner#*budget*#${now.toISOString().slice(0, 10)}`)).toBe(2);
  });

  it('keeps a reservation whose answer was lost for the check it was made for', async () => {
    const user = 'user-open';
    const { api } = apiWith({ userMaxOpenChecks: 1 });
    proxy.loseAnswers({ target: UPDATE_ITEM, bodyIncludes: '#open', answers: ['error'] });
    expect(await create(api, user, 2)).toEqual([201, 429]);
    expect(await openChecks(user)).toBe(1);
  });

  it('gives the slot back when every answer of its reservation was lost, so none is held by no check', async () => {
    const user = 'user-open-lost';
    const { api } = apiWith({ userMaxOpenChecks: 1 });
    proxy.loseAnswers({ target: UPDATE_ITEM, bodyIncludes: '#open', answers: ['error', 'error', 'error'] });
    expect(await create(api, user, 3)).toEqual([503, 201, 429]);
    expect(await openChecks(user)).toBe(1);
  });
});

function asUser(sub: string): APIGatewayProxyEventV2 {
  const event = loadEvent('post-checks');
  event.body = JSON.stringify({ contentType: 'image/jpeg', device: 'IOS', reference: sub });
  (event.requestContext as unknown as Record<string, unknown>).authorizer = {
    jwt: { claims: { sub }, scopes: [] },
  };
  return event;
}
