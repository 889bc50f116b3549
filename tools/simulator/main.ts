/**
 * `npm run simulator`: starts the Apptenticate simulator on PORT (default 4010, 0 = any free port)
 * and prints its base URL and test credentials. Script it over HTTP under `/__control/`.
 */
import { startSimulator } from './server.js';

const port = Number(process.env.PORT ?? 4010);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be an integer between 0 and 65535, got "${process.env.PORT}"`);
  process.exit(1);
}

const simulator = await startSimulator({ port });
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
