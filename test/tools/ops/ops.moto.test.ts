import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand, PurgeQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLivenessClient, type LivenessClient } from '../../../client/index.js';
import { parseTokenSecret } from '../../../shared/apptenticate/token-secret.js';
import { CheckRepository } from '../../../shared/check-repository.js';
import { systemClock } from '../../../shared/clock.js';
import { type LocalPipeline, startLocalPipeline } from '../../../tools/local/runtime.js';
import { runOps } from '../../../tools/ops/run.js';
import { makePng } from '../../../tools/simulator/images.js';
import notification from '../../fixtures/sqs/s3-notification.json' with { type: 'json' };

/** Every line any ops run printed in this file: the last test greps it for secrets. */
const printed: string[] = [];
const passwords = ['simulator-password'];
let pipeline: LocalPipeline;
let app: LivenessClient;
let dir: string;
let file: string;
let seed = 1;

/** Runs `npm run ops -- <argv> --resources <file>` in process; `stdin` is what it reads for a password. */
async function ops(argv: string[], stdin = ''): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await runOps([...argv, '--resources', file], {
    write: (line) => lines.push(line),
    env: {},
    clock: systemClock,
    readStdin: async () => stdin,
  });
  printed.push(...lines);
  return { code, text: lines.join('\n') };
}

const simulator = () => {
  if (!pipeline.simulator) throw new Error('no simulator');
  return pipeline.simulator;
};
const depth = async (url: string) =>
  Number(
    (
      await pipeline.clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      )
    ).Attributes?.ApproximateNumberOfMessages,
  );
