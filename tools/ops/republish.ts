/**
 * `npm run ops -- republish --since <time> [--until <time>] [--status S] [--rate N] [--dry-run=false]`:
 * puts the events of the checks that reached a final status in a window on the bus again, built
 * from the table by the notifier's own code (`buildEventDetail`, `toPutEventsEntry`,
 * `putWithRetries`), so each carries the `eventId` it had: subscribers drop the ones they already
 * have. Like the notifier, it never puts the event of a final item without `decidedAt`, which no
 * decider wrote (`isDecidedFinal`); the Scan's window on `decidedAt` already leaves such items out,
 * this keeps them out whatever the Scan finds. A dry run (the default) only says what it would put.
 */

import type { NotifierDeps } from '../../functions/notifier/notifier.js';
import type { PendingEvent } from '../../functions/notifier/put-events.js';
import {
  chunkEvents,
  PUT_EVENTS_MAX_BYTES,
  putEventsEntrySize,
  putWithRetries,
  toPutEventsEntry,
} from '../../functions/notifier/put-events.js';
import {
  type CheckItem,
  FINAL_STATUSES,
  type FinalStatus,
  isDecidedFinal,
  isFinalStatus,
} from '../../shared/check.js';
import { buildEventDetail } from '../../shared/events/build-event.js';
import { isOn, numberFlag, parseTime } from './args.js';
import type { OpsCommand, OpsContext } from './context.js';
import { scanFinalChecks } from './final-checks.js';
import { formatDuration } from './output.js';
import { requireNames } from './target.js';

const NEEDS = ['checkTableName', 'eventBusName', 'eventSource'] as const;

/** The default pace: gentle with subscribers' targets (a Lambda's concurrency, a queue consumer). */
export const DEFAULT_RATE_PER_SECOND = 10;

/** What to republish. */
export interface RepublishOptions {
  since: Date;
  until: Date;
  statuses?: readonly FinalStatus[];
  /** Events put per second, at most. */
  ratePerSecond: number;
  dryRun: boolean;
  /** Print every event found, not only the counts. */
  list: boolean;
}

/** What a republish found and did. */
export interface RepublishResult {
  /** Events built from the final checks found. */
  events: number;
  put: number;
  failed: { checkId: string; eventId: string; errorCode: string }[];
  /** Items that cannot become an event (a writer broke their invariants). */
  invalid: { checkId: string; problem: string }[];
  /** Final items without `decidedAt`, which no decider wrote: never put (runbook UnattestedFinalStatuses). */
  unattested: string[];
}

export const republishCommand: OpsCommand = {
  name: 'republish',
  usage:
    'republish --since <time> [--until <time>] [--status PASSED|REJECTED|FAILED|EXPIRED] [--rate N] [--list] [--dry-run=false]',
  help: `Puts again the events of the checks that reached a final status between --since and --until (ISO
8601, or an age like 30m, 2h, 7d; --until defaults to now), with their original eventIds, at most --rate
events per second (default ${DEFAULT_RATE_PER_SECOND}). A dry run by default: it shows what it would put;
--dry-run=false puts them. It finds the checks with a Scan of the check table (it reads the whole table).`,
  flags: ['since', 'until', 'status', 'rate', 'list', 'dry-run'],
  needs: () => NEEDS,
  async run(ctx) {
    const now = ctx.clock.now();
    if (typeof ctx.flags.since !== 'string')
      throw new Error('republish needs --since <time> (ISO 8601, or 30m, 2h, 7d ago)');
    const since = parseTime(ctx.flags.since, now, 'since');
    const until = typeof ctx.flags.until === 'string' ? parseTime(ctx.flags.until, now, 'until') : now;
    if (until < since) throw new Error('--until is before --since');
    const status = ctx.flags.status;
    if (status !== undefined && !isFinalStatus(status)) {
      throw new Error(`--status takes one of ${FINAL_STATUSES.join(', ')}, got "${String(status)}"`);
    }
    const result = await republish(ctx, {
      since,
      until,
      ...(status !== undefined ? { statuses: [status as FinalStatus] } : {}),
      ratePerSecond: numberFlag(ctx.flags, 'rate', DEFAULT_RATE_PER_SECOND, 10_000),
      dryRun: isOn(ctx.flags, 'dry-run', true),
      list: isOn(ctx.flags, 'list', false),
    });
    return result.failed.length > 0 || result.invalid.length > 0 || result.unattested.length > 0 ? 1 : 0;
  },
};

