/**
 * `npm run ops -- status`: the queues and their dead-letter queues, final checks by status over the
 * last hour, when the token secret last changed (its metadata only: the value is never read), and the
 * token-refresher's last run with the refresh-token expiry it logged.
 */
import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { FINAL_STATUSES, type FinalStatus } from '../../shared/check.js';
import { FINAL_CHECK_METRICS, METRICS_NAMESPACE } from '../../shared/metric-names.js';
import { filterLogEvents, getMetricValues } from './cloudwatch.js';
import type { OpsCommand, OpsContext } from './context.js';
import { scanFinalChecks } from './final-checks.js';
import { formatDuration } from './output.js';
import { requireNames } from './target.js';

const NEEDS = [
  'selfieQueueUrl',
  'selfieDeadLetterQueueUrl',
  'notifierDeadLetterQueueUrl',
  'checkTableName',
  'tokenSecretArn',
] as const;

export const statusCommand: OpsCommand = {
  name: 'status',
  usage: 'status [--counts metrics|scan]',
  help: `Queue depths and oldest ages, the two DLQs, final checks by status over the last hour, when the
token secret last changed (DescribeSecret: its value is never read), and the token-refresher's last run
with the refresh-token expiry it logged. Final checks are counted from
the CloudWatch metrics the alarms use (--counts scan: from the table, exact, at the cost of a scan; the
default for a local pipeline, which has no metrics).`,
  flags: ['counts'],
  needs: () => NEEDS,
  async run(ctx) {
    const names = requireNames(ctx.target, NEEDS);
    const now = ctx.clock.now();
    ctx.out.line(`status of ${ctx.target.description} at ${now.toISOString()}`);
    ctx.out.line();
    await showQueues(ctx, names, now);
    ctx.out.line();
    await showFinalChecks(ctx, names.checkTableName, now);
    ctx.out.line();
    await showTokenSecret(ctx, names.tokenSecretArn, now);
    await showLastRefresherRun(ctx, now);
    return 0;
  },
};

async function showQueues(
  ctx: OpsContext,
  names: Record<'selfieQueueUrl' | 'selfieDeadLetterQueueUrl' | 'notifierDeadLetterQueueUrl', string>,
  now: Date,
): Promise<void> {
  const queues = [
    ['selfie queue', names.selfieQueueUrl],
    ['selfie DLQ', names.selfieDeadLetterQueueUrl],
    ['notifier DLQ', names.notifierDeadLetterQueueUrl],
  ] as const;
  const oldest = await oldestAges(
    ctx,
    queues.map(([, url]) => url),
    now,
  );
  const rows: string[][] = [['queue', 'waiting', 'in flight', 'delayed', 'oldest (CloudWatch, last 10 min)']];
  for (const [label, url] of queues) {
    const { Attributes = {} } = await ctx.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    const age = oldest.get(url);
    rows.push([
      label,
      Attributes.ApproximateNumberOfMessages ?? '?',
      Attributes.ApproximateNumberOfMessagesNotVisible ?? '?',
      Attributes.ApproximateNumberOfMessagesDelayed ?? '?',
      age === undefined ? '-' : formatDuration(age * 1000),
    ]);
  }
  ctx.out.table(rows);
  const selfieDlq = Number(rows[2]?.[1] ?? 0);
  const notifierDlq = Number(rows[3]?.[1] ?? 0);
  if (selfieDlq > 0) ctx.out.line(`  selfie DLQ not empty: npm run ops -- dlq show selfie`);
  if (notifierDlq > 0)
    ctx.out.line(`  notifier DLQ not empty (events are missing): npm run ops -- dlq show notifier`);
  if (ctx.target.local) ctx.out.line('  (a local pipeline has no CloudWatch metrics: no ages)');
}

/** The age in seconds of each queue's oldest message, from CloudWatch (SQS alone only tells by receiving). */
async function oldestAges(ctx: OpsContext, urls: readonly string[], now: Date): Promise<Map<string, number>> {
  const ages = new Map<string, number>();
  if (ctx.target.local) return ages;
  const queries: MetricDataQuery[] = urls.map((url, i) => ({
    Id: `q${i}`,
    MetricStat: {
      Metric: {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: url.slice(url.lastIndexOf('/') + 1) }],
      },
      Period: 60,
      Stat: 'Maximum',
    },
  }));
  const values = await getMetricValues(
    ctx.clients.cloudWatch,
    queries,
    new Date(now.getTime() - 600_000),
    now,
  );
  urls.forEach((url, i) => {
    const points = values.get(`q${i}`) ?? [];
    if (points.length > 0) ages.set(url, Math.max(...points));
  });
  return ages;
}

