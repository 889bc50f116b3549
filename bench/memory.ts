/**
 * Memory: peak RSS of the checker processing one batch of 10 selfies at the size limit, in a fresh
 * process running a bundle built like the deployed ones, against the function's memory size.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_MEMORY_MIB } from '../infra/liveness-pipeline-props.js';
import { BENCH_TMP, bundle, deployedVariant, PROJECT_ROOT } from './lib/bundle.js';
import { startSimulatorProcess } from './lib/simulator-process.js';
import { printTable, round } from './lib/stats.js';

const run = promisify(execFile);

export interface MemoryResult {
  selfieBytes: number;
  selfies: number;
  vendorLatencyMs: number;
  afterImportMiB: number;
  baselineMiB: number;
  fakeObjectsMiB: number;
  peakMiB: number;
  peakOverBaselineMiB: number;
  functionMemoryMb: number;
  peakShareOfMemory: number;
  failures: number;
  /** Checks the simulator passed: every selfie really went to the vendor. */
  passed: number;
}

export async function benchMemory(vendorLatencyMs = 100): Promise<MemoryResult> {
  const built = await bundle('bench/memory-child.ts', join(BENCH_TMP, 'memory'), deployedVariant());
  const simulator = await startSimulatorProcess(vendorLatencyMs);
  try {
    const { stdout } = await run(process.execPath, [built.file], {
      cwd: PROJECT_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        TZ: 'UTC',
        VENDOR_URL: simulator.baseUrl,
        VENDOR_USERNAME: simulator.username,
        VENDOR_PASSWORD: simulator.password,
      },
      maxBuffer: 16 * 1024 * 1024,
    });
    const raw = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Omit<
      MemoryResult,
      'functionMemoryMb' | 'peakShareOfMemory' | 'peakOverBaselineMiB' | 'vendorLatencyMs'
    >;
    const memoryMb = DEFAULT_MEMORY_MIB.checker;
    const result: MemoryResult = {
      selfieBytes: raw.selfieBytes,
      selfies: raw.selfies,
      vendorLatencyMs,
      afterImportMiB: round(raw.afterImportMiB, 1),
      baselineMiB: round(raw.baselineMiB, 1),
      fakeObjectsMiB: round(raw.fakeObjectsMiB, 1),
      peakMiB: round(raw.peakMiB, 1),
      peakOverBaselineMiB: round(raw.peakMiB - raw.baselineMiB, 1),
      functionMemoryMb: memoryMb,
      peakShareOfMemory: round(raw.peakMiB / memoryMb, 2),
      failures: raw.failures,
      passed: raw.passed,
    };
    printTable(`Memory: checker, one batch of ${raw.selfies} selfies of ${raw.selfieBytes} bytes`, [
      {
        'RSS after import MiB': result.afterImportMiB,
        'baseline MiB (incl. fake S3 objects)': result.baselineMiB,
        'fake S3 objects MiB': result.fakeObjectsMiB,
        'peak RSS MiB': result.peakMiB,
        'peak - baseline MiB': result.peakOverBaselineMiB,
        'function memory MB': memoryMb,
        'peak / memory': result.peakShareOfMemory,
        passed: result.passed,
      },
    ]);
    return result;
  } finally {
    await simulator.stop();
  }
}
