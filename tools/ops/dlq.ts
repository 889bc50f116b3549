/**
 * `npm run ops -- dlq show|redrive|purge selfie|notifier`, with what each dead-letter queue holds:
 *
 * - The selfie DLQ holds S3 notifications that failed every receive. The checker recorded their
 *   checks final on the last receive (the event went out), except a notification it could not read
 *   and a check whose last write failed too. `show` names each message's check and its status;
 *   `redrive` sends back the unrecorded ones (the checker checks them again) and the settled ones
 *   whose selfie is still stored (their delete kept failing: the checker acknowledges a duplicate of
 *   a decided check and deletes its selfie, the one place that deletes), and deletes the other
 *   settled ones (a redrive would only have the checker acknowledge them).
 * - The notifier DLQ holds Lambda's on-failure records of stream batches: positions and arrival
 *   times, not the records, which leave the stream after 24 hours. `show` gives each batch's window;
 *   `redrive` republishes the final checks decided in it from the table and deletes the batch once
 *   every event was put.
 *
 * `show` hides the messages it reads for 30 seconds and makes them visible again at once when it is
 * done; `redrive` is a dry run unless `--dry-run=false`; `purge` needs `--yes`.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { checkIdForKey, parseNotification } from '../../functions/checker/notification.js';
import { isFinalStatus } from '../../shared/check.js';
import { CheckRepository } from '../../shared/check-repository.js';
import { isOn, numberFlag } from './args.js';
import type { OpsCommand, OpsContext } from './context.js';
import { formatDuration } from './output.js';
import { DEFAULT_RATE_PER_SECOND, republish } from './republish.js';
import type { PipelineName } from './target.js';
import { requireNames } from './target.js';

type Queue = 'selfie' | 'notifier';
type Action = 'show' | 'redrive' | 'purge';

/** How long `show` keeps the messages it read from other readers. */
const LOOK_SECONDS = 30;
/** Slack around a batch's arrival times: `decidedAt` is the checker's clock, arrival DynamoDB's (whole seconds). */
const WINDOW_SLACK_MS = 60_000;

export const dlqCommand: OpsCommand = {
  name: 'dlq',
  usage: 'dlq show|redrive|purge selfie|notifier [--max N] [--dry-run=false] [--yes] [--rate N]',
  help: `show: each message, with its check and the check's status (selfie), or its stream batch and the
window to republish (notifier). redrive: selfie: sends back the messages whose check is not recorded or
whose decided check's selfie is still stored (the checker deletes it), and deletes the other settled
ones; notifier: republishes each batch's window from the table and deletes the
batch. A dry run unless --dry-run=false. purge: deletes every message; needs --yes.`,
  flags: ['max', 'dry-run', 'yes', 'rate'],
  needs: (args) => {
    const queue = args[1] as Queue;
    const names: PipelineName[] = [
      queue === 'notifier' ? 'notifierDeadLetterQueueUrl' : 'selfieDeadLetterQueueUrl',
    ];
    if (args[0] !== 'purge') names.push('checkTableName');
    if (queue === 'selfie') names.push('selfieQueueUrl', 'selfiePrefix', 'selfieBucketName');
    if (queue === 'notifier' && args[0] === 'redrive') names.push('eventBusName', 'eventSource');
    return names;
  },
  async run(ctx) {
    const [action, queue] = ctx.args as [Action | undefined, Queue | undefined];
    if (
      !['show', 'redrive', 'purge'].includes(action ?? '') ||
      !['selfie', 'notifier'].includes(queue ?? '')
    ) {
      throw new Error(`usage: npm run ops -- ${dlqCommand.usage}`);
    }
    const url = requireNames(ctx.target, [
      queue === 'selfie' ? 'selfieDeadLetterQueueUrl' : 'notifierDeadLetterQueueUrl',
    ] as const);
    const dlqUrl = Object.values(url)[0] as string;
    if (action === 'purge') return await purge(ctx, queue as Queue, dlqUrl);
    const max = numberFlag(ctx.flags, 'max', 1000, 100_000);
    const messages = await receiveAll(ctx, dlqUrl, max);
    try {
      if (queue === 'selfie') return await selfieDlq(ctx, action as 'show' | 'redrive', dlqUrl, messages);
      return await notifierDlq(ctx, action as 'show' | 'redrive', dlqUrl, messages);
    } finally {
      // Whatever was not deleted becomes visible again now rather than in 30 s.
      await release(ctx, dlqUrl, messages);
    }
  },
};

