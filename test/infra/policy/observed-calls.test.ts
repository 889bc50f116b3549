/**
 * The AWS calls each function really makes, held to `needed-calls.ts`: the local pipeline runs a
 * small day (an issued check uploaded and passed, a rejection, a check expired by the sweeper, a
 * stale claim failed by it, a selfie put straight into the bucket, the token-refresher forced) with
 * every function call passing the AWS proxy's recorder, which names each call by its IAM action and
 * its function by the client's user agent (`functions/commons/aws-clients.ts`). The local runtime's
 * own calls (Lambda's pollers, provisioning, this test's setup) go to moto directly and are not
 * judged: only the functions' clients and the app's uploads pass the proxy, so every call it sees
 * must name its function. What no run here can see (the `lambda`, `s3` and `secretsmanager` entries:
 * Lambda's pollers and KMS calls made on a function's behalf) is printed, not asserted.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLivenessClient } from '../../../client/index.js';
import { checkIdForKey } from '../../../functions/checker/notification.js';
import { FUNCTION_NAMES, type PipelineFunctionName } from '../../../infra/settings.js';
import { type ObservedCall, PRESIGNED_POST } from '../../../tools/local/aws-calls.js';
import {
  LOCAL_REFRESHER_FUNCTION,
  type LocalPipeline,
  startLocalPipeline,
} from '../../../tools/local/runtime.js';
import { makeJpeg, makePng } from '../../../tools/simulator/images.js';
import { NEEDED_CALLS } from './needed-calls.js';

/**
 * The function's own calls this day must make: a run that misses one exercised less than it claims
 * (or lost a function's user agent). `lambda:InvokeFunction` is not among them: the local runtime
 * gives the checker no refresher to invoke (`tools/local/runtime.ts`).
 */
const MUST_OBSERVE: Readonly<Record<PipelineFunctionName, readonly string[]>> = {
  checker: ['s3:GetObject', 's3:DeleteObject', 'dynamodb:UpdateItem', 'secretsmanager:GetSecretValue'],
  api: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 's3:PutObject'],
  sweeper: ['dynamodb:Query', 'dynamodb:UpdateItem', 's3:ListBucket', 's3:DeleteObject'],
  notifier: ['events:PutEvents'],
  'token-refresher': ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
};

const isFunction = (fn: string | undefined): fn is PipelineFunctionName =>
  (FUNCTION_NAMES as readonly (string | undefined)[]).includes(fn);

