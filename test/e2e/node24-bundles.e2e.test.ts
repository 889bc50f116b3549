/**
 * The five function bundles as the package ships them (byte for byte what `cdk synth` deploys, see
 * test/infra/cdk-synth.test.ts) run on Node 24, Lambda's major, each in a process of its own with
 * the environment the stack gives it, against the local pipeline (moto and the simulator). The
 * local pipeline itself, the notifier included, still imports the handlers' sources into this
 * Node 20 process.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLivenessClient, type LivenessClient } from '../../client/index.js';
import {
  FUNCTION_NAMES,
  FUNCTION_SETTINGS_KEYS,
  functionEnvironment,
  type PipelineFunctionName,
} from '../../infra/settings.js';
import { type LocalPipeline, startLocalPipeline } from '../../tools/local/runtime.js';
import { toLambdaEvent } from '../../tools/local/sqs-event-source.js';
import { ensureNode24, NODE24_VERSION } from '../../tools/node24.js';
import { buildFunctionBundles } from '../../tools/package/function-bundles.js';
import { makeJpeg } from '../../tools/simulator/images.js';

const DRIVER = fileURLToPath(new URL('../support/bundle-driver.mjs', import.meta.url));

interface DriverOutput {
  node: string;
  handler: string;
  result?: unknown;
}

describe('the deployed bundles on Node 24 against the local pipeline', () => {
  let node24: string;
  let pipeline: LocalPipeline;
  let app: LivenessClient;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'liveness-node24-'));
    // The first run installs Node 24 (~6 s), later runs find it cached.
    [node24, pipeline] = await Promise.all([
      ensureNode24(),
      startLocalPipeline({ port: 0, sweepIntervalMs: 3_600_000 }),
      buildFunctionBundles(join(dir, 'bundles')),
    ]);
    // The checker on Node 24 takes the notifications; the played source would race it.
    await pipeline.pauseChecker();
    app = createLivenessClient({
      baseUrl: pipeline.apiUrl,
      polling: { initialDelayMs: 200, backoff: 1, maxIntervalMs: 200 },
    });
  }, 120_000);
  afterAll(async () => {
    await pipeline?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `fn`'s bundle on Node 24 with the stack's environment for it; invokes it with `event` if given. */
  async function runOnNode24(fn: PipelineFunctionName, event?: unknown): Promise<DriverOutput> {
    const args = [DRIVER, join(dir, 'bundles', fn, 'index.mjs')];
    if (event !== undefined) {
      const file = join(dir, `${fn}-${Date.now()}.json`);
      writeFileSync(file, JSON.stringify(event));
      args.push(file, String(pipeline.settings[FUNCTION_SETTINGS_KEYS[fn]].timeoutSeconds));
    }
    try {
      const { stdout } = await promisify(execFile)(node24, args, {
        // Only what Lambda sets and the stack's variables, pointed at the local pipeline as
        // tools/local/runtime.ts points its in-process handlers.
        env: {
          PATH: process.env.PATH ?? '',
          TZ: 'UTC',
          // Set in this process by startLocalPipeline for its in-process handlers.
          AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL ?? '',
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_SESSION_TOKEN: 'local',
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_LAMBDA_FUNCTION_NAME: `node24-${fn}`,
          ...functionEnvironment(fn, pipeline.settings, pipeline.resources),
          TOKEN_REFRESHER_FUNCTION_NAME: '',
        },
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
      });
      return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as DriverOutput;
    } catch (error) {
      const failed = error as { stderr?: string; stdout?: string };
      throw new Error(
        `${fn} on Node 24 failed: ${failed.stderr?.slice(-2000) || failed.stdout?.slice(-2000)}`,
        {
          cause: error,
        },
      );
    }
  }

  it(`loads every bundle on Node ${NODE24_VERSION}, its module scope built from the stack's environment`, async () => {
    const loaded = await Promise.all(FUNCTION_NAMES.map(async (fn) => [fn, await runOnNode24(fn)] as const));
    for (const [fn, output] of loaded) {
      expect(output, fn).toEqual({ node: `v${NODE24_VERSION}`, handler: 'function' });
    }
  });

  it('answers a GET for an unknown check with 404 from the api bundle on Node 24', async () => {
    const checkId = crypto.randomUUID();
    const { result } = await runOnNode24('api', {
      version: '2.0',
      routeKey: 'GET /checks/{checkId}',
      rawPath: `/checks/${checkId}`,
      rawQueryString: '',
      headers: { accept: 'application/json' },
      pathParameters: { checkId },
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        authorizer: {
          iam: { userArn: 'arn:aws:iam::000000000000:user/local-developer', accountId: '000000000000' },
        },
        domainName: '127.0.0.1',
        http: { method: 'GET', path: `/checks/${checkId}`, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' },
        requestId: 'node24',
        routeKey: 'GET /checks/{checkId}',
        stage: '$default',
        time: new Date().toUTCString(),
        timeEpoch: Date.now(),
      },
    });
    expect(result).toMatchObject({ statusCode: 404 });
  });

  it('runs a sweep with the sweeper bundle on Node 24', async () => {
    const { result } = await runOnNode24('sweeper', {
      source: 'aws.events',
      'detail-type': 'Scheduled Event',
    });
    expect(result).toMatchObject({ errors: 0 });
  });

  it('reads the vendor token secret and answers with its expiry from the token-refresher bundle on Node 24', async () => {
    // The pipeline wrote the secret at start: a forced run right after is held by the write-rate guard.
    const { result } = await runOnNode24('token-refresher', { force: true, reason: 'node24 test' });
    const { refreshExpiresAt } = result as { refreshExpiresAt: string };
    expect(Date.parse(refreshExpiresAt)).toBeGreaterThan(Date.now());
  });

  it('decides an uploaded selfie with the checker bundle on Node 24, and the pipeline publishes it', async () => {
    const issued = await app.createCheck({ reference: 'node24' });
    await app.upload(issued, makeJpeg({ width: 640, height: 480, seed: 24 }));
    const messages: Message[] = [];
    const deadline = Date.now() + 15_000;
    while (!messages.some((m) => m.Body?.includes(issued.checkId)) && Date.now() < deadline) {
      const { Messages = [] } = await pipeline.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: pipeline.resources.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      messages.push(...Messages);
    }
    const ours = messages.filter((m) => m.Body?.includes(issued.checkId));
    expect(ours).toHaveLength(1);
    const vendorCalls = pipeline.simulator?.control.state().counts.liveness ?? Number.NaN;
    const { result } = await runOnNode24(
      'checker',
      toLambdaEvent(ours, { queueArn: pipeline.resources.queueArn, region: 'us-east-1' }),
    );
    expect(result).toEqual({ batchItemFailures: [] });
    const check = await app.waitForVerdict(issued.checkId, { timeoutMs: 10_000 });
    expect(check).toMatchObject({ status: 'PASSED', reference: 'node24' });
    expect(pipeline.simulator?.control.state().counts.liveness).toBe(vendorCalls + 1);
    // The notifier (in this process) published the Node 24 checker's verdict.
    await expect
      .poll(() =>
        pipeline.events.filter((e) => e.detail.checkId === issued.checkId).map((e) => e.detail.status),
      )
      .toEqual(['PASSED']);
  });
});
