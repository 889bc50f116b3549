import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSelfieStore } from '../../../functions/sweeper/selfie-store.js';
import { LEASE_EXPIRED_FAILURE, type SweeperDeps, sweep } from '../../../functions/sweeper/sweeper.js';
import { isFinalStatus } from '../../../shared/check.js';
import { CheckRepository, type ObjectFacts } from '../../../shared/check-repository.js';
import { createCheckTable } from '../../../tools/local/provision-table.js';
import { testClock } from '../../support/clock.js';
import { awsClientConfig, type Moto, startMoto } from '../../support/moto.js';

const t0 = new Date('2026-11-25T10:00:00.000Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const object: ObjectFacts = { bucket: 'b', objectKey: 'selfies/x', objectSize: 1000 };
const config = {
  uploadUrlTtlSeconds: 300,
  uploadGraceSeconds: 300,
  staleCheckGraceSeconds: 1800,
  claimWaitSeconds: 3600,
  maxSweepItems: 500,
  selfiePrefix: 'selfies/',
  retainSelfies: false,
};
const logger = () => ({ info: vi.fn(), warn: vi.fn() });

describe('sweeper on moto', () => {
  let moto: Moto;
  let client: DynamoDBClient;
  let streams: DynamoDBStreamsClient;
  let repo: CheckRepository;
  let streamArn: string;
  let table = 0;
  let s3: S3Client;
  let bucket: string;

  beforeAll(async () => {
    moto = await startMoto();
    client = new DynamoDBClient(awsClientConfig(moto.endpoint));
    streams = new DynamoDBStreamsClient(awsClientConfig(moto.endpoint));
    s3 = new S3Client(awsClientConfig(moto.endpoint));
  });
  afterAll(async () => {
    await moto?.stop();
  });
  beforeEach(async () => {
    const name = `checks-${++table}`;
    ({ streamArn } = await createCheckTable(client, name));
    repo = new CheckRepository(client, name, 86_400);
    bucket = `selfies-${table}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  const run = (now: Date, repository: SweeperDeps['repository'] = repo, overrides = {}) =>
    sweep({
      config: { ...config, ...overrides },
      repository,
      selfies: createSelfieStore(s3, bucket),
      clock: testClock(() => now),
      logger: logger(),
    });
  const upload = async (key: string) =>
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: new Uint8Array([0xff, 0xd8, 0xff]) }),
    );
  const stored = async (key: string) =>
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
      () => true,
      () => false,
    );
  const none = {
    expired: 0,
    failed: 0,
    waiting: 0,
    unclaimed: 0,
    skipped: 0,
    notYetDue: 0,
    rescheduled: 0,
    errors: 0,
  };

  /** Every stream record that moves a check into a final status: what the notifier turns into events. */
  async function finalTransitions(): Promise<{ checkId: string; status: string }[]> {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const transitions: { checkId: string; status: string }[] = [];
    for (const shard of StreamDescription?.Shards ?? []) {
      const { ShardIterator } = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      const { Records = [] } = await streams.send(new GetRecordsCommand({ ShardIterator, Limit: 1000 }));
      for (const record of Records) {
        const next = record.dynamodb?.NewImage?.status?.S;
        const previous = record.dynamodb?.OldImage?.status?.S;
        if (isFinalStatus(next) && !isFinalStatus(previous)) {
          transitions.push({ checkId: record.dynamodb?.Keys?.checkId?.S ?? '', status: next });
        }
      }
    }
    return transitions;
  }

  it('expires an upload that never arrived once its URL expired and the grace passed', async () => {
    await repo.createAwaitingUpload({ checkId: 'gone', now: t0, uploadExpiresAt: at(300) });
    await repo.createAwaitingUpload({ checkId: 'fresh', now: at(400), uploadExpiresAt: at(700) });

    expect(await run(at(599))).toEqual({ ...none, expired: 0, failed: 0, skipped: 0, errors: 0 });
    expect(await run(at(601))).toEqual({ ...none, expired: 1, failed: 0, skipped: 0, errors: 0 });

    expect(await repo.get('gone')).toMatchObject({ status: 'EXPIRED', decidedAt: at(601).toISOString() });
    expect(await repo.get('gone')).not.toHaveProperty('sweepStatus');
    expect((await repo.get('fresh'))?.status).toBe('AWAITING_UPLOAD');
    expect(await finalTransitions()).toEqual([{ checkId: 'gone', status: 'EXPIRED' }]);
  });

  it('refuses a late upload on an expired check', async () => {
    await repo.createAwaitingUpload({ checkId: 'late', now: t0, uploadExpiresAt: at(300) });
    await run(at(601));
    const claim = await repo.claim({ checkId: 'late', object, leaseId: 'L', leaseMs: 60_000, now: at(602) });
    expect(claim).toMatchObject({ written: false, current: { status: 'EXPIRED' } });
  });

  it('skips an upload that arrives between listing and writing: the checker wins', async () => {
    await repo.createAwaitingUpload({ checkId: 'race', now: t0, uploadExpiresAt: at(300) });
    const racing: SweeperDeps['repository'] = {
      listSweepable: async (input) => {
        const page = await repo.listSweepable(input);
        if (input.status === 'AWAITING_UPLOAD') {
          await repo.claim({ checkId: 'race', object, leaseId: 'L', leaseMs: 60_000, now: at(601) });
        }
        return page;
      },
      finalize: (input) => repo.finalize(input),
      awaitClaim: (input) => repo.awaitClaim(input),
      followClaim: (input) => repo.followClaim(input),
      get: (checkId) => repo.get(checkId),
    };
    // The claim is live: its entry moves to it (decision 13) instead of being refused again every run.
    expect(await run(at(601), racing)).toEqual({ ...none, rescheduled: 1 });
    expect((await repo.get('race'))?.status).toBe('CHECKING');
    expect(await finalTransitions()).toEqual([]);
  });

  it('fails a check whose lease ran out more than the grace ago, and only that one', async () => {
    await repo.claim({ checkId: 'stuck', object, leaseId: 'L1', leaseMs: 60_000, now: t0 });
    await repo.claim({ checkId: 'busy', object, leaseId: 'L2', leaseMs: 60_000, now: at(1800) });

    expect(await run(at(60 + 1799))).toMatchObject({ failed: 0 });
    expect(await run(at(60 + 1801))).toEqual({ ...none, expired: 0, failed: 1, skipped: 0, errors: 0 });
    expect(await repo.get('stuck')).toMatchObject({ status: 'FAILED', failure: LEASE_EXPIRED_FAILURE });
    expect((await repo.get('busy'))?.status).toBe('CHECKING');
  });

  it('gives a released lease the whole grace for SQS to redeliver', async () => {
    await repo.claim({ checkId: 'retry', object, leaseId: 'L1', leaseMs: 60_000, now: t0 });
    await repo.release({ checkId: 'retry', leaseId: 'L1', now: at(10) });
    expect(await run(at(10 + 1799))).toMatchObject({ failed: 0 });
    expect(await run(at(10 + 1801))).toMatchObject({ failed: 1 });
  });

  it('fails a released lease whose next delivery a backlog holds past the grace; that delivery claims nothing', async () => {
    // Issue 22 point 7 (ii): the grace runs from the release, whatever holds the message in the queue
    // (settings rule stale-grace-exceeds-retry-window counts receives, not a backlog): with the
    // defaults a visible message waiting 24 min behind a backlog (1800 s - 360 s of visibility), or
    // 9 min per receive when two more receives end before their claim, comes back to a FAILED check.
    await repo.claim({ checkId: 'backlogged', object, leaseId: 'L1', leaseMs: 60_000, now: t0 });
    await repo.release({ checkId: 'backlogged', leaseId: 'L1', now: at(10) });
    expect(await run(at(10 + 1801))).toMatchObject({ failed: 1 });
    const late = await repo.claim({
      checkId: 'backlogged',
      object,
      leaseId: 'L2',
      leaseMs: 60_000,
      now: at(1900),
    });
    expect(late).toMatchObject({
      written: false,
      current: { status: 'FAILED', failure: LEASE_EXPIRED_FAILURE, attempts: 1 },
    });
  });

  it('lets the sweep win over a late verdict: the verdict is refused, one final status, one event', async () => {
    await repo.claim({ checkId: 'slow', object, leaseId: 'L1', leaseMs: 60_000, now: t0 });
    expect(await run(at(2000))).toMatchObject({ failed: 1 });
    const late = await repo.finalize({
      checkId: 'slow',
      outcome: { status: 'PASSED', result: { valid: true, transactionId: 'tx-late' } },
      guard: { kind: 'lease', leaseId: 'L1' },
      now: at(2001),
    });
    expect(late).toMatchObject({ written: false, current: { status: 'FAILED' } });
    expect(await repo.get('slow')).toMatchObject({ status: 'FAILED', failure: { reason: 'LEASE_EXPIRED' } });
    expect(await finalTransitions()).toEqual([{ checkId: 'slow', status: 'FAILED' }]);
  });

  it('lets a late verdict that lands first win: the sweep skips, one final status, one event', async () => {
    await repo.claim({ checkId: 'slow', object, leaseId: 'L1', leaseMs: 60_000, now: t0 });
    const racing: SweeperDeps['repository'] = {
      listSweepable: async (input) => {
        const page = await repo.listSweepable(input);
        if (input.status === 'CHECKING') {
          await repo.finalize({
            checkId: 'slow',
            outcome: { status: 'PASSED', result: { valid: true, transactionId: 'tx-late' } },
            guard: { kind: 'lease', leaseId: 'L1' },
            now: at(2000),
          });
        }
        return page;
      },
      finalize: (input) => repo.finalize(input),
      awaitClaim: (input) => repo.awaitClaim(input),
      followClaim: (input) => repo.followClaim(input),
      get: (checkId) => repo.get(checkId),
    };
    expect(await run(at(2000), racing)).toEqual({ ...none, expired: 0, failed: 0, skipped: 1, errors: 0 });
    expect(await repo.get('slow')).toMatchObject({ status: 'PASSED', result: { transactionId: 'tx-late' } });
    expect(await finalTransitions()).toEqual([{ checkId: 'slow', status: 'PASSED' }]);
  });

  it('skips a stale lease that a new delivery renews between listing and writing: the new holder keeps it', async () => {
    await repo.claim({ checkId: 'renewed', object, leaseId: 'L1', leaseMs: 60_000, now: t0 });
    const racing: SweeperDeps['repository'] = {
      listSweepable: async (input) => {
        const page = await repo.listSweepable(input);
        if (input.status === 'CHECKING') {
          await repo.claim({ checkId: 'renewed', object, leaseId: 'L2', leaseMs: 60_000, now: at(2000) });
        }
        return page;
      },
      finalize: (input) => repo.finalize(input),
      awaitClaim: (input) => repo.awaitClaim(input),
      followClaim: (input) => repo.followClaim(input),
      get: (checkId) => repo.get(checkId),
    };
    expect(await run(at(2000), racing)).toEqual({ ...none, rescheduled: 1 });
    expect(await repo.get('renewed')).toMatchObject({ status: 'CHECKING', leaseId: 'L2', attempts: 2 });
    const verdict = await repo.finalize({
      checkId: 'renewed',
      outcome: { status: 'PASSED', result: { valid: true, transactionId: 'tx-2' } },
      guard: { kind: 'lease', leaseId: 'L2' },
      now: at(2010),
    });
    expect(verdict.written).toBe(true);
    expect(await finalTransitions()).toEqual([{ checkId: 'renewed', status: 'PASSED' }]);
  });

  describe('a check claimed under its upload entry (a claim leaves the sweep index alone: decision 13)', () => {
    it('fails a claim of an API check that went stale, at the same time as any stale claim', async () => {
      await repo.createAwaitingUpload({ checkId: 'api-up', now: t0, uploadExpiresAt: at(300) });
      await repo.createAwaitingUpload({ checkId: 'api-gone', now: t0, uploadExpiresAt: at(300) });
      await upload('selfies/api-up');
      for (const [checkId, leaseId] of [
        ['api-up', 'L1'],
        ['api-gone', 'L2'],
      ] as const) {
        const facts: ObjectFacts = { bucket, objectKey: `selfies/${checkId}`, objectSize: 3 };
        await repo.claim({ checkId, object: facts, leaseId, leaseMs: 60_000, now: at(10) });
      }

      // Past the upload grace, the claims are not yet stale: left to their checkers, and their entries
      // moved to their leases' expiry, so no run lists them again before they can be stale.
      expect(await run(at(601))).toEqual({ ...none, rescheduled: 2 });
      expect(await repo.get('api-up')).toMatchObject({
        sweepStatus: 'CHECKING',
        sweepAt: at(70).toISOString(),
      });
      expect(await run(at(70 + 1799))).toEqual(none);
      expect(await run(at(70 + 1801))).toEqual({ ...none, failed: 2 });
      for (const checkId of ['api-up', 'api-gone']) {
        expect(await repo.get(checkId)).toMatchObject({ status: 'FAILED', failure: LEASE_EXPIRED_FAILURE });
      }
      expect(await stored('selfies/api-up')).toBe(false);
      expect((await finalTransitions()).map((t) => t.status)).toEqual(['FAILED', 'FAILED']);
    });

    it('fails a stale claim made while the upload waited for its checker, before the wait ends', async () => {
      const checkId = '9f1d2c3b-4a5e-4f60-8a7b-9c8d7e6f5a44';
      await repo.createAwaitingUpload({ checkId, now: t0, uploadExpiresAt: at(300) });
      await upload(`selfies/${checkId}`);
      expect(await run(at(601))).toEqual({ ...none, waiting: 1 });
      await repo.claim({ checkId, object, leaseId: 'M1', leaseMs: 60_000, now: at(700) });

      expect(await run(at(760 + 1799))).toEqual({ ...none, rescheduled: 1 });
      expect(await run(at(760 + 1801))).toEqual({ ...none, failed: 1 });
      expect(await repo.get(checkId)).toMatchObject({ status: 'FAILED', failure: LEASE_EXPIRED_FAILURE });
      expect(await finalTransitions()).toEqual([{ checkId, status: 'FAILED' }]);
    });

    it('looks early under the upload entries when an upload form outlives the stale grace', async () => {
      const long = { uploadUrlTtlSeconds: 3600 };
      await repo.createAwaitingUpload({ checkId: 'slow-form', now: t0, uploadExpiresAt: at(3600) });
      await repo.createAwaitingUpload({ checkId: 'unclaimed', now: t0, uploadExpiresAt: at(3600) });
      await repo.claim({ checkId: 'slow-form', object, leaseId: 'L1', leaseMs: 60_000, now: at(10) });

      expect(await run(at(70 + 1799), repo, long)).toEqual({ ...none, notYetDue: 1, rescheduled: 1 });
      expect(await run(at(70 + 1801), repo, long)).toEqual({ ...none, failed: 1, notYetDue: 1 });
      expect(await repo.get('slow-form')).toMatchObject({ status: 'FAILED', failure: LEASE_EXPIRED_FAILURE });
      expect((await repo.get('unclaimed'))?.status).toBe('AWAITING_UPLOAD');
      expect(await run(at(3600 + 301), repo, long)).toEqual({ ...none, expired: 1 });
    });
  });

  it('reaches an abandoned upload behind a budget of claims still being retried, and fails them at lease + grace', async () => {
    // A vendor outage: each retried check is received at 10 s, 370 s and 730 s; the first two receives
    // release their lease 5 s later, the third one's container crashes (its lease runs out at 850 s).
    const retried = ['r0', 'r1', 'r2', 'r3', 'r4'];
    for (const checkId of retried) {
      await repo.createAwaitingUpload({ checkId, now: t0, uploadExpiresAt: at(300) });
      await upload(`selfies/${checkId}`);
    }
    // Sorted behind them in the index: its upload expired a second later and never arrived.
    await repo.createAwaitingUpload({ checkId: 'abandoned', now: at(1), uploadExpiresAt: at(301) });
    const receive = async (seconds: number, release: boolean) => {
      for (const checkId of retried) {
        const facts: ObjectFacts = { bucket, objectKey: `selfies/${checkId}`, objectSize: 3 };
        const leaseId = `${checkId}-${seconds}`;
        await repo.claim({ checkId, object: facts, leaseId, leaseMs: 120_000, now: at(seconds) });
        if (release) await repo.release({ checkId, leaseId, now: at(seconds + 5) });
      }
    };
    const budget = { maxSweepItems: 4 };
    await receive(10, true);
    await receive(370, true);
    // Sweeps every minute from the end of the upload grace until the outage ends (18 minutes).
    for (let seconds = 601; seconds <= 1081; seconds += 60) {
      if (seconds > 730 && seconds - 60 <= 730) await receive(730, false);
      await run(at(seconds), repo, budget);
    }
    expect((await repo.get('abandoned'))?.status).toBe('EXPIRED');

    // The crashed claims are failed at their lease's end plus the grace, not a run earlier.
    await run(at(850 + 1799), repo, budget);
    await run(at(850 + 1799), repo, budget);
    for (const checkId of retried) expect((await repo.get(checkId))?.status).toBe('CHECKING');
    await run(at(850 + 1801), repo, budget);
    await run(at(850 + 1801), repo, budget);
    await run(at(850 + 1801), repo, budget);
    for (const checkId of retried) {
      expect(await repo.get(checkId)).toMatchObject({ status: 'FAILED', failure: LEASE_EXPIRED_FAILURE });
    }
  });

  it('pages through the index while it settles what it reads, up to the budget', async () => {
    for (let i = 0; i < 7; i++) {
      await repo.createAwaitingUpload({ checkId: `p${i}`, now: t0, uploadExpiresAt: at(300 + i) });
    }
    const first = await sweep({
      config: { ...config, maxSweepItems: 5 },
      repository: repo,
      selfies: createSelfieStore(s3, bucket),
      clock: testClock(() => at(1000)),
      logger: logger(),
      pageSize: 2,
    });
    expect(first).toEqual({ ...none, expired: 5, failed: 0, skipped: 0, errors: 0 });
    const second = await sweep({
      config,
      repository: repo,
      selfies: createSelfieStore(s3, bucket),
      clock: testClock(() => at(1000)),
      logger: logger(),
      pageSize: 2,
    });
    expect(second).toEqual({ ...none, expired: 2, failed: 0, skipped: 0, errors: 0 });
    expect(await finalTransitions()).toHaveLength(7);
  });

  it('never expires a check whose selfie arrived in time, however long the queue holds its notification', async () => {
    const checkId = '6f1d2c3b-4a5e-4f60-8a7b-9c8d7e6f5a41';
    await repo.createAwaitingUpload({ checkId, now: t0, uploadExpiresAt: at(300) });
    await upload(`selfies/${checkId}`);

    expect(await run(at(601))).toEqual({ ...none, waiting: 1 });
    expect(await repo.get(checkId)).toMatchObject({
      status: 'AWAITING_UPLOAD',
      sweepStatus: 'UPLOADED',
      sweepAt: at(601 + 3600).toISOString(),
    });
    // Later runs inside the wait only read it (a claim may have joined it), and the upload-expired write
    // is refused outright.
    expect(await run(at(601 + 3599))).toEqual({ ...none, notYetDue: 1 });
    const expire = await repo.finalize({
      checkId,
      outcome: { status: 'EXPIRED' },
      guard: { kind: 'upload-expired', cutoff: at(4000).toISOString() },
      now: at(4000),
    });
    expect(expire.written).toBe(false);

    // The backlogged notification arrives: the checker claims and decides as usual.
    const claim = await repo.claim({ checkId, object, leaseId: 'M1', leaseMs: 120_000, now: at(3000) });
    expect(claim.written).toBe(true);
    await repo.finalize({
      checkId,
      outcome: { status: 'PASSED', result: { valid: true, transactionId: 'tx-1' } },
      guard: { kind: 'lease', leaseId: 'M1' },
      now: at(3001),
    });
    expect(await run(at(601 + 3601))).toEqual(none);
    expect(await repo.get(checkId)).toMatchObject({ status: 'PASSED' });
    expect(await finalTransitions()).toEqual([{ checkId, status: 'PASSED' }]);
  });

  it('still expires a check whose selfie never arrived', async () => {
    const checkId = '7f1d2c3b-4a5e-4f60-8a7b-9c8d7e6f5a42';
    await repo.createAwaitingUpload({ checkId, now: t0, uploadExpiresAt: at(300) });
    await upload(`selfies/${checkId}-not-this-one`);
    expect(await run(at(601))).toEqual({ ...none, expired: 1 });
    expect(await finalTransitions()).toEqual([{ checkId, status: 'EXPIRED' }]);
  });

  it('fails an uploaded check no checker claimed within the wait with INTERNAL_ERROR and deletes its selfie', async () => {
    const checkId = '8f1d2c3b-4a5e-4f60-8a7b-9c8d7e6f5a43';
    await repo.createAwaitingUpload({ checkId, now: t0, uploadExpiresAt: at(300) });
    await upload(`selfies/${checkId}`);
    expect(await run(at(601))).toEqual({ ...none, waiting: 1 });

    expect(await run(at(601 + 3601))).toEqual({ ...none, unclaimed: 1 });
    expect(await repo.get(checkId)).toMatchObject({
      status: 'FAILED',
      failure: { reason: 'INTERNAL_ERROR' },
    });
    expect(await repo.get(checkId)).not.toHaveProperty('sweepStatus');
    expect(await stored(`selfies/${checkId}`)).toBe(false);
    expect(await finalTransitions()).toEqual([{ checkId, status: 'FAILED' }]);
    // A notification that turns up after all finds the check decided.
    const late = await repo.claim({ checkId, object, leaseId: 'M9', leaseMs: 120_000, now: at(5000) });
    expect(late).toMatchObject({ written: false, current: { status: 'FAILED' } });
  });

  it('deletes the selfie of a check it fails for a stale lease, unless selfies are retained', async () => {
    const facts = (checkId: string): ObjectFacts => ({
      bucket,
      objectKey: `selfies/${checkId}`,
      objectSize: 3,
    });
    await repo.claim({ checkId: 'stale', object: facts('stale'), leaseId: 'L1', leaseMs: 60_000, now: t0 });
    await upload('selfies/stale');
    expect(await run(at(60 + 1801))).toEqual({ ...none, failed: 1 });
    expect(await stored('selfies/stale')).toBe(false);

    await repo.claim({ checkId: 'kept', object: facts('kept'), leaseId: 'L2', leaseMs: 60_000, now: t0 });
    await upload('selfies/kept');
    expect(await run(at(60 + 1801), repo, { retainSelfies: true })).toEqual({ ...none, failed: 1 });
    expect(await stored('selfies/kept')).toBe(true);
  });
});