async function purge(ctx: OpsContext, queue: Queue, url: string): Promise<number> {
  const { Attributes = {} } = await ctx.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  const count = Attributes.ApproximateNumberOfMessages ?? '?';
  if (!isOn(ctx.flags, 'yes', false)) {
    ctx.out.line(
      `the ${queue} DLQ holds about ${count} messages. Purging deletes them all for good${
        queue === 'notifier' ? ' (and with them the only record of which events are missing)' : ''
      }: read them first (npm run ops -- dlq show ${queue}), then add --yes`,
    );
    return 2;
  }
  await ctx.clients.sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
  ctx.out.line(`purged the ${queue} DLQ (about ${count} messages; SQS takes up to 60 s to finish)`);
  return 0;
}

/** Receives up to `max` messages, hiding each for {@link LOOK_SECONDS}. */
async function receiveAll(ctx: OpsContext, url: string, max: number): Promise<Message[]> {
  const messages: Message[] = [];
  const seen = new Set<string>();
  while (messages.length < max) {
    const { Messages = [] } = await ctx.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: Math.min(10, max - messages.length),
        VisibilityTimeout: LOOK_SECONDS,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
      }),
    );
    const fresh = Messages.filter((m) => m.MessageId && !seen.has(m.MessageId));
    if (fresh.length === 0) break;
    for (const message of fresh) seen.add(message.MessageId as string);
    messages.push(...fresh);
  }
  return messages;
}

/** Makes the messages not deleted visible again. */
async function release(ctx: OpsContext, url: string, messages: Message[]): Promise<void> {
  const left = messages.filter((m) => !deleted.has(m));
  for (let i = 0; i < left.length; i += 10) {
    await ctx.clients.sqs
      .send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: url,
          Entries: left.slice(i, i + 10).map((m, j) => ({
            Id: String(j),
            ReceiptHandle: m.ReceiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      )
      .catch(() => undefined); // they come back after LOOK_SECONDS anyway
  }
}

const deleted = new WeakSet<Message>();

async function remove(ctx: OpsContext, url: string, message: Message): Promise<void> {
  await ctx.clients.sqs.send(
    new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }),
  );
  deleted.add(message);
}

function sentAt(message: Message): string {
  const ms = Number(message.Attributes?.SentTimestamp);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '?';
}

/** What one selfie DLQ message is, and what a redrive does with it. */
interface SelfieMessage {
  message: Message;
  kind: 'settled' | 'settled, selfie left' | 'unrecorded' | 'malformed';
  checks: { checkId: string; status: string; reason: string }[];
  why?: string;
}

