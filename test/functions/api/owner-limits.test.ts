import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Caller } from '../../../functions/api/caller.js';
import { OwnerLimits, RESERVATION_GRACE_MS } from '../../../functions/api/owner-limits.js';
import type { CheckItem } from '../../../shared/check.js';
import { RetryableError } from '../../../shared/errors.js';

const ddb = mockClient(DynamoDBDocumentClient);
const NOW = new Date('2026-11-25T10:00:19.500Z');
const MINUTE = Math.floor(NOW.getTime() / 60_000);
const USER: Caller = { owner: 'user-a', kind: 'user' };
const SERVICE: Caller = { owner: 'arn:aws:iam::123456789012:role/backend', kind: 'service' };
const CHECK_ID = '3f6c1a2e-8b4d-4c1f-9a7e-2d5b6c8e9f01';

function check(checkId: string, status: CheckItem['status']): CheckItem {
  return { checkId, status, version: 1, createdAt: '', updatedAt: '', attempts: 0, expiresAt: 0 };
}

function setup(items: CheckItem[] = []) {
  const checks = { get: vi.fn(async (id: string) => items.find((item) => item.checkId === id)) };
  const limits = new OwnerLimits(
    new DynamoDBClient({ region: 'eu-west-1' }),
    'checks',
    checks,
    {
      userMaxOpenChecks: 3,
      userChecksPerMinute: 10,
      serviceChecksPerMinute: 1200,
      userChecksPerDay: 100,
      checksPerDay: 20_000,
    },
    30 * 86_400,
  );
  return { limits, checks };
}

const refused = (item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(item ? { Item: marshall(item) } : {}),
  });
const updates = () => ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);

/** NOW's memory slot of 30 s (19.5 s into its minute: the first slot of the minute), and the one it forgets. */
const SLOT = Math.floor(NOW.getTime() / 30_000);
const MARK = createHash('sha256').update(CHECK_ID).digest('base64url').slice(0, 8);
/** A count made once per creation: the creation's mark goes into its slot's memory (decision 15). */
const COUNTED_ONCE = {
  UpdateExpression: 'ADD #count :one, #counted :marks SET #expiresAt = :ttl REMOVE #forgotten',
  ConditionExpression:
    'NOT contains(#counted, :creation) AND (attribute_not_exists(#count) OR #count < :limit)',
  ExpressionAttributeNames: expect.objectContaining({
    '#counted': `counted${SLOT % 4}`,
    '#forgotten': `counted${(SLOT + 2) % 4}`,
  }),
};

beforeEach(() => {
  ddb.reset();
  ddb.on(UpdateCommand).resolves({});
});

