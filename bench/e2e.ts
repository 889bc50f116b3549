/**
 * End to end on the local pipeline: 1,000 checks through the api, moto (S3, SQS, DynamoDB + streams,
 * EventBridge) and the simulator, with the deployed handlers played by the local runtime's event
 * source pollers. Measures checks per second, upload-to-event latency, lost checks and duplicates.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createLivenessClient } from '../client/index.js';
import { mapWithConcurrency } from '../functions/checker/checker.js';
import { startLocalPipeline } from '../tools/local/runtime.js';
import { makePng } from '../tools/simulator/images.js';
import { BENCH_TMP, PROJECT_ROOT } from './lib/bundle.js';
import { printTable, quantile, round } from './lib/stats.js';

/** Runs {@link benchE2e} in a fresh process (one local pipeline per process) and returns its result. */
export async function benchE2eInProcess(
  checks: number,
  clients: number,
  ratePerSecond?: number,
): Promise<E2eResult> {
  const out = join(BENCH_TMP, `e2e-${checks}-${ratePerSecond ?? 'unpaced'}.json`);
  await mkdir(BENCH_TMP, { recursive: true });
  await rm(out, { force: true });
  const args = ['--import', 'tsx', 'bench/e2e-child.ts', out, String(checks), String(clients)];
  if (ratePerSecond) args.push(String(ratePerSecond));
  const child = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, TZ: 'UTC' },
    stdio: 'inherit',
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the end-to-end run exited with ${code}`);
  return JSON.parse(await readFile(out, 'utf8')) as E2eResult;
}

export interface E2eResult {
  checks: number;
  clientConcurrency: number;
  /** Paced uploads per second; null when the clients upload as fast as they can. */
  offeredPerSecond: number | null;
  vendorLatencyMs: number;
  /** From the first issue to the last event. */
  seconds: number;
  checksPerSecond: number;
  uploadSeconds: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  latencyMaxMs: number;
  lost: number;
  duplicateEvents: number;
  statuses: Record<string, number>;
  vendorLivenessCalls: number;
  /** POST /checks round trip through the local api (api handler + a moto PutItem), p50. */
  issueP50Ms: number;
}

/**
 * `ratePerSecond` paces the uploads (a steady offered load, for latency); without it the clients
 * upload as fast as `concurrency` allows (saturation: the queue backs up, for throughput).
 */
export async function benchE2e(
  checks = 1000,
  concurrency = 20,
  vendorLatencyMs = 0,
  ratePerSecond?: number,
): Promise<E2eResult> {
  const uploadedAt = new Map<string, number>();
  const issueMs: number[] = [];
  const eventAt = new Map<string, number>();
  const eventCount = new Map<string, number>();
  const statuses: Record<string, number> = {};
  const pipeline = await startLocalPipeline({
    port: 0,
    retryDelaySeconds: 1,
    simulator: { latencyMs: vendorLatencyMs },
    environment: { POWERTOOLS_LOG_LEVEL: 'ERROR', LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' },
    sweepIntervalMs: 3_600_000,
    onEvent: (event) => {
      const id = event.detail.checkId;
      const now = Date.now();
      if (!eventAt.has(id)) eventAt.set(id, now);
      eventCount.set(id, (eventCount.get(id) ?? 0) + 1);
      statuses[event.detail.status] = (statuses[event.detail.status] ?? 0) + 1;
    },
  });
  const client = createLivenessClient({ baseUrl: pipeline.apiUrl });
  try {
    const started = Date.now();
    const ids = await mapWithConcurrency(
      Array.from({ length: checks }, (_, i) => i),
      concurrency,
      async (i) => {
        if (ratePerSecond) {
          const due = started + (i * 1000) / ratePerSecond;
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
        }
        const issuing = performance.now();
        const issued = await client.createCheck({ contentType: 'image/png', reference: `bench-${i}` });
        issueMs.push(performance.now() - issuing);
        await client.upload(issued, makePng({ width: 200, height: 200, seed: 50_000 + i }));
        uploadedAt.set(issued.checkId, Date.now());
        return issued.checkId;
      },
    );
    const uploadSeconds = (Date.now() - started) / 1000;
    const deadline = Date.now() + 240_000;
    while (ids.some((id) => !eventAt.has(id)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const lastEvent = Math.max(...ids.map((id) => eventAt.get(id) ?? 0));
    // Let any duplicate surface before counting.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const latencies = ids.flatMap((id) => {
      const e = eventAt.get(id);
      const u = uploadedAt.get(id);
      return e !== undefined && u !== undefined ? [e - u] : [];
    });
    const seconds = (lastEvent - started) / 1000;
    const result: E2eResult = {
      checks,
      clientConcurrency: concurrency,
      offeredPerSecond: ratePerSecond ?? null,
      vendorLatencyMs,
      seconds: round(seconds, 1),
      checksPerSecond: round(checks / seconds, 1),
      uploadSeconds: round(uploadSeconds, 1),
      latencyP50Ms: Math.round(quantile(latencies, 0.5)),
      latencyP95Ms: Math.round(quantile(latencies, 0.95)),
      latencyMaxMs: Math.round(quantile(latencies, 1)),
      lost: ids.filter((id) => !eventAt.has(id)).length,
      duplicateEvents: ids.reduce((sum, id) => sum + Math.max(0, (eventCount.get(id) ?? 0) - 1), 0),
      statuses,
      vendorLivenessCalls: pipeline.simulator?.control.state().counts.liveness ?? 0,
      issueP50Ms: round(quantile(issueMs, 0.5), 1),
    };
    const load = ratePerSecond ? `uploads paced at ${ratePerSecond}/s` : `${concurrency} clients, unpaced`;
    printTable(`End to end on the local pipeline (moto + simulator, ${checks} checks, ${load})`, [
      {
        'upload s': result.uploadSeconds,
        checks: result.checks,
        seconds: result.seconds,
        'checks/s': result.checksPerSecond,
        'upload-to-event p50 ms': result.latencyP50Ms,
        'p95 ms': result.latencyP95Ms,
        'max ms': result.latencyMaxMs,
        lost: result.lost,
        'duplicate events': result.duplicateEvents,
        'vendor calls': result.vendorLivenessCalls,
      },
    ]);
    return result;
  } finally {
    await pipeline.stop();
  }
}
