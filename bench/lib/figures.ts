/**
 * The measured figures the docs show, rendered from `bench/results.json`: a document marks each table
 * with `<!-- figures:<name> -->` ... `<!-- /figures -->`, and `renderFigureBlocks` fills it from the
 * results, so prose never restates a figure. `test/docs/figures.test.ts` fails when a shown table
 * differs from its rendering; `node --import tsx bench/render-figures.ts` rewrites them.
 */

/** The parts of `bench/results.json` the docs show (it holds more). */
export interface BenchResults {
  machine: { cpu: string; cores: number; node: string; date: string };
  command: string;
  coldStart: {
    runsPerBundle: number;
    /** The Node version the processes ran. */
    node: string;
    /** Set by runs since the section moved to Node 24 with dependency floors. */
    measuredAt?: string;
    baseline: ColdStartRow;
    functions: ColdStartRow[];
    dependencyFloors?: {
      function: string;
      ownKib: number;
      floorKib: number;
      floorVsEmpty: number;
      vsFloor: number;
      cpuVsFloor: number;
    }[];
  };
  checkerThroughput: {
    batchSize: number;
    batchConcurrency: number;
    rows: {
      vendorLatencyMs: number;
      selfiesPerSecond: number;
      boundPerSecond: number | null;
      fractionOfBound: number | null;
      overheadP50Ms: number;
      overheadP99Ms: number;
      cpuMsPerSelfie: number;
    }[];
    awsCallsPerCheck: Record<string, number>;
    awsCallsPerCheckTotal: number;
    logBytesPerCheck: number;
  };
  notifier: {
    batchSize: number;
    batchP50Ms: number;
    putEventsCallsPerEvent: number;
    logBytesPerEvent: number;
  };
  tokens: {
    rows: {
      containers: number;
      checks: number;
      simulatedMinutes: number;
      vendorLogins: number;
      vendorRefreshes: number;
      secretsManagerReadsPer1000: number;
    }[];
  };
  memory: {
    selfies: number;
    selfieBytes: number;
    afterImportMiB: number;
    peakMiB: number;
    functionMemoryMb: number;
  };
  e2e: EndToEndRun;
  e2ePaced: EndToEndRun;
  cost: {
    totalUsdPerMillion: number;
    trickleTotalUsdPerMillion: number;
    fixedMonthlyUsd: number;
    byService: Record<string, number>;
    prices: { region: string };
  };
  awsFaultRun?: {
    checks: number;
    final: number;
    passed: number;
    failedVendorUnavailable: number;
    paidCalls: number;
    vendorFaultAnswers: number;
    abandonedAnswers: number;
    paidCallsPerFinalCheck: number;
    paidTwice: number;
  };
  soak?: {
    command: string;
    suites: Record<
      string,
      {
        file: string;
        runs: number;
        passed: number;
        failed: number;
        failedWithoutFigures: number;
        secondsPerRun: { mean: number; max: number };
        paidVendorCalls: number;
        extraPaidCalls: number;
        explainedExtraPaidCalls: number;
        unexplainedPaidCalls: number;
        abandonedAnswers: number;
      }
    >;
  };
  mutation?: {
    threshold: number;
    modules: { module: string; killedOrTimedOut: number; valid: number; score: number; left: number }[];
  };
}

interface ColdStartRow {
  bundle: string;
  kib: number;
  processMedianMs: number;
  vsEmpty: number;
  cpuVsEmpty: number;
}

interface EndToEndRun {
  checks: number;
  clientConcurrency: number;
  offeredPerSecond: number | null;
  checksPerSecond: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  lost: number;
  duplicateEvents: number;
}

