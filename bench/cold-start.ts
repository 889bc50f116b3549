/**
 * Cold start: each function's bundle as deployed (minified bytes) and its module init time, measured
 * by importing it in fresh Node processes, beside an empty handler bundled the same way; and, for the
 * checker, the bundling choices that matter (AWS SDK bundled or external, ESM or CJS, undici whole or
 * deep-imported).
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PIPELINE_BUNDLING } from '../infra/bundling.js';
import {
  DEFAULT_SETTINGS,
  FUNCTION_NAMES,
  functionEnvironment,
  type PipelineFunctionName,
} from '../infra/settings.js';
import { BENCH_TMP, type BundleVariant, bundle, deployedVariant, PROJECT_ROOT } from './lib/bundle.js';
import { median, printTable, quantile, round } from './lib/stats.js';

const run = promisify(execFile);
const DRIVER = join(PROJECT_ROOT, 'bench', 'lib', 'import-driver.mjs');

const DUMMY_NAMES = {
  tableName: 'bench-checks',
  bucketName: 'bench-selfies',
  eventBusName: 'bench-bus',
  credentialsSecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-credentials',
  tokenSecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-token',
  tokenRefresherFunctionName: 'bench-token-refresher',
};

export interface ColdStartRow {
  bundle: string;
  variant: string;
  bytes: number;
  kib: number;
  initMedianMs: number;
  initP90Ms: number;
  /** Median init time over the empty handler's median. */
  vsBaseline: number;
  /** Median wall time of the whole process (spawn, Node bootstrap, init, exit), seen from the parent. */
  processMedianMs: number;
  runs: number;
}

export interface ColdStartResult {
  runsPerBundle: number;
  deployedVariant: BundleVariant;
  baseline: ColdStartRow;
  functions: ColdStartRow[];
  checkerVariants: ColdStartRow[];
  recommendation: string;
}

async function timeImports(file: string, env: Record<string, string>, runs: number) {
  const times: number[] = [];
  const processTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    const spawned = performance.now();
    const { stdout } = await run(process.execPath, [DRIVER, file], {
      cwd: PROJECT_ROOT,
      // A clean environment: the function's own variables, a region, dummy credentials; no tsx loader.
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'bench',
        AWS_SECRET_ACCESS_KEY: 'bench',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        POWERTOOLS_METRICS_DISABLED: 'true',
        TZ: 'UTC',
        ...env,
      },
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { initMs: number; ok: boolean };
    if (!result.ok) throw new Error(`${file} does not export a handler`);
    times.push(result.initMs);
    processTimes.push(performance.now() - spawned);
  }
  return { times, processTimes };
}

function envFor(fn: PipelineFunctionName): Record<string, string> {
  return functionEnvironment(fn, DEFAULT_SETTINGS, DUMMY_NAMES);
}

export async function benchColdStart(runs = 15): Promise<ColdStartResult> {
  const dir = join(BENCH_TMP, 'cold-start');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const deployed = deployedVariant();

  // The baseline: an empty handler, bundled exactly like the functions.
  const emptyEntry = join(dir, 'empty-handler.ts');
  await writeFile(emptyEntry, 'export const handler = async () => ({});\n');
  const measure = async (
    label: string,
    entry: string,
    variant: BundleVariant,
    env: Record<string, string>,
  ) => {
    const built = await bundle(entry, join(dir, `${label}-${variant.name}`), variant);
    return { bytes: built.bytes, ...(await timeImports(built.file, env, runs)) };
  };
  const baseRaw = await measure('empty', emptyEntry, deployed, {});
  const baseMedian = median(baseRaw.times);
  const row = (
    label: string,
    variant: BundleVariant,
    raw: { bytes: number; times: number[]; processTimes: number[] },
  ): ColdStartRow => ({
    bundle: label,
    variant: describeVariant(variant),
    bytes: raw.bytes,
    kib: round(raw.bytes / 1024, 1),
    initMedianMs: round(median(raw.times), 1),
    initP90Ms: round(quantile(raw.times, 0.9), 1),
    vsBaseline: round(median(raw.times) / baseMedian, 1),
    processMedianMs: round(median(raw.processTimes), 0),
    runs: raw.times.length,
  });
  const baseline = row('empty handler', deployed, baseRaw);

  const functions: ColdStartRow[] = [];
  for (const fn of FUNCTION_NAMES) {
    functions.push(row(fn, deployed, await measure(fn, `functions/${fn}/handler.ts`, deployed, envFor(fn))));
  }

  const variants: BundleVariant[] = [
    { name: 'esm-sdk-external', format: 'esm', sdkExternal: true, undiciDeep: false },
    { name: 'cjs-bundled', format: 'cjs', sdkExternal: false, undiciDeep: false },
    { name: 'cjs-sdk-external', format: 'cjs', sdkExternal: true, undiciDeep: false },
    { name: 'esm-undici-deep', format: 'esm', sdkExternal: false, undiciDeep: true },
    { name: 'esm-sdk-external-undici-deep', format: 'esm', sdkExternal: true, undiciDeep: true },
  ];
  const checkerDeployed = functions.find((f) => f.bundle === 'checker') as ColdStartRow;
  const checkerVariants: ColdStartRow[] = [
    { ...checkerDeployed, variant: `${checkerDeployed.variant} (deployed)` },
  ];
  for (const variant of variants) {
    checkerVariants.push(
      row(
        'checker',
        variant,
        await measure('checker', 'functions/checker/handler.ts', variant, envFor('checker')),
      ),
    );
  }

  printTable(`Cold start: bundles as deployed (${runs} fresh processes each, module init time)`, [
    baseline,
    ...functions,
  ]);
  printTable('Cold start: checker bundling variants', checkerVariants);
  const recommendation = recommend(checkerVariants);
  console.log(`\nRecommendation: ${recommendation}`);
  return {
    runsPerBundle: runs,
    deployedVariant: deployed,
    baseline,
    functions,
    checkerVariants,
    recommendation,
  };
}

function describeVariant(v: BundleVariant): string {
  return [
    v.format.toUpperCase(),
    v.sdkExternal ? 'SDK external' : 'SDK bundled',
    v.undiciDeep ? 'undici deep' : 'undici whole',
  ].join(', ');
}

function recommend(rows: ColdStartRow[]): string {
  const deployed = rows[0] as ColdStartRow;
  const best = [...rows].sort((a, b) => a.initMedianMs - b.initMedianMs)[0] as ColdStartRow;
  const gain = deployed.initMedianMs - best.initMedianMs;
  // Differences under 10% or 5 ms are within the run-to-run noise of this machine.
  if (best === deployed || gain < Math.max(5, deployed.initMedianMs * 0.1)) {
    return `keep the deployed bundling (${deployed.variant}): the fastest variant (${best.variant}, ${best.initMedianMs} ms) is within noise of it (${deployed.initMedianMs} ms)`;
  }
  return `the fastest checker variant is ${best.variant} at ${best.initMedianMs} ms median init vs ${deployed.initMedianMs} ms deployed (${round((gain / deployed.initMedianMs) * 100, 0)}% less); see bench/README.md for the trade-offs before changing infra/bundling.ts`;
}

// Kept in sync with the stack: the benchmark reads the same options.
export const DEPLOYED_BUNDLING = PIPELINE_BUNDLING;
