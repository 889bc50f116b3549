import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/** Options of one poll, as the Lambda SQS event source mapping would use them. */
export interface SqsPollOptions {
  queueUrl: string;
  queueArn: string;
  region: string;
  /** At most 10, as for a standard queue's receive call. */
  batchSize: number;
  /** Long-poll wait; 0 returns at once. */
  waitSeconds: number;
}

/**
 * How long past its long poll a receive may take before the poller gives up on it: longer than the
 * harness clients' 10 s per attempt. moto marks a receive's messages received before it answers, so
 * an attempt given up while moto is still at work (a busy machine) leaves them invisible for the
 * visibility timeout, and the SDK's retry does not find them (issue 22, point 7). A moto that never
 * answers still frees the poller.
 */
export const RECEIVE_TIMEOUT_MS = 60_000;

/**
 * Plays one turn of Lambda's SQS event source mapping: receive a batch, hand it to the handler as a
 * Lambda-shaped event, delete what succeeded, and leave the reported failures (and everything, if the
 * handler throws) to come back after their visibility timeout, or to go on to the DLQ by the queue's
 * redrive policy. Returns the number of messages received.
 */
export async function pollOnce(
  sqs: SQSClient,
  options: SqsPollOptions,
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>,
): Promise<{ received: number; failed: number }> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: options.queueUrl,
      MaxNumberOfMessages: Math.min(options.batchSize, 10),
      WaitTimeSeconds: options.waitSeconds,
      MessageSystemAttributeNames: ['All'],
    }),
    { requestTimeout: options.waitSeconds * 1000 + RECEIVE_TIMEOUT_MS },
  );
  if (Messages.length === 0) return { received: 0, failed: 0 };
  const event = toLambdaEvent(Messages, options);
  let failedIds: Set<string>;
  try {
    const response = await handler(event);
    failedIds = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  } catch {
    // A thrown handler fails the whole batch, as in Lambda.
    failedIds = new Set(event.Records.map((r) => r.messageId));
  }
  const done = Messages.filter((m) => m.MessageId && !failedIds.has(m.MessageId));
  for (let i = 0; i < done.length; i += 10) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: options.queueUrl,
        Entries: done.slice(i, i + 10).map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
  return { received: Messages.length, failed: failedIds.size };
}

/** Shapes received messages the way Lambda delivers them to a function. */
export function toLambdaEvent(
  messages: Message[],
  options: Pick<SqsPollOptions, 'queueArn' | 'region'>,
): SQSEvent {
  return {
    Records: messages.map(
      (m): SQSRecord => ({
        messageId: m.MessageId ?? '',
        receiptHandle: m.ReceiptHandle ?? '',
        body: m.Body ?? '',
        attributes: {
          ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
          SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
          SenderId: m.Attributes?.SenderId ?? 'local',
          ApproximateFirstReceiveTimestamp:
            m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: m.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: options.queueArn,
        awsRegion: options.region,
      }),
    ),
  };
}
