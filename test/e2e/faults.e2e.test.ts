import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckView, createLivenessClient } from '../../client/index.js';
import { mapWithConcurrency } from '../../functions/checker/checker.js';
import { type LocalPipeline, startLocalPipeline } from '../../tools/local/runtime.js';
import { makePng } from '../../tools/simulator/images.js';

const CHECKS = 200;
const FINAL = new Set(['PASSED', 'REJECTED', 'FAILED', 'EXPIRED']);

describe('200 checks while the vendor fails 20% of calls', () => {
  let pipeline: LocalPipeline;

  beforeAll(async () => {
    pipeline = await startLocalPipeline({
      port: 0,
      retryDelaySeconds: 1,
      // 500s, 429s, answers slower than the checker waits, and dropped connections, at random.
      simulator: { faultRate: 0.2, faultSeed: 7, faultDelayMs: 3000 },
      environment: {
        POWERTOOLS_LOG_LEVEL: 'ERROR',
        POWERTOOLS_METRICS_DISABLED: 'true',
        // Long enough that an answer on time is never cut off by a busy event loop (a cut-off answer
        // is a second paid call, which this suite counts), shorter than the slow faults.
        VENDOR_RESPONSE_TIMEOUT_MS: '2000',
      },
      sweepIntervalMs: 3_600_000,
    });
  });

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('ends with every check final, one event each, and one paid call per verdict plus the vendor faults', {
    timeout: 240_000,
  }, async () => {
    const app = createLivenessClient({ baseUrl: pipeline.apiUrl });
    const ids = await mapWithConcurrency(
      Array.from({ length: CHECKS }, (_, i) => i),
      10,
      async (i) => {
        const issued = await app.createCheck({
          contentType: 'image/png',
          reference: `load-${i}`,
        });
        await app.upload(issued, makePng({ width: 128, height: 128, seed: 1000 + i }));
        return issued.checkId;
      },
    );

    const deadline = Date.now() + 300_000;
    let checks: CheckView[] = [];
    for (;;) {
      checks = await mapWithConcurrency(ids, 10, (id) => app.getCheck(id));
      const done = checks.every((c) => FINAL.has(c.status));
      const published = new Set(pipeline.events.map((e) => e.detail.checkId));
      if ((done && ids.every((id) => published.has(id))) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await new Promise((resolve) => setTimeout(resolve, 1500)); // let any duplicate event surface

    expect(checks.filter((c) => !FINAL.has(c.status))).toEqual([]);
    expect(checks.filter((c) => c.status === 'PASSED').length).toBeGreaterThan(CHECKS * 0.9);
    const failed = checks.filter((c) => c.status === 'FAILED');
    for (const check of failed) expect(check.failure?.reason).toBe('VENDOR_UNAVAILABLE');

    const events = pipeline.events.filter((e) => ids.includes(e.detail.checkId));
    expect(events).toHaveLength(CHECKS);
    expect(new Set(events.map((e) => e.detail.checkId)).size).toBe(CHECKS);
    expect(new Set(events.map((e) => e.detail.eventId)).size).toBe(CHECKS);

    // Never paid twice: one call per verdict, plus the calls the vendor failed and the ordinary
    // answers the checker gave up on (decision 4). A claim may end without a call (a kept answer
    // written, a call that no longer fits the deadline), never with two. Check by check, so that one
    // check's abandoned answer cannot hide another's double payment.
    const state = pipeline.simulator?.control.state();
    const calls = state?.counts.liveness ?? 0;
    const decidedByVendor = (c: CheckView) => c.status === 'PASSED' || c.status === 'REJECTED';
    const verdicts = checks.filter(decidedByVendor).length;
    expect(state?.randomFaults.liveness).toBeGreaterThan(0);
    expect(calls).toBe(verdicts + (state?.randomFaults.liveness ?? 0) + (state?.abandoned.liveness ?? 0));
    const paidTwice = checks.flatMap((c) => {
      const byCheck = state?.livenessByCheck[c.checkId] ?? { paid: 0, randomFaults: 0, abandoned: 0 };
      const explained = (decidedByVendor(c) ? 1 : 0) + byCheck.randomFaults + byCheck.abandoned;
      return byCheck.paid > explained ? [{ checkId: c.checkId, status: c.status, ...byCheck }] : [];
    });
    expect(
      paidTwice,
      'checks paid more often than a verdict, a fault or an abandoned answer explains',
    ).toEqual([]);
    const attempts = events.reduce((sum, e) => sum + Number(e.detail.attempts), 0);
    expect(calls).toBeLessThanOrEqual(attempts);
  });
});
