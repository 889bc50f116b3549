/**
 * Cold start on Node 24 (Lambda's major; tools/node24.ts's cached binary unless told otherwise):
 * each function's bundle as deployed (minified bytes) and what loading it costs a fresh Node
 * process, beside an empty handler bundled the same way and beside the function's dependency floor
 * (lib/dependency-floor.ts: the same packages and SDK clients, none of our code); and, for the checker, the bundling
 * choices that matter (AWS SDK bundled or external, ESM or CJS, the SDK's whole credential chain,
 * undici's package entry, the V8 compile cache). Runs are interleaved (one process of every bundle per round), so a burst of load from
 * other work on the machine hits every bundle alike, and each bundle's ratio to the empty handler is
 * the median of its per-round ratios.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { PIPELINE_BUNDLING, type PipelineBundling } from '../infra/bundling.js';
import {
  DEFAULT_SETTINGS,
  FUNCTION_NAMES,
  functionEnvironment,
  type PipelineFunctionName,
} from '../infra/settings.js';
import { ensureNode24 } from '../tools/node24.js';
import { BENCH_TMP, type BundleVariant, bundle, deployedVariant, PROJECT_ROOT } from './lib/bundle.js';
import { dependencyFloorSource, ownBytesOf, packagesOf } from './lib/dependency-floor.js';
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
  /** Module init: `await import(bundle)` in the fresh process (parse, evaluate, the handler's module scope). */
  initMedianMs: number;
  initP90Ms: number;
  /** Median wall time of the whole process (spawn, Node bootstrap, init, exit), seen from the parent. */
  processMedianMs: number;
  /**
   * The whole process over the empty handler's whole process in the same round, median over rounds:
   * the goal's measure (at most 2).
   */
  vsEmpty: number;
  /** CPU time of the whole process (Node's bootstrap and the init), median. */
  cpuMedianMs: number;
  /** The CPU time over the empty handler's in the same round, median: steadier than `vsEmpty` when other work holds the cores. */
  cpuVsEmpty: number;
  runs: number;
}

export interface ColdStartOptions {
  /** Processes per bundle. */
  runs?: number;
  /** The Node binary the processes run. @default the cached Node 24 of tools/node24.ts (Lambda's major) */
  node?: string;
  /** A source tree (e.g. `git archive` of main before a change) whose functions are measured as "before". */
  reference?: { label: string; root: string };
  /** Also the checker's bundling variants. @default true */
  checkerVariants?: boolean;
}

export interface ColdStartResult {
  runsPerBundle: number;
  node: string;
  /** When the rounds started, and the machine's 1-minute load average then and after: the figures depend on it. */
  measuredAt: string;
  loadAverage: { before: number; after: number };
  deployedVariant: BundleVariant;
  baseline: ColdStartRow;
  functions: ColdStartRow[];
  /** The reference tree's functions, measured in the same rounds. */
  reference?: { label: string; functions: ColdStartRow[] };
  /** Each function beside its dependency floor, measured in the same rounds. */
  dependencyFloors: DependencyFloorRow[];
  checkerVariants: ColdStartRow[];
  recommendation: string;
}

/** A function beside its dependency floor (same packages and SDK clients, no code of ours). */
export interface DependencyFloorRow {
  function: string;
  kib: number;
  /** The part of the function's bundle that is our own code (not node_modules), minified. */
  ownKib: number;
  floorKib: number;
  processMedianMs: number;
  floorProcessMedianMs: number;
  vsEmpty: number;
  floorVsEmpty: number;
  cpuVsEmpty: number;
  floorCpuVsEmpty: number;
  /** The function's whole process over its floor's in the same round, median: 1.0 is the limit. */
  vsFloor: number;
  /** The same for CPU time. */
  cpuVsFloor: number;
  /** Packages in the function's bundle that the floor's lacks, and the reverse: both empty when the floor is right. */
  packagesOnlyInFunction: string[];
  packagesOnlyInFloor: string[];
}

interface Target {
  label: string;
  variant: string;
  file: string;
  bytes: number;
  env: Record<string, string>;
  /** Extra variables for this process only (e.g. NODE_COMPILE_CACHE). */
  processEnv?: Record<string, string>;
  metafile: Metafile;
  times: number[];
  processTimes: number[];
  ratios: number[];
  cpuTimes: number[];
  cpuRatios: number[];
}

