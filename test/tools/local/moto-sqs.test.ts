import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_REQUEST_HANDLER } from '../../../tools/local/provision.js';
import { pollOnce } from '../../../tools/local/sqs-event-source.js';
import { awsClientConfig, type Moto, startMoto } from '../../support/moto.js';

// The harness's moto (tools/local/moto_server.py) under the local runtime's polling: five pollers,
// batches of 10, 1 s long polls, as tools/local/runtime.ts runs each queue's consumers.
describe("the harness's moto SQS under concurrent pollers", () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it('hands each message to exactly one of five concurrent pollers and answers no receive with a 500', async () => {
    // moto 5.2.1's SQS backend has no lock: concurrent receives threw inside receive_message after
    // marking messages received, so moto answered 500, the SDK retried, and those messages stayed
    // invisible for the visibility timeout (or reached two pollers).
    const sqs = new SQSClient({ ...awsClientConfig(moto.endpoint), requestHandler: LOCAL_REQUEST_HANDLER });
    let serverErrors = 0;
    sqs.middlewareStack.add(
      (next) => async (args) => {
        try {
          return await next(args);
        } catch (error) {
          const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          if (status !== undefined && status >= 500) serverErrors++;
          throw error;
        }
      },
      // Below the retry middleware: every attempt passes here, retried ones included.
      { step: 'finalizeRequest', priority: 'low', name: 'countServerErrors' },
    );
    const { QueueUrl: queueUrl = '' } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'concurrent-receives', Attributes: { VisibilityTimeout: '30' } }),
    );
    const total = 300;
    // One attempt each, one at a time: a send retried after moto applied it would add copies that
    // look like a message delivered twice.
    const sender = new SQSClient({ ...awsClientConfig(moto.endpoint), maxAttempts: 1 });
    for (let batch = 0; batch < total / 10; batch++) {
      await sender.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Array.from({ length: 10 }, (_, j) => ({
            Id: String(j),
            MessageBody: `${batch * 10 + j}`,
          })),
        }),
      );
    }

    const receipts = new Map<string, number>();
    let failedPolls = 0;
    const deadline = Date.now() + 10_000;
    const poller = async () => {
      while (receipts.size < total && Date.now() < deadline) {
        try {
          await pollOnce(
            sqs,
            {
              queueUrl,
              queueArn: 'arn:aws:sqs:us-east-1:123456789012:concurrent-receives',
              region: 'us-east-1',
              batchSize: 10,
              waitSeconds: 1,
            },
            async (event) => {
              for (const record of event.Records)
                receipts.set(record.body, (receipts.get(record.body) ?? 0) + 1);
              return { batchItemFailures: [] };
            },
          );
        } catch {
          failedPolls++;
        }
      }
    };
    await Promise.all(Array.from({ length: 5 }, poller));

    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const receivedTwice = [...receipts.values()].filter((count) => count > 1).length;
    expect({
      received: receipts.size,
      receivedTwice,
      leftInvisible: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
      leftVisible: Number(Attributes.ApproximateNumberOfMessages),
      serverErrors,
      failedPolls,
    }).toEqual({
      received: total,
      receivedTwice: 0,
      leftInvisible: 0,
      leftVisible: 0,
      serverErrors: 0,
      failedPolls: 0,
    });
  }, 20_000);
});
