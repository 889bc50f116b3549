/**
 * `npm run soak -- --runs 20`: runs the AWS-fault suite and the crash suite N times in a row, one
 * at a time, and tallies each run: passed or not, how long it took, the paid vendor calls, the paid
 * calls beyond one per decided check and how many of them the run explains (vendor faults and
 * abandoned answers in the AWS-fault suite; crashes and abandoned answers in the crash suite), and
 * the abandoned answers. Prints the tally and writes it as the `soak` section of bench/results.json.
 *
 * Both suites count paid calls exactly against a simulator served by the same machine: run this
 * with the machine to itself (the load average at each run's start is recorded beside it).
 *
 * Options: `--runs N` (default 3), `--suites aws-faults,crash` (default both), `--no-write` (print
 * only). Exit status 1 when any run failed.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** A suite the soak runs, and how its printed figures map onto the tally. */
interface SoakSuite {
  file: string;
  /** The line prefix the suite prints its figures JSON after. */
  marker: string;
  tally: (figures: Record<string, unknown>) => PaidCallTally;
}

/** The paid-call figures of one run. */
export interface PaidCallTally {
  paidVendorCalls: number;
  /** Paid calls beyond one per check the vendor decided. */
  extraPaidCalls: number;
  /** Of those, the ones the run explains (a vendor fault, an abandoned answer, a crash). */
  explainedExtraPaidCalls: number;
  /** Paid calls nothing explains: a check paid twice. */
  unexplainedPaidCalls: number;
  abandonedAnswers: number;
}

const num = (value: unknown): number => (typeof value === 'number' ? value : 0);

export const SOAK_SUITES: Record<string, SoakSuite> = {
  'aws-faults': {
    file: 'test/e2e/aws-faults.e2e.test.ts',
    marker: 'aws-faults e2e figures:',
    tally: (f) => {
      const extra = num(f.paidVendorCalls) - num(f.checksDecidedByVendor);
      const paidTwice = Array.isArray(f.checksPaidTwice) ? f.checksPaidTwice.length : 0;
      // The suite's `extraPaidCalls` is what its vendor faults and abandoned answers leave unexplained.
      const unexplained = Math.max(num(f.extraPaidCalls), paidTwice);
      return {
        paidVendorCalls: num(f.paidVendorCalls),
        extraPaidCalls: extra,
        explainedExtraPaidCalls: Math.max(0, extra - unexplained),
        unexplainedPaidCalls: unexplained,
        abandonedAnswers: num(f.abandonedAnswers),
      };
    },
  },
  crash: {
    file: 'test/e2e/crash.e2e.test.ts',
    marker: 'crash e2e figures:',
    tally: (f) => ({
      paidVendorCalls: num(f.paidVendorCalls),
      extraPaidCalls: num(f.extraPaidCalls),
      explainedExtraPaidCalls:
        num(f.extraPaidCallsExplainedByCrashes) + num(f.extraPaidCallsExplainedByAbandonedAnswers),
      unexplainedPaidCalls: num(f.extraPaidCallsUnexplained),
      abandonedAnswers: num(f.abandonedAnswers),
    }),
  },
};

/** One run of one suite. */
export interface SoakRun extends Partial<PaidCallTally> {
  run: number;
  passed: boolean;
  /**
   * Whether the suite ran to its figures. A run without them never got that far (the working tree
   * did not compile, say): it counts as failed, apart from the runs whose assertions failed.
   */
  ran: boolean;
  seconds: number;
  /** The 1-minute load average when the run started. */
  loadAtStart: number;
  /** Why a failed run failed, as far as the output says (the first assertion's message). */
  failure?: string;
  /** Where a failed run's whole output was kept. */
  output?: string;
}

/** Failed runs' outputs go here, one file each. */
const OUTPUT_DIR = join(tmpdir(), `liveness-soak-${new Date().toISOString().replace(/[:.]/g, '-')}`);