async function spawnOnce(
  node: string,
  target: Target,
): Promise<{ initMs: number; processMs: number; cpuMs: number }> {
  const spawned = performance.now();
  const { stdout } = await run(node, [DRIVER, target.file], {
    cwd: PROJECT_ROOT,
    // A clean environment: the function's own variables, a region, dummy credentials (as Lambda sets
    // them); no tsx loader.
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_SESSION_TOKEN: 'bench',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_METRICS_DISABLED: 'true',
      TZ: 'UTC',
      ...target.env,
      ...target.processEnv,
    },
  });
  const processMs = performance.now() - spawned;
  const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
    initMs: number;
    cpuMs: number;
    ok: boolean;
  };
  if (!result.ok) throw new Error(`${target.file} does not export a handler`);
  return { initMs: result.initMs, processMs, cpuMs: result.cpuMs };
}

function envFor(fn: PipelineFunctionName): Record<string, string> {
  return functionEnvironment(fn, DEFAULT_SETTINGS, DUMMY_NAMES);
}

export async function benchColdStart(options: ColdStartOptions = {}): Promise<ColdStartResult> {
  const runs = options.runs ?? 15;
  const node = options.node ?? (await ensureNode24());
  const nodeVersion = (await run(node, ['--version'])).stdout.trim();
  const dir = join(BENCH_TMP, 'cold-start');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const deployed = deployedVariant();
  const targets: Target[] = [];
  const add = async (
    label: string,
    variantName: string,
    entry: string,
    variant: BundleVariant,
    env: Record<string, string>,
    bundling: PipelineBundling = PIPELINE_BUNDLING,
    root = PROJECT_ROOT,
  ): Promise<Target> => {
    const built = await bundle(
      resolve(root, entry),
      join(dir, `${label}-${variant.name}`),
      variant,
      bundling,
    );
    const target: Target = {
      label,
      variant: variantName,
      file: built.file,
      bytes: built.bytes,
      metafile: built.metafile,
      env,
      times: [],
      processTimes: [],
      ratios: [],
      cpuTimes: [],
      cpuRatios: [],
    };
    targets.push(target);
    return target;
  };

  // The baseline: an empty handler, bundled exactly like the functions.
  const emptyEntry = join(dir, 'empty-handler.ts');
  await writeFile(emptyEntry, 'export const handler = async () => ({});\n');
  const empty = await add('empty handler', describeVariant(deployed), emptyEntry, deployed, {});
  const functions = new Map<string, Target>();
  for (const fn of FUNCTION_NAMES) {
    functions.set(
      fn,
      await add(fn, describeVariant(deployed), `functions/${fn}/handler.ts`, deployed, envFor(fn)),
    );
  }
  // Each function's dependency floor, built from what its bundle imports.
  const floors = new Map<string, Target>();
  for (const fn of FUNCTION_NAMES) {
    const entry = join(dir, `${fn}-floor.mjs`);
    await writeFile(entry, await dependencyFloorSource(fn, (functions.get(fn) as Target).metafile));
    floors.set(fn, await add(`${fn} floor`, describeVariant(deployed), entry, deployed, envFor(fn)));
  }
  const reference = new Map<string, Target>();
  if (options.reference) {
    const { root, label } = options.reference;
    // The reference tree's own bundling options: what it deployed.
    const refBundling = (
      (await import(join(root, 'infra', 'bundling.ts'))) as { PIPELINE_BUNDLING: PipelineBundling }
    ).PIPELINE_BUNDLING;
    const refDeployed = { ...deployedVariant(refBundling), name: 'reference' };
    for (const fn of FUNCTION_NAMES) {
      reference.set(
        fn,
        await add(
          fn,
          `${label}: ${describeVariant(refDeployed)}`,
          `functions/${fn}/handler.ts`,
          refDeployed,
          envFor(fn),
          refBundling,
          root,
        ),
      );
    }
  }
  const variantTargets: Target[] = [];
  if (options.checkerVariants ?? true) {
    const variants: BundleVariant[] = [
      { name: 'esm-sdk-external', format: 'esm', sdkExternal: true },
      { name: 'cjs-bundled', format: 'cjs', sdkExternal: false },
      { name: 'credential-chain', format: 'esm', sdkExternal: false, defaultCredentialChain: true },
      { name: 'undici-entry', format: 'esm', sdkExternal: false, undiciEntry: true },
      {
        name: 'as-before',
        format: 'esm',
        sdkExternal: false,
        defaultCredentialChain: true,
        undiciEntry: true,
      },
    ];
    for (const variant of variants) {
      variantTargets.push(
        await add(
          'checker',
          describeVariant(variant),
          'functions/checker/handler.ts',
          variant,
          envFor('checker'),
        ),
      );
    }
    if (await supportsCompileCache(node)) {
      // The V8 compile cache (Node >= 22.1) as it could only help on Lambda: made at build time and
      // shipped beside the bundle (/var/task is read-only, /tmp starts empty in every sandbox). The
      // cache is primed once here, then every measured process reads it.
      const checker = functions.get('checker') as Target;
      const cacheDir = join(dir, 'compile-cache');
      const cached: Target = {
        ...checker,
        variant: `${checker.variant}, V8 compile cache shipped`,
        processEnv: { NODE_COMPILE_CACHE: cacheDir },
        times: [],
        processTimes: [],
        ratios: [],
        cpuTimes: [],
        cpuRatios: [],
      };
      await spawnOnce(node, cached);
      targets.push(cached);
      variantTargets.push(cached);
    }
  }

  const measuredAt = new Date().toISOString();
  const loadBefore = loadavg()[0] ?? 0;
  const rounds: Map<Target, { processMs: number; cpuMs: number }>[] = [];
  for (let round = 0; round < runs; round++) {
    // Rotate the order so no bundle always runs right after the same neighbour.
    const order = targets.map((_, i) => targets[(i + round) % targets.length] as Target);
    const measured = new Map<Target, { processMs: number; cpuMs: number }>();
    for (const target of order) {
      const m = await spawnOnce(node, target);
      target.times.push(m.initMs);
      target.processTimes.push(m.processMs);
      target.cpuTimes.push(m.cpuMs);
      measured.set(target, m);
    }
    rounds.push(measured);
    const emptyRound = measured.get(empty) as { processMs: number; cpuMs: number };
    for (const target of targets) {
      const m = measured.get(target) as { processMs: number; cpuMs: number };
      target.ratios.push(m.processMs / emptyRound.processMs);
      target.cpuRatios.push(m.cpuMs / emptyRound.cpuMs);
    }
  }

  const row = (t: Target): ColdStartRow => ({
    bundle: t.label,
    variant: t.variant,
    bytes: t.bytes,
    kib: round(t.bytes / 1024, 1),
    initMedianMs: round(median(t.times), 1),
    initP90Ms: round(quantile(t.times, 0.9), 1),
    processMedianMs: round(median(t.processTimes), 0),
    vsEmpty: round(median(t.ratios), 2),
    cpuMedianMs: round(median(t.cpuTimes), 0),
    cpuVsEmpty: round(median(t.cpuRatios), 2),
    runs: t.times.length,
  });
  const baseline = row(empty);
  const functionRows = [...functions.values()].map(row);
  const referenceRows = [...reference.values()].map(row);
  const checkerDeployed = functionRows.find((f) => f.bundle === 'checker') as ColdStartRow;
  const checkerVariants = [
    { ...checkerDeployed, variant: `${checkerDeployed.variant} (deployed)` },
    ...variantTargets.map(row),
  ];

  const floorRows = FUNCTION_NAMES.map((fn): DependencyFloorRow => {
    const f = functions.get(fn) as Target;
    const floor = floors.get(fn) as Target;
    const fr = row(f);
    const flr = row(floor);
    const ratio = (pick: (m: { processMs: number; cpuMs: number }) => number) =>
      round(
        median(
          rounds.map(
            (m) =>
              pick(m.get(f) as { processMs: number; cpuMs: number }) /
              pick(m.get(floor) as { processMs: number; cpuMs: number }),
          ),
        ),
        2,
      );
    const ours = packagesOf(f.metafile);
    const theirs = packagesOf(floor.metafile);
    return {
      function: fn,
      kib: fr.kib,
      ownKib: round(ownBytesOf(f.metafile) / 1024, 1),
      floorKib: flr.kib,
      processMedianMs: fr.processMedianMs,
      floorProcessMedianMs: flr.processMedianMs,
      vsEmpty: fr.vsEmpty,
      floorVsEmpty: flr.vsEmpty,
      cpuVsEmpty: fr.cpuVsEmpty,
      floorCpuVsEmpty: flr.cpuVsEmpty,
      vsFloor: ratio((m) => m.processMs),
      cpuVsFloor: ratio((m) => m.cpuMs),
      packagesOnlyInFunction: ours.filter((name) => !theirs.includes(name)),
      packagesOnlyInFloor: theirs.filter((name) => !ours.includes(name)),
    };
  });

  printTable(
    `Cold start on Node ${nodeVersion}: bundles as deployed (${runs} interleaved rounds of fresh processes; vsEmpty = whole process / empty handler's, median of per-round ratios; cpuVsEmpty the same for CPU time)`,
    [baseline, ...referenceRows, ...functionRows],
  );
  printTable(
    "Cold start: each function beside its dependency floor (same packages and SDK clients, none of our code; vsFloor = whole process / the floor's, median of per-round ratios)",
    floorRows.map(({ packagesOnlyInFunction, packagesOnlyInFloor, ...figures }) => ({
      ...figures,
      packages:
        packagesOnlyInFunction.length + packagesOnlyInFloor.length === 0
          ? 'same'
          : `only in function: ${packagesOnlyInFunction.join(' ') || '-'}; only in floor: ${packagesOnlyInFloor.join(' ') || '-'}`,
    })),
  );
  if (checkerVariants.length > 1) printTable('Cold start: checker bundling variants', checkerVariants);
  const recommendation =
    checkerVariants.length > 1 ? recommend(checkerVariants) : 'no checker variants measured (--quick)';
  console.log(`\nRecommendation: ${recommendation}`);
  return {
    runsPerBundle: runs,
    node: nodeVersion,
    measuredAt,
    loadAverage: { before: round(loadBefore, 2), after: round(loadavg()[0] ?? 0, 2) },
    deployedVariant: deployed,
    baseline,
    functions: functionRows,
    ...(options.reference ? { reference: { label: options.reference.label, functions: referenceRows } } : {}),
    dependencyFloors: floorRows,
    checkerVariants,
    recommendation,
  };
}