async function eventOf(checkId: string) {
  for (let i = 0; i < 200; i++) {
    const event = pipeline.events.find((e) => e.detail.checkId === checkId);
    if (event) return event;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no event for ${checkId}`);
}
function s3Notification(key: string): string {
  const copy = structuredClone(notification) as {
    Records: { s3: { bucket: { name: string }; object: { key: string; size: number } } }[];
  };
  for (const record of copy.Records) {
    record.s3.bucket.name = pipeline.resources.bucketName;
    record.s3.object.key = key;
    record.s3.object.size = 1000;
  }
  return JSON.stringify(copy);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ops-'));
  file = join(dir, 'resources.json');
  pipeline = await startLocalPipeline({
    port: 0,
    retryDelaySeconds: 1,
    resourcesFile: file,
    sweepIntervalMs: 3_600_000,
    // A short write guard, so a rotation that meets it can wait it out in this test.
    settings: { tokenRefresher: { minWriteIntervalSeconds: 4 } },
    environment: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
  });
  app = createLivenessClient({
    baseUrl: pipeline.apiUrl,
    polling: { initialDelayMs: 200, backoff: 1, maxIntervalMs: 200 },
  });
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run ops against npm start (moto and the simulator)', () => {
  let passed: string;

  it('status shows the queues, the final checks of the last hour by status and the token secret', async () => {
    passed = (await app.checkSelfie(makePng({ width: 200, height: 200, seed: seed++ }))).checkId;
    simulator().control.script({ type: 'rejection', code: 713, endpoint: 'liveness' });
    await app.checkSelfie(makePng({ width: 200, height: 200, seed: seed++ }));

    const { code, text } = await ops(['status']);

    expect(code).toBe(0);
    expect(text).toMatch(/^status of local pipeline/);
    expect(text).toMatch(/selfie queue\s+\d+\s+\d+\s+0\s+-/);
    expect(text).toMatch(/notifier DLQ\s+0/);
    expect(text).toMatch(/final checks in the last hour \(from the table \(a scan of \d+ items/);
    expect(text).toMatch(/PASSED\s+1\s+50\.0%/);
    expect(text).toMatch(/REJECTED\s+1\s+50\.0%/);
    // From DescribeSecret: the value (a live refresh token) is not read; its expiry comes from the
    // refresher's run log, which the local pipeline does not keep.
    expect(text).toMatch(/token secret: last changed \d{4}-.*Z \(\d+ s ago\)/);
    expect(text).toContain(
      'token-refresher last run: not known (the local pipeline keeps no CloudWatch logs)',
    );
    expect(text).toContain('refresh token expiry: not known (the local pipeline keeps no CloudWatch logs)');
  });

  it('check shows the item, its timeline, the event the notifier published, and that the selfie is gone', async () => {
    const published = await eventOf(passed);
    const { code, text } = await ops(['check', passed]);
    expect(code).toBe(0);
    expect(text).toContain(`check ${passed}: PASSED`);
    expect(text).toMatch(/timeline\n {2}\S+Z {2}created\n(.|\n)*decided PASSED/);
    expect(text).toContain(`event: Liveness Check Passed, eventId ${published?.detail.eventId}`);
    expect(text).toMatch(/selfie s3:\/\/\S+\/selfies\/\S+: not stored/);
    expect(text).toContain('logs: the local pipeline keeps no CloudWatch logs');

    const unknown = await ops(['check', randomUUID()]);
    expect(unknown.code).toBe(1);
    expect(unknown.text).toMatch(/^no check /);
  });

  it("dlq show selfie names each message's check and status; redrive sends back the unrecorded and deletes the settled", async () => {
    const dlq = pipeline.resources.dlqUrl;
    const unrecorded = (await app.createCheck({ contentType: 'image/png' })).checkId;
    for (const body of [
      s3Notification(`selfies/${passed}`),
      s3Notification(`selfies/${unrecorded}`),
      'not json',
    ]) {
      await pipeline.clients.sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: body }));
    }

    const show = await ops(['dlq', 'show', 'selfie']);
    expect(show.code).toBe(0);
    expect(show.text).toMatch(new RegExp(`settled\\s+${passed}\\s+PASSED`));
    expect(show.text).toMatch(new RegExp(`unrecorded\\s+${unrecorded}\\s+AWAITING_UPLOAD`));
    expect(show.text).toMatch(/malformed\s+-\s+-\s+body is not JSON/);
    expect(await depth(dlq)).toBe(3); // shown, not taken

    const dry = await ops(['dlq', 'redrive', 'selfie']);
    expect(dry.text).toContain('dry run: would send 1 back to the selfie queue and delete 1');
    expect(await depth(dlq)).toBe(3);

    const redrive = await ops(['dlq', 'redrive', 'selfie', '--dry-run=false']);
    expect(redrive.code).toBe(0);
    expect(redrive.text).toContain('sent 1 back to the selfie queue, deleted 1 settled; 1 left in the DLQ');
    expect(await depth(dlq)).toBe(1);
    // The checker takes the message up again: its selfie never came, so it decides nothing and
    // acknowledges; the check is left to the sweeper (EXPIRED once its upload form ran out).
    const queue = pipeline.resources.queueUrl;
    const inQueue = async () => {
      const { Attributes = {} } = await pipeline.clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queue,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Number(Attributes.ApproximateNumberOfMessages) +
        Number(Attributes.ApproximateNumberOfMessagesNotVisible)
      );
    };
    for (let i = 0; i < 200 && (await inQueue()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await inQueue()).toBe(0);
    expect(await app.getCheck(unrecorded)).toMatchObject({ status: 'AWAITING_UPLOAD' });
  });

  it('dlq redrive selfie sends back a decided check whose selfie is still stored, and the checker deletes it', async () => {
    // A check decided whose selfie delete kept failing: its notification went to the DLQ with the
    // verdict recorded and the selfie still in the bucket.
    const { bucketName, tableName, dlqUrl: dlq, queueUrl: queue } = pipeline.resources;
    const checkId = (await app.createCheck({ contentType: 'image/png' })).checkId;
    const key = `selfies/${checkId}`;
    await pipeline.pauseChecker();
    try {
      await pipeline.clients.s3.send(
        new PutObjectCommand({
          Bucket: bucketName,
          Key: key,
          Body: makePng({ width: 200, height: 200, seed: seed++ }),
          ContentType: 'image/png',
        }),
      );
      await pipeline.clients.sqs.send(new PurgeQueueCommand({ QueueUrl: queue }));
      const repo = new CheckRepository(pipeline.clients.dynamodb, tableName, 86_400);
      const object = { bucket: bucketName, objectKey: key, objectSize: 1000 };
      await repo.claim({ checkId, object, leaseId: 'dead-delivery', leaseMs: 120_000, now: new Date() });
      await repo.finalize({
        checkId,
        outcome: { status: 'PASSED', result: { valid: true, transactionId: 'tx-left' } },
        guard: { kind: 'lease', leaseId: 'dead-delivery' },
        now: new Date(),
      });
      await pipeline.clients.sqs.send(
        new SendMessageCommand({ QueueUrl: dlq, MessageBody: s3Notification(key) }),
      );
    } finally {
      pipeline.resumeChecker();
    }
    const stored = async () =>
      ((await pipeline.clients.s3.send(new ListObjectsV2Command({ Bucket: bucketName, Prefix: key })))
        .KeyCount ?? 0) > 0;
    expect(await stored()).toBe(true);

    const show = await ops(['dlq', 'show', 'selfie']);
    expect(show.text).toMatch(new RegExp(`settled, selfie left\\s+${checkId}\\s+PASSED`));
    const redrive = await ops(['dlq', 'redrive', 'selfie', '--dry-run=false']);
    expect(redrive.code).toBe(0);
    expect(redrive.text).toContain('sent 1 back to the selfie queue, deleted 0 settled; 1 left in the DLQ');
    expect(await depth(dlq)).toBe(1); // the malformed message of the test before

    // The checker acknowledges the duplicate of a decided check and deletes its selfie.
    for (let i = 0; i < 100 && (await stored()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await stored()).toBe(false);
    expect(await app.getCheck(checkId)).toMatchObject({ status: 'PASSED' });
  });

  it('dlq purge asks for --yes before deleting every message', async () => {
    const dlq = pipeline.resources.dlqUrl;
    const refused = await ops(['dlq', 'purge', 'selfie']);
    expect(refused.code).toBe(2);
    expect(refused.text).toMatch(/holds about 1 messages\. Purging deletes them all for good.*add --yes/);
    expect(await depth(dlq)).toBe(1);

    const purged = await ops(['dlq', 'purge', 'selfie', '--yes']);
    expect(purged.code).toBe(0);
    expect(await depth(dlq)).toBe(0);
  });

  it('dlq show notifier gives each stream batch its window and the republish command for it', async () => {
    const record = {
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 11 },
      version: '1.0',
      timestamp: '2026-11-30T10:05:00.000Z',
      DDBStreamBatchInfo: {
        shardId: 'shardId-1',
        startSequenceNumber: '100',
        endSequenceNumber: '180',
        approximateArrivalOfFirstRecord: '2026-11-30T10:00:00Z',
        approximateArrivalOfLastRecord: '2026-11-30T10:00:30Z',
        batchSize: 4,
        streamArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x',
      },
    };
    await pipeline.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: pipeline.resources.notifierDlqUrl,
        MessageBody: JSON.stringify(record),
      }),
    );
    const { code, text } = await ops(['dlq', 'show', 'notifier']);
    expect(code).toBe(0);
    expect(text).toMatch(
      /RetryAttemptsExhausted\s+11\s+4\s+100\.\.180\s+2026-11-30T10:00:00\.000Z \.\. 2026-11-30T10:00:30\.000Z/,
    );
    expect(text).toContain(
      'republish: npm run ops -- republish --since 2026-11-30T09:59:00.000Z --until 2026-11-30T10:01:30.000Z',
    );
    await ops(['dlq', 'purge', 'notifier', '--yes']);
  });

  it('rotate-credentials puts the new password, forces a login through the write guard and verifies it', async () => {
    passwords.push('rotated-Pw-1f9c');
    simulator().control.changePassword('rotated-Pw-1f9c');
    const logins = simulator().control.state().counts.login;

    const { code, text } = await ops(['rotate-credentials', '--password-stdin'], 'rotated-Pw-1f9c\n');

    expect(code).toBe(0);
    expect(text).toMatch(
      /credentials secret updated: username simulator-user, a new password of 15 characters/,
    );
    expect(text).toMatch(/verified: the token-refresher logged in .* valid until/);
    expect(simulator().control.state().counts.login).toBe(logins + 1);
    const { SecretString } = await pipeline.clients.secretsManager.send(
      new GetSecretValueCommand({ SecretId: pipeline.resources.credentialsSecretArn }),
    );
    expect(JSON.parse(SecretString ?? '{}')).toEqual({
      username: 'simulator-user',
      password: 'rotated-Pw-1f9c',
    });

    // Within the refresher's write guard (4 s here), --no-wait reports when to run again.
    const guarded = await ops(['rotate-credentials', '--keep-password', '--no-wait']);
    expect(guarded.code).toBe(2);
    expect(guarded.text).toMatch(
      /logs in again only after \S+Z\. Run npm run ops -- rotate-credentials --keep-password then/,
    );

    // Without it, the tool waits the guard out and forces the login.
    const waited = await ops(['rotate-credentials', '--keep-password']);
    expect(waited.code).toBe(0);
    expect(waited.text).toMatch(/write guard holds until \S+Z: waiting \d+ s/);
    expect(waited.text).toContain('verified:');
  }, 30_000);

  it("rotate-credentials reports a password the vendor refuses, and the refresher's error", async () => {
    passwords.push('wrong-Pw-7d2e');
    await new Promise((resolve) => setTimeout(resolve, 4_500)); // past the write guard
    const { code, text } = await ops(['rotate-credentials', '--password-stdin'], 'wrong-Pw-7d2e');
    expect(code).toBe(1);
    expect(text).toMatch(
      /the token-refresher failed: TerminalError: Apptenticate refused the username and password/,
    );
    expect(text).toContain('Apptenticate refused the credentials now in the secret');
    expect(text).toMatch(/previous value stays as version \S+, stage AWSPREVIOUS/);
  }, 20_000);

  it('runs as npm run ops does, with help and an error naming an unknown option', () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'tools/ops/main.ts', ...args], {
        encoding: 'utf8',
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      });
    const status = run(['status', '--resources', file]);
    printed.push(status.stdout, status.stderr);
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(/^status of local pipeline/);
    const help = run(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/rotate-credentials \(--password-stdin \| --keep-password\)/);
    const typo = run(['republish', '--since', '1h', '--dryrun=false', '--resources', file]);
    expect(typo.status).toBe(1);
    expect(typo.stdout).toContain('ops republish: unknown option --dryrun');
  }, 30_000);

  it('never printed a password, a token or a presigned URL', async () => {
    const { SecretString } = await pipeline.clients.secretsManager.send(
      new GetSecretValueCommand({ SecretId: pipeline.resources.tokenSecretArn }),
    );
    const tokens = parseTokenSecret(SecretString);
    const all = printed.join('\n');
    expect(all.length).toBeGreaterThan(1000);
    for (const secret of [...passwords, tokens?.refresh, tokens?.access]) {
      expect(secret).toBeTruthy();
      expect(all).not.toContain(secret);
    }
    expect(all).not.toMatch(/eyJ[\w-]+\./);
    expect(all).not.toMatch(/X-Amz-Signature|X-Amz-Credential|x-amz-signature|Policy=/i);
  });
});
