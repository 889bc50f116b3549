/**
 * `npm run ops -- check <checkId>`: one check's item, its timeline, the event it has (or will have)
 * on the bus, whether its selfie is still stored, and (on AWS) its log lines from every function.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { type CheckItem, isFinalStatus } from '../../shared/check.js';
import { CheckRepository } from '../../shared/check-repository.js';
import { buildEventDetail } from '../../shared/events/build-event.js';
import { DETAIL_TYPES } from '../../shared/events/index.js';
import { filterLogEvents } from './cloudwatch.js';
import type { OpsCommand, OpsContext } from './context.js';
import { requireNames } from './target.js';

const NEEDS = ['checkTableName', 'selfieBucketName', 'selfiePrefix'] as const;

const LOG_GROUPS = [
  ['api', 'apiLogGroupName'],
  ['checker', 'checkerLogGroupName'],
  ['sweeper', 'sweeperLogGroupName'],
  ['notifier', 'notifierLogGroupName'],
] as const;

export const checkCommand: OpsCommand = {
  name: 'check',
  usage: 'check <checkId>',
  help: `One check: its item (status, outcome, device, reference, object), its timeline (created, upload
form expiry, lease, decision, TTL), its event as the notifier publishes it (detail-type, eventId,
detail), whether its selfie is still in the bucket, and, on AWS, every function's log lines for it.`,
  flags: [],
  needs: () => NEEDS,
  async run(ctx) {
    const checkId = ctx.args[0];
    if (!checkId || ctx.args.length > 1) throw new Error('usage: npm run ops -- check <checkId>');
    const names = requireNames(ctx.target, NEEDS);
    const repository = new CheckRepository(ctx.clients.dynamodb, names.checkTableName, 0);
    const item = await repository.get(checkId);
    if (!item) {
      ctx.out.line(`no check ${checkId} in ${names.checkTableName} (never created, or past its TTL)`);
      return 1;
    }
    showItem(ctx, item);
    ctx.out.line();
    showTimeline(ctx, item);
    ctx.out.line();
    showEvent(ctx, item);
    ctx.out.line();
    const key = item.objectKey ?? `${names.selfiePrefix}${checkId}`;
    const bucket = item.bucket ?? names.selfieBucketName;
    const { KeyCount = 0 } = await ctx.clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }),
    );
    ctx.out.line(
      `selfie s3://${bucket}/${key}: ${KeyCount > 0 ? 'stored' : 'not stored (deleted, or never uploaded)'}`,
    );
    ctx.out.line();
    await showLogs(ctx, item);
    return 0;
  },
};

function showItem(ctx: OpsContext, item: CheckItem): void {
  const reason = item.rejection?.reason ?? item.failure?.reason;
  ctx.out.line(`check ${item.checkId}: ${item.status}${reason ? ` ${reason}` : ''}`);
  const rows: [string, unknown][] = [
    ['attempts', item.attempts],
    ['device', item.device],
    ['reference', item.reference],
    ['content type', item.contentType],
    [
      'object',
      item.objectKey
        ? `s3://${item.bucket ?? '?'}/${item.objectKey}${item.objectSize !== undefined ? ` (${item.objectSize} bytes)` : ''}`
        : undefined,
    ],
    ['result', item.result ? JSON.stringify(item.result) : undefined],
    ['rejection', item.rejection ? JSON.stringify(item.rejection) : undefined],
    ['failure', item.failure ? JSON.stringify(item.failure) : undefined],
    ['version', item.version],
  ];
  for (const [label, value] of rows)
    if (value !== undefined) ctx.out.line(`  ${label.padEnd(12)} ${String(value)}`);
}

function showTimeline(ctx: OpsContext, item: CheckItem): void {
  const now = ctx.clock.now().getTime();
  const entries: [string, string][] = [];
  const at = (label: string, iso: string | undefined) => {
    if (iso) entries.push([iso, label]);
  };
  at('created', item.createdAt);
  at(
    Date.parse(item.uploadExpiresAt ?? '') < now ? 'upload form expired' : 'upload form expires',
    item.uploadExpiresAt,
  );
  if (item.status === 'CHECKING' && typeof item.leaseExpiresAt === 'number') {
    at(
      item.leaseExpiresAt < now ? 'lease ran out' : 'lease runs out',
      new Date(item.leaseExpiresAt).toISOString(),
    );
  }
  if (item.sweepStatus === 'UPLOADED') at('left to the checker until', item.sweepAt);
  at(`decided ${item.status}`, isFinalStatus(item.status) ? item.decidedAt : undefined);
  at('last written', item.updatedAt);
  if (typeof item.expiresAt === 'number')
    at('item expires (TTL)', new Date(item.expiresAt * 1000).toISOString());
  ctx.out.line('timeline');
  for (const [iso, label] of entries.sort(([a], [b]) => a.localeCompare(b)))
    ctx.out.line(`  ${iso}  ${label}`);
}

function showEvent(ctx: OpsContext, item: CheckItem): void {
  if (!isFinalStatus(item.status)) {
    ctx.out.line('event: none yet (the notifier publishes one when the check reaches a final status)');
    return;
  }
  try {
    const detail = buildEventDetail(item);
    ctx.out.line(`event: ${DETAIL_TYPES[detail.status]}, eventId ${detail.eventId}`);
    ctx.out.line(`  detail ${JSON.stringify(detail)}`);
    ctx.out.line(
      '  (missing on the bus? npm run ops -- republish --since <before decidedAt> --until <after it>)',
    );
  } catch (error) {
    ctx.out.line(`event: cannot be built from this item: ${(error as Error).message}`);
  }
}

/** Every function's log lines that name the check, from its creation to an hour after its decision. */
async function showLogs(ctx: OpsContext, item: CheckItem): Promise<void> {
  const groups = LOG_GROUPS.flatMap(([fn, name]) => {
    const group = ctx.target.names[name];
    return group ? [[fn, group] as const] : [];
  });
  if (groups.length === 0) {
    ctx.out.line(
      ctx.target.local
        ? 'logs: the local pipeline keeps no CloudWatch logs (its functions log to the npm start terminal)'
        : 'logs: no function log groups named (stack outputs CheckerLogGroupName, ...)',
    );
    return;
  }
  const created = Date.parse(item.createdAt ?? '');
  const start = new Date(
    (Number.isNaN(created) ? ctx.clock.now().getTime() - 86_400_000 : created) - 300_000,
  );
  const decided = Date.parse(item.decidedAt ?? '');
  const end = new Date(Number.isNaN(decided) ? ctx.clock.now().getTime() : decided + 3_600_000);
  const lines: { timestamp: number; fn: string; message: string }[] = [];
  for (const [fn, logGroupName] of groups) {
    // A quoted term matches the id anywhere in the line; the functions log it as `checkId`.
    const events = await filterLogEvents(ctx.clients.logs, {
      logGroupName,
      start,
      end,
      filterPattern: `"${item.checkId}"`,
      limit: 200,
    });
    for (const event of events ?? [])
      lines.push({ timestamp: event.timestamp, fn, message: summarize(event.message) });
  }
  ctx.out.line(`logs (${lines.length} lines naming the check)`);
  for (const line of lines.sort((a, b) => a.timestamp - b.timestamp)) {
    ctx.out.line(`  ${new Date(line.timestamp).toISOString()}  ${line.fn.padEnd(8)} ${line.message}`);
  }
}

/** A Powertools JSON line as `LEVEL message {fields}`, without the keys every line repeats. */
function summarize(message: string): string {
  const start = message.indexOf('{');
  try {
    const line = JSON.parse(message.slice(start)) as Record<string, unknown>;
    const {
      level,
      message: text,
      timestamp,
      service,
      checkId,
      function_name,
      function_arn,
      function_memory_size,
      function_request_id,
      cold_start,
      xray_trace_id,
      sampling_rate,
      ...rest
    } = line;
    return `${String(level ?? '')} ${String(text ?? '')} ${Object.keys(rest).length > 0 ? JSON.stringify(rest) : ''}`.trim();
  } catch {
    return message.trim();
  }
}
