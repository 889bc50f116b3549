/**
 * `npm start`: the whole pipeline on this machine (moto + the Apptenticate simulator), until Ctrl-C.
 * `.local/` holds this run's state only (`resources.json`, `events/<checkId>.json`): an earlier run's
 * names resources of a moto that is gone, so it is removed at start.
 *
 * Environment:
 * - `PORT` (default 3000): where the api listens on 127.0.0.1.
 * - `AWS_ENDPOINT_URL`: use this AWS endpoint (e.g. a moto_server you run) instead of starting moto.
 * - `LIVENESS_API_URL` with `APPTENTICATE_USERNAME` and `APPTENTICATE_PASSWORD`: use this vendor
 *   instead of the simulator.
 * - `LOCAL_RETRY_DELAY_SECONDS` (default 5): how soon a failed message is delivered again.
 * - `LOCAL_AWS_FAULT_RATE` (0..1, default none): route the functions' AWS calls through the fault proxy,
 *   failing this share of S3 object calls, DynamoDB item calls, Secrets Manager reads and PutEvents
 *   (half throttled, half server errors); `LOCAL_AWS_FAULT_SEED` (default 1) seeds it.
 * - `LOCAL_CORS_ORIGINS` (comma-separated, default none): browser origins allowed to call the api and
 *   upload (CORS), besides the pipeline's own `http://127.0.0.1:$PORT` and `http://localhost:$PORT`,
 *   e.g. `http://localhost:5173` for an app's dev server.
 */
import { resolve } from 'node:path';
import { startLocalPipeline, type TappedEvent, type VendorTarget } from './runtime.js';

function vendorFromEnv(): VendorTarget | undefined {
  const url = process.env.LIVENESS_API_URL?.trim();
  if (!url) return undefined;
  const username = process.env.APPTENTICATE_USERNAME?.trim();
  const password = process.env.APPTENTICATE_PASSWORD;
  if (!username || !password) {
    throw new Error('LIVENESS_API_URL is set: set APPTENTICATE_USERNAME and APPTENTICATE_PASSWORD too');
  }
  return { url, username, password };
}

function printEvent(event: TappedEvent): void {
  const { detail } = event;
  const why =
    (detail.rejection as { reason?: string } | undefined)?.reason ??
    (detail.failure as { reason?: string } | undefined)?.reason;
  console.log(`event  ${event['detail-type'].padEnd(24)} ${detail.checkId} ${why ?? ''}`);
}

function awsFaultsFromEnv(): { rates: number; seed: number } | undefined {
  const rate = process.env.LOCAL_AWS_FAULT_RATE?.trim();
  if (!rate) return undefined;
  const rates = Number(rate);
  const seed = Number(process.env.LOCAL_AWS_FAULT_SEED ?? 1);
  if (!(rates >= 0 && rates <= 1))
    throw new Error(`LOCAL_AWS_FAULT_RATE must be between 0 and 1, got "${rate}"`);
  if (!Number.isInteger(seed)) throw new Error(`LOCAL_AWS_FAULT_SEED must be an integer, got "${seed}"`);
  return { rates, seed };
}

function corsOriginsFromEnv(): string[] {
  const origins = (process.env.LOCAL_CORS_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of origins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin))
      throw new Error(
        `LOCAL_CORS_ORIGINS entries must be origins like http://localhost:5173 (no path), got "${origin}"`,
      );
  }
  return origins;
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`PORT must be a port number, got "${process.env.PORT}"`);
  const retryDelaySeconds = Number(process.env.LOCAL_RETRY_DELAY_SECONDS ?? 5);
  // npm runs scripts in the package root, so `npm run ops` and `npm run check` find these from any terminal.
  const resourcesFile = resolve('.local/resources.json');
  const eventsDir = resolve('.local/events');
  const vendor = vendorFromEnv();
  const awsEndpoint = process.env.AWS_ENDPOINT_URL?.trim();
  const awsFaults = awsFaultsFromEnv();
  const corsAllowedOrigins = corsOriginsFromEnv();
  const pipeline = await startLocalPipeline({
    port,
    retryDelaySeconds,
    resourcesFile,
    eventsDir,
    onEvent: printEvent,
    sweepIntervalMs: 30_000,
    environment: {
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
    ...(vendor ? { vendor } : {}),
    ...(awsEndpoint ? { awsEndpoint } : {}),
    ...(awsFaults ? { awsFaults } : {}),
    corsAllowedOrigins,
  });
  const r = pipeline.resources;
  console.log(`local pipeline running
  api        ${pipeline.apiUrl}   (POST /checks, GET /checks/{checkId}; contract: GET /openapi.json)
  page       ${pipeline.apiUrl}/  (the reference capture page: open it in a browser)
  aws        ${r.awsEndpoint}  (${r.region})${
    r.functionsAwsEndpoint
      ? `\n  faults     ${r.functionsAwsEndpoint}  (the functions' AWS calls; fault rate ${awsFaults?.rates})`
      : ''
  }
  vendor     ${r.vendorUrl}${pipeline.simulator ? '  (simulator; control API under /__control/)' : ''}
  bucket     ${r.bucketName}
  table      ${r.tableName}
  bus        ${r.eventBusName}
  lambda     ${r.lambdaEndpoint}  (Invoke for the token-refresher)
  functions  ${pipeline.containers ? 'the deployed bundles in containers on Node 24' : `in this process on Node ${process.versions.node} (LOCAL_CONTAINERS=1: the bundles in Node 24 containers)`}
  resources  ${resourcesFile}  (what npm run ops and npm run check read)
  events     ${eventsDir}/<checkId>.json
  .local/ holds this run's state only: what an earlier run left there was removed at start
try: npm run check -- <image> [--device IOS] [--reference X]     operate: npm run ops -- status     stop: Ctrl-C`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping...');
    if (pipeline.faults)
      console.log(`aws faults injected: ${JSON.stringify(pipeline.faults.counts().injected)}`);
    pipeline.stop().then(
      () => process.exit(0),
      (error: Error) => {
        console.error(error.message);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: Error) => {
  console.error(`npm start: ${error.message}`);
  process.exit(1);
});
