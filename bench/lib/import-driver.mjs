// Loads one bundle in this fresh process and prints how long loading took (module init: parsing,
// evaluation and the handler's module scope), as JSON on stdout. Like Lambda's Node.js runtime, an
// ES module is loaded with import() and a CommonJS file with require(). `cpuMs` is the CPU time the
// whole process used so far (Node's bootstrap and the init): unlike wall time, waiting for a core
// that other work holds does not count, so it is the steadier figure on a shared machine.
import { createRequire } from 'node:module';

const file = process.argv[2];
const start = performance.now();
const mod = file.endsWith('.cjs') ? createRequire(import.meta.url)(file) : await import(file);
const initMs = performance.now() - start;
const ok = typeof (mod.handler ?? mod.default?.handler) === 'function';
const cpu = process.cpuUsage();
const cpuMs = (cpu.user + cpu.system) / 1000;
process.stdout.write(
  `${JSON.stringify({ initMs, cpuMs, ok, rssMiB: process.memoryUsage().rss / 1048576 })}\n`,
);
