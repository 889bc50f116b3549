/**
 * `npm run bench`: measures, prints one table per section, and writes bench/results.json.
 * Benchmarks are not tests: nothing here asserts; bench/README.md says what each figure includes.
 */
import { writeFile } from 'node:fs/promises';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchCheckerThroughput } from './checker-throughput.js';
import { benchColdStart } from './cold-start.js';
import { costModel } from './cost.js';
import { benchE2eInProcess } from './e2e.js';
import { PROJECT_ROOT } from './lib/bundle.js';
import { printTable, round } from './lib/stats.js';
import { benchMemory } from './memory.js';
import { benchNotifier } from './notifier.js';
import { benchTokens } from './tokens.js';

// moto's eventTime lacks a zone: the local pipeline runs in UTC.
process.env.TZ = 'UTC';
process.env.AWS_EC2_METADATA_DISABLED = 'true';

const started = Date.now();
const sections: Record<string, number> = {};
async function section<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t = Date.now();
  const value = await fn();
  sections[name] = round((Date.now() - t) / 1000, 1);
  return value;
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
  `Benchmarks on ${machine.cpu} (${machine.cores} cores, ${machine.arch}), ${machine.os}, Node ${machine.node}, ${machine.date}`,
);

const coldStart = await section('coldStart', () => benchColdStart(15));
const throughput = await section('checkerThroughput', () => benchCheckerThroughput(20, [0, 100, 300]));
const notifier = await section('notifier', () => benchNotifier(40));
const tokens = await section('tokens', () => benchTokens());
const memory = await section('memory', () => benchMemory(100));
const e2e = await section('e2e', () => benchE2eInProcess(1000, 20));
const e2ePaced = await section('e2ePaced', () => benchE2eInProcess(100, 20, 2));

const at300 = throughput.rows.find((r) => r.vendorLatencyMs === 300);
const cost = costModel({
  checkerBatchMs: throughput.batchDurationMsAt300,
  checkerSingleMs: (at300?.vendorP50Ms ?? 300) + (at300?.overheadP50Ms ?? 0),
  notifierBatchMs: notifier.batchP50Ms,
  // POST /checks round trip at a steady load (the saturated run's includes queueing in moto).
  apiMs: e2ePaced.issueP50Ms,
  secretsManagerReadsPer1000: tokens.rows.find((r) => r.containers === 10)?.secretsManagerReadsPer1000 ?? 0,
  checkerLogBytesPerCheck: throughput.logBytesPerCheck,
  notifierLogBytesPerCheck: notifier.logBytesPerEvent,
  putEventsEntriesPerCheck: 1,
});

const wallSeconds = round((Date.now() - started) / 1000, 1);
printTable('Wall time (s)', [{ ...sections, total: wallSeconds }]);

const results = {
  machine,
  command: 'npm run bench',
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
};
const file = join(PROJECT_ROOT, 'bench', 'results.json');
await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwrote ${file}`);
// Keep-alive sockets and SDK clients may hold the loop open; everything is measured and written.
process.exit(0);