async function selfieDlq(
  ctx: OpsContext,
  action: 'show' | 'redrive',
  dlqUrl: string,
  messages: Message[],
): Promise<number> {
  const names = requireNames(ctx.target, [
    'checkTableName',
    'selfieQueueUrl',
    'selfiePrefix',
    'selfieBucketName',
  ] as const);
  const repository = new CheckRepository(ctx.clients.dynamodb, names.checkTableName, 0);
  const read: SelfieMessage[] = [];
  for (const message of messages) {
    const notification = parseNotification(message.Body ?? '');
    if (notification.kind === 'malformed') {
      read.push({ message, kind: 'malformed', checks: [], why: notification.reason });
      continue;
    }
    const checks: SelfieMessage['checks'] = [];
    const keys: string[] = [];
    if (notification.kind === 'objects') {
      for (const object of notification.objects) {
        // Keys outside the prefix are not checked (the checker skips them).
        if (!object.key.startsWith(names.selfiePrefix)) continue;
        const checkId = checkIdForKey(object.key, names.selfiePrefix);
        keys.push(object.key);
        const item = await repository.get(checkId);
        checks.push({
          checkId,
          status: item?.status ?? 'NO ITEM',
          reason: item?.rejection?.reason ?? item?.failure?.reason ?? '',
        });
      }
    }
    const settled = checks.every((c) => isFinalStatus(c.status));
    const kind = !settled
      ? 'unrecorded'
      : (await anyStored(ctx, names.selfieBucketName, keys))
        ? 'settled, selfie left'
        : 'settled';
    read.push({ message, kind, checks });
  }

  ctx.out.line(`selfie DLQ: ${read.length} messages read`);
  const rows = [['sent', 'receives', 'kind', 'checkId', 'status', 'reason']];
  for (const entry of read) {
    const base = [
      sentAt(entry.message),
      entry.message.Attributes?.ApproximateReceiveCount ?? '?',
      entry.kind,
    ];
    if (entry.checks.length === 0) rows.push([...base, '-', '-', entry.why ?? 'no selfie key']);
    for (const check of entry.checks) rows.push([...base, check.checkId, check.status, check.reason]);
  }
  ctx.out.table(rows);
  const count = (kind: SelfieMessage['kind']) => read.filter((e) => e.kind === kind).length;
  const sendBack = count('unrecorded') + count('settled, selfie left');
  ctx.out.line(
    `settled ${count('settled')} (final, event published: a redrive would only acknowledge them), settled with the selfie left ${count('settled, selfie left')} (final, but the selfie delete kept failing: a redrive sends them back and the checker deletes it, no vendor call), unrecorded ${count('unrecorded')} (a redrive checks them again: a paid vendor call each if the selfie is still there), malformed ${count('malformed')} (not S3 notifications: left for you)`,
  );
  if (action === 'show') {
    if (read.length > 0)
      ctx.out.line('next: npm run ops -- dlq redrive selfie (a dry run), then add --dry-run=false');
    return 0;
  }
  if (isOn(ctx.flags, 'dry-run', true)) {
    ctx.out.line(
      `dry run: would send ${sendBack} back to the selfie queue and delete ${count('settled')}; add --dry-run=false`,
    );
    return 0;
  }
  for (const entry of read) {
    if (entry.kind === 'unrecorded' || entry.kind === 'settled, selfie left') {
      await ctx.clients.sqs.send(
        new SendMessageCommand({ QueueUrl: names.selfieQueueUrl, MessageBody: entry.message.Body ?? '' }),
      );
      await remove(ctx, dlqUrl, entry.message);
    } else if (entry.kind === 'settled') {
      await remove(ctx, dlqUrl, entry.message);
    }
  }
  ctx.out.line(
    `sent ${sendBack} back to the selfie queue, deleted ${count('settled')} settled; ${count('malformed')} left in the DLQ`,
  );
  return 0;
}

/**
 * Whether any of `keys` is still in the pipeline's bucket (never the bucket a message names). A
 * listing, not a HEAD: the bucket policy refuses s3:GetObject to all but the checker.
 */
async function anyStored(ctx: OpsContext, bucket: string, keys: string[]): Promise<boolean> {
  for (const key of keys) {
    const { Contents = [] } = await ctx.clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }),
    );
    if (Contents.some((object) => object.Key === key)) return true;
  }
  return false;
}

/** A stream batch Lambda gave up on, as its on-failure record describes it. */
interface StreamBatch {
  message: Message;
  condition: string;
  invokeCount?: number;
  startSequenceNumber?: string;
  endSequenceNumber?: string;
  batchSize?: number;
  first?: Date;
  last?: Date;
}

