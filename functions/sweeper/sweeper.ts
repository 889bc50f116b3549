import type { Logger } from '@aws-lambda-powertools/logger';
import type { CheckFailure, FinalOutcome } from '../../shared/check.js';
import type { CheckRepository, FinalizeGuard } from '../../shared/check-repository.js';
import type { Clock } from '../../shared/clock.js';
import { describeError } from '../../shared/errors.js';
import type { SweeperConfig } from './config.js';

/** What the sweeper needs, injected so tests can swap any of it. */
export interface SweeperDeps {
  config: Pick<SweeperConfig, 'uploadGraceSeconds' | 'staleCheckGraceSeconds' | 'maxSweepItems'>;
  repository: Pick<CheckRepository, 'listSweepable' | 'finalize'>;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Index page size; defaults to 100. */
  pageSize?: number;
}

/** What one run did. */
export interface SweepCounts {
  /** AWAITING_UPLOAD checks made EXPIRED. */
  expired: number;
  /** CHECKING checks with a long-expired lease made FAILED. */
  failed: number;
  /** Checks whose conditional write was refused: another writer (an upload, a verdict) got there first. */
  skipped: number;
  /** Checks whose write failed for another reason; the next run tries again. */
  errors: number;
}

/** The failure recorded for a check whose lease ran out with nobody finishing it. */
export const LEASE_EXPIRED_FAILURE: CheckFailure = {
  reason: 'LEASE_EXPIRED',
  message: 'no checker finished this check before its lease ran out',
};

const DEFAULT_PAGE_SIZE = 100;
const WRITE_CONCURRENCY = 10;

/**
 * Settles checks nobody else will: uploads that never arrived (EXPIRED) and claims nobody finished
 * (FAILED). Each write carries the same kind of condition as every other writer, so a late upload
 * or a late verdict either wins (the sweep skips) or is refused: a check gets one final status.
 * Stale leases go first with up to half the budget; expired uploads get the rest.
 */
export async function sweep(deps: SweeperDeps): Promise<SweepCounts> {
  const { config } = deps;
  const now = deps.clock.now();
  const counts: SweepCounts = { expired: 0, failed: 0, skipped: 0, errors: 0 };

  const leaseCutoffMs = now.getTime() - config.staleCheckGraceSeconds * 1000;
  const leaseBudget = Math.ceil(config.maxSweepItems / 2);
  const leasesSeen = await sweepKind(deps, counts, {
    status: 'CHECKING',
    cutoff: new Date(leaseCutoffMs),
    budget: leaseBudget,
    outcome: { status: 'FAILED', failure: LEASE_EXPIRED_FAILURE },
    guard: { kind: 'lease-expired', cutoffMs: leaseCutoffMs },
    now,
  });

  const uploadCutoff = new Date(now.getTime() - config.uploadGraceSeconds * 1000);
  await sweepKind(deps, counts, {
    status: 'AWAITING_UPLOAD',
    cutoff: uploadCutoff,
    budget: config.maxSweepItems - leasesSeen,
    outcome: { status: 'EXPIRED' },
    guard: { kind: 'upload-expired', cutoff: uploadCutoff.toISOString() },
    now,
  });

  deps.logger.info('sweep finished', { ...counts });
  return counts;
}

/** Pages through one kind of sweepable check and settles each; returns how many it looked at. */
async function sweepKind(
  deps: SweeperDeps,
  counts: SweepCounts,
  kind: {
    status: 'AWAITING_UPLOAD' | 'CHECKING';
    cutoff: Date;
    budget: number;
    outcome: FinalOutcome;
    guard: FinalizeGuard;
    now: Date;
  },
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
      await Promise.all(ids.slice(i, i + WRITE_CONCURRENCY).map((id) => settle(deps, counts, id, kind)));
    }
    startKey = page.nextKey;
  } while (startKey);
  return seen;
}

async function settle(
  deps: SweeperDeps,
  counts: SweepCounts,
  checkId: string,
  kind: { outcome: FinalOutcome; guard: FinalizeGuard; now: Date },
): Promise<void> {
  try {
    const write = await deps.repository.finalize({
      checkId,
      outcome: kind.outcome,
      guard: kind.guard,
      now: kind.now,
    });
    if (write.written) {
      if (kind.outcome.status === 'EXPIRED') counts.expired++;
      else counts.failed++;
      deps.logger.info('check swept', { checkId, status: kind.outcome.status });
    } else {
      // The index is eventually consistent and other writers race us: a refusal means they won.
      counts.skipped++;
      deps.logger.info('sweep skipped check', { checkId, currentStatus: write.current?.status });
    }
  } catch (error) {
    counts.errors++;
    deps.logger.warn('sweep write failed', { checkId, error: describeError(error) });
  }
}
