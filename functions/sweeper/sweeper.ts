import type { Logger } from '@aws-lambda-powertools/logger';
import type { CheckFailure, CheckItem, FinalOutcome, SweepStatus } from '../../shared/check.js';
import type { CheckRepository, FinalizeGuard, WriteResult } from '../../shared/check-repository.js';
import type { Clock } from '../../shared/clock.js';
import { describeError } from '../../shared/errors.js';
import type { SweeperConfig } from './config.js';
import type { SelfieStore } from './selfie-store.js';

/** What the sweeper needs, injected so tests can swap any of it. */
export interface SweeperDeps {
  config: Pick<
    SweeperConfig,
    | 'uploadUrlTtlSeconds'
    | 'uploadGraceSeconds'
    | 'staleCheckGraceSeconds'
    | 'claimWaitSeconds'
    | 'maxSweepItems'
    | 'selfiePrefix'
    | 'retainSelfies'
  >;
  repository: Pick<CheckRepository, 'listSweepable' | 'finalize' | 'awaitClaim' | 'followClaim' | 'get'>;
  selfies: SelfieStore;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Index page size; defaults to 100. */
  pageSize?: number;
}

/** What one run did. */
export interface SweepCounts {
  /** AWAITING_UPLOAD checks whose selfie is not in the bucket, made EXPIRED. */
  expired: number;
  /** CHECKING checks with a long-expired lease made FAILED. */
  failed: number;
  /** AWAITING_UPLOAD checks past their upload grace whose selfie is in the bucket: left to the checker. */
  waiting: number;
  /** Checks whose selfie arrived in time but that no checker claimed within the wait, made FAILED. */
  unclaimed: number;
  /** Checks whose conditional write was refused: another writer (an upload, a verdict) got there first. */
  skipped: number;
  /**
   * Checks read before their entry's own deadline because a claim made since may have gone stale (a
   * claim leaves the entry where it is: decision 13), and found with nothing due yet.
   */
  notYetDue: number;
  /**
   * Checks found claimed by a checker that is still within its lease (or its grace), whose index
   * entry was moved to where that claim can first go stale, so later runs stop listing it before
   * then (a claim leaves the entry where it is: decision 13).
   */
  rescheduled: number;
  /** Checks whose lookup, write or selfie delete failed; a write is tried again by the next run. */
  errors: number;
}

/** The failure recorded for a check whose lease ran out with nobody finishing it. */
export const LEASE_EXPIRED_FAILURE: CheckFailure = {
  reason: 'LEASE_EXPIRED',
  message: 'no checker finished this check before its lease ran out',
};

/** The failure recorded for a check whose selfie arrived in time but that no checker ever claimed. */
export const UNCLAIMED_UPLOAD_FAILURE: CheckFailure = {
  reason: 'INTERNAL_ERROR',
  message:
    'the selfie arrived in time but no checker claimed it (its notification was lost or never processed)',
};

const DEFAULT_PAGE_SIZE = 100;
const WRITE_CONCURRENCY = 10;

/**
 * Settles checks nobody else will: uploads that never arrived (EXPIRED), uploads that arrived but
 * that no checker claimed within the wait (FAILED), and claims nobody finished (FAILED). Each write
 * carries the same kind of condition as every other writer, so a late claim or a late verdict
 * either wins (the sweep skips) or is refused: a check gets one final status.
 *
 * A check is never EXPIRED while its selfie is in the bucket: S3 refuses a POST after its policy
 * expired, so the object proves the upload was in time and only the checker's notification is late
 * (a queue backlog, a retried first delivery). Such a check is left to the checker for
 * `claimWaitSeconds`. Stale leases go first with up to half the budget; the rest goes to uploads.
 */