async function showFinalChecks(ctx: OpsContext, tableName: string, now: Date): Promise<void> {
  const counts = ctx.flags.counts ?? (ctx.target.local ? 'scan' : 'metrics');
  if (counts !== 'metrics' && counts !== 'scan')
    throw new Error(`--counts takes metrics or scan, got "${String(counts)}"`);
  const since = new Date(now.getTime() - 3_600_000);
  const byStatus = Object.fromEntries(FINAL_STATUSES.map((s) => [s, 0])) as Record<FinalStatus, number>;
  let source: string;
  if (counts === 'scan') {
    const scan = await scanFinalChecks(ctx.clients.dynamodb, tableName, { since, until: now });
    for (const item of scan.items) byStatus[item.status as FinalStatus]++;
    source = `the table (a scan of ${scan.scanned} items, ${scan.readUnits} read units)`;
  } else {
    const queries: MetricDataQuery[] = [];
    const statusOf = new Map<string, FinalStatus>();
    for (const status of FINAL_STATUSES) {
      for (const metric of FINAL_CHECK_METRICS[status]) {
        const id = `m${queries.length}`;
        statusOf.set(id, status);
        queries.push({
          Id: id,
          MetricStat: {
            Metric: {
              Namespace: METRICS_NAMESPACE,
              MetricName: metric.metricName,
              Dimensions: [{ Name: 'service', Value: metric.service }],
            },
            Period: 60,
            Stat: 'Sum',
          },
        });
      }
    }
    const values = await getMetricValues(ctx.clients.cloudWatch, queries, since, now);
    for (const [id, points] of values) {
      const status = statusOf.get(id);
      if (status) byStatus[status] += points.reduce((a, b) => a + b, 0);
    }
    source = 'CloudWatch metrics';
  }
  const total = FINAL_STATUSES.reduce((sum, s) => sum + byStatus[s], 0);
  const share = (s: FinalStatus) => (total === 0 ? '-' : `${((100 * byStatus[s]) / total).toFixed(1)}%`);
  ctx.out.line(`final checks in the last hour (from ${source}): ${total}`);
  ctx.out.table([
    ['status', 'checks', 'share'],
    ...FINAL_STATUSES.map((s) => [s, String(byStatus[s]), share(s)]),
  ]);
}

async function showTokenSecret(ctx: OpsContext, tokenSecretArn: string, now: Date): Promise<void> {
  // Metadata only: the value holds a live refresh token, and looking needs no right to read it.
  const secret = await ctx.clients.secretsManager.send(
    new DescribeSecretCommand({ SecretId: tokenSecretArn }),
  );
  const current = Object.values(secret.VersionIdsToStages ?? {}).some((stages) =>
    stages.includes('AWSCURRENT'),
  );
  if (!current) {
    ctx.out.line(
      'token secret: no value yet: run the token-refresher (npm run ops -- rotate-credentials --keep-password)',
    );
    return;
  }
  // LastChangedDate also moves when the secret's settings change: the refresher's run says more.
  const changed = secret.LastChangedDate;
  ctx.out.line(
    changed
      ? `token secret: last changed ${changed.toISOString()} (${formatDuration(now.getTime() - changed.getTime())} ago)`
      : 'token secret: last changed: not known',
  );
}

const RUN_MESSAGES = new Set(['token secret written', 'token refresh skipped']);

/**
 * The refresher's last run, from its log group (the last day): what it did, or how it failed; and
 * the refresh token's expiry as the latest run line gives it (`refreshExpiresAt`, never the token).
 */
async function showLastRefresherRun(ctx: OpsContext, now: Date): Promise<void> {
  const logGroupName = ctx.target.names.tokenRefresherLogGroupName;
  if (!logGroupName) {
    const why = ctx.target.local
      ? 'the local pipeline keeps no CloudWatch logs'
      : 'no TokenRefresherLogGroupName: pass --token-refresher-log-group-name';
    ctx.out.line(`token-refresher last run: not known (${why})`);
    ctx.out.line(`  refresh token expiry: not known (${why})`);
    return;
  }
  const events = await filterLogEvents(ctx.clients.logs, {
    logGroupName,
    start: new Date(now.getTime() - 86_400_000),
    end: now,
    limit: 500,
  });
  if (events === undefined) {
    ctx.out.line(`token-refresher last run: its log group ${logGroupName} does not exist`);
    return;
  }
  let lastRun: string | undefined;
  let expiresAt: string | undefined;
  for (const event of [...events].reverse()) {
    const when = new Date(event.timestamp).toISOString();
    const line = parseLine(event.message);
    if (line && typeof line.message === 'string' && RUN_MESSAGES.has(line.message)) {
      const detail =
        line.message === 'token secret written'
          ? `logged in and wrote the token secret${line.forced === true ? ' (forced)' : ''}`
          : `skipped: ${String(line.reason)}`;
      lastRun ??= `token-refresher last run: ${when}, ${detail}`;
      if (typeof line.refreshExpiresAt === 'string' && !Number.isNaN(Date.parse(line.refreshExpiresAt))) {
        expiresAt = line.refreshExpiresAt;
        break;
      }
    } else if (lastRun === undefined && /Invoke Error|Task timed out|"level":"ERROR"/.test(event.message)) {
      const errorType = /"errorType":"(\w+)"/.exec(event.message)?.[1] ?? 'an error';
      lastRun = `token-refresher last run: ${when}, FAILED with ${errorType} (see its log group ${logGroupName})`;
    }
  }
  ctx.out.line(lastRun ?? 'token-refresher last run: none in the last day');
  if (expiresAt === undefined) {
    ctx.out.line('  refresh token expiry: not known (no refresher run of the last day logged it)');
    return;
  }
  const left = Date.parse(expiresAt) - now.getTime();
  ctx.out.line(
    `  refresh token valid until ${new Date(expiresAt).toISOString()} (${
      left > 0
        ? `${formatDuration(left)} left, as the refresher last logged it`
        : 'EXPIRED: checkers cannot get access tokens'
    })`,
  );
}

function parseLine(message: string): Record<string, unknown> | undefined {
  const start = message.indexOf('{');
  if (start < 0) return undefined;
  try {
    return JSON.parse(message.slice(start)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
