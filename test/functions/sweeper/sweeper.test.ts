import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { type SweeperDeps, sweep } from '../../../functions/sweeper/sweeper.js';
import { CheckRepository } from '../../../shared/check-repository.js';
import { testClock } from '../../support/clock.js';
import { conditionalRefusal } from '../../support/dynamodb.js';

const NOW = new Date('2026-11-25T12:00:00.000Z');
const ddb = mockClient(DynamoDBDocumentClient);

/** A plain fake of the selfie bucket: the keys it holds, and what was asked of it. */
function fakeSelfies(...present: string[]) {
  const keys = new Set(present);
  return {
    keys,
    looked: [] as string[],
    deleted: [] as string[],
    failDeletes: false,
    async exists(key: string) {
      this.looked.push(key);
      return keys.has(key);
    },
    async delete(key: string) {
      if (this.failDeletes) throw Object.assign(new Error('slow down'), { name: 'SlowDown' });
      this.deleted.push(key);
      keys.delete(key);
    },
  };
}

function setup(config: Partial<SweeperDeps['config']> = {}, selfies = fakeSelfies()) {
  const logger = { info: vi.fn(), warn: vi.fn() };
  const deps: SweeperDeps = {
    config: {
      uploadUrlTtlSeconds: 300,
      uploadGraceSeconds: 300,
      staleCheckGraceSeconds: 1800,
      claimWaitSeconds: 3600,
      maxSweepItems: 500,
      selfiePrefix: 'selfies/',
      retainSelfies: false,
      ...config,
    },
    repository: new CheckRepository(new DynamoDBClient({ region: 'eu-west-1' }), 'checks', 86_400),
    selfies,
    clock: testClock(() => NOW),
    logger,
  };
  return { deps, logger, selfies };
}

/** Stale-lease cutoff of a run at NOW with the default 1800 s grace. */
const LEASE_CUTOFF = NOW.getTime() - 1800 * 1000;

const NO_COUNTS = {
  expired: 0,
  failed: 0,
  waiting: 0,
  unclaimed: 0,
  skipped: 0,
  notYetDue: 0,
  rescheduled: 0,
  errors: 0,
};

const keys = (status: string, ...ids: string[]) =>
  ids.map((checkId) => ({ checkId, sweepStatus: status, sweepAt: '2026-11-25T09:00:00.000Z' }));
const onQuery = (status: 'AWAITING_UPLOAD' | 'CHECKING' | 'UPLOADED') =>
  ddb.on(QueryCommand, { ExpressionAttributeValues: { ':status': status } });
const updatesFor = (status: string) =>
  ddb
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.ExpressionAttributeValues?.[':final'] === status);

beforeEach(() => {
  ddb.reset();
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(UpdateCommand).resolves({ Attributes: {} });
});

