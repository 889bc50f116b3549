import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PurgeQueueCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CheckerDeps, checkBatch } from '../../../functions/checker/checker.js';
import { readConfig } from '../../../functions/checker/config.js';
import { checkIdForKey } from '../../../functions/checker/notification.js';
import { buildDeps } from '../../../functions/checker/wiring.js';
import { refreshTokenSecret } from '../../../functions/token-refresher/refresher.js';
import { resolveSettings } from '../../../infra/settings.js';
import { ApptenticateClient } from '../../../shared/apptenticate/client.js';
import { CheckRepository } from '../../../shared/check-repository.js';
import { systemClock } from '../../../shared/clock.js';
import { createLogger } from '../../../shared/observability.js';
import { localAwsClients, provisionLocalResources } from '../../../tools/local/provision.js';
import { createCheckTable } from '../../../tools/local/provision-table.js';
import { toLambdaEvent } from '../../../tools/local/sqs-event-source.js';
import { makeJpeg, makePng, paddedPng } from '../../../tools/simulator/images.js';
import { type Simulator, startSimulator } from '../../../tools/simulator/server.js';
import { testClock } from '../../support/clock.js';
import { awsClientConfig, type Moto, startMoto } from '../../support/moto.js';
import { notificationBody, sqsEventOf } from './helpers.js';

const PREFIX = 'selfies/';
const REGION = 'us-east-1';

