/**
 * What a check repository does, run against `CheckRepository` on moto and against the in-memory fake
 * the unit tests use: the same calls, the same answers, so the fake cannot drift from the real one.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ObjectFacts } from '../../shared/check-repository.js';
import { CheckRepository } from '../../shared/check-repository.js';
import { createCheckTable } from '../../tools/local/provision-table.js';
import { InMemoryCheckRepository } from '../support/in-memory-check-repository.js';
import { awsClientConfig, type Moto, startMoto } from '../support/moto.js';

/** The repository's interface as the contract drives it. */
type Repository = Pick<
  CheckRepository,
  | 'get'
  | 'createAwaitingUpload'
  | 'claim'
  | 'release'
  | 'finalize'
  | 'awaitClaim'
  | 'followClaim'
  | 'listSweepable'
>;

/** Where a contract run gets a fresh, empty repository for each test. */
interface Backend {
  start(): Promise<void>;
  fresh(): Promise<Repository>;
  stop(): Promise<void>;
}

function onMoto(): Backend {
  let moto: Moto | undefined;
  let client: DynamoDBClient;
  let table = 0;
  return {
    async start() {
      moto = await startMoto();
      client = new DynamoDBClient(awsClientConfig(moto.endpoint));
    },
    async fresh() {
      const name = `checks-${++table}`;
      await createCheckTable(client, name);
      return new CheckRepository(client, name, 86_400);
    },
    async stop() {
      await moto?.stop();
    },
  };
}

function inMemory(): Backend {
  return {
    start: async () => {},
    fresh: async () => new InMemoryCheckRepository(86_400),
    stop: async () => {},
  };
}