describe('sweep', () => {
  it('expires uploads whose URL expired more than the grace ago, with the upload-expired guard', async () => {
    onQuery('AWAITING_UPLOAD').resolves({ Items: keys('AWAITING_UPLOAD', 'a1', 'a2') });
    const { deps } = setup();
    expect(await sweep(deps)).toEqual({ ...NO_COUNTS, expired: 2, failed: 0, skipped: 0, errors: 0 });
    expect(ddb).toReceiveCommandWith(QueryCommand, {
      IndexName: 'bySweep',
      ExpressionAttributeValues: { ':status': 'AWAITING_UPLOAD', ':cutoff': '2026-11-25T11:55:00.000Z' },
    });
    const writes = updatesFor('EXPIRED');
    expect(writes.map((w) => w.Key)).toEqual([{ checkId: 'a1' }, { checkId: 'a2' }]);
    expect(writes[0]).toMatchObject({
      ConditionExpression: '#status = :awaiting AND #sweepStatus = :awaiting AND #uploadExpiresAt < :cutoff',
      ExpressionAttributeValues: { ':cutoff': '2026-11-25T11:55:00.000Z', ':now': NOW.toISOString() },
    });
  });

  it('fails checks whose lease ran out more than the grace ago with LEASE_EXPIRED', async () => {
    onQuery('CHECKING').resolves({ Items: keys('CHECKING', 'c1') });
    const { deps } = setup();
    expect(await sweep(deps)).toEqual({ ...NO_COUNTS, expired: 0, failed: 1, skipped: 0, errors: 0 });
    const cutoffMs = NOW.getTime() - 1800 * 1000;
    expect(ddb).toReceiveCommandWith(QueryCommand, {
      ExpressionAttributeValues: { ':status': 'CHECKING', ':cutoff': new Date(cutoffMs).toISOString() },
    });
    expect(updatesFor('FAILED')[0]).toMatchObject({
      Key: { checkId: 'c1' },
      ConditionExpression: '#status = :checking AND #leaseExpiresAt < :cutoffMs',
      ExpressionAttributeValues: {
        ':cutoffMs': cutoffMs,
        ':failure': {
          reason: 'LEASE_EXPIRED',
          message: 'no checker finished this check before its lease ran out',
        },
      },
    });
  });

  it('stamps each write with its own time, not the run start: a run may last minutes', async () => {
    // `dlq redrive notifier` republishes by `decidedAt` within 60 s of the stream records' arrival.
    onQuery('CHECKING').resolves({ Items: keys('CHECKING', 'stale') });
    onQuery('UPLOADED').resolves({ Items: keys('UPLOADED', 'unclaimed') });
    onQuery('AWAITING_UPLOAD').resolves({ Items: keys('AWAITING_UPLOAD', 'expired', 'arrived') });
    const { deps } = setup({}, fakeSelfies('selfies/arrived'));
    const later = new Date(NOW.getTime() + 100_000);
    let reads = 0;
    deps.clock = testClock(() => (reads++ === 0 ? NOW : later));
    expect(await sweep(deps)).toEqual({ ...NO_COUNTS, failed: 1, unclaimed: 1, expired: 1, waiting: 1 });
    const writes = ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(writes).toHaveLength(4);
    for (const write of writes) expect(write.ExpressionAttributeValues?.[':now']).toBe(later.toISOString());
    // What the run decides still follows its start: the cutoffs, and how long an upload is waited for.
    expect(
      updatesFor('FAILED').map(
        (w) => w.ExpressionAttributeValues?.[':cutoffMs'] ?? w.ExpressionAttributeValues?.[':cutoff'],
      ),
    ).toEqual([LEASE_CUTOFF, NOW.toISOString()]);
    const wait = writes.find((w) => w.UpdateExpression?.includes('#sweepAt = :until'));
    expect(wait?.ExpressionAttributeValues?.[':until']).toBe(
      new Date(NOW.getTime() + 3600 * 1000).toISOString(),
    );
  });

  it('counts a refused write as skipped, not as an error', async () => {
    onQuery('AWAITING_UPLOAD').resolves({ Items: keys('AWAITING_UPLOAD', 'late') });
    ddb.on(UpdateCommand).rejects(conditionalRefusal({ checkId: 'late', status: 'CHECKING' }));
    const { deps, logger } = setup();
    expect(await sweep(deps)).toEqual({ ...NO_COUNTS, expired: 0, failed: 0, skipped: 1, errors: 0 });
    expect(logger.info).toHaveBeenCalledWith('sweep skipped check', {
      checkId: 'late',
      currentStatus: 'CHECKING',
    });
  });

  it('counts a failed write as an error and goes on with the others', async () => {
    onQuery('AWAITING_UPLOAD').resolves({ Items: keys('AWAITING_UPLOAD', 'x', 'y') });
    ddb
      .on(UpdateCommand, { Key: { checkId: 'x' } })
      .rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException', $fault: 'client' }));
    const { deps, logger } = setup();
    expect(await sweep(deps)).toEqual({ ...NO_COUNTS, expired: 1, failed: 0, skipped: 0, errors: 1 });
    expect(logger.warn).toHaveBeenCalledWith('sweep write failed', {
      checkId: 'x',
      error: { name: 'RetryableError', message: 'DynamoDB UpdateItem failed with ThrottlingException' },
    });
  });

  it('pages through the index with the key each page returns', async () => {
    const next = { checkId: 'p1', sweepStatus: 'AWAITING_UPLOAD', sweepAt: '2026-11-25T09:00:00.000Z' };
    onQuery('AWAITING_UPLOAD')
      .resolvesOnce({ Items: keys('AWAITING_UPLOAD', 'p1'), LastEvaluatedKey: next })
      .resolvesOnce({ Items: keys('AWAITING_UPLOAD', 'p2') });
    const { deps } = setup();
    expect((await sweep(deps)).expired).toBe(2);
    expect(ddb).toReceiveCommandWith(QueryCommand, { ExclusiveStartKey: next });
  });

  it('settles at most MAX_SWEEP_ITEMS checks per run, leaving the rest to the next run', async () => {
    onQuery('CHECKING').resolves({ Items: keys('CHECKING', 'c1') });
    onQuery('AWAITING_UPLOAD').resolves({
      Items: keys('AWAITING_UPLOAD', 'a1', 'a2'),
      LastEvaluatedKey: { checkId: 'a2' },
    });
    const { deps } = setup({ maxSweepItems: 3 });
    expect(await sweep(deps)).toEqual({ ...NO_COUNTS, expired: 2, failed: 1, skipped: 0, errors: 0 });
    const queries = ddb.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries.map((q) => [q.ExpressionAttributeValues?.[':status'], q.Limit])).toEqual([
      ['CHECKING', 2],
      ['UPLOADED', 2],
      ['AWAITING_UPLOAD', 2],
    ]);
  });

  it('gives stale leases no more than half the budget', async () => {
    onQuery('CHECKING').resolves({
      Items: keys('CHECKING', 'c1', 'c2'),
      LastEvaluatedKey: { checkId: 'c2' },
    });
    onQuery('AWAITING_UPLOAD').resolves({ Items: keys('AWAITING_UPLOAD', 'a1', 'a2') });
    const { deps } = setup({ maxSweepItems: 4 });
    expect(await sweep(deps)).toEqual({ ...NO_COUNTS, expired: 2, failed: 2, skipped: 0, errors: 0 });
  });

  it('shares one budget between the three kinds: what stale leases and unclaimed uploads used, uploads do not get', async () => {
    onQuery('CHECKING').resolves({ Items: keys('CHECKING', 'c1') });
    onQuery('UPLOADED').resolves({ Items: keys('UPLOADED', 'u1', 'u2') });
    onQuery('AWAITING_UPLOAD').resolves({
      Items: keys('AWAITING_UPLOAD', 'a1'),
      LastEvaluatedKey: { checkId: 'a1' },
    });
    const { deps } = setup({ maxSweepItems: 4 });
    expect(await sweep(deps)).toEqual({ ...NO_COUNTS, expired: 1, failed: 1, unclaimed: 2 });
    const queries = ddb.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries.map((q) => [q.ExpressionAttributeValues?.[':status'], q.Limit])).toEqual([
      ['CHECKING', 2],
      ['UPLOADED', 3],
      ['AWAITING_UPLOAD', 1],
    ]);
  });

  it('never settles more than its budget, even when a page brings more', async () => {
    onQuery('AWAITING_UPLOAD').resolves({ Items: keys('AWAITING_UPLOAD', 'a1', 'a2', 'a3') });
    const { deps } = setup({ maxSweepItems: 2 });
    expect(await sweep(deps)).toEqual({ ...NO_COUNTS, expired: 2 });
    expect(updatesFor('EXPIRED').map((w) => w.Key)).toEqual([{ checkId: 'a1' }, { checkId: 'a2' }]);
  });

  it('settles each check of a page once, ten at a time', async () => {
    const ids = Array.from({ length: 23 }, (_, i) => `a${i}`);
    onQuery('AWAITING_UPLOAD').resolves({ Items: keys('AWAITING_UPLOAD', ...ids) });
    const selfies = fakeSelfies();
    let inFlight = 0;
    let peak = 0;
    const exists = selfies.exists.bind(selfies);
    selfies.exists = async (key: string) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return await exists(key);
    };
    const { deps } = setup({}, selfies);
    expect(await sweep(deps)).toEqual({ ...NO_COUNTS, expired: 23 });
    expect(
      updatesFor('EXPIRED')
        .map((w) => w.Key?.checkId)
        .sort(),
    ).toEqual([...ids].sort());
    expect(peak).toBe(10);
  });

  it('lets a query failure fail the run', async () => {
    onQuery('CHECKING').rejects(
      Object.assign(new Error('down'), { name: 'InternalServerError', $fault: 'server' }),
    );
    const { deps } = setup();
    await expect(sweep(deps)).rejects.toThrow('DynamoDB Query failed with InternalServerError');
  });
});

