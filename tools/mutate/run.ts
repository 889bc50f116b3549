/**
 * `npm run mutate [-- [--concurrency=N] module ...]`: StrykerJS over the modules that decide money and data, one
 * module at a time, each against its own fast tests (see modules.ts). Prints the score per module
 * and every mutant left alive; exits 1 when a module scores below the bar. Reports (HTML and JSON)
 * go to reports/mutation/. On demand only: not part of `npm test` or CI.
 */
import { Stryker } from '@stryker-mutator/core';
import { MUTATION_MODULES } from './modules.js';

/** The share of mutants each module must kill (timeouts count as killed, as Stryker counts them). */
const BAR = 90;

type MutantResult = Awaited<ReturnType<Stryker['runMutationTest']>>[number];

interface Score {
  name: string;
  killed: number;
  timeout: number;
  survived: number;
  noCoverage: number;
  score: number;
}

const args = process.argv.slice(2);
// Two workers fit a machine of two cores to itself; pass --concurrency=1 on a shared one.
const concurrencyArg = args.find((arg) => arg.startsWith('--concurrency='));
const concurrency = concurrencyArg === undefined ? 2 : Number(concurrencyArg.slice('--concurrency='.length));
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`--concurrency must be a whole number of workers, at least 1: ${concurrencyArg}`);
  process.exit(2);
}
const wanted = args.filter((arg) => arg !== concurrencyArg);
const unknown = wanted.filter((name) => !MUTATION_MODULES.some((m) => m.name === name));
if (unknown.length > 0) {
  console.error(
    `unknown module(s): ${unknown.join(', ')}; known: ${MUTATION_MODULES.map((m) => m.name).join(', ')}`,
  );
  process.exit(2);
}
// In the order asked for, or all of them.
const modules =
  wanted.length === 0
    ? MUTATION_MODULES
    : wanted.map((name) => MUTATION_MODULES.find((m) => m.name === name)).filter((m) => m !== undefined);

const scores: Score[] = [];
const alive: string[] = [];
for (const module of modules) {
  console.log(`\n=== ${module.name}: ${module.mutate.join(', ')} against ${module.tests.join(', ')}`);
  // The vitest config reads the test list from here; Stryker's workers inherit the environment.
  process.env.MUTATE_TESTS = module.tests.join(',');
  const results = await new Stryker({
    packageManager: 'npm',
    testRunner: 'vitest',
    plugins: ['@stryker-mutator/vitest-runner', './tools/mutate/ignore-logging.mjs'],
    ignorers: ['LoggerCalls'],
    vitest: { configFile: 'tools/mutate/vitest.config.ts', related: false },
    coverageAnalysis: 'perTest',
    mutate: module.mutate,
    // TypeScript 7 has no JS API: a tsconfig Stryker cannot find makes it skip its tsconfig rewrite.
    tsconfigFile: 'tools/mutate/no-tsconfig.json',
    concurrency,
    timeoutMS: 4_000,
    timeoutFactor: 1.5,
    thresholds: { high: BAR, low: 80, break: null },
    reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
    htmlReporter: { fileName: `reports/mutation/${module.name}.html` },
    jsonReporter: { fileName: `reports/mutation/${module.name}.json` },
    clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
    tempDirName: '.stryker-tmp',
    cleanTempDir: true,
  }).runMutationTest();
  scores.push(scoreOf(module.name, results));
  for (const r of results.filter((x) => x.status === 'Survived' || x.status === 'NoCoverage')) {
    const where = `${r.fileName}:${r.location.start.line}:${r.location.start.column + 1}`;
    alive.push(`${r.status.padEnd(10)} ${where} ${r.mutatorName}: ${oneLine(r.replacement ?? '')}`);
  }
}

console.log('\nmodule             killed  timeout  survived  no coverage  score');
for (const s of scores) {
  console.log(
    `${s.name.padEnd(18)} ${String(s.killed).padStart(6)}  ${String(s.timeout).padStart(7)}  ${String(s.survived).padStart(8)}  ${String(s.noCoverage).padStart(11)}  ${s.score.toFixed(1).padStart(5)}%`,
  );
}
if (alive.length > 0) console.log(`\nmutants left alive:\n${alive.join('\n')}`);
const below = scores.filter((s) => s.score < BAR);
if (below.length > 0) {
  console.error(`\nbelow ${BAR}%: ${below.map((s) => s.name).join(', ')}`);
  process.exitCode = 1;
}

function scoreOf(name: string, results: MutantResult[]): Score {
  const count = (status: MutantResult['status']) => results.filter((r) => r.status === status).length;
  const killed = count('Killed');
  const timeout = count('Timeout');
  const survived = count('Survived');
  const noCoverage = count('NoCoverage');
  const valid = killed + timeout + survived + noCoverage;
  return {
    name,
    killed,
    timeout,
    survived,
    noCoverage,
    score: valid === 0 ? 100 : (100 * (killed + timeout)) / valid,
  };
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 100 ? `${flat.slice(0, 97)}...` : flat;
}
