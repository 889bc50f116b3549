// Loads one bundle in this fresh process and prints how long loading took (module init: parsing,
// evaluation and the handler's module scope), as JSON on stdout. Like Lambda's Node.js runtime, an
// ES module is loaded with import() and a CommonJS file with require().
import { createRequire } from 'node:module';

const file = process.argv[2];
const start = performance.now();
const mod = file.endsWith('.cjs') ? createRequire(import.meta.url)(file) : await import(file);
const initMs = performance.now() - start;
const ok = typeof (mod.handler ?? mod.default?.handler) === 'function';
process.stdout.write(`${JSON.stringify({ initMs, ok, rssMiB: process.memoryUsage().rss / 1048576 })}\n`);