export async function sweep(deps: SweeperDeps): Promise<SweepCounts> {
  const { config } = deps;
  const now = deps.clock.now();
  const nowMs = now.getTime();
  const counts: SweepCounts = {
    expired: 0,
    failed: 0,
    waiting: 0,
    unclaimed: 0,
    skipped: 0,
    notYetDue: 0,
    rescheduled: 0,
    errors: 0,
  };
  const staleGraceMs = config.staleCheckGraceSeconds * 1000;
  const stale: StaleClaims = { cutoffMs: nowMs - staleGraceMs, now };

  // Direct uploads: entered the index with their first claim's time, and a lease can be stale
  // `staleCheckGraceSeconds` after that at the earliest (a retryable failure releases it at once).
  let seen = await sweepKind(deps, counts, {
    status: 'CHECKING',
    cutoff: new Date(stale.cutoffMs),
    budget: Math.ceil(config.maxSweepItems / 2),
    settle: (entry) => failIfStale(deps, counts, entry.checkId, stale),
  });

  // Uploads left to the checker until `sweepAt`. A claim made since (at the earliest when the wait
  // began, `claimWaitSeconds` before `sweepAt`) leaves the entry here, and may be stale before the
  // wait ends: entries are looked at from then on, and read until their own deadline passes.
  seen += await sweepKind(deps, counts, {
    status: 'UPLOADED',
    cutoff: new Date(Math.max(nowMs, nowMs - staleGraceMs + config.claimWaitSeconds * 1000)),
    budget: config.maxSweepItems - seen,
    settle: (entry) =>
      entryMs(entry) < nowMs
        ? finalizeAndDelete(deps, counts, entry.checkId, stale, {
            outcome: { status: 'FAILED', failure: UNCLAIMED_UPLOAD_FAILURE },
            guard: { kind: 'upload-unclaimed', cutoff: now.toISOString() },
          })
        : failIfClaimedAndStale(deps, counts, entry.checkId, stale),
  });

  // Uploads the API issued, `sweepAt` being the upload expiry. A claim made since (at the earliest
  // when the check was created, `uploadUrlTtlSeconds` before `sweepAt`) leaves the entry here; with
  // the default settings the upload's own deadline comes first, so no entry is read early.
  const uploadCutoffMs = nowMs - config.uploadGraceSeconds * 1000;
  await sweepKind(deps, counts, {
    status: 'AWAITING_UPLOAD',
    cutoff: new Date(Math.max(uploadCutoffMs, nowMs - staleGraceMs + config.uploadUrlTtlSeconds * 1000)),
    budget: config.maxSweepItems - seen,
    settle: (entry) =>
      entryMs(entry) < uploadCutoffMs
        ? expireOrWait(deps, counts, entry.checkId, new Date(uploadCutoffMs).toISOString(), stale)
        : failIfClaimedAndStale(deps, counts, entry.checkId, stale),
  });

  deps.logger.info('sweep finished', { ...counts });
  return counts;
}

/**
 * When stale claims are failed: leases that ran out before `cutoffMs`, as of the run's start `now`.
 * The run decides by its start; every write is stamped with its own time (`writeTime`): a run may
 * last minutes, and `dlq redrive notifier` finds a decision by its `decidedAt` near its stream record.
 */
interface StaleClaims {
  cutoffMs: number;
  now: Date;
}

/** An index entry's time (`sweepAt`) in epoch milliseconds; an entry without one is due (the writes are guarded anyway). */
function entryMs(entry: CheckItem): number {
  const ms = Date.parse(entry.sweepAt ?? '');
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}

/** Pages through one kind of sweepable check and settles each; returns how many it looked at. */
async function sweepKind(
  deps: SweeperDeps,
  counts: SweepCounts,
  kind: { status: SweepStatus; cutoff: Date; budget: number; settle: (entry: CheckItem) => Promise<void> },
): Promise<number> {
  let seen = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const limit = Math.min(deps.pageSize ?? DEFAULT_PAGE_SIZE, kind.budget - seen);
    if (limit <= 0) break;
    const page = await deps.repository.listSweepable({
      status: kind.status,
      cutoff: kind.cutoff,
      limit,
      ...(startKey ? { startKey } : {}),
    });
    const entries = page.items.slice(0, limit);
    seen += entries.length;
    for (let i = 0; i < entries.length; i += WRITE_CONCURRENCY) {
      await Promise.all(
        entries.slice(i, i + WRITE_CONCURRENCY).map(async (entry) => {
          try {
            await kind.settle(entry);
          } catch (error) {
            counts.errors++;
            deps.logger.warn('sweep write failed', { checkId: entry.checkId, error: describeError(error) });
          }
        }),
      );
    }
    startKey = page.nextKey;
  } while (startKey);
  return seen;
}