describe("the functions' AWS calls in a local run", () => {
  let pipeline: LocalPipeline;
  /** The calls made by a function, the presigned POST counted as the api's (its credentials sign the form). */
  let judged: { fn: PipelineFunctionName; action: string; request?: string }[] = [];
  let calls: ObservedCall[] = [];

  beforeAll(async () => {
    pipeline = await startLocalPipeline({
      port: 0,
      retryDelaySeconds: 1,
      awsFaults: { recordCalls: true },
      environment: { POWERTOOLS_LOG_LEVEL: 'CRITICAL', POWERTOOLS_METRICS_DISABLED: 'true' },
      sweepIntervalMs: 3_600_000,
    });
    const app = createLivenessClient({
      baseUrl: pipeline.apiUrl,
      polling: { initialDelayMs: 200, backoff: 1, maxIntervalMs: 200 },
    });
    const waitForEvents = async (count: number) => {
      const deadline = Date.now() + 15_000;
      while (pipeline.events.length < count && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(pipeline.events).toHaveLength(count);
    };

    // Issued through the api, uploaded with its presigned POST, passed.
    const passed = await app.checkSelfie(makeJpeg({ width: 640, height: 480, seed: 1 }));
    expect(passed.status).toBe('PASSED');

    // Rejected by the vendor.
    pipeline.simulator?.control.script({ type: 'rejection', code: 713, endpoint: 'liveness' });
    const rejected = await app.checkSelfie(makePng({ width: 200, height: 200, seed: 2 }));
    expect(rejected.status).toBe('REJECTED');

    // Never uploaded: aged past its form's expiry and expired by the sweeper.
    const unuploaded = await app.createCheck({ reference: 'never-uploaded' });
    await DynamoDBDocumentClient.from(pipeline.clients.dynamodb).send(
      new UpdateCommand({
        TableName: pipeline.resources.tableName,
        Key: { checkId: unuploaded.checkId },
        UpdateExpression: 'SET uploadExpiresAt = :old, sweepAt = :old',
        ExpressionAttributeValues: { ':old': new Date(Date.now() - 3_600_000).toISOString() },
      }),
    );
    await pipeline.sweep();
    expect((await app.waitForVerdict(unuploaded.checkId, { timeoutMs: 5000 })).status).toBe('EXPIRED');

    // Uploaded, then claimed by a checker that went silent: the sweeper fails it and deletes its selfie.
    await pipeline.pauseChecker();
    const abandoned = await app.createCheck({ reference: 'abandoned-claim' });
    await app.upload(abandoned, makeJpeg({ width: 640, height: 480, seed: 4 }));
    await DynamoDBDocumentClient.from(pipeline.clients.dynamodb).send(
      new UpdateCommand({
        TableName: pipeline.resources.tableName,
        Key: { checkId: abandoned.checkId },
        UpdateExpression:
          'SET #status = :checking, leaseId = :lease, leaseExpiresAt = :leaseEnd, uploadExpiresAt = :old, sweepAt = :old',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':checking': 'CHECKING',
          ':lease': 'silent-checker',
          ':leaseEnd': Date.now() - 86_400_000,
          ':old': new Date(Date.now() - 3_600_000).toISOString(),
        },
      }),
    );
    await pipeline.sweep();
    expect((await app.getCheck(abandoned.checkId)).status).toBe('FAILED');
    pipeline.resumeChecker();

    // A selfie put straight into the bucket, without a check issued first.
    const key = `${pipeline.settings.selfiePrefix}${crypto.randomUUID()}`;
    await pipeline.clients.s3.send(
      new PutObjectCommand({
        Bucket: pipeline.resources.bucketName,
        Key: key,
        Body: makePng({ width: 200, height: 200, seed: 3 }),
      }),
    );
    const direct = checkIdForKey(key, pipeline.settings.selfiePrefix);
    expect((await app.waitForVerdict(direct, { timeoutMs: 15_000 })).status).toBe('PASSED');

    // The refresher, forced as a checker whose refresh token was refused would: its write-rate guard
    // holds it to a read, as the schedule's first run (at start) has just written the token secret.
    const lambda = new LambdaClient({
      endpoint: pipeline.resources.lambdaEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const forced = await lambda.send(
      new InvokeCommand({
        FunctionName: LOCAL_REFRESHER_FUNCTION,
        Payload: JSON.stringify({ force: true, reason: 'observed-calls' }),
      }),
    );
    expect(forced.FunctionError).toBeUndefined();

    await waitForEvents(5);
    calls = pipeline.faults?.calls() ?? [];
    judged = calls.flatMap((call) => {
      const fn = call.fn === PRESIGNED_POST ? 'api' : call.fn;
      return isFunction(fn) ? [{ ...call, fn }] : [];
    });
    process.stdout.write(`${report(judged)}\n`);
  }, 60_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('sees a function named in every call that passes the proxy, and each function', () => {
    expect(calls.filter((call) => call.fn !== PRESIGNED_POST && !isFunction(call.fn))).toEqual([]);
    expect([...new Set(calls.map((call) => call.fn))].sort()).toEqual(
      [...FUNCTION_NAMES, PRESIGNED_POST].sort(),
    );
  });

  it('finds every call a function makes among the calls NEEDED_CALLS lists for it', () => {
    const unlisted = judged.filter(
      (call) => !NEEDED_CALLS[call.fn].some((needed) => needed.action === call.action),
    );
    expect(unlisted).toEqual([]);
  });

  it("sees each function's own calls that the day exercises", () => {
    const missing = FUNCTION_NAMES.flatMap((fn) =>
      MUST_OBSERVE[fn]
        .filter((action) => !judged.some((call) => call.fn === fn && call.action === action))
        .map((action) => `${fn} ${action}`),
    );
    expect(missing).toEqual([]);
  });
});

/** Per function, the actions seen (with counts) and the listed ones never seen, for the log. */
function report(judged: readonly { fn: PipelineFunctionName; action: string }[]): string {
  const lines = ['AWS calls observed per function (count), and NEEDED_CALLS entries never observed:'];
  for (const fn of FUNCTION_NAMES) {
    const counts = new Map<string, number>();
    for (const call of judged)
      if (call.fn === fn) counts.set(call.action, (counts.get(call.action) ?? 0) + 1);
    const seen = [...counts].map(([action, count]) => `${action} (${count})`).join(', ');
    const unseen = NEEDED_CALLS[fn]
      .filter((needed) => !counts.has(needed.action))
      .map((needed) => `${needed.action} [${needed.via}]`);
    lines.push(`  ${fn}: ${seen || 'none'}`);
    lines.push(`    never observed: ${[...new Set(unseen)].join(', ') || 'none'}`);
  }
  return lines.join('\n');
}
