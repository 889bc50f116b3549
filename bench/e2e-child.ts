/**
 * One end-to-end run in its own process: the local runtime allows one pipeline per process (the
 * handlers read their configuration at import). Usage: e2e-child.ts <out.json> <checks> <clients> [rate]
 */
import { writeFile } from 'node:fs/promises';
import { benchE2e } from './e2e.js';

const [out = '', checks = '1000', clients = '20', rate] = process.argv.slice(2);
const result = await benchE2e(Number(checks), Number(clients), 0, rate ? Number(rate) : undefined);
await writeFile(out, JSON.stringify(result));
process.exit(0);
