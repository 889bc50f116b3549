/**
 * `npm run bench`: measures, prints one table per section, and writes bench/results.json.
 * Benchmarks are not tests: nothing here asserts; bench/README.md says what each figure includes.
 *
 * Options (after `npm run bench --`):
 * - `--quick`: about a minute: fewer rounds and batches, no end-to-end runs; writes bench/tmp/results-quick.json.
 * - `--only=coldStart,checkerThroughput,memory`: just those sections; writes bench/tmp/results-only.json.
 * - `--node=PATH`: the Node binary the cold-start processes run (e.g. a Node 24 like Lambda's).
 * - `--reference=GIT_REF`: also measure the cold start of that commit's functions, in the same rounds.
 * A full run keeps the hand-kept `variants`, `awsFaultRun`, `mutation` and `soak` sections of the existing results.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchCheckerThroughput } from './checker-throughput.js';
import { benchColdStart } from './cold-start.js';
import { costModel } from './cost.js';
import { benchE2eInProcess } from './e2e.js';
import { BENCH_TMP, PROJECT_ROOT } from './lib/bundle.js';
import { printTable, round } from './lib/stats.js';
import { benchMemory } from './memory.js';
import { benchNotifier } from './notifier.js';
import { benchTokens } from './tokens.js';

// moto's eventTime lacks a zone: the local pipeline runs in UTC.
process.env.TZ = 'UTC';
process.env.AWS_EC2_METADATA_DISABLED = 'true';

const SECTIONS = [
  'coldStart',
  'checkerThroughput',
  'notifier',
  'tokens',
  'memory',
  'e2e',
  'e2ePaced',
] as const;
type Section = (typeof SECTIONS)[number];

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    node: { type: 'string' },
    reference: { type: 'string' },
  },
});
const quick = args.quick === true;
const only = args.only?.split(',').map((s) => s.trim()) as Section[] | undefined;
for (const name of only ?? []) {
  if (!SECTIONS.includes(name))
    throw new Error(`--only: unknown section ${name}; one of ${SECTIONS.join(', ')}`);
}
const wanted = (name: Section) => (only ? only.includes(name) : !(quick && name.startsWith('e2e')));
const full = !quick && !only;

const started = Date.now();
const sections: Record<string, number> = {};
async function section<T>(name: Section, fn: () => Promise<T>): Promise<T | undefined> {
  if (!wanted(name)) return undefined;
  const t = Date.now();
  const value = await fn();
  sections[name] = round((Date.now() - t) / 1000, 1);
  return value;
}

/** A source tree of `ref`'s functions (what `--reference` measures), under bench/tmp. */
function referenceTree(ref: string): { label: string; root: string } {
  const sha = execFileSync('git', ['rev-parse', '--short', ref], { cwd: PROJECT_ROOT }).toString().trim();
  const root = join(BENCH_TMP, `reference-${sha}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const archive = execFileSync('git', ['archive', sha, 'functions', 'shared', 'infra'], {
    cwd: PROJECT_ROOT,
    maxBuffer: 256 * 1024 * 1024,
  });
  execFileSync('tar', ['-x', '-C', root], { input: archive });
  return { label: `${ref} (${sha})`, root };
}

const machine = {
  os: `${platform()} ${release()}`,
  arch: arch(),
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: round(totalmem() / 1024 ** 3, 1),
  node: process.version,
  date: new Date().toISOString(),
  note: 'Measured on this machine, not on Lambda (Node.js 24 on arm64): compare ratios, not absolute times.',
};
console.log(
  `Benchmarks on ${machine.cpu} (${machine.cores} cores, ${machine.arch}), ${machine.os}, Node ${machine.node}, ${machine.date}${quick ? ' (quick)' : ''}`,
);

const coldStart = await section('coldStart', () =>
  benchColdStart({
    runs: quick ? 5 : 15,
    checkerVariants: !quick,
    ...(args.node ? { node: args.node } : {}),
    ...(args.reference ? { reference: referenceTree(args.reference) } : {}),
  }),
);
const throughput = await section('checkerThroughput', () =>
  benchCheckerThroughput(quick ? 6 : 20, [0, 100, 300]),
);
const notifier = await section('notifier', () => benchNotifier(quick ? 10 : 40));
const tokens = await section('tokens', () => benchTokens());
const memory = await section('memory', () => benchMemory(100));
const e2e = await section('e2e', () => benchE2eInProcess(1000, 20));
const e2ePaced = await section('e2ePaced', () => benchE2eInProcess(100, 20, 2));

const at300 = throughput?.rows.find((r) => r.vendorLatencyMs === 300);
const cost =
  throughput && notifier && tokens
    ? costModel({
        checkerBatchMs: throughput.batchDurationMsAt300,
        checkerSingleMs: (at300?.vendorP50Ms ?? 300) + (at300?.overheadP50Ms ?? 0),
        notifierBatchMs: notifier.batchP50Ms,
        // POST /checks round trip at a steady load (the saturated run's includes queueing in moto);
        // without the end-to-end runs, the last full run's figure.
        apiMs: e2ePaced?.issueP50Ms ?? previousResults()?.e2ePaced?.issueP50Ms ?? 0,
        secretsManagerReadsPer1000:
          tokens.rows.find((r) => r.containers === 10)?.secretsManagerReadsPer1000 ?? 0,
        checkerLogBytesPerCheck: throughput.logBytesPerCheck,
        notifierLogBytesPerCheck: notifier.logBytesPerEvent,
        putEventsEntriesPerCheck: 1,
      })
    : undefined;

const wallSeconds = round((Date.now() - started) / 1000, 1);
printTable('Wall time (s)', [{ ...sections, total: wallSeconds }]);

function previousResults():
  | {
      e2ePaced?: { issueP50Ms: number };
      variants?: unknown;
      awsFaultRun?: unknown;
      mutation?: unknown;
      soak?: unknown;
    }
  | undefined {
  try {
    return JSON.parse(readFileSync(join(PROJECT_ROOT, 'bench', 'results.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

const results = {
  machine,
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  wallSeconds,
  sectionSeconds: sections,
  coldStart,
  checkerThroughput: throughput,
  notifier,
  tokens,
  memory,
  e2e,
  e2ePaced,
  cost,
  // Measured ideas and their figures, kept by hand across runs (`variants` in bench/README.md).
  variants: previousResults()?.variants ?? [],
  // The AWS-fault suite's paid-call figures (test/e2e/aws-faults.e2e.test.ts), kept by hand: npm test runs it.
  awsFaultRun: previousResults()?.awsFaultRun,
  // The last mutation run's scores (npm run mutate), kept by hand: docs/testing.md shows them.
  mutation: previousResults()?.mutation,
  // The bad-day suites run N times in a row (npm run soak), written by the soak itself.
  soak: previousResults()?.soak,
};
const file = full
  ? join(PROJECT_ROOT, 'bench', 'results.json')
  : join(BENCH_TMP, quick ? 'results-quick.json' : 'results-only.json');
await mkdir(BENCH_TMP, { recursive: true });
await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwrote ${file}`);
// Keep-alive sockets and SDK clients may hold the loop open; everything is measured and written.
process.exit(0);
