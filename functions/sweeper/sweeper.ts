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
    | 'uploadGraceSeconds'
    | 'staleCheckGraceSeconds'
    | 'claimWaitSeconds'
    | 'maxSweepItems'
    | 'selfiePrefix'
    | 'retainSelfies'
  >;
  repository: Pick<CheckRepository, 'listSweepable' | 'finalize' | 'awaitClaim'>;
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
  const counts: SweepCounts = { expired: 0, failed: 0, waiting: 0, unclaimed: 0, skipped: 0, errors: 0 };

  const leaseCutoffMs = now.getTime() - config.staleCheckGraceSeconds * 1000;
  let seen = await sweepKind(deps, counts, {
    status: 'CHECKING',
    cutoff: new Date(leaseCutoffMs),
    budget: Math.ceil(config.maxSweepItems / 2),
    settle: (checkId) =>
      finalizeAndDelete(deps, counts, checkId, {
        outcome: { status: 'FAILED', failure: LEASE_EXPIRED_FAILURE },
        guard: { kind: 'lease-expired', cutoffMs: leaseCutoffMs },
        now,
      }),
  });

  seen += await sweepKind(deps, counts, {
    status: 'UPLOADED',
    cutoff: now,
    budget: config.maxSweepItems - seen,
    settle: (checkId) =>
      finalizeAndDelete(deps, counts, checkId, {
        outcome: { status: 'FAILED', failure: UNCLAIMED_UPLOAD_FAILURE },
        guard: { kind: 'upload-unclaimed', cutoff: now.toISOString() },
        now,
      }),
  });

  const uploadCutoff = new Date(now.getTime() - config.uploadGraceSeconds * 1000);
  await sweepKind(deps, counts, {
    status: 'AWAITING_UPLOAD',
    cutoff: uploadCutoff,
    budget: config.maxSweepItems - seen,
    settle: (checkId) => expireOrWait(deps, counts, checkId, uploadCutoff.toISOString(), now),
  });

  deps.logger.info('sweep finished', { ...counts });
  return counts;
}

/** Pages through one kind of sweepable check and settles each; returns how many it looked at. */
async function sweepKind(
  deps: SweeperDeps,
  counts: SweepCounts,
  kind: { status: SweepStatus; cutoff: Date; budget: number; settle: (checkId: string) => Promise<void> },
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
    const ids = page.items.map((item) => item.checkId).slice(0, limit);
    seen += ids.length;
    for (let i = 0; i < ids.length; i += WRITE_CONCURRENCY) {
      await Promise.all(
        ids.slice(i, i + WRITE_CONCURRENCY).map(async (checkId) => {
          try {
            await kind.settle(checkId);
          } catch (error) {
            counts.errors++;
            deps.logger.warn('sweep write failed', { checkId, error: describeError(error) });
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
  now: Date,
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
      now,
    });
    if (write.written) counts.expired++;
    record(deps, counts, checkId, write, 'EXPIRED');
    return;
  }
  const until = new Date(now.getTime() + deps.config.claimWaitSeconds * 1000);
  const write = await deps.repository.awaitClaim({ checkId, cutoff, until, now });
  if (write.written) {
    counts.waiting++;
    deps.logger.info('check left to the checker: its selfie arrived in time', {
      checkId,
      waitUntil: until.toISOString(),
    });
  } else record(deps, counts, checkId, write, 'UPLOADED');
}

/** Makes a check FAILED and, unless selfies are retained, deletes the selfie nobody will check now. */
async function finalizeAndDelete(
  deps: SweeperDeps,
  counts: SweepCounts,
  checkId: string,
  kind: { outcome: FinalOutcome & { status: 'FAILED' }; guard: FinalizeGuard; now: Date },
): Promise<void> {
  const write = await deps.repository.finalize({ checkId, ...kind });
  if (!write.written) {
    record(deps, counts, checkId, write, 'FAILED');
    return;
  }
  if (kind.guard.kind === 'upload-unclaimed') counts.unclaimed++;
  else counts.failed++;
  record(deps, counts, checkId, write, 'FAILED');
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

function record(
  deps: SweeperDeps,
  counts: SweepCounts,
  checkId: string,
  write: WriteResult,
  status: string,
): void {
  if (write.written) {
    deps.logger.info('check swept', { checkId, status });
  } else {
    // The index is eventually consistent and other writers race us: a refusal means they won.
    counts.skipped++;
    deps.logger.info('sweep skipped check', { checkId, currentStatus: write.current?.status });
  }
}
