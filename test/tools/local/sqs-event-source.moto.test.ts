import { CreateQueueCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsFaultProxy, startAwsFaultProxy } from '../../../tools/local/aws-fault-proxy.js';
import { LOCAL_REQUEST_HANDLER } from '../../../tools/local/provision.js';
import { pollOnce } from '../../../tools/local/sqs-event-source.js';
import { awsClientConfig, type Moto, startMoto } from '../../support/moto.js';

// Issue 22 point 7 (iii): the harness's AWS clients give up on an attempt after 10 s
// (LOCAL_REQUEST_HANDLER). A receive moto answers later than that has already marked its messages
// received: the SDK's retry finds them invisible, and they wait out the visibility timeout, as the
// messages of point 2 did. Here the client's timeout is 2 s and moto's answer is held 5 s.
describe('a poll whose receive moto answers after the client timeout', () => {
  let moto: Moto;
  let proxy: AwsFaultProxy;
  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startAwsFaultProxy({ target: moto.endpoint });
  });
  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
  });

  it("hands the receive's messages to the handler, receiving once", async () => {
    const sqs = new SQSClient({
      ...awsClientConfig(proxy.endpoint),
      requestHandler: { ...LOCAL_REQUEST_HANDLER, requestTimeout: 2000 },
    });
    const { QueueUrl: queueUrl = '' } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'slow-receive', Attributes: { VisibilityTimeout: '60' } }),
    );
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: ['a', 'b', 'c'].map((body, i) => ({ Id: String(i), MessageBody: body })),
      }),
    );
    proxy.loseAnswers({ target: 'AmazonSQS.ReceiveMessage', answers: ['late'], holdMs: 5000 });
    const before = proxy.counts().passedThrough;

    const handed: string[] = [];
    const { received } = await pollOnce(
      sqs,
      {
        queueUrl,
        queueArn: 'arn:aws:sqs:us-east-1:000000000000:slow-receive',
        region: 'us-east-1',
        batchSize: 10,
        waitSeconds: 0,
      },
      async (event) => {
        handed.push(...event.Records.map((record) => record.body));
        return { batchItemFailures: [] };
      },
    );

    expect(received).toBe(3);
    expect(handed.sort()).toEqual(['a', 'b', 'c']);
    // One receive and one delete: no attempt was abandoned and sent again.
    expect(proxy.counts().passedThrough - before).toBe(2);
  });
});