/** Reads Lambda's on-failure record of a DynamoDB stream batch. */
export function parseStreamBatch(message: Message): StreamBatch {
  let record: Record<string, unknown> = {};
  try {
    record = JSON.parse(message.Body ?? '{}') as Record<string, unknown>;
  } catch {
    // not a Lambda record: shown as unknown
  }
  const context = (record.requestContext ?? {}) as Record<string, unknown>;
  const info = (record.DDBStreamBatchInfo ?? {}) as Record<string, unknown>;
  const time = (value: unknown) =>
    typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? new Date(value) : undefined;
  const first = time(info.approximateArrivalOfFirstRecord);
  const last = time(info.approximateArrivalOfLastRecord);
  return {
    message,
    condition: typeof context.condition === 'string' ? context.condition : 'unknown',
    ...(typeof context.approximateInvokeCount === 'number'
      ? { invokeCount: context.approximateInvokeCount }
      : {}),
    ...(typeof info.startSequenceNumber === 'string'
      ? { startSequenceNumber: info.startSequenceNumber }
      : {}),
    ...(typeof info.endSequenceNumber === 'string' ? { endSequenceNumber: info.endSequenceNumber } : {}),
    ...(typeof info.batchSize === 'number' ? { batchSize: info.batchSize } : {}),
    ...(first ? { first } : {}),
    ...(last ? { last } : {}),
  };
}

/** The window of `decidedAt` to republish for a batch: its arrival times with slack. */
function windowOf(batch: StreamBatch): { since: Date; until: Date } | undefined {
  if (!batch.first || !batch.last) return undefined;
  return {
    since: new Date(batch.first.getTime() - WINDOW_SLACK_MS),
    until: new Date(batch.last.getTime() + WINDOW_SLACK_MS),
  };
}

async function notifierDlq(
  ctx: OpsContext,
  action: 'show' | 'redrive',
  dlqUrl: string,
  messages: Message[],
): Promise<number> {
  const batches = messages.map(parseStreamBatch);
  ctx.out.line(
    `notifier DLQ: ${batches.length} stream batches the notifier could not publish (positions, not records: they cannot be replayed; their final checks are republished from the table)`,
  );
  ctx.out.table([
    ['sent', 'condition', 'invokes', 'records', 'sequence numbers', 'arrived'],
    ...batches.map((b) => [
      sentAt(b.message),
      b.condition,
      String(b.invokeCount ?? '?'),
      String(b.batchSize ?? '?'),
      `${b.startSequenceNumber ?? '?'}..${b.endSequenceNumber ?? '?'}`,
      b.first && b.last ? `${b.first.toISOString()} .. ${b.last.toISOString()}` : 'unknown',
    ]),
  ]);
  for (const batch of batches) {
    const window = windowOf(batch);
    ctx.out.line(
      window
        ? `  republish: npm run ops -- republish --since ${window.since.toISOString()} --until ${window.until.toISOString()}`
        : `  no arrival times: republish up to when it was sent, e.g. --since <24 h before ${sentAt(batch.message)}> --until ${sentAt(batch.message)}`,
    );
  }
  if (action === 'show') return 0;

  const dryRun = isOn(ctx.flags, 'dry-run', true);
  const rate = numberFlag(ctx.flags, 'rate', DEFAULT_RATE_PER_SECOND, 10_000);
  let failed = 0;
  for (const batch of batches) {
    const window = windowOf(batch);
    if (!window) {
      ctx.out.line(
        `batch sent ${sentAt(batch.message)} has no arrival times: republish its window by hand; left in the DLQ`,
      );
      failed++;
      continue;
    }
    const started = ctx.clock.now().getTime();
    const result = await republish(ctx, { ...window, ratePerSecond: rate, dryRun, list: false });
    if (!dryRun && result.failed.length === 0) {
      await remove(ctx, dlqUrl, batch.message);
      ctx.out.line(`  batch deleted from the DLQ (${formatDuration(ctx.clock.now().getTime() - started)})`);
    } else if (!dryRun) {
      failed++;
      ctx.out.line('  some events were not put: the batch stays in the DLQ; run the redrive again');
    }
  }
  return failed > 0 ? 1 : 0;
}