/** An upload past its grace: EXPIRED if its selfie is not in the bucket, else left to the checker. */
async function expireOrWait(
  deps: SweeperDeps,
  counts: SweepCounts,
  checkId: string,
  cutoff: string,
  stale: StaleClaims,
): Promise<void> {
  let uploaded: boolean;
  try {
    uploaded = await deps.selfies.exists(`${deps.config.selfiePrefix}${checkId}`);
  } catch (error) {
    // Unknown is not absent: never expire a check whose upload may have arrived.
    counts.errors++;
    deps.logger.warn('sweep lookup failed', { checkId, error: describeError(error) });
    return;
  }
  if (!uploaded) {
    const write = await deps.repository.finalize({
      checkId,
      outcome: { status: 'EXPIRED' },
      guard: { kind: 'upload-expired', cutoff },
      now: writeTime(deps),
    });
    if (write.written) counts.expired++;
    if (!(await failedAsStaleClaim(deps, counts, checkId, write, stale))) {
      await record(deps, counts, checkId, write, 'EXPIRED', stale);
    }
    return;
  }
  const until = new Date(stale.now.getTime() + deps.config.claimWaitSeconds * 1000);
  const write = await deps.repository.awaitClaim({ checkId, cutoff, until, now: writeTime(deps) });
  if (write.written) {
    counts.waiting++;
    deps.logger.info('check left to the checker: its selfie arrived in time', {
      checkId,
      waitUntil: until.toISOString(),
    });
  } else if (!(await failedAsStaleClaim(deps, counts, checkId, write, stale))) {
    await record(deps, counts, checkId, write, 'UPLOADED', stale);
  }
}

/** Fails a check whose claim went stale, if it is CHECKING under a lease that ran out before the cutoff. */
async function failIfStale(
  deps: SweeperDeps,
  counts: SweepCounts,
  checkId: string,
  stale: StaleClaims,
): Promise<void> {
  await finalizeAndDelete(deps, counts, checkId, stale, {
    outcome: { status: 'FAILED', failure: LEASE_EXPIRED_FAILURE },
    guard: { kind: 'lease-expired', cutoffMs: stale.cutoffMs },
  });
}

/**
 * An entry whose own deadline has not passed, but that a claim may have joined (a claim leaves the
 * entry where it is): reads the check (the index holds keys only), and fails it only if that claim
 * went stale.
 */
async function failIfClaimedAndStale(
  deps: SweeperDeps,
  counts: SweepCounts,
  checkId: string,
  stale: StaleClaims,
): Promise<void> {
  const item = await deps.repository.get(checkId);
  if (isStaleClaim(item, stale)) await failIfStale(deps, counts, checkId, stale);
  else if (!(await followedLiveClaim(deps, counts, item, stale))) counts.notYetDue++;
}

/**
 * After the sweeper's write for an upload was refused: a checker may have claimed the check since (a
 * claim leaves the index entry where it is) and then gone silent. Fails the check if that claim went
 * stale, and says whether it did; any other refusal is recorded by the caller.
 */
async function failedAsStaleClaim(
  deps: SweeperDeps,
  counts: SweepCounts,
  checkId: string,
  write: WriteResult,
  stale: StaleClaims,
): Promise<boolean> {
  if (write.written || !isStaleClaim(write.current, stale)) return false;
  await failIfStale(deps, counts, checkId, stale);
  return true;
}

/**
 * A claim found where the sweeper listed it that is not stale: moves its entry to `CHECKING` at the
 * earliest time it can go stale, less the grace (where the `lease-expired` guard first holds), so no
 * run before then lists it, looks for its selfie or counts it against the budget. That time is its
 * lease's expiry, or now if sooner: its holder may release the lease from now on. Says whether it
 * moved the entry; a claim released or renewed since it was read is left for the next run.
 */