/** Finds the window's final checks and, unless a dry run, puts their events; reports as it goes. */
export async function republish(ctx: OpsContext, options: RepublishOptions): Promise<RepublishResult> {
  const names = requireNames(ctx.target, NEEDS);
  const { out } = ctx;
  const statuses = options.statuses ?? FINAL_STATUSES;
  out.line(
    `final checks decided from ${options.since.toISOString()} to ${options.until.toISOString()} (${statuses.join(', ')}) in ${names.checkTableName}`,
  );
  const scan = await scanFinalChecks(ctx.clients.dynamodb, names.checkTableName, {
    since: options.since,
    until: options.until,
    statuses,
  });
  out.line(
    `  scanned ${scan.scanned} items (${scan.readUnits} read units): ${scan.items.length} in the window`,
  );

  const pending: PendingEvent[] = [];
  const invalid: RepublishResult['invalid'] = [];
  const unattested: string[] = [];
  for (const item of scan.items) {
    if (!isDecidedFinal(item)) {
      unattested.push(item.checkId);
      out.line(`  not published: ${item.checkId}: ${item.status} without decidedAt (no decider wrote it)`);
      continue;
    }
    try {
      const detail = buildEventDetail(item);
      const entry = toPutEventsEntry(detail, {
        eventBusName: names.eventBusName,
        eventSource: names.eventSource,
      });
      pending.push({ detail, entry, size: putEventsEntrySize(entry), sequenceNumbers: [item.checkId] });
    } catch (error) {
      invalid.push({ checkId: item.checkId, problem: (error as Error).message });
    }
  }
  showCounts(ctx, scan.items);
  for (const { checkId, problem } of invalid) out.line(`  cannot be published: ${checkId}: ${problem}`);
  if (options.list) {
    out.table([
      ['decidedAt', 'eventId', 'checkId', 'status', 'reason'],
      ...pending.map(({ detail }) => [
        detail.decidedAt,
        detail.eventId,
        detail.checkId,
        detail.status,
        'rejection' in detail ? detail.rejection.reason : 'failure' in detail ? detail.failure.reason : '',
      ]),
    ]);
  }
  const result: RepublishResult = { events: pending.length, put: 0, failed: [], invalid, unattested };
  if (pending.length === 0) return result;
  const seconds = pending.length / options.ratePerSecond;
  if (options.dryRun) {
    out.line(
      `dry run: nothing put. To put these ${pending.length} events on ${names.eventBusName} (source ${names.eventSource}) at ${options.ratePerSecond}/s (about ${formatDuration(seconds * 1000)}), add --dry-run=false`,
    );
    return result;
  }

  out.line(`putting ${pending.length} events on ${names.eventBusName} at ${options.ratePerSecond}/s`);
  const deps: NotifierDeps = {
    eventBridge: ctx.clients.eventBridge,
    logger: QUIET,
    metrics: { addMetric: () => undefined } as unknown as NotifierDeps['metrics'],
    clock: ctx.clock,
  };
  // At most `rate` events per call, then the pause that keeps the average at `rate` per second.
  const perCall = Math.max(1, Math.min(10, Math.floor(options.ratePerSecond)));
  for (const chunk of chunkEvents(pending, PUT_EVENTS_MAX_BYTES)) {
    for (let i = 0; i < chunk.length; i += perCall) {
      const call = chunk.slice(i, i + perCall);
      const failures = await putWithRetries(call, deps, {
        eventBusName: names.eventBusName,
        eventSource: names.eventSource,
      });
      for (const event of call) {
        const failure = failures.get(event);
        if (failure) {
          result.failed.push({
            checkId: event.detail.checkId,
            eventId: event.detail.eventId,
            errorCode: failure.errorCode,
          });
        } else {
          result.put++;
        }
      }
      await ctx.clock.sleep((call.length * 1000) / options.ratePerSecond);
    }
  }
  out.line(`put ${result.put} events, ${result.failed.length} failed`);
  for (const failure of result.failed) {
    out.line(`  not put: ${failure.checkId} (eventId ${failure.eventId}): ${failure.errorCode}`);
  }
  return result;
}

function showCounts(ctx: OpsContext, items: readonly CheckItem[]): void {
  const counts = new Map<string, Map<string, number>>();
  for (const item of items) {
    const reasons = counts.get(item.status) ?? new Map<string, number>();
    const reason = item.rejection?.reason ?? item.failure?.reason ?? '';
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    counts.set(item.status, reasons);
  }
  for (const status of FINAL_STATUSES) {
    const reasons = counts.get(status);
    if (!reasons) continue;
    const total = [...reasons.values()].reduce((a, b) => a + b, 0);
    const detail = [...reasons.entries()]
      .filter(([reason]) => reason !== '')
      .sort(([, a], [, b]) => b - a)
      .map(([reason, n]) => `${reason} ${n}`)
      .join(', ');
    ctx.out.line(`  ${status.padEnd(8)} ${String(total).padStart(6)}${detail ? `  (${detail})` : ''}`);
  }
}

const QUIET: NotifierDeps['logger'] = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