describe('checker on moto with the simulator', () => {
  let moto: Moto;
  let simulator: Simulator;
  let s3: S3Client;
  let sqs: SQSClient;
  let dynamodb: DynamoDBClient;
  let secrets: SecretsManagerClient;
  let selfieBucket: string;
  let queueUrl: string;
  let queueArn: string;
  let tokenSecretArn: string;
  let table = 0;
  let deps: CheckerDeps;
  let repo: CheckRepository;

  beforeAll(async () => {
    [moto, simulator] = await Promise.all([startMoto(), startSimulator()]);
    // The bucket, its notifications to the queue, and the secrets, as the local pipeline makes them.
    const target = { endpoint: moto.endpoint, region: REGION };
    const clients = localAwsClients(target);
    ({ s3, sqs, dynamodb, secretsManager: secrets } = clients);
    const settings = resolveSettings();
    expect(settings.selfiePrefix).toBe(PREFIX);
    const resources = await provisionLocalResources(
      clients,
      target,
      settings,
      { username: simulator.username, password: simulator.password },
      'checker-moto',
    );
    selfieBucket = resources.bucketName;
    queueUrl = resources.queueUrl;
    queueArn = resources.queueArn;
    const credentialsArn = resources.credentialsSecretArn;
    tokenSecretArn = resources.tokenSecretArn;
    // The token-refresher logs in once, as its schedule would, so the checker finds a refresh token.
    await refreshTokenSecret({
      config: {
        credentialsSecretArn: credentialsArn,
        tokenSecretArn,
        minWriteIntervalSeconds: 600,
        refreshMarginSeconds: 7200,
      },
      secrets,
      client: new ApptenticateClient({ baseUrl: simulator.baseUrl }),
      logger: createLogger('token-refresher', 'ERROR'),
      metrics: { addMetric: () => undefined },
      clock: systemClock,
    });
  });

  afterAll(async () => {
    await Promise.all([moto?.stop(), simulator?.stop()]);
  });

  /** The checker's environment for the current test's table. */
  const configEnv = () => ({
    TABLE_NAME: `checks-${table}`,
    TOKEN_SECRET_ARN: tokenSecretArn,
    SELFIE_BUCKET: selfieBucket,
    LIVENESS_API_URL: simulator.baseUrl,
    VENDOR_RESPONSE_TIMEOUT_MS: '1000',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });

  beforeEach(async () => {
    simulator.control.reset();
    await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    const tableName = `checks-${++table}`;
    await createCheckTable(dynamodb, tableName);
    const config = readConfig(configEnv());
    deps = buildDeps(config, { s3, dynamodb, secretsManager: secrets });
    repo = new CheckRepository(dynamodb, tableName, config.retentionSeconds);
    deps.logger.setLogLevel('ERROR');
  });

  /** Uploads objects and returns the notifications moto delivered for them, as a Lambda event. */
  async function upload(
    objects: { key: string; body: Uint8Array; metadata?: Record<string, string> }[],
  ): Promise<SQSEvent> {
    for (const object of objects) {
      await s3.send(
        new PutObjectCommand({
          Bucket: selfieBucket,
          Key: object.key,
          Body: object.body,
          Metadata: object.metadata,
        }),
      );
    }
    const messages = [];
    while (messages.length < objects.length) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) break;
      messages.push(...Messages.filter((m) => !m.Body?.includes('s3:TestEvent')));
    }
    return toLambdaEvent(messages, { queueArn, region: REGION });
  }

  const item = async (checkId: string) => await repo.get(checkId);
  const exists = async (key: string) =>
    await s3.send(new HeadObjectCommand({ Bucket: selfieBucket, Key: key })).then(
      () => true,
      () => false,
    );
  const vendorCalls = () => simulator.control.state().counts.liveness;

  it('records PASSED with the transaction id from a real notification and deletes the selfie', async () => {
    const checkId = '0b7f6c1e-2b4d-4c8e-9f1a-7b2c3d4e5f60';
    const event = await upload([
      { key: `${PREFIX}${checkId}`, body: makeJpeg({ width: 640, height: 480, seed: 1 }) },
    ]);
    expect((await checkBatch(event, deps)).batchItemFailures).toEqual([]);
    const check = await item(checkId);
    expect(check).toMatchObject({ status: 'PASSED', attempts: 1, result: { valid: true } });
    expect(check?.result?.transactionId).toMatch(/^\d+$/);
    expect(check?.result?.liveness).toBeGreaterThanOrEqual(0.5);
    expect(await exists(`${PREFIX}${checkId}`)).toBe(false);
    expect(simulator.control.state().lastLiveness).toMatchObject({
      returnId: 'true',
      details: 'true',
      authorization: 'bearer',
    });
  });

  it('records the vendor rejection with its stable reason', async () => {
    simulator.control.script({ type: 'rejection', code: 705, endpoint: 'liveness' });
    const checkId = '1b7f6c1e-2b4d-4c8e-9f1a-7b2c3d4e5f60';
    const event = await upload([{ key: `${PREFIX}${checkId}`, body: makePng({ width: 200, height: 200 }) }]);
    await checkBatch(event, deps);
    expect(await item(checkId)).toMatchObject({
      status: 'REJECTED',
      rejection: { code: 705, reason: 'TOO_MANY_FACES', source: 'apptenticate' },
    });
  });

  it('records REJECTED by apptenticate when the vendor refuses the file itself (over its size limit, HTTP 413)', async () => {
    const small = makePng({ width: 200, height: 200 });
    simulator.control.configure({ maxImageBytes: small.length - 1 });
    simulator.control.script({ type: 'status', status: 413, endpoint: 'liveness' });
    const [tooBig, refused] = [
      '1c7f6c1e-2b4d-4c8e-9f1a-7b2c3d4e5f60',
      '1d7f6c1e-2b4d-4c8e-9f1a-7b2c3d4e5f60',
    ];
    const event = await upload([
      { key: `${PREFIX}${tooBig}`, body: small },
      { key: `${PREFIX}${refused}`, body: small },
    ]);
    expect(
      (await checkBatch(event, { ...deps, config: { ...deps.config, batchConcurrency: 1 } }))
        .batchItemFailures,
    ).toEqual([]);
    const rejected = [await item(tooBig), await item(refused)];
    expect(rejected.map((check) => check?.status)).toEqual(['REJECTED', 'REJECTED']);
    expect(rejected.map((check) => check?.rejection?.source)).toEqual(['apptenticate', 'apptenticate']);
    expect(rejected.map((check) => check?.rejection?.reason).sort()).toEqual([
      'IMAGE_REFUSED',
      'OBJECT_TOO_LARGE',
    ]);
    expect(vendorCalls()).toBe(2);
    expect(await exists(`${PREFIX}${tooBig}`)).toBe(false);
    expect(await exists(`${PREFIX}${refused}`)).toBe(false);
  });

  it('checks a selfie whose notification carries no size by its real size, not as an empty object', async () => {
    const checkId = '1e7f6c1e-2b4d-4c8e-9f1a-7b2c3d4e5f60';
    const body = makeJpeg({ width: 640, height: 480, seed: 3 });
    const event = await upload([{ key: `${PREFIX}${checkId}`, body }]);
    for (const record of event.Records) {
      const notification = JSON.parse(record.body) as { Records: { s3: { object: { size?: number } } }[] };
      for (const created of notification.Records) delete created.s3.object.size;
      record.body = JSON.stringify(notification);
    }
    expect((await checkBatch(event, deps)).batchItemFailures).toEqual([]);
    expect(await item(checkId)).toMatchObject({ status: 'PASSED', objectSize: body.length });
    expect(vendorCalls()).toBe(1);
  });

  it('deletes a re-upload to a decided key unchecked and counts it as a reused key, not a duplicate', async () => {
    const key = `${PREFIX}backend/reused-key.jpg`;
    const first = await upload([{ key, body: makeJpeg({ width: 640, height: 480, seed: 4 }) }]);
    expect((await checkBatch(first, deps)).batchItemFailures).toEqual([]);
    const checkId = checkIdForKey(key, PREFIX);
    expect(await item(checkId)).toMatchObject({ status: 'PASSED' });
    const addMetric = vi.spyOn(deps.metrics, 'addMetric');
    const again = await upload([{ key, body: makeJpeg({ width: 640, height: 480, seed: 5 }) }]);
    expect((await checkBatch(again, deps)).batchItemFailures).toEqual([]);
    expect(vendorCalls()).toBe(1);
    expect(await exists(key)).toBe(false);
    const counted = addMetric.mock.calls.map(([name]) => name);
    expect(counted).toContain('ReusedKeyUploads');
    expect(counted).not.toContain('DuplicateNotifications');
    expect(await item(checkId)).toMatchObject({ status: 'PASSED', attempts: 1 });
  });

  it('with retainSelfies keeps the checked selfie, and deletes an upload that replaced it after the verdict', async () => {
    const retaining = { ...deps, config: { ...deps.config, retainSelfies: true } };
    const key = `${PREFIX}backend/retained-key.jpg`;
    const first = await upload([{ key, body: makeJpeg({ width: 640, height: 480, seed: 6 }) }]);
    expect((await checkBatch(first, retaining)).batchItemFailures).toEqual([]);
    expect(await item(checkIdForKey(key, PREFIX))).toMatchObject({ status: 'PASSED' });
    expect(await exists(key)).toBe(true);
    const replaced = await upload([{ key, body: makeJpeg({ width: 640, height: 480, seed: 7 }) }]);
    expect((await checkBatch(replaced, retaining)).batchItemFailures).toEqual([]);
    expect(await exists(key)).toBe(false);
    expect(vendorCalls()).toBe(1);
  });

  it('calls the vendor once for the same notification delivered twice at once', async () => {
    const checkId = '2b7f6c1e-2b4d-4c8e-9f1a-7b2c3d4e5f60';
    const event = await upload([
      { key: `${PREFIX}${checkId}`, body: makePng({ width: 300, height: 300, seed: 2 }) },
    ]);
    const record = event.Records[0];
    if (!record) throw new Error('no notification arrived');
    const twice: SQSEvent = { Records: [record, { ...record, messageId: 'duplicate' }] };
    expect((await checkBatch(twice, deps)).batchItemFailures).toEqual([]);
    expect(vendorCalls()).toBe(1);
    expect(await item(checkId)).toMatchObject({ status: 'PASSED', attempts: 1 });
  });

  it('calls the vendor once for the same notification delivered twice one after the other', async () => {
    const checkId = '3b7f6c1e-2b4d-4c8e-9f1a-7b2c3d4e5f60';
    const event = await upload([
      { key: `${PREFIX}${checkId}`, body: makePng({ width: 300, height: 300, seed: 3 }) },
    ]);
    await checkBatch(event, deps);
    const decided = await item(checkId);
    expect((await checkBatch(event, deps)).batchItemFailures).toEqual([]);
    expect(vendorCalls()).toBe(1);
    expect(await item(checkId)).toEqual(decided);
  });

  /**
   * Makes an SDK client on moto fail the way AWS does on a bad day: each call `matches` accepts fails
   * with `error()`, at most `times` times; one attempt per call, so the checker's own retries show.
   */
  function withFault<T extends DynamoDBClient | S3Client | SecretsManagerClient>(
    client: T,
    matches: (command: string, input: Record<string, unknown>) => boolean,
    error: () => Error,
    times = Number.POSITIVE_INFINITY,
  ): T {
    let left = times;
    // biome-ignore lint/suspicious/noExplicitAny: one middleware for three clients' stacks
    (client.middlewareStack as any).add(
      (
        next: (args: { input: Record<string, unknown> }) => Promise<unknown>,
        context: { commandName?: string },
      ) =>
        async (args: { input: Record<string, unknown> }) => {
          if (left > 0 && matches(context.commandName ?? '', args.input)) {
            left--;
            throw error();
          }
          return await next(args);
        },
      { step: 'build', name: 'injectFault' },
    );
    return client;
  }

  const awsError = (name: string, fault: 'client' | 'server', status: number) => () =>
    Object.assign(new Error(`${name} injected by the test`), {
      name,
      $fault: fault,
      $metadata: { httpStatusCode: status },
    });
  const throttling = awsError('ThrottlingException', 'client', 400);
  const slowDown = awsError('SlowDown', 'server', 503);
  const oneAttempt = () => ({ ...awsClientConfig(moto.endpoint), maxAttempts: 1 });
  const isVerdictWrite = (_command: string, input: Record<string, unknown>) =>
    (input.ExpressionAttributeValues as Record<string, unknown> | undefined)?.[':final'] !== undefined;

  /** A DynamoDB client on moto whose next `times` verdict writes fail the way DynamoDB throttles. */
  function throttlingVerdictWrites(times: number): DynamoDBClient {
    return withFault(new DynamoDBClient(oneAttempt()), isVerdictWrite, throttling, times);
  }

  /** The checker as one container runs it, with its own memory, on moto, without wall-clock waits. */
  function container(
    clients: { dynamodb?: DynamoDBClient; s3?: S3Client; secretsManager?: SecretsManagerClient } = {},
    config = deps.config,
  ): CheckerDeps {
    const built = buildDeps(config, { s3, dynamodb, secretsManager: secrets, ...clients });
    built.logger.setLogLevel('CRITICAL');
    return { ...built, clock: testClock(() => new Date()) };
  }

  /** The same event as its message's last allowed receive. */
  function lastReceive(event: SQSEvent): SQSEvent {
    const count = String(deps.config.maxReceiveCount);
    return {
      Records: event.Records.map((r) => ({
        ...r,
        attributes: { ...r.attributes, ApproximateReceiveCount: count },
      })),
    };
  }

  it('keeps a verdict whose write is throttled twice, with one vendor call', async () => {
    const checkId = crypto.randomUUID();
    const key = `${PREFIX}${checkId}`;
    const event = await upload([{ key, body: makePng({ width: 300, height: 300, seed: 5 }) }]);
    expect(
      (await checkBatch(event, container({ dynamodb: throttlingVerdictWrites(2) }))).batchItemFailures,
    ).toEqual([]);
    expect(await item(checkId)).toMatchObject({ status: 'PASSED', attempts: 1 });
    expect(vendorCalls()).toBe(1);
    expect(await exists(key)).toBe(false);
  });

  it('writes the answer a failed verdict write kept when the same message comes back to the container', async () => {
    const checkId = crypto.randomUUID();
    const key = `${PREFIX}${checkId}`;
    const event = await upload([{ key, body: makePng({ width: 300, height: 300, seed: 6 }) }]);
    const checker = container();
    // DynamoDB throttles every verdict write of the first delivery (an outage longer than its budget).
    const outage = container({ dynamodb: throttlingVerdictWrites(1_000) });
    const first = await checkBatch(event, { ...outage, outcomeMemory: checker.outcomeMemory });
    expect(first.batchItemFailures).toHaveLength(1);
    expect(await item(checkId)).toMatchObject({ status: 'CHECKING', attempts: 1 });
    expect(await exists(key)).toBe(true);
    // The redelivery (same message id) on the same container writes the kept answer.
    expect((await checkBatch(event, checker)).batchItemFailures).toEqual([]);
    expect(vendorCalls()).toBe(1);
    expect(await item(checkId)).toMatchObject({ status: 'PASSED', attempts: 1 });
    expect(await exists(key)).toBe(false);
  });

  /**
   * A vendor that holds every call until `open()` (or until a second call arrives, which is the
   * double payment the tests look for), so a second copy of a message runs while the first pays.
   */
  function heldVendor() {
    let calls = 0;
    let open = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const liveness: CheckerDeps['liveness'] = {
      checkLiveness: async () => {
        calls++;
        if (calls >= 2) open();
        await gate;
        return { kind: 'passed', transactionId: `tx-${calls}` };
      },
    };
    return { liveness, calls: () => calls, open };
  }

  const until = async (condition: () => boolean) => {
    const started = Date.now();
    while (!condition()) {
      if (Date.now() - started > 10_000) throw new Error('timed out waiting for the first copy');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  it.each([
    ['the same receive (one record handed to two invocations)', 0],
    ['the next receive (redelivered while the first copy pays)', 1],
    ['the last receive', 2],
  ])('pays once and records one verdict for a second copy of a message on %s', async (_label, more) => {
    const checkId = crypto.randomUUID();
    const key = `${PREFIX}${checkId}`;
    const event = await upload([{ key, body: makePng({ width: 300, height: 300, seed: 21 }) }]);
    const record = event.Records[0];
    if (!record) throw new Error('no notification arrived');
    const count = Number(record.attributes.ApproximateReceiveCount);
    const copy: SQSEvent = {
      Records: [
        {
          ...record,
          ...(more > 0 ? { receiptHandle: `${record.receiptHandle}-again` } : {}),
          attributes: {
            ...record.attributes,
            ApproximateReceiveCount: String(more === 2 ? deps.config.maxReceiveCount : count + more),
          },
        },
      ],
    };
    const vendor = heldVendor();
    // Two containers, each with its own memory, as two concurrent invocations would have.
    const first = checkBatch(event, { ...container(), liveness: vendor.liveness });
    await until(() => vendor.calls() === 1);
    const second = await checkBatch(copy, { ...container(), liveness: vendor.liveness });
    vendor.open();
    const firstResponse = await first;

    expect(vendor.calls()).toBe(1);
    expect(await item(checkId)).toMatchObject({
      status: 'PASSED',
      attempts: 1,
      result: { transactionId: 'tx-1' },
    });
    expect(firstResponse.batchItemFailures).toEqual([]);
    // The copy never acknowledges a message whose other copy may still fail: SQS keeps it until then.
    expect(second.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(await exists(key)).toBe(false);
  });

  it('acknowledges a copy of a message that arrives after the first copy decided the check, paying nothing', async () => {
    const checkId = crypto.randomUUID();
    const key = `${PREFIX}${checkId}`;
    const event = await upload([{ key, body: makePng({ width: 300, height: 300, seed: 22 }) }]);
    const vendor = heldVendor();
    vendor.open();
    expect(
      (await checkBatch(event, { ...container(), liveness: vendor.liveness })).batchItemFailures,
    ).toEqual([]);
    const decided = await item(checkId);
    expect(
      (await checkBatch(event, { ...container(), liveness: vendor.liveness })).batchItemFailures,
    ).toEqual([]);
    expect(vendor.calls()).toBe(1);
    expect(await item(checkId)).toEqual(decided);
  });

  it("resumes a dead delivery's claim on the message's redelivery once its lease ran out; a duplicate notification pays nothing", async () => {
    const checkId = '4b7f6c1e-2b4d-4c8e-9f1a-7b2c3d4e5f60';
    const key = `${PREFIX}${checkId}`;
    const event = await upload([{ key, body: makePng({ width: 300, height: 300, seed: 4 }) }]);
    const record = event.Records[0];
    if (!record) throw new Error('no notification arrived');
    let now = new Date('2026-11-25T10:00:00Z');
    const clock = testClock(() => now);
    // The first delivery pays for a verdict and its container dies before writing it.
    const dying = container();
    const repository: CheckerDeps['repository'] = Object.create(dying.repository);
    repository.finalize = async () => {
      throw new Error('container died');
    };
    expect((await checkBatch(event, { ...dying, clock, repository })).batchItemFailures).toHaveLength(1);
    expect(await item(checkId)).toMatchObject({ status: 'CHECKING', attempts: 1 });
    // A duplicate notification (another message) inside the lease must not pay again.
    now = new Date(now.getTime() + 30_000);
    const duplicate: SQSEvent = { Records: [{ ...record, messageId: 'another-message' }] };
    expect((await checkBatch(duplicate, { ...container(), clock })).batchItemFailures).toEqual([]);
    expect(vendorCalls()).toBe(1);
    expect(await item(checkId)).toMatchObject({ status: 'CHECKING', attempts: 1 });
    // The message's redelivery inside the lease cannot tell a dead holder from a copy still paying:
    // it pays nothing and leaves the message to SQS (decision 14; on AWS the visibility timeout, 6x
    // the function timeout, is past any lease, and locally redeliveries wait past a live lease).
    expect((await checkBatch(event, { ...container(), clock })).batchItemFailures).toHaveLength(1);
    expect(vendorCalls()).toBe(1);
    expect(await item(checkId)).toMatchObject({ status: 'CHECKING', attempts: 1 });
    // Once the lease ran out, the holder's invocation has ended: the redelivery resumes the check.
    now = new Date(now.getTime() + deps.config.leaseSeconds * 1000);
    expect((await checkBatch(event, { ...container(), clock })).batchItemFailures).toEqual([]);
    expect(vendorCalls()).toBe(2);
    expect(await item(checkId)).toMatchObject({ status: 'PASSED', attempts: 2 });
    expect(await exists(key)).toBe(false);
  });

  it('decodes keys with spaces, plus signs, unicode and percent signs outside the API', async () => {
    const keys = [`${PREFIX}my selfie.jpg`, `${PREFIX}a+b.jpg`, `${PREFIX}été 😀.png`, `${PREFIX}100%.jpg`];
    const event = await upload(
      keys.map((key, i) => ({
        key,
        body: makePng({ width: 128, height: 128, seed: 10 + i }),
        metadata: { device: 'ios', reference: `ref-${i}` },
      })),
    );
    expect(event.Records).toHaveLength(4);
    expect((await checkBatch(event, deps)).batchItemFailures).toEqual([]);
    for (const [i, key] of keys.entries()) {
      expect(await item(checkIdForKey(key, PREFIX))).toMatchObject({
        status: 'PASSED',
        objectKey: key,
        device: 'IOS',
        reference: `ref-${i}`,
      });
      expect(await exists(key)).toBe(false);
    }
    expect(vendorCalls()).toBe(4);
    expect(simulator.control.state().lastLiveness?.device).toBe('IOS');
  });

  it.each([
    ['a zero-byte object', new Uint8Array(), 'EMPTY_OBJECT'],
    [
      'bytes that are not an image',
      new TextEncoder().encode('just some text, not a selfie'),
      'UNSUPPORTED_IMAGE_FORMAT',
    ],
    ['a tiny image', makePng({ width: 10, height: 10 }), 'IMAGE_TOO_SMALL'],
    ['an object over the size limit', paddedPng(2 * 1024 * 1024 + 1), 'OBJECT_TOO_LARGE'],
  ])('rejects %s before any paid call and deletes it', async (_label, body, reason) => {
    const checkId = crypto.randomUUID();
    const event = await upload([{ key: `${PREFIX}${checkId}`, body }]);
    expect((await checkBatch(event, deps)).batchItemFailures).toEqual([]);
    expect(await item(checkId)).toMatchObject({
      status: 'REJECTED',
      rejection: { reason, source: 'precheck' },
    });
    expect(vendorCalls()).toBe(0);
    expect(await exists(`${PREFIX}${checkId}`)).toBe(false);
  });

  it('decides nothing for an object deleted before processing: no check is created for it', async () => {
    const checkId = crypto.randomUUID();
    const event = await upload([{ key: `${PREFIX}${checkId}`, body: makePng({ width: 200, height: 200 }) }]);
    await s3.send(new DeleteObjectCommand({ Bucket: selfieBucket, Key: `${PREFIX}${checkId}` }));
    expect((await checkBatch(event, deps)).batchItemFailures).toEqual([]);
    expect(await item(checkId)).toBeUndefined();
    expect(vendorCalls()).toBe(0);
  });

  it('decides nothing on forged notifications for a pending check, and still checks its real upload', async () => {
    const checkId = crypto.randomUUID();
    const key = `${PREFIX}${checkId}`;
    const now = new Date();
    await repo.createAwaitingUpload({ checkId, now, uploadExpiresAt: new Date(now.getTime() + 300_000) });
    const pending = await item(checkId);
    // Another bucket holding a real selfie under the victim's key: read, it would pass the check.
    const elsewhere = `forged-${checkId.slice(0, 8)}`;
    await s3.send(new CreateBucketCommand({ Bucket: elsewhere }));
    await s3.send(
      new PutObjectCommand({ Bucket: elsewhere, Key: key, Body: makePng({ width: 200, height: 200 }) }),
    );
    const forged = (bucket: string, size: number) =>
      JSON.stringify({
        Records: [
          { eventName: 'ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key, size } } },
        ],
      });
    const addMetric = vi.spyOn(deps.metrics, 'addMetric');
    const response = await checkBatch(
      sqsEventOf([forged(selfieBucket, 0), forged(selfieBucket, 2048), forged(elsewhere, 0)]),
      deps,
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(pending).toMatchObject({ status: 'AWAITING_UPLOAD' });
    expect(await item(checkId)).toEqual(pending);
    expect(vendorCalls()).toBe(0);
    const counted = addMetric.mock.calls.map(([name]) => name).sort();
    expect(counted).toEqual([
      'ForeignBucketNotifications',
      'MissingObjectNotifications',
      'MissingObjectNotifications',
    ]);
    const foreign = await s3.send(new HeadObjectCommand({ Bucket: elsewhere, Key: key }));
    expect(foreign.ContentLength).toBeGreaterThan(0);

    const event = await upload([{ key, body: makePng({ width: 200, height: 200, seed: 18 }) }]);
    expect((await checkBatch(event, deps)).batchItemFailures).toEqual([]);
    expect(await item(checkId)).toMatchObject({ status: 'PASSED', attempts: 1 });
    expect(vendorCalls()).toBe(1);
    expect(await exists(key)).toBe(false);
  });

  it('skips keys outside the prefix and s3:TestEvent, and sends a malformed body towards the DLQ', async () => {
    const outside = notificationBody('elsewhere/selfie.jpg', 1000, selfieBucket);
    const testEvent = JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: selfieBucket });
    const response = await checkBatch(sqsEventOf([outside, testEvent, 'not json at all']), deps);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-2' }]);
    expect(vendorCalls()).toBe(0);
  });

  it('refreshes the access token once and retries when the vendor answers 401', async () => {
    await checkBatch(
      await upload([
        { key: `${PREFIX}${crypto.randomUUID()}`, body: makePng({ width: 200, height: 200, seed: 7 }) },
      ]),
      deps,
    );
    simulator.control.expireAccessTokens();
    const checkId = crypto.randomUUID();
    const event = await upload([
      { key: `${PREFIX}${checkId}`, body: makePng({ width: 200, height: 200, seed: 8 }) },
    ]);
    expect((await checkBatch(event, deps)).batchItemFailures).toEqual([]);
    expect(await item(checkId)).toMatchObject({ status: 'PASSED' });
    const counts = simulator.control.state().counts;
    expect(counts.refresh).toBeGreaterThanOrEqual(1);
    expect(counts.login).toBe(0);
  });

  it('retries a check whose token refresh is answered 403, then records its verdict', async () => {
    // A new container whose stored access token the vendor no longer accepts: it must refresh.
    const container = buildDeps(deps.config, { s3, dynamodb, secretsManager: secrets });
    container.logger.setLogLevel('ERROR');
    simulator.control.expireAccessTokens();
    simulator.control.script({ type: 'status', status: 403, endpoint: 'refresh' });
    const checkId = crypto.randomUUID();
    const event = await upload([
      { key: `${PREFIX}${checkId}`, body: makePng({ width: 200, height: 200, seed: 6 }) },
    ]);

    expect((await checkBatch(event, container)).batchItemFailures).toHaveLength(1);
    expect(simulator.control.state().counts.refresh).toBe(1);
    expect(await item(checkId)).not.toMatchObject({ status: 'FAILED' });
    expect(await exists(`${PREFIX}${checkId}`)).toBe(true);

    const again = sqsEventOf([event.Records[0]?.body ?? ''], 2);
    expect((await checkBatch(again, container)).batchItemFailures).toEqual([]);
    expect(await item(checkId)).toMatchObject({ status: 'PASSED' });
    expect(simulator.control.state().counts.login).toBe(0);
  });

  it('leaves a 500 to SQS and records FAILED with VENDOR_UNAVAILABLE on the last receive', async () => {
    simulator.control.script({ type: 'status', status: 500, endpoint: 'liveness', times: 2 });
    const checkId = crypto.randomUUID();
    const event = await upload([
      { key: `${PREFIX}${checkId}`, body: makePng({ width: 200, height: 200, seed: 9 }) },
    ]);
    expect((await checkBatch(event, deps)).batchItemFailures).toHaveLength(1);
    expect(await item(checkId)).toMatchObject({ status: 'CHECKING' });
    const last = sqsEventOf([event.Records[0]?.body ?? ''], deps.config.maxReceiveCount);
    expect((await checkBatch(last, deps)).batchItemFailures).toHaveLength(1);
    expect(await item(checkId)).toMatchObject({
      status: 'FAILED',
      failure: { reason: 'VENDOR_UNAVAILABLE' },
      attempts: 2,
    });
    expect(await exists(`${PREFIX}${checkId}`)).toBe(false);
  });

  it('ends a direct upload FAILED with INTERNAL_ERROR when S3 reads keep failing on the last receive', async () => {
    const key = `${PREFIX}direct/${crypto.randomUUID()}.png`;
    const event = await upload([{ key, body: makePng({ width: 200, height: 200, seed: 11 }) }]);
    const checkId = checkIdForKey(key, PREFIX);
    const failingReads = withFault(new S3Client(oneAttempt()), (c) => c === 'GetObjectCommand', slowDown);
    const response = await checkBatch(lastReceive(event), container({ s3: failingReads }));
    // Recorded, and still sent on to the DLQ for operators.
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
    expect(await item(checkId)).toMatchObject({
      status: 'FAILED',
      failure: { reason: 'INTERNAL_ERROR' },
      attempts: 0,
      objectKey: key,
    });
    expect((await item(checkId))?.failure?.message).not.toMatch(/SlowDown|injected/);
    expect(await exists(key)).toBe(false);
    expect(vendorCalls()).toBe(0);
  });

  it('ends an API check FAILED with INTERNAL_ERROR when DynamoDB throttles its claim on the last receive', async () => {
    const checkId = crypto.randomUUID();
    const now = new Date();
    await repo.createAwaitingUpload({
      checkId,
      now,
      uploadExpiresAt: new Date(now.getTime() + 300_000),
    });
    const event = await upload([
      { key: `${PREFIX}${checkId}`, body: makePng({ width: 200, height: 200, seed: 12 }) },
    ]);
    const isClaim = (_c: string, input: Record<string, unknown>) =>
      String(input.UpdateExpression ?? '').includes('#leaseId = :leaseId');
    const throttledClaims = withFault(new DynamoDBClient(oneAttempt()), isClaim, throttling);
    const response = await checkBatch(lastReceive(event), container({ dynamodb: throttledClaims }));
    expect(response.batchItemFailures).toHaveLength(1);
    expect(await item(checkId)).toMatchObject({ status: 'FAILED', failure: { reason: 'INTERNAL_ERROR' } });
    expect(await exists(`${PREFIX}${checkId}`)).toBe(false);
    expect(vendorCalls()).toBe(0);
  });

  it('ends a check FAILED with INTERNAL_ERROR under its own lease when the token secret cannot be read on the last receive', async () => {
    const checkId = crypto.randomUUID();
    const event = await upload([
      { key: `${PREFIX}${checkId}`, body: makePng({ width: 200, height: 200, seed: 13 }) },
    ]);
    const isSecretRead = (c: string) => c === 'GetSecretValueCommand';
    const failingSecrets = withFault(new SecretsManagerClient(oneAttempt()), isSecretRead, throttling);
    const response = await checkBatch(lastReceive(event), container({ secretsManager: failingSecrets }));
    expect(response.batchItemFailures).toHaveLength(1);
    expect(await item(checkId)).toMatchObject({
      status: 'FAILED',
      failure: { reason: 'INTERNAL_ERROR' },
      attempts: 1,
    });
    expect(await exists(`${PREFIX}${checkId}`)).toBe(false);
    expect(vendorCalls()).toBe(0);
  });

  it('ends a check FAILED with VENDOR_AUTH_REFUSED when the token secret is malformed on the last receive', async () => {
    const malformedArn = (
      await secrets.send(
        new CreateSecretCommand({
          Name: `malformed-tokens-${crypto.randomUUID()}`,
          SecretString: '{"not":"tokens"}',
        }),
      )
    ).ARN as string;
    const checkId = crypto.randomUUID();
    const event = await upload([
      { key: `${PREFIX}${checkId}`, body: makePng({ width: 200, height: 200, seed: 14 }) },
    ]);
    const config = { ...deps.config, tokenSecretArn: malformedArn };
    const response = await checkBatch(lastReceive(event), container({}, config));
    expect(response.batchItemFailures).toHaveLength(1);
    expect(await item(checkId)).toMatchObject({
      status: 'FAILED',
      failure: { reason: 'VENDOR_AUTH_REFUSED' },
    });
    expect(await exists(`${PREFIX}${checkId}`)).toBe(false);
    expect(vendorCalls()).toBe(0);
  });

  it('ends a check FAILED with INTERNAL_ERROR when its last receive comes with no time left, without a paid call', async () => {
    const checkId = crypto.randomUUID();
    const event = await upload([
      { key: `${PREFIX}${checkId}`, body: makePng({ width: 200, height: 200, seed: 15 }) },
    ]);
    const response = await checkBatch(lastReceive(event), container(), { remainingMs: () => 8_000 });
    expect(response.batchItemFailures).toHaveLength(1);
    expect(await item(checkId)).toMatchObject({ status: 'FAILED', failure: { reason: 'INTERNAL_ERROR' } });
    expect(await exists(`${PREFIX}${checkId}`)).toBe(false);
    expect(vendorCalls()).toBe(0);
  });

  it("acknowledges a missing selfie under the message's own claim, leaving the check to the sweeper", async () => {
    const checkId = crypto.randomUUID();
    const key = `${PREFIX}${checkId}`;
    const event = await upload([{ key, body: makePng({ width: 200, height: 200, seed: 16 }) }]);
    // The first delivery's container dies after its claim, before the vendor answers.
    const dying = container();
    dying.liveness = {
      checkLiveness: async () => {
        throw new Error('container died');
      },
    };
    const repository: CheckRepository = Object.create(dying.repository);
    repository.release = async () => ({ written: false });
    expect((await checkBatch(event, { ...dying, repository })).batchItemFailures).toHaveLength(1);
    expect(await item(checkId)).toMatchObject({ status: 'CHECKING' });
    await s3.send(new DeleteObjectCommand({ Bucket: selfieBucket, Key: key }));
    const claimed = await item(checkId);
    expect((await checkBatch(event, container())).batchItemFailures).toEqual([]);
    // Decided by nobody here: the sweeper fails the claim once its lease ran out (LEASE_EXPIRED).
    expect(await item(checkId)).toEqual(claimed);
  });

  it('stops a liveness call at the record deadline, frees the claim, and the redelivery passes', async () => {
    const checkId = crypto.randomUUID();
    const key = `${PREFIX}${checkId}`;
    const event = await upload([{ key, body: makePng({ width: 200, height: 200, seed: 17 }) }]);
    // The vendor takes 3 s, well inside these client timeouts: only the record's deadline can stop it.
    const patient = readConfig({ ...configEnv(), VENDOR_RESPONSE_TIMEOUT_MS: '20000' });
    simulator.control.script({ type: 'slow', delayMs: 3_000, endpoint: 'liveness' });
    const deadline = new AbortController();
    const poll = setInterval(() => {
      if (vendorCalls() >= 1) deadline.abort(); // the record's deadline passes while a call is in flight
    }, 5);
    const asked: number[] = [];
    const first = {
      ...container({}, patient),
      // The first signal is the record's deadline; the second, the outcome write's, never fires here.
      deadlineSignal: (ms: number) => {
        asked.push(ms);
        return asked.length === 1 ? deadline.signal : new AbortController().signal;
      },
    };

    const response = await checkBatch(event, first, { remainingMs: () => 900_000 });
    clearInterval(poll);

    expect(response.batchItemFailures).toHaveLength(1);
    const released = await item(checkId);
    expect(released).toMatchObject({ status: 'CHECKING', attempts: 1 });
    expect(released?.leaseExpiresAt).toBeLessThanOrEqual(Date.now());
    expect(await exists(key)).toBe(true);
    const callsBefore = vendorCalls();

    // The redelivery claims the freed check at once and pays for its own call (an earlier test may have
    // expired the stored access token, so a 401 and its retry can come first).
    expect((await checkBatch(event, container())).batchItemFailures).toEqual([]);
    expect(await item(checkId)).toMatchObject({ status: 'PASSED', attempts: 2 });
    expect(vendorCalls()).toBeGreaterThan(callsBefore);
  });
});