describe('sweep of uploads the checker has not claimed yet', () => {
  const uploadCutoff = '2026-11-25T11:55:00.000Z';
  const waits = () =>
    ddb
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .filter(
        (input) =>
          input.ExpressionAttributeValues?.[':uploaded'] === 'UPLOADED' &&
          !input.ExpressionAttributeValues?.[':final'],
      );

  it('leaves a check whose selfie is in the bucket to the checker: not EXPIRED, waits the claim window', async () => {
    onQuery('AWAITING_UPLOAD').resolves({ Items: keys('AWAITING_UPLOAD', 'in-time', 'never') });
    const { deps, selfies } = setup({}, fakeSelfies('selfies/in-time'));
    expect(await sweep(deps)).toEqual({ ...NO_COUNTS, expired: 1, waiting: 1 });

    expect(selfies.looked.sort()).toEqual(['selfies/in-time', 'selfies/never']);
    expect(updatesFor('EXPIRED').map((w) => w.Key)).toEqual([{ checkId: 'never' }]);
    expect(waits()).toEqual([
      expect.objectContaining({
        Key: { checkId: 'in-time' },
        UpdateExpression: expect.stringContaining('#sweepStatus = :uploaded, #sweepAt = :until'),
        ConditionExpression:
          '#status = :awaiting AND #sweepStatus = :awaiting AND #uploadExpiresAt < :cutoff',
        ExpressionAttributeValues: expect.objectContaining({
          ':until': new Date(NOW.getTime() + 3600 * 1000).toISOString(),
          ':cutoff': uploadCutoff,
        }),
      }),
    ]);
    expect(selfies.deleted).toEqual([]);
  });

  it('fails an uploaded check nobody claimed within the window with INTERNAL_ERROR and deletes its selfie', async () => {
    onQuery('UPLOADED').resolves({ Items: keys('UPLOADED', 'lost') });
    const { deps, selfies } = setup({}, fakeSelfies('selfies/lost'));
    expect(await sweep(deps)).toEqual({ ...NO_COUNTS, unclaimed: 1 });

    // Entries are listed from claimWait - staleGrace (30 min) before their wait ends: a claim made
    // since the wait began leaves the entry here and may go stale first.
    expect(ddb).toReceiveCommandWith(QueryCommand, {
      ExpressionAttributeValues: { ':status': 'UPLOADED', ':cutoff': '2026-11-25T12:30:00.000Z' },
    });
    expect(updatesFor('FAILED')[0]).toMatchObject({
      Key: { checkId: 'lost' },
      ConditionExpression: '#status = :awaiting AND #sweepStatus = :uploaded AND #sweepAt < :cutoff',
      ExpressionAttributeValues: {
        ':cutoff': NOW.toISOString(),
        ':failure': { reason: 'INTERNAL_ERROR', message: expect.stringContaining('no checker') },
      },
    });
    expect(updatesFor('EXPIRED')).toEqual([]);
    expect(selfies.deleted).toEqual(['selfies/lost']);
  });

  it('keeps the selfie of an unclaimed check when selfies are retained', async () => {
    onQuery('UPLOADED').resolves({ Items: keys('UPLOADED', 'lost') });
    const { deps, selfies } = setup({ retainSelfies: true }, fakeSelfies('selfies/lost'));
    expect(await sweep(deps)).toEqual({ ...NO_COUNTS, unclaimed: 1 });
    expect(selfies.deleted).toEqual([]);
  });

  it('deletes nothing when the checker claimed the check first: the write is refused', async () => {
    onQuery('UPLOADED').resolves({ Items: keys('UPLOADED', 'claimed') });
    ddb.on(UpdateCommand).rejects(conditionalRefusal({ checkId: 'claimed', status: 'CHECKING' }));
    const { deps, selfies } = setup({}, fakeSelfies('selfies/claimed'));
    expect(await sweep(deps)).toEqual({ ...NO_COUNTS, skipped: 1 });
    expect(selfies.deleted).toEqual([]);
  });

  it('counts a check the checker claimed meanwhile as skipped, not as waiting', async () => {
    onQuery('AWAITING_UPLOAD').resolves({ Items: keys('AWAITING_UPLOAD', 'claimed') });
    ddb.on(UpdateCommand).rejects(conditionalRefusal({ checkId: 'claimed', status: 'CHECKING' }));
    const { deps, selfies } = setup({}, fakeSelfies('selfies/claimed'));
    expect(await sweep(deps)).toEqual({ ...NO_COUNTS, skipped: 1 });
    expect(selfies.deleted).toEqual([]);
  });

  it('reads an entry whose wait is not over, and fails it only for a claim made since that went stale', async () => {
    // NOW is 12:00; the entries' waits end at 12:20, inside the 30 min looked at early.
    onQuery('UPLOADED').resolves({
      Items: ['stale', 'live', 'waiting'].map((checkId) => ({
        checkId,
        sweepStatus: 'UPLOADED',
        sweepAt: '2026-11-25T12:20:00.000Z',
      })),
    });
    ddb.on(GetCommand, { Key: { checkId: 'stale' } }).resolves({
      Item: { checkId: 'stale', status: 'CHECKING', leaseExpiresAt: LEASE_CUTOFF - 1 },
    });
    ddb.on(GetCommand, { Key: { checkId: 'live' } }).resolves({
      Item: { checkId: 'live', status: 'CHECKING', leaseExpiresAt: LEASE_CUTOFF + 1 },
    });
    ddb.on(GetCommand, { Key: { checkId: 'waiting' } }).resolves({
      Item: { checkId: 'waiting', status: 'AWAITING_UPLOAD' },
    });
    const { deps, selfies } = setup({}, fakeSelfies('selfies/stale', 'selfies/live', 'selfies/waiting'));
    expect(await sweep(deps)).toEqual({ ...NO_COUNTS, failed: 1, notYetDue: 2 });
    expect(updatesFor('FAILED')).toEqual([
      expect.objectContaining({
        Key: { checkId: 'stale' },
        ConditionExpression: '#status = :checking AND #leaseExpiresAt < :cutoffMs',
        ExpressionAttributeValues: expect.objectContaining({ ':cutoffMs': LEASE_CUTOFF }),
      }),
    ]);
    expect(selfies.deleted).toEqual(['selfies/stale']);
  });

  it('fails a stale claim that refused the upload-expired write, under its upload entry', async () => {
    onQuery('AWAITING_UPLOAD').resolves({ Items: keys('AWAITING_UPLOAD', 'crashed') });
    ddb
      .on(UpdateCommand, { ExpressionAttributeValues: { ':final': 'EXPIRED' } })
      .rejects(
        conditionalRefusal({ checkId: 'crashed', status: 'CHECKING', leaseExpiresAt: LEASE_CUTOFF - 1 }),
      );
    const { deps } = setup();
    expect(await sweep(deps)).toEqual({ ...NO_COUNTS, failed: 1 });
    expect(updatesFor('FAILED')[0]).toMatchObject({
      Key: { checkId: 'crashed' },
      ExpressionAttributeValues: { ':failure': { reason: 'LEASE_EXPIRED' } },
    });
  });

  describe('claims made since the entry was written (decision 13)', () => {
    const entry = (status: string, checkId: string, sweepAt: string) => ({
      checkId,
      sweepStatus: status,
      sweepAt,
    });

    it('reads an UPLOADED entry whose wait ends right now instead of failing it unclaimed', async () => {
      onQuery('UPLOADED').resolves({ Items: [entry('UPLOADED', 'now', NOW.toISOString())] });
      ddb.on(GetCommand).resolves({ Item: { checkId: 'now', status: 'AWAITING_UPLOAD' } });
      const { deps } = setup();
      expect(await sweep(deps)).toEqual({ ...NO_COUNTS, notYetDue: 1 });
      expect(ddb.commandCalls(UpdateCommand)).toEqual([]);
    });

    it('lists upload entries early when the upload form outlives the stale grace, and reads those not yet due', async () => {
      // Form 3600 s, stale grace 1800 s: a claim made at creation can be stale 1800 s before sweepAt.
      const notDue = '2026-11-25T12:10:00.000Z';
      onQuery('AWAITING_UPLOAD').resolves({
        Items: [
          entry('AWAITING_UPLOAD', 'early', notDue),
          entry('AWAITING_UPLOAD', 'gone', '2026-11-25T11:54:59.999Z'),
        ],
      });
      ddb
        .on(GetCommand)
        .resolves({ Item: { checkId: 'early', status: 'CHECKING', leaseExpiresAt: LEASE_CUTOFF - 1 } });
      const { deps, selfies } = setup({ uploadUrlTtlSeconds: 3600 });
      expect(await sweep(deps)).toEqual({ ...NO_COUNTS, failed: 1, expired: 1 });
      expect(ddb).toReceiveCommandWith(QueryCommand, {
        ExpressionAttributeValues: { ':status': 'AWAITING_UPLOAD', ':cutoff': '2026-11-25T12:30:00.000Z' },
      });
      // Only the one whose upload grace has passed is looked for in the bucket.
      expect(selfies.looked).toEqual(['selfies/gone']);
      expect(ddb).toReceiveCommandTimes(GetCommand, 1);
      expect(updatesFor('FAILED')).toEqual([expect.objectContaining({ Key: { checkId: 'early' } })]);
    });

    it('reads an upload entry whose grace ends exactly now as not yet due', async () => {
      onQuery('AWAITING_UPLOAD').resolves({
        Items: [entry('AWAITING_UPLOAD', 'edge', '2026-11-25T11:55:00.000Z')],
      });
      ddb.on(GetCommand).resolves({ Item: { checkId: 'edge', status: 'AWAITING_UPLOAD' } });
      const { deps, selfies } = setup({ uploadUrlTtlSeconds: 3600 });
      expect(await sweep(deps)).toEqual({ ...NO_COUNTS, notYetDue: 1 });
      expect(selfies.looked).toEqual([]);
    });

    it('leaves a check that is gone, or whose lease ran out exactly at the cutoff, to the next run', async () => {
      onQuery('UPLOADED').resolves({
        Items: [
          entry('UPLOADED', 'gone', '2026-11-25T12:20:00.000Z'),
          entry('UPLOADED', 'edge', '2026-11-25T12:20:00.000Z'),
        ],
      });
      ddb.on(GetCommand, { Key: { checkId: 'gone' } }).resolves({});
      ddb.on(GetCommand, { Key: { checkId: 'edge' } }).resolves({
        Item: { checkId: 'edge', status: 'CHECKING', leaseExpiresAt: LEASE_CUTOFF },
      });
      const { deps } = setup();
      expect(await sweep(deps)).toEqual({ ...NO_COUNTS, notYetDue: 2 });
      expect(ddb.commandCalls(UpdateCommand)).toEqual([]);
    });

    it('takes a refused expire of a check claimed under a live lease as skipped, with no second write', async () => {
      onQuery('AWAITING_UPLOAD').resolves({ Items: keys('AWAITING_UPLOAD', 'busy') });
      ddb
        .on(UpdateCommand)
        .rejects(
          conditionalRefusal({ checkId: 'busy', status: 'CHECKING', leaseExpiresAt: LEASE_CUTOFF + 1 }),
        );
      const { deps } = setup();
      expect(await sweep(deps)).toEqual({ ...NO_COUNTS, skipped: 1 });
      expect(ddb).toReceiveCommandTimes(UpdateCommand, 1);
    });

    describe('a claim that is not stale where the entry was listed', () => {
      const claimed = (leaseExpiresAt: number) => ({
        checkId: 'busy',
        status: 'CHECKING',
        leaseId: 'L1',
        leaseExpiresAt,
        sweepStatus: 'AWAITING_UPLOAD',
        sweepAt: '2026-11-25T09:00:00.000Z',
      });
      const moves = () =>
        ddb
          .commandCalls(UpdateCommand)
          .map((call) => call.args[0].input)
          .filter((input) => input.ExpressionAttributeValues?.[':sweepAt'] !== undefined);

      it.each([
        ['a live lease: to now, since its holder may release it from now on', NOW.getTime() + 60_000, NOW],
        [
          'a lease that ran out within the grace: to its expiry',
          LEASE_CUTOFF + 1,
          new Date(LEASE_CUTOFF + 1),
        ],
      ])('moves the entry of %s', async (_, leaseExpiresAt, sweepAt) => {
        onQuery('AWAITING_UPLOAD').resolves({ Items: keys('AWAITING_UPLOAD', 'busy') });
        ddb
          .on(UpdateCommand, { ExpressionAttributeValues: { ':final': 'EXPIRED' } })
          .rejects(conditionalRefusal(claimed(leaseExpiresAt)));
        const { deps } = setup();
        expect(await sweep(deps)).toEqual({ ...NO_COUNTS, rescheduled: 1 });
        expect(moves()).toEqual([
          expect.objectContaining({
            Key: { checkId: 'busy' },
            ConditionExpression: '#status = :checking AND #leaseId = :leaseId AND #leaseExpiresAt = :lease',
            ExpressionAttributeValues: expect.objectContaining({
              ':checking': 'CHECKING',
              ':sweepAt': sweepAt.toISOString(),
              ':leaseId': 'L1',
              ':lease': leaseExpiresAt,
            }),
          }),
        ]);
      });

      it('moves the entry of a live claim read early, instead of reading it every run', async () => {
        onQuery('UPLOADED').resolves({
          Items: [{ checkId: 'busy', sweepStatus: 'UPLOADED', sweepAt: '2026-11-25T12:20:00.000Z' }],
        });
        ddb
          .on(GetCommand)
          .resolves({ Item: { ...claimed(NOW.getTime() + 60_000), sweepStatus: 'UPLOADED' } });
        const { deps } = setup();
        expect(await sweep(deps)).toEqual({ ...NO_COUNTS, rescheduled: 1 });
        expect(moves()).toHaveLength(1);
      });

      it('leaves the entry when the claim was released or renewed since it was read', async () => {
        onQuery('AWAITING_UPLOAD').resolves({ Items: keys('AWAITING_UPLOAD', 'busy') });
        ddb
          .on(UpdateCommand, { ExpressionAttributeValues: { ':final': 'EXPIRED' } })
          .rejects(conditionalRefusal(claimed(NOW.getTime() + 60_000)));
        ddb
          .on(UpdateCommand, { ExpressionAttributeValues: { ':checking': 'CHECKING', ':leaseId': 'L1' } })
          .rejects(conditionalRefusal({ ...claimed(NOW.getTime()), leaseId: 'L2' }));
        const { deps } = setup();
        expect(await sweep(deps)).toEqual({ ...NO_COUNTS, skipped: 1 });
        expect(moves()).toHaveLength(1);
      });

      it('leaves a CHECKING entry that already sits at or after where the claim would move it', async () => {
        onQuery('CHECKING').resolves({ Items: keys('CHECKING', 'busy') });
        ddb.on(UpdateCommand).rejects(
          conditionalRefusal({
            ...claimed(LEASE_CUTOFF + 1),
            sweepStatus: 'CHECKING',
            sweepAt: NOW.toISOString(),
          }),
        );
        const { deps } = setup();
        expect(await sweep(deps)).toEqual({ ...NO_COUNTS, skipped: 1 });
        expect(moves()).toEqual([]);
      });
    });

    it('never tries a refused stale-lease write twice, whatever the refusal says', async () => {
      onQuery('CHECKING').resolves({ Items: keys('CHECKING', 'racing') });
      // A refusal whose item still looks stale (a writer raced this one): no second attempt, no loop.
      ddb
        .on(UpdateCommand)
        .rejects(
          conditionalRefusal({ checkId: 'racing', status: 'CHECKING', leaseExpiresAt: LEASE_CUTOFF - 1 }),
        );
      const { deps } = setup();
      expect(await sweep(deps)).toEqual({ ...NO_COUNTS, skipped: 1 });
      expect(ddb).toReceiveCommandTimes(UpdateCommand, 1);
    });

    it.each([
      ['the unclaimed write at the end of its wait', 'UPLOADED'],
      ['the wait for its checker, its selfie being in the bucket', 'AWAITING_UPLOAD'],
    ] as const)('fails a stale claim that refused %s', async (_, partition) => {
      onQuery(partition).resolves({ Items: keys(partition, 'stuck') });
      ddb
        .on(UpdateCommand, { ExpressionAttributeValues: { ':uploaded': 'UPLOADED' } })
        .rejects(
          conditionalRefusal({ checkId: 'stuck', status: 'CHECKING', leaseExpiresAt: LEASE_CUTOFF - 1 }),
        );
      const { deps } = setup({}, fakeSelfies('selfies/stuck'));
      expect(await sweep(deps)).toEqual({ ...NO_COUNTS, failed: 1 });
      expect(updatesFor('FAILED').at(-1)).toMatchObject({
        Key: { checkId: 'stuck' },
        ConditionExpression: '#status = :checking AND #leaseExpiresAt < :cutoffMs',
      });
    });

    it('takes an entry without a time as due', async () => {
      onQuery('AWAITING_UPLOAD').resolves({ Items: [{ checkId: 'old', sweepStatus: 'AWAITING_UPLOAD' }] });
      const { deps, selfies } = setup();
      expect(await sweep(deps)).toEqual({ ...NO_COUNTS, expired: 1 });
      expect(selfies.looked).toEqual(['selfies/old']);
    });
  });

  it('counts a failed bucket lookup as an error and neither expires nor waits', async () => {
    onQuery('AWAITING_UPLOAD').resolves({ Items: keys('AWAITING_UPLOAD', 'unknown') });
    const selfies = fakeSelfies();
    selfies.exists = async () => {
      throw Object.assign(new Error('down'), { name: 'InternalError' });
    };
    const { deps, logger } = setup({}, selfies);
    expect(await sweep(deps)).toEqual({ ...NO_COUNTS, errors: 1 });
    expect(ddb.commandCalls(UpdateCommand)).toEqual([]);
    expect(logger.warn).toHaveBeenCalledWith('sweep lookup failed', {
      checkId: 'unknown',
      error: { name: 'InternalError', message: 'down' },
    });
  });
});