async function supportsCompileCache(node: string): Promise<boolean> {
  const { stdout } = await run(node, [
    '--input-type=module',
    '-e',
    "import m from 'node:module'; console.log(typeof m.enableCompileCache)",
  ]);
  return stdout.trim() === 'function';
}

function describeVariant(v: BundleVariant): string {
  return [
    v.format.toUpperCase(),
    v.sdkExternal ? 'SDK external' : 'SDK bundled',
    ...(v.defaultCredentialChain ? ["SDK's whole credential chain"] : []),
    ...(v.undiciEntry ? ["undici's package entry"] : []),
  ].join(', ');
}

function recommend(rows: ColdStartRow[]): string {
  const deployed = rows[0] as ColdStartRow;
  const best = [...rows].sort((a, b) => a.vsEmpty - b.vsEmpty)[0] as ColdStartRow;
  const gain = deployed.processMedianMs - best.processMedianMs;
  // Differences under 10% or 5 ms are within the run-to-run noise of this machine.
  if (best === deployed || gain < Math.max(5, deployed.processMedianMs * 0.1)) {
    return `keep the deployed bundling (${deployed.variant}): the fastest variant (${best.variant}, ${best.vsEmpty}x the empty handler) is within noise of it (${deployed.vsEmpty}x)`;
  }
  return `the fastest checker variant is ${best.variant} at ${best.vsEmpty}x the empty handler vs ${deployed.vsEmpty}x deployed; see bench/README.md for the trade-offs before changing infra/bundling.ts`;
}

// Kept in sync with the stack: the benchmark reads the same options.
export const DEPLOYED_BUNDLING = PIPELINE_BUNDLING;