/** Finds the JSON object printed after `marker` in a test run's output. */
export function figuresAfter(output: string, marker: string): Record<string, unknown> | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes
  const text = output.replace(/\u001b\[[0-9;]*m/g, '');
  const at = text.indexOf(marker);
  if (at < 0) return undefined;
  const start = text.indexOf('{', at);
  if (start < 0) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) {
      try {
        return JSON.parse(text.slice(start, i + 1)) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The first assertion message of a failed run's output, if any. */
function failureOf(output: string): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes
  const text = output.replace(/\u001b\[[0-9;]*m/g, '');
  return /(AssertionError|Error): ([^\n]+)/.exec(text)?.[0]?.slice(0, 300);
}

async function runSuite(suite: SoakSuite, run: number): Promise<SoakRun> {
  const loadAtStart = Math.round((loadavg()[0] ?? 0) * 100) / 100;
  const started = performance.now();
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(PROJECT_ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', suite.file],
      { cwd: PROJECT_ROOT, env: { ...process.env, FORCE_COLOR: '0', CI: 'true' } },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (exit) => resolve({ code: exit, output }));
  });
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  const figures = figuresAfter(output, suite.marker);
  const passed = code === 0;
  let kept: string | undefined;
  if (!passed) {
    mkdirSync(OUTPUT_DIR, { recursive: true });
    kept = join(OUTPUT_DIR, `run-${run}-${suite.marker.split(' ')[0]}.log`);
    writeFileSync(kept, output);
  }
  return {
    run,
    passed,
    ran: figures !== undefined,
    seconds,
    loadAtStart,
    ...(figures ? suite.tally(figures) : {}),
    ...(passed ? {} : { failure: failureOf(output) ?? `exit ${code}, no figures printed`, output: kept }),
  };
}

/** The tally of one suite over its runs. */
export function summarize(runs: readonly SoakRun[]) {
  const sum = (key: keyof PaidCallTally) => runs.reduce((total, r) => total + (r[key] ?? 0), 0);
  // How long a run takes: only the runs that ran.
  const seconds = runs.filter((r) => r.ran).map((r) => r.seconds);
  return {
    runs: runs.length,
    passed: runs.filter((r) => r.passed).length,
    failed: runs.filter((r) => !r.passed).length,
    failedWithoutFigures: runs.filter((r) => !r.ran).length,
    secondsPerRun: {
      mean: Math.round((seconds.reduce((a, b) => a + b, 0) / Math.max(1, seconds.length)) * 10) / 10,
      max: Math.max(0, ...seconds),
    },
    paidVendorCalls: sum('paidVendorCalls'),
    extraPaidCalls: sum('extraPaidCalls'),
    explainedExtraPaidCalls: sum('explainedExtraPaidCalls'),
    unexplainedPaidCalls: sum('unexplainedPaidCalls'),
    abandonedAnswers: sum('abandonedAnswers'),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      suites: { type: 'string', default: Object.keys(SOAK_SUITES).join(',') },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`--runs must be a whole number from 1, not ${values.runs}`);
  const names = values.suites.split(',').filter(Boolean);
  for (const name of names) {
    if (!SOAK_SUITES[name])
      throw new Error(`unknown suite ${name}: choose from ${Object.keys(SOAK_SUITES).join(', ')}`);
  }
  const started = Date.now();
  const results: Record<string, SoakRun[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let run = 1; run <= runs; run++) {
    for (const name of names) {
      const result = await runSuite(SOAK_SUITES[name] as SoakSuite, run);
      results[name]?.push(result);
      console.log(
        `run ${run}/${runs} ${name}: ${result.passed ? 'passed' : 'FAILED'} in ${result.seconds} s (load ${result.loadAtStart}), paid ${result.paidVendorCalls ?? '?'}, extra ${result.extraPaidCalls ?? '?'} (explained ${result.explainedExtraPaidCalls ?? '?'}, unexplained ${result.unexplainedPaidCalls ?? '?'}), abandoned ${result.abandonedAnswers ?? '?'}${result.failure ? `: ${result.failure} (output: ${result.output})` : ''}`,
      );
    }
  }
  const soak = {
    command: `npm run soak -- ${process.argv.slice(2).join(' ')}`.trim(),
    date: new Date().toISOString(),
    machine: { cores: cpus().length, node: process.version },
    wallSeconds: Math.round((Date.now() - started) / 1000),
    suites: Object.fromEntries(
      names.map((name) => [
        name,
        { file: SOAK_SUITES[name]?.file, ...summarize(results[name] ?? []), perRun: results[name] },
      ]),
    ),
  };
  console.table(
    Object.fromEntries(
      Object.entries(soak.suites).map(([name, s]) => {
        const { perRun: _perRun, file: _file, secondsPerRun, ...rest } = s;
        return [name, { ...rest, meanSeconds: secondsPerRun.mean, maxSeconds: secondsPerRun.max }];
      }),
    ),
  );
  if (!values['no-write']) {
    const file = join(PROJECT_ROOT, 'bench', 'results.json');
    const current = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, `${JSON.stringify({ ...current, soak }, null, 2)}\n`);
    console.log(`wrote the soak section of ${file}`);
  }
  process.exit(Object.values(results).some((list) => list.some((r) => !r.passed)) ? 1 : 0);
}