describe('checks per minute', () => {
  it("counts a service's creation in its minute's item, under the service limit, and reserves nothing", async () => {
    const { limits } = setup();
    expect(await limits.admit({ caller: SERVICE, checkId: CHECK_ID, now: NOW })).toEqual({ admitted: true });
    const [minute, ...rest] = updates();
    // Besides its minute, a service's creation counts only toward the installation's daily budget.
    expect(rest.map((input) => (input.Key as { checkId: string }).checkId)).toEqual([
      'owner#*budget*#2026-11-25',
    ]);
    expect(minute).toMatchObject({
      TableName: 'checks',
      Key: { checkId: expect.stringMatching(new RegExp(`^owner#[\\w-]{43}#minute#${MINUTE}$`)) },
      ...COUNTED_ONCE,
      ExpressionAttributeValues: { ':one': 1, ':limit': 1200, ':ttl': (MINUTE + 1) * 60 + 3600 },
    });
  });

  it('keys counters by a hash of the owner, never the owner itself, and apart per kind', async () => {
    const { limits } = setup();
    await limits.admit({ caller: SERVICE, checkId: CHECK_ID, now: NOW });
    await limits.admit({ caller: { owner: SERVICE.owner, kind: 'user' }, checkId: CHECK_ID, now: NOW });
    const [service, , user] = updates().map((input) => (input.Key as { checkId: string }).checkId);
    expect(service).not.toContain('backend');
    expect(service).not.toBe(user);
  });

  it('refuses a creation over the limit until the minute ends', async () => {
    ddb.on(UpdateCommand).rejects(refused());
    const { limits } = setup();
    expect(await limits.admit({ caller: USER, checkId: CHECK_ID, now: NOW })).toEqual({
      admitted: false,
      code: 'OWNER_RATE_LIMITED',
      retryAfterSeconds: 41,
    });
    expect(updates()).toHaveLength(1);
  });

  it.each([
    ['minute', /#minute#/],
    ['day', /#day#/],
    ['budget', /\*budget\*/],
  ])(
    'takes a %s count refused because its own creation is in its memory as counted',
    async (_name, pattern) => {
      ddb.on(UpdateCommand).callsFake((input: { Key: { checkId: string } }) => {
        if (pattern.test(input.Key.checkId)) {
          throw refused({
            checkId: input.Key.checkId,
            count: 10,
            [`counted${SLOT % 4}`]: new Set(['other', MARK]),
          });
        }
        return {};
      });
      const { limits } = setup();
      expect(await limits.admit({ caller: USER, checkId: CHECK_ID, now: NOW })).toEqual({ admitted: true });
    },
  );

  it("refuses a full counter whose memory holds other creations, or this one's mark in another slot", async () => {
    ddb.on(UpdateCommand).rejects(
      refused({
        count: 10,
        [`counted${(SLOT + 1) % 4}`]: new Set([MARK]),
        [`counted${SLOT % 4}`]: new Set(['other']),
      }),
    );
    const { limits } = setup();
    expect(await limits.admit({ caller: USER, checkId: CHECK_ID, now: NOW })).toMatchObject({
      admitted: false,
      code: 'OWNER_RATE_LIMITED',
    });
  });

  it('classifies a throttled counter as retryable', async () => {
    ddb
      .on(UpdateCommand)
      .rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException', $fault: 'client' }));
    const { limits } = setup();
    await expect(limits.admit({ caller: USER, checkId: CHECK_ID, now: NOW })).rejects.toBeInstanceOf(
      RetryableError,
    );
  });
});

describe("a user's open checks", () => {
  const reservation = `${NOW.getTime()}:${CHECK_ID}`;
  const fullSet = (entries: string[]) => (input: { Key: { checkId: string }; UpdateExpression: string }) => {
    if (input.Key.checkId.endsWith('#open') && input.UpdateExpression.startsWith('ADD')) {
      throw refused({ checkId: input.Key.checkId, open: new Set(entries) });
    }
    return {};
  };

  it('reserves a slot for the check under the open-check limit', async () => {
    const { limits } = setup();
    expect(await limits.admit({ caller: USER, checkId: CHECK_ID, now: NOW })).toEqual({ admitted: true });
    expect(updates()[1]).toMatchObject({
      Key: { checkId: expect.stringMatching(/^owner#[\w-]{43}#open$/) },
      UpdateExpression: 'ADD #open :reservation SET #owner = :owner, #expiresAt = :ttl',
      ConditionExpression: 'attribute_not_exists(#open) OR size(#open) < :limit OR contains(#open, :entry)',
      ExpressionAttributeValues: {
        ':reservation': new Set([reservation]),
        ':entry': reservation,
        ':owner': 'user-a',
        ':limit': 3,
        ':ttl': Math.floor(NOW.getTime() / 1000) + 30 * 86_400,
      },
    });
  });

  it('refuses while every reserved check is still open, reading each one', async () => {
    const ids = ['a', 'b', 'c'];
    ddb.on(UpdateCommand).callsFake(fullSet(ids.map((id) => `${NOW.getTime() - 1000}:${id}`)));
    const { limits, checks } = setup([
      check('a', 'AWAITING_UPLOAD'),
      check('b', 'CHECKING'),
      check('c', 'CHECKING'),
    ]);
    expect(await limits.admit({ caller: USER, checkId: CHECK_ID, now: NOW })).toEqual({
      admitted: false,
      code: 'OPEN_CHECKS_LIMITED',
      retryAfterSeconds: 30,
    });
    expect(checks.get.mock.calls.map(([id]) => id).sort()).toEqual(ids);
    expect(updates().filter((input) => String(input.UpdateExpression).startsWith('DELETE'))).toEqual([]);
  });

  it('frees the slots of final checks and of creations that never wrote their check, then tries once more', async () => {
    const old = NOW.getTime() - RESERVATION_GRACE_MS - 1;
    const young = NOW.getTime() - RESERVATION_GRACE_MS + 1000;
    const entries = [`${old}:done`, `${old}:lost`, `${young}:in-flight`];
    let full = true;
    ddb.on(UpdateCommand).callsFake((input) => {
      if (full && input.Key.checkId.endsWith('#open') && input.UpdateExpression.startsWith('ADD')) {
        full = false;
        throw refused({ checkId: input.Key.checkId, open: new Set(entries) });
      }
      return {};
    });
    const { limits } = setup([check('done', 'PASSED')]);
    expect(await limits.admit({ caller: USER, checkId: CHECK_ID, now: NOW })).toEqual({ admitted: true });
    const [, , removal, retry] = updates();
    expect(removal).toMatchObject({
      UpdateExpression: 'DELETE #open :entries',
      ExpressionAttributeValues: { ':entries': new Set([`${old}:done`, `${old}:lost`]) },
    });
    expect(removal).not.toHaveProperty('ConditionExpression');
    expect(retry).toMatchObject({ ExpressionAttributeValues: { ':reservation': new Set([reservation]) } });
  });

  it('tries only once more: a set refilled meanwhile refuses', async () => {
    ddb.on(UpdateCommand).callsFake(fullSet([`${NOW.getTime()}:x`, '1:gone', '2:gone2']));
    const { limits } = setup([check('x', 'CHECKING')]);
    expect(await limits.admit({ caller: USER, checkId: CHECK_ID, now: NOW })).toMatchObject({
      admitted: false,
      code: 'OPEN_CHECKS_LIMITED',
    });
    expect(updates().filter((input) => String(input.UpdateExpression).startsWith('ADD #open'))).toHaveLength(
      2,
    );
  });

  it("gives a failed creation's slot back, and a service has none to give", async () => {
    const { limits } = setup();
    await limits.release({ caller: USER, checkId: CHECK_ID, now: NOW });
    await limits.release({ caller: SERVICE, checkId: CHECK_ID, now: NOW });
    expect(updates()).toEqual([
      expect.objectContaining({
        UpdateExpression: 'DELETE #open :entries',
        ExpressionAttributeValues: { ':entries': new Set([reservation]) },
      }),
    ]);
  });
});

/** Seconds from NOW to the next UTC midnight: when a day's counters start again. */
const TO_MIDNIGHT = 13 * 3600 + 59 * 60 + 41;
const DAY_END = Date.parse('2026-11-26T00:00:00.000Z') / 1000;
const keyOf = (input: Record<string, unknown>) => (input.Key as { checkId: string }).checkId;
/** Refuses the conditional write of the counter whose key matches `pattern`. */
const refusing = (pattern: RegExp) => (input: { Key: { checkId: string } }) => {
  if (pattern.test(input.Key.checkId)) throw refused();
  return {};
};

describe("a user's checks per day", () => {
  it("counts a user's creation in its UTC day's item, under the daily limit, after its open-check slot", async () => {
    const { limits } = setup();
    expect(await limits.admit({ caller: USER, checkId: CHECK_ID, now: NOW })).toEqual({ admitted: true });
    const writes = updates();
    expect(writes.map(keyOf)).toEqual([
      expect.stringMatching(/#minute#/),
      expect.stringMatching(/#open$/),
      expect.stringMatching(/^owner#[\w-]{43}#day#2026-11-25$/),
      'owner#*budget*#2026-11-25',
    ]);
    expect(writes[2]).toMatchObject({
      ...COUNTED_ONCE,
      ExpressionAttributeValues: { ':one': 1, ':limit': 100, ':ttl': DAY_END + 86_400 },
    });
  });

  it('refuses a creation over the daily limit until the UTC day ends, and gives the open-check slot back', async () => {
    ddb.on(UpdateCommand).callsFake(refusing(/#day#/));
    const { limits } = setup();
    expect(await limits.admit({ caller: USER, checkId: CHECK_ID, now: NOW })).toEqual({
      admitted: false,
      code: 'OWNER_DAILY_LIMITED',
      retryAfterSeconds: TO_MIDNIGHT,
    });
    const writes = updates();
    expect(writes.map(keyOf)).not.toContain('owner#*budget*#2026-11-25');
    expect(writes.at(-1)).toMatchObject({
      UpdateExpression: 'DELETE #open :entries',
      ExpressionAttributeValues: { ':entries': new Set([`${NOW.getTime()}:${CHECK_ID}`]) },
    });
  });

  it('does not spend a daily slot on a creation the minute or the open-check limit refused', async () => {
    ddb.on(UpdateCommand).callsFake(refusing(/#minute#/));
    const { limits } = setup();
    await limits.admit({ caller: USER, checkId: CHECK_ID, now: NOW });
    expect(updates().map(keyOf)).toEqual([expect.stringMatching(/#minute#/)]);
  });

  it('has no daily limit for a service: one backend creates for many users', async () => {
    ddb.on(UpdateCommand).callsFake(refusing(/#day#/));
    const { limits } = setup();
    expect(await limits.admit({ caller: SERVICE, checkId: CHECK_ID, now: NOW })).toEqual({ admitted: true });
    expect(
      updates()
        .map(keyOf)
        .filter((key) => key.includes('#day#')),
    ).toEqual([]);
  });
});

describe("the installation's daily budget of checks", () => {
  it('counts every admitted creation in one item per UTC day, under the owner# prefix the api may write', async () => {
    const { limits } = setup();
    await limits.admit({ caller: SERVICE, checkId: CHECK_ID, now: NOW });
    expect(updates().at(-1)).toMatchObject({
      Key: { checkId: 'owner#*budget*#2026-11-25' },
      ...COUNTED_ONCE,
      ExpressionAttributeValues: { ':one': 1, ':limit': 20_000, ':ttl': DAY_END + 86_400 },
    });
  });

  it.each([
    ['a service', SERVICE],
    ['a user', USER],
  ])('refuses %s once the day is spent, until the UTC day ends', async (_name, caller) => {
    ddb.on(UpdateCommand).callsFake(refusing(/\*budget\*/));
    const { limits } = setup();
    expect(await limits.admit({ caller, checkId: CHECK_ID, now: NOW })).toEqual({
      admitted: false,
      code: 'CHECK_BUDGET_EXHAUSTED',
      retryAfterSeconds: TO_MIDNIGHT,
    });
  });

  it("gives a user's open-check slot back when the budget refuses", async () => {
    ddb.on(UpdateCommand).callsFake(refusing(/\*budget\*/));
    const { limits } = setup();
    await limits.admit({ caller: USER, checkId: CHECK_ID, now: NOW });
    expect(updates().at(-1)).toMatchObject({ UpdateExpression: 'DELETE #open :entries' });
  });

  it("is never spent by a creation an owner's own limit refused, so one caller cannot use up everyone's day", async () => {
    for (const pattern of [/#minute#/, /#day#/]) {
      ddb.reset();
      ddb.on(UpdateCommand).callsFake(refusing(pattern));
      const { limits } = setup();
      await limits.admit({ caller: USER, checkId: CHECK_ID, now: NOW });
      expect(updates().map(keyOf)).not.toContain('owner#*budget*#2026-11-25');
    }
  });

  it('keeps every counter key under the owner# prefix, the only keys the api may update', async () => {
    const { limits } = setup();
    await limits.admit({ caller: USER, checkId: CHECK_ID, now: NOW });
    await limits.admit({ caller: SERVICE, checkId: CHECK_ID, now: NOW });
    for (const key of updates().map(keyOf)) expect(key.startsWith('owner#')).toBe(true);
  });
});