const object: ObjectFacts = {
  bucket: 'b',
  objectKey: 'selfies/x',
  objectSize: 10,
  device: 'IOS',
  reference: 'r-1',
};
const t0 = new Date('2026-11-25T10:00:00.000Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

describe.each([
  ['CheckRepository on moto', onMoto()],
  ['InMemoryCheckRepository', inMemory()],
])('%s', (_name, backend) => {
  let repo: Repository;

  beforeAll(async () => {
    await backend.start();
  });
  afterAll(async () => {
    await backend.stop();
  });
  beforeEach(async () => {
    repo = await backend.fresh();
  });

  it('creates a check that awaits its upload and refuses to create the same id twice', async () => {
    const input = {
      checkId: 'c1',
      now: t0,
      uploadExpiresAt: at(300),
      device: 'IOS' as const,
      reference: 'r',
    };
    const item = await repo.createAwaitingUpload({ ...input, contentType: 'image/png' });
    expect(item).toMatchObject({ status: 'AWAITING_UPLOAD', version: 1, sweepStatus: 'AWAITING_UPLOAD' });
    expect(await repo.get('c1')).toMatchObject({ device: 'IOS', reference: 'r', contentType: 'image/png' });
    expect(item.expiresAt).toBe(t0.getTime() / 1000 + 86_400);
    // Another creation of the same id (here a second later) is refused.
    await expect(repo.createAwaitingUpload({ ...input, now: at(1) })).rejects.toThrow(
      /PutItem failed with ConditionalCheckFailed/,
    );
  });

  it('answers a retried creation with the check it made, and another owner with a refusal (decision 15)', async () => {
    const input = { checkId: 'c1r', now: t0, uploadExpiresAt: at(300), owner: 'user-1' };
    const item = await repo.createAwaitingUpload(input);
    // An SDK retry of a put whose answer was lost: the same creation time, upload expiry and owner.
    expect(await repo.createAwaitingUpload(input)).toEqual(item);
    expect(await repo.get('c1r')).toEqual(item);
    await expect(repo.createAwaitingUpload({ ...input, owner: 'user-2' })).rejects.toThrow(
      /PutItem failed with ConditionalCheckFailed/,
    );
    await expect(repo.createAwaitingUpload({ ...input, uploadExpiresAt: at(301) })).rejects.toThrow(
      /PutItem failed with ConditionalCheckFailed/,
    );
  });

  it('claims a check once and refuses a second claim while the lease is live', async () => {
    const first = await repo.claim({ checkId: 'c2', object, leaseId: 'L1', leaseMs: 60_000, now: t0 });
    expect(first).toMatchObject({ written: true, item: { status: 'CHECKING', attempts: 1, leaseId: 'L1' } });
    const second = await repo.claim({ checkId: 'c2', object, leaseId: 'L2', leaseMs: 60_000, now: at(30) });
    expect(second).toMatchObject({ written: false, current: { status: 'CHECKING', leaseId: 'L1' } });
  });

  it('lets the holder of a live lease claim again at once (a redelivery of the same message)', async () => {
    await repo.claim({ checkId: 'c2r', object, leaseId: 'M1', leaseMs: 60_000, now: t0 });
    const resumed = await repo.claim({ checkId: 'c2r', object, leaseId: 'M1', leaseMs: 60_000, now: at(30) });
    expect(resumed).toMatchObject({
      written: true,
      item: { status: 'CHECKING', leaseId: 'M1', attempts: 2, leaseExpiresAt: at(90).getTime() },
    });
    // Another message (a duplicate notification) still finds the lease live and gets nothing.
    const other = await repo.claim({ checkId: 'c2r', object, leaseId: 'M2', leaseMs: 60_000, now: at(31) });
    expect(other).toMatchObject({ written: false, current: { leaseId: 'M1' } });
  });

  it('never lets a claim reopen a final check, whoever asks', async () => {
    await repo.claim({ checkId: 'c2f', object, leaseId: 'M1', leaseMs: 60_000, now: t0 });
    await repo.finalize({
      checkId: 'c2f',
      outcome: { status: 'PASSED', result: { valid: true } },
      guard: { kind: 'lease', leaseId: 'M1' },
      now: at(1),
    });
    const again = await repo.claim({ checkId: 'c2f', object, leaseId: 'M1', leaseMs: 60_000, now: at(2) });
    expect(again).toMatchObject({ written: false, current: { status: 'PASSED' } });
  });

  it('lets a new claim take over once the lease has run out and refuses the old holder its verdict', async () => {
    await repo.claim({ checkId: 'c3', object, leaseId: 'L1', leaseMs: 60_000, now: t0 });
    const takeover = await repo.claim({ checkId: 'c3', object, leaseId: 'L2', leaseMs: 60_000, now: at(61) });
    expect(takeover).toMatchObject({ written: true, item: { attempts: 2, leaseId: 'L2' } });
    const late = await repo.finalize({
      checkId: 'c3',
      outcome: { status: 'PASSED', result: { valid: true, transactionId: '1' } },
      guard: { kind: 'lease', leaseId: 'L1' },
      now: at(62),
    });
    expect(late.written).toBe(false);
    const winner = await repo.finalize({
      checkId: 'c3',
      outcome: { status: 'PASSED', result: { valid: true, transactionId: '2' } },
      guard: { kind: 'lease', leaseId: 'L2' },
      now: at(63),
    });
    expect(winner).toMatchObject({
      written: true,
      item: { status: 'PASSED', result: { transactionId: '2' } },
    });
    expect(winner.written && winner.item.leaseId).toBeFalsy();
    expect(winner.written && winner.item.sweepStatus).toBeUndefined();
  });

  it('writes the sweep index entry once per check: a claim or a release of a created check leaves it as it is', async () => {
    await repo.createAwaitingUpload({ checkId: 'c9', now: t0, uploadExpiresAt: at(300) });
    const entry = { sweepStatus: 'AWAITING_UPLOAD', sweepAt: at(300).toISOString() };
    // Index keys that keep their values cost the index no write (decision 13).
    const claimed = await repo.claim({ checkId: 'c9', object, leaseId: 'L1', leaseMs: 60_000, now: at(10) });
    expect(claimed).toMatchObject({ written: true, item: { status: 'CHECKING', ...entry } });
    await repo.release({ checkId: 'c9', leaseId: 'L1', now: at(20) });
    expect(await repo.get('c9')).toMatchObject({ leaseExpiresAt: at(20).getTime(), ...entry });
    await repo.claim({ checkId: 'c9', object, leaseId: 'L2', leaseMs: 60_000, now: at(30) });
    expect(await repo.get('c9')).toMatchObject({ status: 'CHECKING', leaseId: 'L2', ...entry });

    // A direct upload enters the index with its first claim, at the claim's time, and stays there.
    await repo.claim({ checkId: 'd9', object, leaseId: 'M1', leaseMs: 60_000, now: t0 });
    await repo.release({ checkId: 'd9', leaseId: 'M1', now: at(5) });
    await repo.claim({ checkId: 'd9', object, leaseId: 'M2', leaseMs: 60_000, now: at(40) });
    expect(await repo.get('d9')).toMatchObject({ sweepStatus: 'CHECKING', sweepAt: t0.toISOString() });
  });

  it('keeps the values the API stored over object metadata on claim', async () => {
    await repo.createAwaitingUpload({ checkId: 'c4', now: t0, uploadExpiresAt: at(300), device: 'ANDROID' });
    const claim = await repo.claim({ checkId: 'c4', object, leaseId: 'L', leaseMs: 1000, now: at(1) });
    expect(claim).toMatchObject({
      written: true,
      item: { device: 'ANDROID', reference: 'r-1', objectSize: 10 },
    });
  });

  it('records an unclaimed verdict on a new item and refuses it once the check is final', async () => {
    const rejected = await repo.finalize({
      checkId: 'c5',
      outcome: { status: 'REJECTED', rejection: { reason: 'EMPTY_OBJECT', source: 'precheck' } },
      guard: { kind: 'unclaimed' },
      now: t0,
      object,
    });
    expect(rejected).toMatchObject({
      written: true,
      item: { status: 'REJECTED', attempts: 0, device: 'IOS' },
    });
    const again = await repo.finalize({
      checkId: 'c5',
      outcome: { status: 'FAILED', failure: { reason: 'OBJECT_NOT_FOUND', message: 'gone' } },
      guard: { kind: 'unclaimed' },
      now: at(1),
    });
    expect(again).toMatchObject({ written: false, current: { status: 'REJECTED' } });
  });

  it('records a last-receive failure under its own lease or unclaimed, never over another live lease or a final status', async () => {
    const failed = {
      status: 'FAILED' as const,
      failure: { reason: 'INTERNAL_ERROR' as const, message: 'm' },
    };
    const giveUp = (checkId: string, seconds: number, withObject = false) =>
      repo.finalize({
        checkId,
        outcome: failed,
        guard: { kind: 'own-or-unclaimed', leaseId: 'M1' },
        now: at(seconds),
        ...(withObject ? { object } : {}),
      });
    // A direct upload nobody claimed: the item is created with the object's facts.
    expect(await giveUp('g1', 0, true)).toMatchObject({
      written: true,
      item: { status: 'FAILED', attempts: 0, objectKey: 'selfies/x', failure: { reason: 'INTERNAL_ERROR' } },
    });
    // Awaiting its upload.
    await repo.createAwaitingUpload({ checkId: 'g2', now: t0, uploadExpiresAt: at(300) });
    expect((await giveUp('g2', 1)).written).toBe(true);
    // Under the message's own live lease.
    await repo.claim({ checkId: 'g3', object, leaseId: 'M1', leaseMs: 60_000, now: t0 });
    expect(await giveUp('g3', 1)).toMatchObject({ written: true, item: { status: 'FAILED', attempts: 1 } });
    // Under another message's lease: only once that lease has run out.
    await repo.claim({ checkId: 'g4', object, leaseId: 'M2', leaseMs: 60_000, now: t0 });
    expect(await giveUp('g4', 30)).toMatchObject({ written: false, current: { leaseId: 'M2' } });
    expect((await giveUp('g4', 61)).written).toBe(true);
    // Never over a final status.
    expect(await giveUp('g1', 2)).toMatchObject({ written: false, current: { status: 'FAILED' } });
  });

  it('releases a lease so the next delivery can claim at once', async () => {
    await repo.claim({ checkId: 'c6', object, leaseId: 'L1', leaseMs: 60_000, now: t0 });
    expect((await repo.release({ checkId: 'c6', leaseId: 'L1', now: at(1) })).written).toBe(true);
    const next = await repo.claim({ checkId: 'c6', object, leaseId: 'L2', leaseMs: 60_000, now: at(2) });
    expect(next).toMatchObject({ written: true, item: { attempts: 2 } });
  });

  it('refuses a release by an old lease holder after another delivery took the check over', async () => {
    await repo.claim({ checkId: 'c7', object, leaseId: 'L1', leaseMs: 60_000, now: t0 });
    const takeover = await repo.claim({ checkId: 'c7', object, leaseId: 'L2', leaseMs: 60_000, now: at(61) });
    expect(takeover).toMatchObject({ written: true, item: { leaseId: 'L2' } });

    const stale = await repo.release({ checkId: 'c7', leaseId: 'L1', now: at(62) });
    expect(stale).toMatchObject({
      written: false,
      current: { status: 'CHECKING', leaseId: 'L2', leaseExpiresAt: at(121).getTime() },
    });
    // With the new holder's lease intact, a third delivery finds the check taken and pays nothing.
    const third = await repo.claim({ checkId: 'c7', object, leaseId: 'L3', leaseMs: 60_000, now: at(63) });
    expect(third).toMatchObject({ written: false, current: { leaseId: 'L2' } });
  });

  it('stores only the optional fields a check was created with', async () => {
    const item = await repo.createAwaitingUpload({ checkId: 'bare', now: t0, uploadExpiresAt: at(300) });
    expect(Object.keys(item)).not.toContain('reference');
    expect(Object.keys(item)).not.toContain('device');
    expect(Object.keys(item)).not.toContain('contentType');
    const stored = await repo.get('bare');
    expect(stored).toBeDefined();
    expect(Object.keys(stored ?? {})).not.toContain('reference');
  });

  it('records a verdict whose optional fields are present but undefined, leaving them out', async () => {
    await repo.claim({ checkId: 'c8', object, leaseId: 'L1', leaseMs: 60_000, now: t0 });
    const written = await repo.finalize({
      checkId: 'c8',
      outcome: {
        status: 'REJECTED',
        rejection: { code: 704, reason: 'FACE_NOT_DETECTED', message: undefined, source: 'apptenticate' },
        result: undefined,
      },
      guard: { kind: 'lease', leaseId: 'L1' },
      now: at(1),
    });
    expect(written).toMatchObject({ written: true, item: { status: 'REJECTED' } });
    const stored = await repo.get('c8');
    expect(stored?.rejection).toEqual({ code: 704, reason: 'FACE_NOT_DETECTED', source: 'apptenticate' });
    expect(stored).not.toHaveProperty('result');
  });

  it('records a verdict for an object of unknown size (a notification without one, the object gone)', async () => {
    const { objectSize: _, ...unsized } = object;
    const failed = await repo.finalize({
      checkId: 'c10',
      outcome: { status: 'FAILED', failure: { reason: 'OBJECT_NOT_FOUND', message: 'gone' } },
      guard: { kind: 'own-or-unclaimed', leaseId: 'L1' },
      now: t0,
      object: unsized,
    });
    expect(failed).toMatchObject({ written: true, item: { status: 'FAILED', objectKey: 'selfies/x' } });
    expect(await repo.get('c10')).not.toHaveProperty('objectSize');
  });

  it('records an unclaimed verdict on a check that awaits its upload', async () => {
    await repo.createAwaitingUpload({ checkId: 'c9', now: t0, uploadExpiresAt: at(300), reference: 'r-9' });
    const rejected = await repo.finalize({
      checkId: 'c9',
      outcome: { status: 'REJECTED', rejection: { reason: 'IMAGE_TOO_SMALL', source: 'precheck' } },
      guard: { kind: 'unclaimed' },
      now: at(10),
      object,
    });
    expect(rejected).toMatchObject({ written: true, item: { status: 'REJECTED', reference: 'r-9' } });
  });

  it('pages through the sweep index with the key each page returns', async () => {
    for (const id of ['s1', 's2', 's3']) {
      await repo.createAwaitingUpload({ checkId: id, now: t0, uploadExpiresAt: at(300) });
    }
    const seen: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    let pages = 0;
    do {
      const page = await repo.listSweepable({
        status: 'AWAITING_UPLOAD',
        cutoff: at(600),
        limit: 2,
        ...(startKey ? { startKey } : {}),
      });
      seen.push(...page.items.map((item) => item.checkId));
      startKey = page.nextKey;
      pages++;
    } while (startKey && pages < 5);
    expect(seen.sort()).toEqual(['s1', 's2', 's3']);
    expect(pages).toBe(2);
  });

  it('lists expired uploads and stale leases from the sweep index, and only those', async () => {
    await repo.createAwaitingUpload({ checkId: 'old', now: t0, uploadExpiresAt: at(300) });
    await repo.createAwaitingUpload({ checkId: 'new', now: t0, uploadExpiresAt: at(900) });
    await repo.claim({ checkId: 'busy', object, leaseId: 'L', leaseMs: 60_000, now: t0 });
    const expired = await repo.listSweepable({ status: 'AWAITING_UPLOAD', cutoff: at(600), limit: 10 });
    expect(expired.items.map((i) => i.checkId)).toEqual(['old']);
    const stale = await repo.listSweepable({ status: 'CHECKING', cutoff: at(120), limit: 10 });
    expect(stale.items.map((i) => i.checkId)).toEqual(['busy']);
    const sweep = await repo.finalize({
      checkId: 'old',
      outcome: { status: 'EXPIRED' },
      guard: { kind: 'upload-expired', cutoff: at(600).toISOString() },
      now: at(600),
    });
    expect(sweep).toMatchObject({ written: true, item: { status: 'EXPIRED' } });
    const notYet = await repo.finalize({
      checkId: 'new',
      outcome: { status: 'EXPIRED' },
      guard: { kind: 'upload-expired', cutoff: at(600).toISOString() },
      now: at(600),
    });
    expect(notYet.written).toBe(false);
  });

  it('gives two deliveries of one message two leases: the second is refused while the first is live (decision 14)', async () => {
    const first = 'm-1/0b8e6a5c-8d6f-4f57-9c3e-2a1d4b6c8e01';
    const second = 'm-1/5c2d7e9f-1a3b-4c5d-8e7f-9a0b1c2d3e4f';
    await repo.claim({ checkId: 'd14', object, leaseId: first, leaseMs: 60_000, now: t0 });
    const copy = await repo.claim({ checkId: 'd14', object, leaseId: second, leaseMs: 60_000, now: at(1) });
    expect(copy).toMatchObject({
      written: false,
      current: { status: 'CHECKING', leaseId: first, attempts: 1 },
    });
    const verdict = await repo.finalize({
      checkId: 'd14',
      outcome: { status: 'PASSED', result: { valid: true } },
      guard: { kind: 'lease', leaseId: second },
      now: at(2),
    });
    expect(verdict).toMatchObject({ written: false, current: { leaseId: first } });
  });

  it('writes a verdict with its decision time, one more version and the attempts it had, and no lease', async () => {
    const claimed = await repo.claim({ checkId: 'v1', object, leaseId: 'L1', leaseMs: 60_000, now: t0 });
    const version = claimed.written ? claimed.item.version : Number.NaN;
    const written = await repo.finalize({
      checkId: 'v1',
      outcome: { status: 'FAILED', failure: { reason: 'VENDOR_UNAVAILABLE', message: 'm' } },
      guard: { kind: 'lease', leaseId: 'L1' },
      now: at(5),
    });
    expect(written).toMatchObject({
      written: true,
      item: {
        status: 'FAILED',
        failure: { reason: 'VENDOR_UNAVAILABLE', message: 'm' },
        decidedAt: at(5).toISOString(),
        updatedAt: at(5).toISOString(),
        createdAt: t0.toISOString(),
        version: version + 1,
        attempts: 1,
        bucket: 'b',
        objectKey: 'selfies/x',
      },
    });
    const stored = await repo.get('v1');
    expect(stored).not.toHaveProperty('leaseId');
    expect(stored).not.toHaveProperty('leaseExpiresAt');
    expect(stored).not.toHaveProperty('sweepAt');
  });

  it('refuses a lease-guarded verdict or a release for a check that does not exist, naming no item', async () => {
    const verdict = await repo.finalize({
      checkId: 'none',
      outcome: { status: 'PASSED', result: { valid: true } },
      guard: { kind: 'lease', leaseId: 'L1' },
      now: t0,
    });
    expect(verdict).toStrictEqual({ written: false });
    expect(await repo.release({ checkId: 'none', leaseId: 'L1', now: t0 })).toStrictEqual({ written: false });
    expect(await repo.get('none')).toBeUndefined();
  });

  it('refuses a release of a decided check, naming its verdict', async () => {
    await repo.claim({ checkId: 'r1', object, leaseId: 'L1', leaseMs: 60_000, now: t0 });
    await repo.finalize({
      checkId: 'r1',
      outcome: { status: 'REJECTED', rejection: { reason: 'EMPTY_OBJECT', source: 'precheck' } },
      guard: { kind: 'lease', leaseId: 'L1' },
      now: at(1),
    });
    const late = await repo.release({ checkId: 'r1', leaseId: 'L1', now: at(2) });
    expect(late).toMatchObject({ written: false, current: { status: 'REJECTED' } });
  });

  it('expires a claim whose lease ran out before the cutoff, and only such a claim', async () => {
    await repo.claim({ checkId: 'x1', object, leaseId: 'L1', leaseMs: 60_000, now: t0 });
    const expire = (cutoffSeconds: number) =>
      repo.finalize({
        checkId: 'x1',
        outcome: { status: 'FAILED', failure: { reason: 'LEASE_EXPIRED', message: 'm' } },
        guard: { kind: 'lease-expired', cutoffMs: at(cutoffSeconds).getTime() },
        now: at(cutoffSeconds),
      });
    expect(await expire(60)).toMatchObject({ written: false, current: { status: 'CHECKING' } });
    expect(await expire(61)).toMatchObject({ written: true, item: { status: 'FAILED' } });
  });

  it('moves an expired upload found in the bucket out of the sweep, until the checker claims it or its wait ends', async () => {
    await repo.createAwaitingUpload({ checkId: 'u1', now: t0, uploadExpiresAt: at(300) });
    const cutoff = at(600).toISOString();
    expect(
      (await repo.awaitClaim({ checkId: 'u1', cutoff: at(200).toISOString(), until: at(900), now: at(600) }))
        .written,
    ).toBe(false);
    const waiting = await repo.awaitClaim({ checkId: 'u1', cutoff, until: at(900), now: at(600) });
    expect(waiting).toMatchObject({
      written: true,
      item: { status: 'AWAITING_UPLOAD', sweepStatus: 'UPLOADED', sweepAt: at(900).toISOString() },
    });
    // Once found, it is not expired as an upload that never came; only as one no checker claimed.
    const expired = await repo.finalize({
      checkId: 'u1',
      outcome: { status: 'EXPIRED' },
      guard: { kind: 'upload-expired', cutoff },
      now: at(600),
    });
    expect(expired).toMatchObject({ written: false, current: { sweepStatus: 'UPLOADED' } });
    const early = { kind: 'upload-unclaimed' as const, cutoff: at(900).toISOString() };
    const unclaimedTooEarly = await repo.finalize({
      checkId: 'u1',
      outcome: { status: 'EXPIRED' },
      guard: early,
      now: at(900),
    });
    expect(unclaimedTooEarly.written).toBe(false);
    const late = { kind: 'upload-unclaimed' as const, cutoff: at(901).toISOString() };
    const unclaimed = await repo.finalize({
      checkId: 'u1',
      outcome: { status: 'EXPIRED' },
      guard: late,
      now: at(901),
    });
    expect(unclaimed).toMatchObject({ written: true, item: { status: 'EXPIRED' } });
  });

  it('follows a live claim in the sweep index only while it is the claim that was seen', async () => {
    await repo.createAwaitingUpload({ checkId: 'f1', now: t0, uploadExpiresAt: at(300) });
    const claimed = await repo.claim({ checkId: 'f1', object, leaseId: 'L1', leaseMs: 60_000, now: at(10) });
    const leaseExpiresAt = claimed.written ? (claimed.item.leaseExpiresAt ?? 0) : 0;
    const follow = (leaseId: string, expiresAt: number) =>
      repo.followClaim({ checkId: 'f1', leaseId, leaseExpiresAt: expiresAt, sweepAt: at(70), now: at(20) });
    expect((await follow('L2', leaseExpiresAt)).written).toBe(false);
    expect((await follow('L1', leaseExpiresAt + 1)).written).toBe(false);
    expect(await follow('L1', leaseExpiresAt)).toMatchObject({
      written: true,
      item: { status: 'CHECKING', sweepStatus: 'CHECKING', sweepAt: at(70).toISOString() },
    });
  });
});
