import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckView, createLivenessClient, type LivenessClient } from '../../client/index.js';
import { systemClock } from '../../shared/clock.js';
import { eventIdFor } from '../../shared/events/index.js';
import { type LocalPipeline, startLocalPipeline } from '../../tools/local/runtime.js';
import { runOps } from '../../tools/ops/run.js';
import { makePng } from '../../tools/simulator/images.js';

/**
 * A bad day for the notifier, then the recovery an operator runs: PutEvents is down long enough that
 * stream batches exhaust their retries and land in the notifier DLQ (their events are lost to
 * subscribers), then `npm run ops -- dlq redrive notifier` and `republish` put them back from the
 * table, with the ids the notifier would have given them.
 */
let pipeline: LocalPipeline;
let app: LivenessClient;
let dir: string;
let file: string;
let seed = 1;

async function ops(argv: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await runOps([...argv, '--resources', file], {
    write: (line) => lines.push(line),
    env: {},
    clock: systemClock,
    readStdin: async () => '',
  });
  return { code, text: lines.join('\n') };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const selfie = () => makePng({ width: 200, height: 200, seed: seed++ });
const eventsOf = (checkId: string) => pipeline.events.filter((e) => e.detail.checkId === checkId);
async function until(
  what: string,
  done: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}
const notifierDlqDepth = async () =>
  Number(
    (
      await pipeline.clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: pipeline.resources.notifierDlqUrl,
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
      )
    ).Attributes?.ApproximateNumberOfMessages,
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'republish-'));
  file = join(dir, 'resources.json');
  pipeline = await startLocalPipeline({
    port: 0,
    retryDelaySeconds: 1,
    resourcesFile: file,
    sweepIntervalMs: 3_600_000,
    // The notifier gives a failing batch up after one retry: it reaches the DLQ within the outage.
    settings: { notifier: { retryAttempts: 1 } },
    // PutEvents goes through the fault proxy, which stages the outage.
    awsFaults: {},
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

describe('recovering events a broken notifier lost', () => {
  it('puts every missing event back with the id the notifier gives it; duplicates carry the same id', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const before = await Promise.all([1, 2].map(() => app.checkSelfie(selfie())));
    await until('the events of the first checks', () =>
      before.every((c) => eventsOf(c.checkId).length === 1),
    );

    // PutEvents down for 20 s: every batch in it fails its invocations and goes to the DLQ.
    const faults = pipeline.faults;
    if (!faults) throw new Error('no fault proxy');
    const outage = faults.outage('events', 20);
    if (pipeline.simulator)
      pipeline.simulator.control.script({ type: 'rejection', code: 704, endpoint: 'liveness' });
    const during: CheckView[] = await Promise.all([1, 2, 3, 4].map(() => app.checkSelfie(selfie())));
    await until('stream batches in the notifier DLQ', async () => (await notifierDlqDepth()) > 0);
    await outage;
    await sleep(2000);
    const missing = during.filter((c) => eventsOf(c.checkId).length === 0);
    expect(missing.length).toBeGreaterThan(0);
    expect(faults.counts().injected['put-events'].outage).toBeGreaterThan(0);

    const shown = await ops(['dlq', 'show', 'notifier']);
    expect(shown.code).toBe(0);
    expect(shown.text).toMatch(/RetryAttemptsExhausted\s+2\s+\d+/);
    expect(shown.text).toMatch(/republish: npm run ops -- republish --since \S+Z --until \S+Z/);

    // The operator's recovery: each batch's window republished from the table, the batch deleted.
    const redrive = await ops(['dlq', 'redrive', 'notifier', '--dry-run=false', '--rate', '50']);
    expect(redrive.code).toBe(0);
    expect(redrive.text).toMatch(/put \d+ events, 0 failed/);
    expect(await notifierDlqDepth()).toBe(0);
    await until('an event for every check', () =>
      [...before, ...during].every((c) => eventsOf(c.checkId).length > 0),
    );

    // A republish of the whole window again: every check's event once more, with the same id.
    const dry = await ops(['republish', '--since', since]);
    expect(dry.text).toMatch(/dry run: nothing put\. To put these 6 events/);
    const again = await ops(['republish', '--since', since, '--dry-run=false', '--rate', '50']);
    expect(again.code).toBe(0);
    expect(again.text).toContain('put 6 events, 0 failed');
    await until('the republished duplicates', () =>
      [...before, ...during].every((c) => eventsOf(c.checkId).length >= 2),
    );

    for (const check of [...before, ...during]) {
      const ids = new Set(eventsOf(check.checkId).map((e) => e.detail.eventId));
      expect(ids.size, check.checkId).toBe(1);
      expect([...ids][0]).toBe(eventIdFor(check.checkId, check.status as 'PASSED', check.createdAt));
      const types = new Set(eventsOf(check.checkId).map((e) => e['detail-type']));
      expect(types.size).toBe(1);
    }
    expect(during.some((c) => c.status === 'REJECTED')).toBe(true);
  }, 90_000);
});