describe('sweep of stale leases', () => {
  it('deletes the selfie of a check it fails for a stale lease, under the key the check recorded', async () => {
    onQuery('CHECKING').resolves({ Items: keys('CHECKING', 'c1') });
    ddb.on(UpdateCommand).resolves({
      Attributes: { checkId: 'c1', status: 'FAILED', objectKey: 'selfies/direct-upload.jpg' },
    });
    const { deps, selfies } = setup({}, fakeSelfies('selfies/direct-upload.jpg'));
    expect(await sweep(deps)).toEqual({ ...NO_COUNTS, failed: 1 });
    expect(selfies.deleted).toEqual(['selfies/direct-upload.jpg']);
  });

  it('never deletes an object outside the selfie prefix, whatever key the check recorded', async () => {
    onQuery('CHECKING').resolves({ Items: keys('CHECKING', 'c1') });
    ddb.on(UpdateCommand).resolves({
      Attributes: { checkId: 'c1', status: 'FAILED', objectKey: 'elsewhere/c1' },
    });
    const { deps, selfies } = setup({}, fakeSelfies('elsewhere/c1'));
    expect(await sweep(deps)).toEqual({ ...NO_COUNTS, failed: 1 });
    expect(selfies.deleted).toEqual([]);
  });

  it('keeps it when selfies are retained', async () => {
    onQuery('CHECKING').resolves({ Items: keys('CHECKING', 'c1') });
    ddb.on(UpdateCommand).resolves({ Attributes: { checkId: 'c1', objectKey: 'selfies/c1' } });
    const { deps, selfies } = setup({ retainSelfies: true }, fakeSelfies('selfies/c1'));
    expect(await sweep(deps)).toEqual({ ...NO_COUNTS, failed: 1 });
    expect(selfies.deleted).toEqual([]);
  });

  it('counts a failed delete as an error, with the verdict recorded', async () => {
    onQuery('CHECKING').resolves({ Items: keys('CHECKING', 'c1') });
    ddb.on(UpdateCommand).resolves({ Attributes: { checkId: 'c1', objectKey: 'selfies/c1' } });
    const selfies = fakeSelfies('selfies/c1');
    selfies.failDeletes = true;
    const { deps, logger } = setup({}, selfies);
    expect(await sweep(deps)).toEqual({ ...NO_COUNTS, failed: 1, errors: 1 });
    expect(logger.warn).toHaveBeenCalledWith('selfie delete failed', {
      checkId: 'c1',
      error: { name: 'SlowDown', message: 'slow down' },
    });
  });
});