const table = (head: string[], rows: (string | number)[][]): string =>
  [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');

const usd = (value: number) => `$${value.toFixed(2)}`;
const seconds = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

/** Each block a document may show, by name. */
export const FIGURE_BLOCKS: Record<string, (r: BenchResults) => string> = {
  machine: (r) =>
    table(
      ['measured on', 'cores', 'Node.js', 'date', 'command'],
      [[r.machine.cpu, r.machine.cores, r.machine.node, r.machine.date.slice(0, 10), r.command]],
    ),
  coldStart: (r) => {
    const floors = new Map((r.coldStart.dependencyFloors ?? []).map((floor) => [floor.function, floor]));
    const when = r.coldStart.measuredAt ? `, ${r.coldStart.measuredAt.slice(0, 10)}` : '';
    return `On Node ${r.coldStart.node}, ${r.coldStart.runsPerBundle} rounds${when}.\n\n${table(
      [
        'function',
        'bundle (our code)',
        'cold start vs empty',
        'CPU time vs empty',
        'dependency floor vs empty (bundle)',
        'cold start vs floor',
        'CPU time vs floor',
      ],
      [
        [
          `${r.coldStart.baseline.bundle} (the limit)`,
          `${r.coldStart.baseline.kib} KiB`,
          `1.00 (${r.coldStart.baseline.processMedianMs} ms whole process)`,
          '1.00',
          '',
          '',
          '',
        ],
        ...r.coldStart.functions.map((f) => {
          const floor = floors.get(f.bundle);
          return [
            f.bundle,
            floor ? `${f.kib} KiB (${floor.ownKib} KiB)` : `${f.kib} KiB`,
            f.vsEmpty.toFixed(2),
            f.cpuVsEmpty.toFixed(2),
            floor ? `${floor.floorVsEmpty.toFixed(2)} (${floor.floorKib} KiB)` : '',
            floor ? floor.vsFloor.toFixed(2) : '',
            floor ? floor.cpuVsFloor.toFixed(2) : '',
          ];
        }),
      ],
    )}`;
  },
  checker: (r) =>
    table(
      ['figure', 'value'],
      [
        [
          `peak RSS, ${r.memory.selfies} selfies of ${r.memory.selfieBytes / 1048576} MiB in one checker batch (of ${r.memory.functionMemoryMb} MB)`,
          `${r.memory.peakMiB} MiB`,
        ],
        ['RSS after loading the checker bundle', `${r.memory.afterImportMiB} MiB`],
        [
          'AWS calls on the hot path of one check',
          `${r.checkerThroughput.awsCallsPerCheckTotal} (${Object.entries(
            r.checkerThroughput.awsCallsPerCheck,
          )
            .map(([call, n]) => `${call} ${n}`)
            .join(', ')})`,
        ],
        [
          'log and EMF bytes per check, checker / notifier',
          `${r.checkerThroughput.logBytesPerCheck} / ${r.notifier.logBytesPerEvent}`,
        ],
        [`notifier, one stream batch of ${r.notifier.batchSize}, p50`, `${r.notifier.batchP50Ms} ms`],
        ['PutEvents calls per event', `${r.notifier.putEventsCallsPerEvent}`],
      ],
    ),
  throughput: (r) =>
    table(
      [
        'vendor latency',
        'selfies/s',
        `bound (${r.checkerThroughput.batchConcurrency} in flight / latency)`,
        'share of bound',
        'overhead p50 / p99',
        'CPU per selfie',
      ],
      r.checkerThroughput.rows.map((row) => [
        `${row.vendorLatencyMs} ms`,
        row.selfiesPerSecond,
        row.boundPerSecond ?? 'none',
        row.fractionOfBound?.toFixed(2) ?? 'n/a',
        `${row.overheadP50Ms} / ${row.overheadP99Ms} ms`,
        `${row.cpuMsPerSelfie} ms`,
      ]),
    ),
  tokens: (r) =>
    table(
      ['containers', 'checks', 'simulated minutes', 'logins', 'refreshes', 'Secrets Manager reads'],
      r.tokens.rows.map((row) => [
        row.containers,
        row.checks,
        row.simulatedMinutes,
        row.vendorLogins,
        row.vendorRefreshes,
        row.secretsManagerReadsPer1000,
      ]),
    ),
  e2e: (r) =>
    table(
      ['run', 'checks/s', 'upload-to-event p50 / p95', 'lost', 'duplicate events'],
      [r.e2e, r.e2ePaced].map((run) => [
        `${run.checks} checks, ${run.clientConcurrency} clients, ${run.offeredPerSecond === null ? 'unpaced' : `paced at ${run.offeredPerSecond}/s`}`,
        run.checksPerSecond,
        `${seconds(run.latencyP50Ms)} / ${seconds(run.latencyP95Ms)}`,
        run.lost,
        run.duplicateEvents,
      ]),
    ),
  cost: (r) =>
    table(
      [`per million checks (${r.cost.prices.region})`, 'USD'],
      [
        ['**full batches**', `**${usd(r.cost.totalUsdPerMillion)}**`],
        ['a trickle (one check per invocation)', usd(r.cost.trickleTotalUsdPerMillion)],
        ...Object.entries(r.cost.byService)
          .sort(([, a], [, b]) => b - a)
          .map(([service, value]) => [`of which ${service}`, usd(value)]),
        ['fixed per month (secrets and key; alarms and dashboard apart)', usd(r.cost.fixedMonthlyUsd)],
      ],
    ),
  awsFaultRun: (r) => {
    const run = r.awsFaultRun;
    if (!run) return '(no recorded run)';
    return table(
      [
        'checks',
        'final',
        'passed',
        'failed (vendor unavailable)',
        'paid calls',
        'of which vendor faults',
        'abandoned answers',
        'paid per final check',
        'paid twice',
      ],
      [
        [
          run.checks,
          run.final,
          run.passed,
          run.failedVendorUnavailable,
          run.paidCalls,
          run.vendorFaultAnswers,
          run.abandonedAnswers,
          run.paidCallsPerFinalCheck,
          run.paidTwice,
        ],
      ],
    );
  },
};

/** A mutation score as Stryker prints it: one decimal, none for 100. */
const percent = (score: number) => `${score === 100 ? '100' : score.toFixed(1)}%`;

FIGURE_BLOCKS.mutation = (r) => {
  const run = r.mutation;
  if (!run) return '(no recorded run)';
  return table(
    ['module', 'score', 'killed or timed out / valid mutants', 'left (each in mutation-survivors.md)'],
    run.modules.map((m) => [m.module, percent(m.score), `${m.killedOrTimedOut} / ${m.valid}`, m.left]),
  );
};

FIGURE_BLOCKS.soak = (r) => {
  const soak = r.soak;
  if (!soak) return '(no recorded run)';
  return table(
    [
      'suite',
      'runs passed',
      'paid calls',
      'beyond one per check',
      'explained (vendor faults, crashes, abandoned answers)',
      'unexplained',
    ],
    Object.entries(soak.suites).map(([name, suite]) => [
      `\`${name}\``,
      `${suite.passed} of ${suite.runs}`,
      suite.paidVendorCalls,
      suite.extraPaidCalls,
      suite.explainedExtraPaidCalls,
      suite.unexplainedPaidCalls,
    ]),
  );
};

const BLOCK = /<!-- figures:(\w+) -->\n([\s\S]*?)<!-- \/figures -->/g;

/** The names of the blocks a document shows, in order. */
export function figureBlockNames(markdown: string): string[] {
  return [...markdown.matchAll(BLOCK)].map((m) => m[1] ?? '');
}

/** The document with every figure block rendered from `results`; an unknown block name throws. */
export function renderFigureBlocks(markdown: string, results: BenchResults): string {
  return markdown.replace(BLOCK, (_all, name: string) => {
    const render = FIGURE_BLOCKS[name];
    if (!render)
      throw new Error(`unknown figure block "${name}": add it to FIGURE_BLOCKS in bench/lib/figures.ts`);
    return `<!-- figures:${name} -->\n${render(results)}\n<!-- /figures -->`;
  });
}

/** The documents that show figures, from the repository root. */
export const FIGURE_DOCUMENTS = ['bench/README.md', 'docs/testing.md'] as const;
