import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLivenessClient, type LivenessClient } from '../../client/index.js';
import { checkIdForKey } from '../../functions/checker/notification.js';
import { createEventTap } from '../../tools/local/provision.js';
import { type LocalPipeline, startLocalPipeline, type TappedEvent } from '../../tools/local/runtime.js';
import { makeJpeg, makePng } from '../../tools/simulator/images.js';

/** Every line the functions write while the pipeline runs, for the secrets test. */
const captured: string[] = [];

describe('the pipeline end to end on moto with the simulator', () => {
  let pipeline: LocalPipeline;
  let app: LivenessClient;
  let restoreOutput: () => void;
  let seed = 100;

  beforeAll(async () => {
    const writes = {
      out: process.stdout.write.bind(process.stdout),
      err: process.stderr.write.bind(process.stderr),
    };
    const capture = (chunk: unknown) => {
      captured.push(String(chunk));
      return true;
    };
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
    restoreOutput = () => {
      process.stdout.write = writes.out;
      process.stderr.write = writes.err;
    };
    pipeline = await startLocalPipeline({
      port: 0,
      retryDelaySeconds: 1,
      // Access tokens expire during the run, so the checker must refresh them.
      simulator: { accessTtlSeconds: 3 },
      environment: { POWERTOOLS_LOG_LEVEL: 'DEBUG', VENDOR_RESPONSE_TIMEOUT_MS: '2000' },
      sweepIntervalMs: 3_600_000,
    });
    // Polls every 200 ms: the local pipeline decides in about a second.
    app = createLivenessClient({
      baseUrl: pipeline.apiUrl,
      polling: { initialDelayMs: 200, backoff: 1, maxIntervalMs: 200 },
    });
  });

  afterAll(async () => {
    await pipeline?.stop();
    restoreOutput?.();
  });

  const image = () => makePng({ width: 200, height: 200, seed: seed++ });
  const simulator = () => {
    if (!pipeline.simulator) throw new Error('the pipeline runs without its simulator');
    return pipeline.simulator.control;
  };
  async function eventsFor(checkId: string, count = 1, timeoutMs = 20_000): Promise<TappedEvent[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = pipeline.events.filter((e) => e.detail.checkId === checkId);
      if (found.length >= count || Date.now() > deadline) return found;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const settle = () => new Promise((resolve) => setTimeout(resolve, 1500));

  it('issues, uploads and passes a selfie, publishing one Passed event with the verdict', async () => {
    const check = await app.checkSelfie(makeJpeg({ width: 640, height: 480, seed: 1 }), {
      device: 'ANDROID',
      reference: 'order-1',
    });
    expect(check).toMatchObject({
      status: 'PASSED',
      device: 'ANDROID',
      reference: 'order-1',
      result: { valid: true },
    });
    const [event] = await eventsFor(check.checkId);
    expect(event?.['detail-type']).toBe('Liveness Check Passed');
    expect(event?.detail).toMatchObject({
      status: 'PASSED',
      reference: 'order-1',
      device: 'ANDROID',
      attempts: 1,
    });
    expect(event?.detail.result).toMatchObject({ transactionId: check.result?.transactionId });
    expect(simulator().state().lastLiveness?.device).toBe('ANDROID');
  });

  it('records a vendor rejection and publishes a Rejected event', async () => {
    simulator().script({ type: 'rejection', code: 713, endpoint: 'liveness' });
    const check = await app.checkSelfie(image());
    expect(check).toMatchObject({
      status: 'REJECTED',
      rejection: { code: 713, reason: 'QUALITY_TOO_LOW', source: 'apptenticate' },
    });
    const [event] = await eventsFor(check.checkId);
    expect(event?.['detail-type']).toBe('Liveness Check Rejected');
  });

  it('rejects a tiny image in the pre-check without a paid call', async () => {
    const before = simulator().state().counts.liveness;
    const check = await app.checkSelfie(makePng({ width: 8, height: 8 }));
    expect(check).toMatchObject({
      status: 'REJECTED',
      rejection: { reason: 'IMAGE_TOO_SMALL', source: 'precheck' },
    });
    expect(simulator().state().counts.liveness).toBe(before);
    expect((await eventsFor(check.checkId))[0]?.detail).toMatchObject({ rejection: { source: 'precheck' } });
  });

  it('retries a vendor hiccup into a pass', async () => {
    simulator().script({ type: 'status', status: 503, endpoint: 'liveness' });
    const check = await app.checkSelfie(image());
    expect(check.status).toBe('PASSED');
    expect((await eventsFor(check.checkId))[0]?.detail.attempts).toBe(2);
  });

  it('expires a check whose upload never came, through the sweeper', async () => {
    const issued = await app.createCheck({ reference: 'never-uploaded' });
    // Age the check as if it had been issued an hour ago; the sweeper itself runs unchanged.
    await DynamoDBDocumentClient.from(pipeline.clients.dynamodb).send(
      new UpdateCommand({
        TableName: pipeline.resources.tableName,
        Key: { checkId: issued.checkId },
        UpdateExpression: 'SET uploadExpiresAt = :old, sweepAt = :old',
        ExpressionAttributeValues: { ':old': new Date(Date.now() - 3_600_000).toISOString() },
      }),
    );
    await pipeline.sweep();
    const check = await app.waitForVerdict(issued.checkId, { timeoutMs: 5000 });
    expect(check.status).toBe('EXPIRED');
    const [event] = await eventsFor(issued.checkId);
    expect(event?.['detail-type']).toBe('Liveness Check Expired');
    expect(event?.detail.reference).toBe('never-uploaded');
  });

  it('checks a selfie uploaded in time whose notification waited in a backlog past the upload grace', async () => {
    // A backlog: the played SQS source stops, so the notification waits in the queue.
    await pipeline.pauseChecker();
    const issued = await app.createCheck({ reference: 'backlogged' });
    await app.upload(issued, makeJpeg({ width: 640, height: 480, seed: 7 }));
    // Age the check past its form's expiry and the grace, as a long backlog would; the sweeper runs unchanged.
    await DynamoDBDocumentClient.from(pipeline.clients.dynamodb).send(
      new UpdateCommand({
        TableName: pipeline.resources.tableName,
        Key: { checkId: issued.checkId },
        UpdateExpression: 'SET uploadExpiresAt = :old, sweepAt = :old',
        ExpressionAttributeValues: { ':old': new Date(Date.now() - 3_600_000).toISOString() },
      }),
    );
    await pipeline.sweep();
    // Its selfie is in the bucket: the upload was in time, so the check waits for the checker.
    expect((await app.getCheck(issued.checkId)).status).toBe('AWAITING_UPLOAD');

    pipeline.resumeChecker();
    const check = await app.waitForVerdict(issued.checkId, { timeoutMs: 20_000 });
    expect(check).toMatchObject({ status: 'PASSED', reference: 'backlogged' });
    const events = await eventsFor(issued.checkId);
    expect(events.map((e) => e['detail-type'])).toEqual(['Liveness Check Passed']);
  });

  it('calls the vendor once and publishes one event when S3 delivers a notification twice', async () => {
    const key = `${pipeline.settings.selfiePrefix}${crypto.randomUUID()}`;
    const before = simulator().state().counts.liveness;
    await pipeline.clients.s3.send(
      new PutObjectCommand({ Bucket: pipeline.resources.bucketName, Key: key, Body: image() }),
    );
    // The same notification body again, as an at-least-once duplicate.
    const body = JSON.stringify({
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: pipeline.resources.bucketName }, object: { key, size: 20_000 } },
        },
      ],
    });
    await pipeline.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: pipeline.resources.queueUrl, MessageBody: body }),
    );
    await pipeline.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: pipeline.resources.queueUrl, MessageBody: body }),
    );
    const checkId = checkIdForKey(key, pipeline.settings.selfiePrefix);
    expect(await app.waitForVerdict(checkId, { timeoutMs: 20_000 })).toMatchObject({ status: 'PASSED' });
    await settle();
    expect(simulator().state().counts.liveness - before).toBe(1);
    expect(await eventsFor(checkId, 2, 2000)).toHaveLength(1);
  });

  it('records FAILED for a check the vendor never answers, publishes it, and leaves the message in the DLQ', async () => {
    const receives = pipeline.settings.checker.maxReceiveCount;
    simulator().script({ type: 'status', status: 500, endpoint: 'liveness', times: receives });
    const check = await app.checkSelfie(image(), { timeoutMs: 30_000 });
    expect(check).toMatchObject({ status: 'FAILED', failure: { reason: 'VENDOR_UNAVAILABLE' } });
    expect((await eventsFor(check.checkId))[0]?.['detail-type']).toBe('Liveness Check Failed');
    const deadline = Date.now() + 20_000;
    let inDlq = 0;
    while (inDlq === 0 && Date.now() < deadline) {
      const { Attributes } = await pipeline.clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: pipeline.resources.dlqUrl,
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
      );
      inDlq = Number(Attributes?.ApproximateNumberOfMessages ?? 0);
      if (inDlq === 0) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(inDlq).toBe(1);
    const { Messages = [] } = await pipeline.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: pipeline.resources.dlqUrl }),
    );
    expect(Messages[0]?.Body).toContain(check.checkId);
  });

  // It waits up to 30 s for the event itself: the test's bound must be longer than its own wait.
  it('keeps the event when PutEvents fails for a while, and publishes it once the bus is back', {
    timeout: 60_000,
  }, async () => {
    const { eventBridge } = pipeline.clients;
    const bus = pipeline.resources.eventBusName;
    const rule = pipeline.resources.tapRuleName;
    await eventBridge.send(new RemoveTargetsCommand({ Rule: rule, EventBusName: bus, Ids: ['tap'] }));
    await eventBridge.send(new DeleteRuleCommand({ Name: rule, EventBusName: bus }));
    await eventBridge.send(new DeleteEventBusCommand({ Name: bus }));
    const check = await app.checkSelfie(image());
    expect(check.status).toBe('PASSED');
    await settle(); // PutEvents fails (no such bus) and the stream source retries with backoff
    expect(await eventsFor(check.checkId, 1, 10)).toHaveLength(0);
    // A retry that lands after the bus is back but before the tap's rule is would put the event on a
    // bus with no rule, where it is gone (the .ci/run of 9a35dce, on a loaded machine): the bus and
    // its rule come back while the notifier waits.
    await pipeline.pauseNotifier();
    await eventBridge.send(new CreateEventBusCommand({ Name: bus }));
    const { Attributes } = await pipeline.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: pipeline.resources.tapQueueUrl,
        AttributeNames: ['QueueArn'],
      }),
    );
    await createEventTap(eventBridge, {
      eventBusName: bus,
      ruleName: rule,
      queueArn: Attributes?.QueueArn ?? '',
      source: pipeline.settings.eventSource,
    });
    pipeline.resumeNotifier();
    const events = await eventsFor(check.checkId, 1, 30_000);
    expect(events).toHaveLength(1);
    expect(events[0]?.detail.status).toBe('PASSED');
  });

  it('survives access-token expiry mid-run by refreshing, without logging in again', async () => {
    const login = simulator().state().counts.login;
    await new Promise((resolve) => setTimeout(resolve, 3500)); // every access token issued so far has expired
    simulator().expireAccessTokens();
    const check = await app.checkSelfie(image());
    expect(check.status).toBe('PASSED');
    expect(simulator().state().counts.refresh).toBeGreaterThan(0);
    expect(simulator().state().counts.login).toBe(login);
  });

  it('never writes a password, token or presigned URL to the logs', async () => {
    // One more run through the 401 path while output is captured.
    simulator().expireAccessTokens();
    const issued = await app.createCheck({});
    await app.upload(issued, image());
    await app.waitForVerdict(issued.checkId);
    const { SecretString } = await pipeline.clients.secretsManager.send(
      new GetSecretValueCommand({ SecretId: pipeline.resources.tokenSecretArn }),
    );
    const tokens = JSON.parse(SecretString ?? '{}') as { refresh: string; access?: string };
    const { SecretString: credentials } = await pipeline.clients.secretsManager.send(
      new GetSecretValueCommand({ SecretId: pipeline.resources.credentialsSecretArn }),
    );
    const { password } = JSON.parse(credentials ?? '{}') as { password: string };
    const logs = captured.join('');
    expect(logs.length).toBeGreaterThan(1000);
    expect(logs).toContain('verdict recorded');
    const forbidden = [
      password,
      tokens.refresh,
      tokens.access,
      issued.upload.fields['x-amz-signature'] ?? issued.upload.fields['X-Amz-Signature'],
      issued.upload.fields.Policy ?? issued.upload.fields.policy,
      'eyJ', // the start of any JWT
    ].filter((value): value is string => Boolean(value));
    expect(forbidden.length).toBeGreaterThanOrEqual(5);
    for (const secret of forbidden) expect(logs).not.toContain(secret);
    // The selfie bytes are gone once the verdict is stored.
    await expect(
      pipeline.clients.s3.send(
        new GetObjectCommand({ Bucket: pipeline.resources.bucketName, Key: `selfies/${issued.checkId}` }),
      ),
    ).rejects.toThrow();
  });
});
