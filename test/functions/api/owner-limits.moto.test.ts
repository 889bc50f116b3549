import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../../../functions/api/caller.js';
import { OwnerLimits, RESERVATION_GRACE_MS } from '../../../functions/api/owner-limits.js';
import { CheckRepository } from '../../../shared/check-repository.js';
import { createCheckTable } from '../../../tools/local/provision-table.js';
import { awsClientConfig, type Moto, startMoto } from '../../support/moto.js';

const TABLE = 'checks';
const START = new Date('2026-11-25T10:00:00.000Z');

describe('per-owner limits on moto (conditional writes, concurrent creations)', () => {
  let moto: Moto;
  let dynamodb: DynamoDBClient;
  let repository: CheckRepository;
  let limits: OwnerLimits;

  beforeAll(async () => {
    moto = await startMoto();
    dynamodb = new DynamoDBClient(awsClientConfig(moto.endpoint));
    await createCheckTable(dynamodb, TABLE);
    repository = new CheckRepository(dynamodb, TABLE, 30 * 86_400);
    limits = new OwnerLimits(
      dynamodb,
      TABLE,
      repository,
      {
        userMaxOpenChecks: 3,
        userChecksPerMinute: 10,
        serviceChecksPerMinute: 7,
        userChecksPerDay: 100,
        checksPerDay: 1000,
      },
      30 * 86_400,
    );
  });
  afterAll(async () => {
    await moto?.stop();
  });

  /** `count` creations at once for `caller` at `now`, each admitted one followed by its check item. */
  async function createAtOnce(caller: Caller, count: number, now: Date, by: OwnerLimits = limits) {
    const ids = Array.from({ length: count }, () => crypto.randomUUID());
    const outcomes = await Promise.all(
      ids.map(async (checkId) => {
        const admission = await by.admit({ caller, checkId, now });
        if (admission.admitted) {
          await repository.createAwaitingUpload({
            checkId,
            now,
            uploadExpiresAt: new Date(now.getTime() + 300_000),
            owner: caller.owner,
          });
        }
        return { checkId, admission };
      }),
    );
    return {
      admitted: outcomes.filter((o) => o.admission.admitted).map((o) => o.checkId),
      refused: outcomes.flatMap((o) => (o.admission.admitted ? [] : [o.admission])),
    };
  }

  it("admits exactly a service's per-minute limit out of many concurrent creations, then again next minute", async () => {
    const service: Caller = { owner: 'arn:aws:iam::123456789012:role/backend', kind: 'service' };
    const first = await createAtOnce(service, 20, START);
    expect(first.admitted).toHaveLength(7);
    expect(first.refused).toHaveLength(13);
    expect(new Set(first.refused.map((r) => r.code))).toEqual(new Set(['OWNER_RATE_LIMITED']));
    expect(first.refused[0]?.retryAfterSeconds).toBe(60);
    const nextMinute = await createAtOnce(service, 3, new Date(START.getTime() + 60_000));
    expect(nextMinute.admitted).toHaveLength(3);
  });

  it("admits exactly a user's open-check limit out of many concurrent creations", async () => {
    const user: Caller = { owner: 'user-open', kind: 'user' };
    const burst = await createAtOnce(user, 8, START);
    expect(burst.admitted).toHaveLength(3);
    expect(new Set(burst.refused.map((r) => r.code))).toEqual(new Set(['OPEN_CHECKS_LIMITED']));
  });

  it('frees the slots of checks that became final, and only those', async () => {
    const user: Caller = { owner: 'user-final', kind: 'user' };
    const { admitted } = await createAtOnce(user, 3, START);
    const [first, second, third] = admitted as [string, string, string];
    for (const checkId of [first, second]) {
      const finalized = await repository.finalize({
        checkId,
        outcome: { status: 'EXPIRED' },
        guard: { kind: 'upload-expired', cutoff: new Date(START.getTime() + 600_000).toISOString() },
        now: new Date(START.getTime() + 600_000),
      });
      expect(finalized.written).toBe(true);
    }
    const later = new Date(START.getTime() + 120_000);
    const next = await createAtOnce(user, 4, later);
    expect(next.admitted).toHaveLength(2);
    const { Item } = await DynamoDBDocumentClient.from(dynamodb).send(
      new GetCommand({
        TableName: TABLE,
        Key: { checkId: await openItemKey(user) },
        ConsistentRead: true,
      }),
    );
    const held = [...((Item?.open as Set<string> | undefined) ?? [])]
      .map((entry) => entry.split(':')[1])
      .sort();
    expect(held).toEqual([third, ...next.admitted].sort());
    expect(Item?.owner).toBe('user-final');
  });

  it('keeps the slot of a creation still in flight and frees it after the grace', async () => {
    const user: Caller = { owner: 'user-lost', kind: 'user' };
    // Three admissions whose check items were never written (the api crashed in between).
    for (let i = 0; i < 3; i++) {
      expect((await limits.admit({ caller: user, checkId: crypto.randomUUID(), now: START })).admitted).toBe(
        true,
      );
    }
    const soon = new Date(START.getTime() + RESERVATION_GRACE_MS - 1000);
    expect((await createAtOnce(user, 1, soon)).admitted).toHaveLength(0);
    const after = new Date(START.getTime() + RESERVATION_GRACE_MS + 1000);
    expect((await createAtOnce(user, 5, after)).admitted).toHaveLength(3);
  });

  it("gives a released slot back at once, and keeps owners' limits apart", async () => {
    const user: Caller = { owner: 'user-release', kind: 'user' };
    const { admitted } = await createAtOnce(user, 3, START);
    expect((await createAtOnce({ owner: 'someone-else', kind: 'user' }, 3, START)).admitted).toHaveLength(3);
    const checkId = crypto.randomUUID();
    expect((await limits.admit({ caller: user, checkId, now: START })).admitted).toBe(false);
    await limits.release({ caller: user, checkId: admitted[0] as string, now: START });
    // The released reservation named the slot at START, as the admission did.
    expect((await limits.admit({ caller: user, checkId, now: START })).admitted).toBe(true);
  });

  /** Limits with small daily counts and room for everything else; each test below uses a day of its own. */
  const daily = () =>
    new OwnerLimits(
      dynamodb,
      TABLE,
      repository,
      {
        userMaxOpenChecks: 20,
        userChecksPerMinute: 1000,
        serviceChecksPerMinute: 1000,
        userChecksPerDay: 4,
        checksPerDay: 5,
      },
      30 * 86_400,
    );

  it("admits exactly the installation's daily budget out of many concurrent creations, then again the next UTC day", async () => {
    const day = new Date('2026-12-01T23:59:30.000Z');
    const service: Caller = { owner: 'arn:aws:iam::123456789012:role/budget', kind: 'service' };
    const burst = await createAtOnce(service, 12, day, daily());
    expect(burst.admitted).toHaveLength(5);
    expect(new Set(burst.refused.map((r) => r.code))).toEqual(new Set(['CHECK_BUDGET_EXHAUSTED']));
    expect(burst.refused[0]?.retryAfterSeconds).toBe(30);
    const { Item } = await DynamoDBDocumentClient.from(dynamodb).send(
      new GetCommand({
        TableName: TABLE,
        Key: { checkId: 'owner#*budget*#2026-12-01' },
        ConsistentRead: true,
      }),
    );
    expect(Item?.count).toBe(5);
    const nextDay = await createAtOnce(service, 2, new Date('2026-12-02T00:00:01.000Z'), daily());
    expect(nextDay.admitted).toHaveLength(2);
  });

  it("admits exactly a user's daily limit out of many concurrent creations, giving the refused ones' slots back", async () => {
    const user: Caller = { owner: 'user-daily', kind: 'user' };
    const by = daily();
    const burst = await createAtOnce(user, 8, new Date('2026-12-03T08:00:00.000Z'), by);
    expect(burst.admitted).toHaveLength(4);
    expect(new Set(burst.refused.map((r) => r.code))).toEqual(new Set(['OWNER_DAILY_LIMITED']));
    const { Item } = await DynamoDBDocumentClient.from(dynamodb).send(
      new GetCommand({ TableName: TABLE, Key: { checkId: await openItemKey(user) }, ConsistentRead: true }),
    );
    expect([...((Item?.open as Set<string> | undefined) ?? [])]).toHaveLength(4);
    // Another user still has the day's budget: 5 in all, 4 of them spent.
    expect(
      (await createAtOnce({ owner: 'user-other', kind: 'user' }, 3, new Date('2026-12-03T08:00:00.000Z'), by))
        .admitted,
    ).toHaveLength(1);
  });

  it('counts a creation sent again once, even after others were counted and a memory slot turned', async () => {
    // A retried write is the same request: the same creation, at the same `now`.
    const by = daily();
    const service: Caller = { owner: 'arn:aws:iam::123456789012:role/retried', kind: 'service' };
    const first = {
      caller: service,
      checkId: crypto.randomUUID(),
      now: new Date('2026-12-05T08:00:29.000Z'),
    };
    expect(await by.admit(first)).toEqual({ admitted: true });
    const later = {
      caller: service,
      checkId: crypto.randomUUID(),
      now: new Date('2026-12-05T08:00:31.000Z'),
    };
    expect(await by.admit(later)).toEqual({ admitted: true });
    expect(await by.admit(first)).toEqual({ admitted: true });
    expect(await by.admit(later)).toEqual({ admitted: true });
    expect((await budgetItem('2026-12-05'))?.count).toBe(2);
  });

  it('forgets the creations counted two memory slots (60 s) before, so a busy counter stays small', async () => {
    const by = daily();
    const user: Caller = { owner: 'user-slots', kind: 'user' };
    const at = (seconds: number) => new Date(Date.parse('2026-12-06T08:00:00.000Z') + seconds * 1000);
    for (const seconds of [1, 2, 31, 61]) {
      expect(
        (await by.admit({ caller: user, checkId: crypto.randomUUID(), now: at(seconds) })).admitted,
      ).toBe(true);
    }
    const item = (await budgetItem('2026-12-06')) ?? {};
    expect(item.count).toBe(4);
    const slots = Object.keys(item)
      .filter((name) => name.startsWith('counted'))
      .map((name) => [name, (item[name] as Set<string>).size]);
    // 08:00:00-29 is gone; 08:00:30-59 and 08:01:00-29 are remembered.
    const slot = Math.floor(at(1).getTime() / 30_000);
    expect(Object.fromEntries(slots)).toEqual({
      [`counted${(slot + 1) % 4}`]: 1,
      [`counted${(slot + 2) % 4}`]: 1,
    });
  });

  async function budgetItem(day: string) {
    const { Item } = await DynamoDBDocumentClient.from(dynamodb).send(
      new GetCommand({ TableName: TABLE, Key: { checkId: `owner#*budget*#${day}` }, ConsistentRead: true }),
    );
    return Item;
  }

  /** The key of a user's open-check item, as the limits wrote it (found through its owner attribute). */
  async function openItemKey(user: Caller): Promise<string> {
    const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
    const { Items = [] } = await DynamoDBDocumentClient.from(dynamodb).send(
      new ScanCommand({
        TableName: TABLE,
        FilterExpression: '#owner = :owner AND attribute_exists(#open)',
        ExpressionAttributeNames: { '#owner': 'owner', '#open': 'open' },
        ExpressionAttributeValues: { ':owner': user.owner },
      }),
    );
    expect(Items).toHaveLength(1);
    return Items[0]?.checkId as string;
  }
});