async function followedLiveClaim(
  deps: SweeperDeps,
  counts: SweepCounts,
  item: CheckItem | undefined,
  stale: StaleClaims,
): Promise<boolean> {
  if (item?.status !== 'CHECKING' || item.leaseId === undefined || item.leaseExpiresAt === undefined) {
    return false;
  }
  if (isStaleClaim(item, stale)) return false;
  const sweepAt = new Date(Math.min(item.leaseExpiresAt, stale.now.getTime()));
  if (item.sweepStatus === 'CHECKING' && entryMs(item) >= sweepAt.getTime()) return false;
  const write = await deps.repository.followClaim({
    checkId: item.checkId,
    leaseId: item.leaseId,
    leaseExpiresAt: item.leaseExpiresAt,
    sweepAt,
    now: writeTime(deps),
  });
  if (!write.written) return false;
  counts.rescheduled++;
  deps.logger.info('sweep entry moved to the claim', {
    checkId: item.checkId,
    sweepAt: sweepAt.toISOString(),
  });
  return true;
}

/** The time a write is stamped with (`updatedAt`, `decidedAt`): when it is made, not when the run began. */
function writeTime(deps: SweeperDeps): Date {
  return deps.clock.now();
}

function isStaleClaim(item: CheckItem | undefined, stale: StaleClaims): boolean {
  return item?.status === 'CHECKING' && (item.leaseExpiresAt ?? Number.POSITIVE_INFINITY) < stale.cutoffMs;
}

/** Makes a check FAILED and, unless selfies are retained, deletes the selfie nobody will check now. */
async function finalizeAndDelete(
  deps: SweeperDeps,
  counts: SweepCounts,
  checkId: string,
  stale: StaleClaims,
  kind: { outcome: FinalOutcome & { status: 'FAILED' }; guard: FinalizeGuard },
): Promise<void> {
  const write = await deps.repository.finalize({ checkId, ...kind, now: writeTime(deps) });
  if (!write.written) {
    // A refused lease-expired write means the claim is live (again); any other refusal may be a
    // claim made since the entry was written, which may have gone stale.
    const failedStale =
      kind.guard.kind !== 'lease-expired' && (await failedAsStaleClaim(deps, counts, checkId, write, stale));
    if (!failedStale) await record(deps, counts, checkId, write, 'FAILED', stale);
    return;
  }
  if (kind.guard.kind === 'upload-unclaimed') counts.unclaimed++;
  else counts.failed++;
  await record(deps, counts, checkId, write, 'FAILED', stale);
  if (deps.config.retainSelfies) return;
  const key = selfieKey(write.item, checkId, deps.config.selfiePrefix);
  if (!key) return;
  try {
    await deps.selfies.delete(key);
  } catch (error) {
    // The verdict stands and the check leaves the index: the bucket's lifecycle rule is the backstop.
    counts.errors++;
    deps.logger.warn('selfie delete failed', { checkId, error: describeError(error) });
  }
}

/** Where the check's selfie is: the key a checker recorded, else the API's key; only under the prefix. */
function selfieKey(item: CheckItem | undefined, checkId: string, prefix: string): string | undefined {
  const key = item?.objectKey ?? `${prefix}${checkId}`;
  return key.startsWith(prefix) ? key : undefined;
}

async function record(
  deps: SweeperDeps,
  counts: SweepCounts,
  checkId: string,
  write: WriteResult,
  status: string,
  stale: StaleClaims,
): Promise<void> {
  if (write.written) {
    deps.logger.info('check swept', { checkId, status });
  } else if (!(await followedLiveClaim(deps, counts, write.current, stale))) {
    // The index is eventually consistent and other writers race us: a refusal means they won.
    counts.skipped++;
    deps.logger.info('sweep skipped check', { checkId, currentStatus: write.current?.status });
  }
}
