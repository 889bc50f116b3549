/**
 * `npm run simulator`: starts the Apptenticate simulator on PORT (default 4010, 0 = any free port)
 * and prints its base URL and test credentials. Script it over HTTP under `/__control/`.
 * ACCESS_TTL_SECONDS (default 300) and REFRESH_TTL_SECONDS (default 86400) set the token lifetimes,
 * e.g. 20 s access tokens to watch the checker's renewal margin.
 */
import { startSimulator } from './server.js';

function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  const value = Number(raw ?? fallback);
  if (!Number.isInteger(value) || value < min || value > max) {
    console.error(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
    process.exit(1);
  }
  return value;
}

const port = intFromEnv('PORT', 4010, 0, 65_535);
const accessTtlSeconds = intFromEnv('ACCESS_TTL_SECONDS', 300, 1, 86_400);
const refreshTtlSeconds = intFromEnv('REFRESH_TTL_SECONDS', 86_400, 1, 30 * 86_400);

const simulator = await startSimulator({ port, accessTtlSeconds, refreshTtlSeconds });
console.log(`Apptenticate simulator listening on ${simulator.baseUrl}`);
console.log(`  username: ${simulator.username}`);
console.log(`  password: ${simulator.password}`);
console.log(
  `  control:  ${simulator.baseUrl}/__control/state (GET), /__control/script, /configure, /reset (POST)`,
);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`received ${signal}, stopping`);
  simulator.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error('simulator did not stop cleanly', error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
