/** `npm run ops -- <command>`: see `run.ts` and docs/runbooks.md, "The ops command". */
import { systemClock } from '../../shared/clock.js';
import { runOps } from './run.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const code = await runOps(process.argv.slice(2), {
  write: (line) => process.stdout.write(`${line}\n`),
  env: process.env,
  clock: systemClock,
  readStdin,
});
process.exit(code);
