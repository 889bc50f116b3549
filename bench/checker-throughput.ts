/**
 * Checker throughput per container and overhead per selfie: batches of 10 through the checker's
 * real code and wiring, the simulator (own process) over real HTTP at vendor latencies 0/100/300 ms,
 * AWS answered in process at zero latency.
 */
import { DEFAULT_SETTINGS } from '../infra/settings.js';
import { makePng } from '../tools/simulator/images.js';
import { createCheckerHarness, makeBatch, withCapturedStdout } from './lib/checker-harness.js';
import { startSimulatorProcess } from './lib/simulator-process.js';
import { printTable, quantile, round } from './lib/stats.js';

export interface ThroughputRow {
  vendorLatencyMs: number;
  batches: number;
  selfies: number;
  seconds: number;
  selfiesPerSecond: number;
  /** batchConcurrency / latency: the most one container can do when every call takes the latency. */
  boundPerSecond: number | null;
  fractionOfBound: number | null;
  vendorP50Ms: number;
  overheadP50Ms: number;
  overheadP99Ms: number;
  batchP50Ms: number;
  batchFailures: number;
  /**
   * CPU time of this process (the checker; the simulator runs in its own) per selfie over the
   * measured batches: the work per selfie without the waiting, steadier than the overhead when other
   * work shares the cores.
   */
  cpuMsPerSelfie: number;
}

export interface ThroughputResult {
  batchSize: number;
  batchConcurrency: number;
  rows: ThroughputRow[];
  /** AWS calls per check on the hot path, per operation (Secrets Manager amortised). */
  awsCallsPerCheck: Record<string, number>;
  awsCallsPerCheckTotal: number;
  /** Bytes of log and EMF output per check (INFO level, as deployed). */
  logBytesPerCheck: number;
  /** Median checker batch duration at 300 ms vendor latency, for the cost model. */
  batchDurationMsAt300: number;
}

export async function benchCheckerThroughput(
  batches = 20,
  latencies = [0, 100, 300],
): Promise<ThroughputResult> {
  const { batchSize, batchConcurrency } = DEFAULT_SETTINGS.checker;
  const rows: ThroughputRow[] = [];
  let calls: Record<string, number> = {};
  let callsTotal = 0;
  let logBytesPerCheck = 0;
  let batchDurationMsAt300 = 0;
  let seed = 0;
  for (const latency of latencies) {
    const simulator = await startSimulatorProcess(latency);
    try {
      const harness = await createCheckerHarness(simulator);
      const image = () => makePng({ width: 320, height: 240, seed: seed++ });
      // A warm container: the first batch pays for the token refresh and the first connections.
      await withCapturedStdout(() =>
        harness.runBatch(makeBatch(harness.fake, Array.from({ length: batchSize }, image)).event),
      );
      harness.vendorMs.clear();
      harness.spans.clear();
      harness.fake.resetCounts();
      const prepared = Array.from({ length: batches }, () =>
        makeBatch(harness.fake, Array.from({ length: batchSize }, image)),
      );
      const batchTimes: number[] = [];
      let failures = 0;
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const captured = await withCapturedStdout(async () => {
        for (const { event } of prepared) {
          const t = performance.now();
          failures += await harness.runBatch(event);
          batchTimes.push(performance.now() - t);
        }
      });
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const selfies = batches * batchSize;
      const overheads: number[] = [];
      const vendor: number[] = [];
      for (const { checkIds } of prepared) {
        for (const id of checkIds) {
          const span = harness.spans.get(id);
          const v = harness.vendorMs.get(id);
          if (span?.end === undefined || v === undefined) continue;
          vendor.push(v);
          overheads.push(span.end - span.start - v);
        }
      }
      const bound = latency > 0 ? batchConcurrency / (latency / 1000) : null;
      const rate = selfies / seconds;
      rows.push({
        vendorLatencyMs: latency,
        batches,
        selfies,
        seconds: round(seconds, 2),
        selfiesPerSecond: round(rate, 1),
        boundPerSecond: bound === null ? null : round(bound, 1),
        fractionOfBound: bound === null ? null : round(rate / bound, 2),
        vendorP50Ms: round(quantile(vendor, 0.5), 1),
        overheadP50Ms: round(quantile(overheads, 0.5), 2),
        overheadP99Ms: round(quantile(overheads, 0.99), 2),
        batchP50Ms: round(quantile(batchTimes, 0.5), 0),
        batchFailures: failures,
        cpuMsPerSelfie: round((cpu.user + cpu.system) / 1000 / selfies, 2),
      });
      const snapshot = harness.fake.snapshot();
      calls = Object.fromEntries(
        Object.entries(snapshot.byOperation).map(([op, n]) => [op, round(n / selfies, 3)]),
      );
      callsTotal = round(snapshot.total / selfies, 3);
      logBytesPerCheck = Math.round(captured.bytes / selfies);
      if (latency === 300) batchDurationMsAt300 = quantile(batchTimes, 0.5);
    } finally {
      await simulator.stop();
    }
  }
  printTable(
    `Checker throughput per container (batchSize ${batchSize}, batchConcurrency ${batchConcurrency}, AWS in process)`,
    rows.map((r) => ({
      'vendor ms': r.vendorLatencyMs,
      selfies: r.selfies,
      'selfies/s': r.selfiesPerSecond,
      'bound/s': r.boundPerSecond ?? 'none',
      'of bound': r.fractionOfBound ?? 'n/a',
      'batch p50 ms': r.batchP50Ms,
      failures: r.batchFailures,
    })),
  );
  printTable(
    'Overhead per selfie (checker time outside the vendor call)',
    rows.map((r) => ({
      'vendor ms': r.vendorLatencyMs,
      'vendor call p50 ms': r.vendorP50Ms,
      'overhead p50 ms': r.overheadP50Ms,
      'overhead p99 ms': r.overheadP99Ms,
      'checker CPU ms/selfie': r.cpuMsPerSelfie,
    })),
  );
  printTable('AWS calls on the hot path of one check', [
    { ...calls, total: callsTotal, 'log+EMF bytes/check': logBytesPerCheck },
  ]);
  return {
    batchSize,
    batchConcurrency,
    rows,
    awsCallsPerCheck: calls,
    awsCallsPerCheckTotal: callsTotal,
    logBytesPerCheck,
    batchDurationMsAt300,
  };
}
