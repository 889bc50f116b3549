/**
 * The Apptenticate simulator in its own process, so its CPU work (multipart parsing, hashing) does
 * not share an event loop with the checker being measured. Prints its base URL as JSON on stdout.
 */
import { startSimulator } from '../../tools/simulator/server.js';

const simulator = await startSimulator({ port: 0, latencyMs: Number(process.env.LATENCY_MS ?? 0) });
process.stdout.write(
  `${JSON.stringify({ baseUrl: simulator.baseUrl, username: simulator.username, password: simulator.password })}\n`,
);
process.on('SIGTERM', () => {
  simulator.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
