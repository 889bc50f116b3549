import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { basename, dirname, join } from 'node:path';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { NOTIFIER_STREAM_FILTERS } from '../../functions/notifier/stream-filters.js';
import { resolveSettings, visibilityTimeoutSeconds } from '../../infra/settings.js';
import { type Simulator, startSimulator } from '../simulator/server.js';
import { type AwsFaultProxy, startAwsFaultProxy } from './aws-fault-proxy.js';
import { buildCapturePage, type CapturePageContext, captureLimits } from './capture-page.js';
import { scheduleRedeliveries } from './checker-redelivery.js';
import { createLocalApiServer, type LocalApiInvoke, listen } from './local-api.js';
import { importFunctions, type LocalFunctions, startContainers } from './local-functions.js';
import { type LocalLambda, serveLocalLambda } from './local-lambda.js';
import type { LocalPipeline, LocalPipelineOptions, TappedEvent } from './local-pipeline-types.js';
import { type Moto, startMoto } from './moto.js';
import { allowBrowserUploads, localAwsClients, provisionLocalResources } from './provision.js';
import { pollOnce } from './sqs-event-source.js';
import { StreamEventSource } from './stream-event-source.js';

// Callers import the pipeline's types from here, with `startLocalPipeline`.
export type * from './local-pipeline-types.js';

/**
 * Starts the whole pipeline on one machine: moto (or the given endpoint), the simulator (or the given
 * vendor), the resources the stack would create, the event source mappings played by pollers, the api
 * over HTTP, and a tap on the bus. The function handlers are the deployed ones, configured by
 * environment exactly as the stack configures them: imported into this process (one pipeline per
 * process: handlers read their configuration once, at import), or with `containers` each function's
 * deployed bundle in containers of its own on Node 24 (tools/local/containers.ts).
 */
export async function startLocalPipeline(options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
  const started: Started = {};
  const stops: (() => Promise<void>)[] = [];
  try {
    await clearEarlierRun(options);
    const region = options.region ?? 'us-east-1';
    let awsEndpoint = options.awsEndpoint;
    if (!awsEndpoint) {
      started.moto = await startMoto();
      awsEndpoint = started.moto.endpoint;
    }
    let vendor = options.vendor;
    if (!vendor) {
      started.simulator = await startSimulator(options.simulator ?? {});
      vendor = {
        url: started.simulator.baseUrl,
        username: started.simulator.username,
        password: started.simulator.password,
      };
    }
    const effective = resolveSettings({ ...options.settings, livenessApiUrl: vendor.url });
    const target = { endpoint: awsEndpoint, region };
    const clients = localAwsClients(target);
    const resources = await provisionLocalResources(clients, target, effective, {
      username: vendor.username,
      password: vendor.password,
    });

    if (options.awsFaults) {
      // No faults until the pipeline is up: setting it up is not what is being tested.
      started.faults = await startAwsFaultProxy({
        ...options.awsFaults,
        rates: undefined,
        target: awsEndpoint,
      });
    }

    // The functions see exactly what the stack gives them, plus where AWS is.
    const functionsInput = {
      settings: effective,
      resources,
      awsEndpoint: started.faults?.endpoint ?? awsEndpoint,
      region,
      ...(options.environment ? { environment: options.environment } : {}),
    };
    const containers = options.containers ?? containersFromEnvironment();
    started.functions = containers
      ? await startContainers(functionsInput, containers === true ? {} : containers)
      : await importFunctions(functionsInput);
    const fns = started.functions.invoke;

    // The schedule's first run, so the checker finds a refresh token.
    await fns['token-refresher']({ source: 'local', 'detail-type': 'Scheduled Event' });

    // Lambda's Invoke API for the refresher, so `npm run ops -- rotate-credentials` can force it.
    started.lambda = await serveLocalLambda({
      [LOCAL_REFRESHER_FUNCTION]: async (event) => await fns['token-refresher'](event),
    });

    const events: TappedEvent[] = [];
    const loops: Promise<void>[] = [];
    let running = true;
    /** Runs `body` until stopped: again at once while it finds work, after `idleMs` when it found none. */
    const loop = (name: string, body: () => Promise<boolean>, idleMs = 50) => {
      loops.push(
        (async () => {
          while (running) {
            let busy = false;
            try {
              busy = await body();
            } catch (error) {
              if (running) process.stderr.write(`local ${name} poller: ${(error as Error).message}\n`);
              await sleep(500);
            }
            if (!busy) await sleep(idleMs);
          }
        })(),
      );
    };

    const retryDelay = options.retryDelaySeconds;
    const checkerHandler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      // The checker starts a record only when its whole worst case fits in what is left.
      // Lambda ends an invocation at its timeout; locally nothing would, so say when one runs past it.
      const overrun = setTimeout(
        () => {
          if (running)
            process.stderr.write(
              `local checker invocation still running past its ${effective.checker.timeoutSeconds} s timeout (messages ${event.Records.map((r) => r.messageId).join(', ')})\n`,
            );
        },
        (effective.checker.timeoutSeconds + 5) * 1000,
      );
      let response: SQSBatchResponse;
      let failure: unknown;
      try {
        response = (await fns.checker(event).finally(() => clearTimeout(overrun))) as SQSBatchResponse;
      } catch (error) {
        // A thrown, timed-out or crashed invocation fails the whole batch, as in Lambda.
        failure = error;
        response = { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
      }
      if (retryDelay !== undefined) {
        // Local speed-up only: make reported failures visible again sooner than the visibility timeout,
        // but never inside a lease still live, which AWS's longer wait always outlasts.
        await scheduleRedeliveries(event, response, {
          sqs: clients.sqs,
          queueUrl: resources.queueUrl,
          table: {
            dynamodb: clients.dynamodb,
            tableName: resources.tableName,
            selfiePrefix: effective.selfiePrefix,
          },
          retryDelaySeconds: retryDelay,
          visibilityTimeoutSeconds: visibilityTimeoutSeconds(effective),
          onError: (messageId, error) => {
            if (running)
              process.stderr.write(
                `local checker redelivery of ${messageId}: ${(error as Error).message}; it waits out the visibility timeout\n`,
              );
          },
        });
      }
      if (failure !== undefined) throw failure;
      return response;
    };
    let checkerPaused = false;
    let checkerPolls = 0;
    // Lambda runs up to maxConcurrency pollers' batches at once; play that many.
    for (let i = 0; i < effective.checker.maxConcurrency; i++) {
      loop('checker', async () => {
        if (checkerPaused) return false;
        checkerPolls++;
        const { received } = await pollOnce(
          clients.sqs,
          {
            queueUrl: resources.queueUrl,
            queueArn: resources.queueArn,
            region,
            batchSize: effective.checker.batchSize,
            waitSeconds: 1,
          },
          checkerHandler,
        ).finally(() => checkerPolls--);
        return received > 0;
      });
    }

    const streamSource = new StreamEventSource(
      clients.dynamodbStreams,
      {
        streamArn: resources.streamArn,
        batchSize: effective.notifier.batchSize,
        retryAttempts: effective.notifier.retryAttempts,
        filters: NOTIFIER_STREAM_FILTERS,
        onFailure: async (records, attempts) => {
          // Lambda's on-failure record for a stream batch: its position and arrival times, not its data.
          const arrival = (record: (typeof records)[number] | undefined) => {
            const seconds = record?.dynamodb?.ApproximateCreationDateTime;
            return seconds === undefined ? undefined : new Date(seconds * 1000).toISOString();
          };
          await clients.sqs.send(
            new SendMessageCommand({
              QueueUrl: resources.notifierDlqUrl,
              MessageBody: JSON.stringify({
                requestContext: {
                  requestId: randomUUID(),
                  functionArn: 'local:notifier',
                  condition: 'RetryAttemptsExhausted',
                  approximateInvokeCount: attempts,
                },
                responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
                version: '1.0',
                timestamp: new Date().toISOString(),
                DDBStreamBatchInfo: {
                  shardId: 'local',
                  startSequenceNumber: records[0]?.dynamodb?.SequenceNumber,
                  endSequenceNumber: records.at(-1)?.dynamodb?.SequenceNumber,
                  approximateArrivalOfFirstRecord: arrival(records[0]),
                  approximateArrivalOfLastRecord: arrival(records.at(-1)),
                  batchSize: records.length,
                  streamArn: resources.streamArn,
                },
              }),
            }),
          );
        },
      },
      async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> =>
        (await fns.notifier(event)) as DynamoDBBatchResponse,
    );
    // Lambda polls a stream shard 4 times a second. Faster polling only queues more GetRecords behind
    // the DynamoDB lock of the local moto (tools/local/moto_server.py), where the checker's writes wait.
    let notifierPaused = false;
    let notifierPolls = 0;
    loop(
      'notifier',
      async () => {
        if (notifierPaused) return false;
        notifierPolls++;
        return (await streamSource.pollOnce().finally(() => notifierPolls--)) > 0;
      },
      STREAM_POLL_INTERVAL_MS,
    );

    loop('tap', async () => {
      const { Messages = [] } = await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: resources.tapQueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        }),
      );
      for (const message of Messages) {
        const event = JSON.parse(message.Body ?? '{}') as TappedEvent;
        events.push(event);
        options.onEvent?.(event);
        if (options.eventsDir) {
          await mkdir(options.eventsDir, { recursive: true });
          await writeFile(
            join(options.eventsDir, `${basename(event.detail.checkId)}.json`),
            `${JSON.stringify(event, null, 2)}\n`,
          );
        }
        await clients.sqs.send(
          new DeleteMessageCommand({ QueueUrl: resources.tapQueueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
      }
      return Messages.length > 0;
    });

    const sweep = async () => await fns.sweeper({});
    const sweepEvery = options.sweepIntervalMs ?? effective.sweeper.scheduleMinutes * 60_000;
    const sweepTimer = setInterval(() => {
      sweep().catch((error: Error) => process.stderr.write(`local sweeper: ${error.message}\n`));
    }, sweepEvery);
    const refreshTimer = setInterval(() => {
      fns['token-refresher']({}).catch((error: Error) =>
        process.stderr.write(`local token-refresher: ${error.message}\n`),
      );
    }, effective.tokenRefresher.scheduleHours * 3_600_000);
    stops.push(async () => {
      running = false;
      clearInterval(sweepTimer);
      clearInterval(refreshTimer);
      await Promise.all(loops);
    });

    // The pipeline's own origin is known once it listens; the list is read on every request.
    const corsAllowedOrigins = [...(options.corsAllowedOrigins ?? [])];
    // The reference capture page at `/`, with the limits of these very settings.
    const capturePage = await buildCapturePage();
    let page: CapturePageContext | undefined;
    started.server = createLocalApiServer({
      invoke: async (event) =>
        (await fns.api(event).catch((error: Error) => {
          // API Gateway answers 500 and logs nothing of it; say why here.
          process.stderr.write(`local api invocation failed: ${error.message}\n`);
          throw error;
        })) as Awaited<ReturnType<LocalApiInvoke>>,
      corsAllowedOrigins,
      serveOther: (request, response) => page !== undefined && capturePage.serve(request, response, page),
    });
    const port = await listen(started.server, options.port ?? 3000);
    const apiUrl = `http://127.0.0.1:${port}`;
    corsAllowedOrigins.push(apiUrl, `http://localhost:${port}`);
    await allowBrowserUploads(clients.s3, resources.bucketName, corsAllowedOrigins);
    page = {
      config: { apiUrl, limits: captureLimits(effective) },
      uploadOrigin: started.faults?.endpoint ?? awsEndpoint,
    };
    const all = {
      ...resources,
      apiUrl,
      vendorUrl: vendor.url,
      eventSource: effective.eventSource,
      selfiePrefix: effective.selfiePrefix,
      lambdaEndpoint: started.lambda.endpoint,
      // Invoked through `lambdaEndpoint`; the checker still gets no name (see the environment above).
      tokenRefresherFunctionName: LOCAL_REFRESHER_FUNCTION,
      pid: process.pid,
      ...(started.faults ? { functionsAwsEndpoint: started.faults.endpoint } : {}),
    };
    if (options.resourcesFile) {
      await mkdir(dirname(options.resourcesFile), { recursive: true });
      await writeFile(options.resourcesFile, `${JSON.stringify(all, null, 2)}\n`);
    }
    const pipeline: LocalPipeline = {
      apiUrl,
      resources: all,
      settings: effective,
      clients,
      events,
      sweep,
      pauseChecker: async () => {
        checkerPaused = true;
        while (checkerPolls > 0) await sleep(50);
      },
      resumeChecker: () => {
        checkerPaused = false;
      },
      pauseNotifier: async () => {
        notifierPaused = true;
        while (notifierPolls > 0) await sleep(50);
      },
      resumeNotifier: () => {
        notifierPaused = false;
      },
      stop: async () => {
        for (const stop of stops.splice(0).reverse()) await stop();
        await stopStarted(started);
      },
      ...(started.simulator ? { simulator: started.simulator } : {}),
      ...(started.faults ? { faults: started.faults } : {}),
      ...(started.functions.containers ? { containers: started.functions.containers } : {}),
    };
    started.faults?.setRates(options.awsFaults?.rates);
    return pipeline;
  } catch (error) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await stopStarted(started);
    throw error;
  }
}

/**
 * Removes what an earlier run left in the resources file and the events folder: it describes a moto
 * whose state is gone (`npm run ops -- check` on one of its ids finds no check). Only event files
 * (`*.json`) go, so a folder given by mistake loses nothing else.
 */
async function clearEarlierRun(options: LocalPipelineOptions): Promise<void> {
  if (options.resourcesFile) await rm(options.resourcesFile, { force: true });
  const dir = options.eventsDir;
  if (!dir) return;
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  await Promise.all(names.filter((name) => name.endsWith('.json')).map((name) => rm(join(dir, name))));
}

/**
 * `LOCAL_CONTAINERS=1` (or `true`) runs the functions in containers when the caller does not say:
 * `npm start`, or any suite, on Node 24 without editing it.
 */
function containersFromEnvironment(): boolean {
  const value = process.env.LOCAL_CONTAINERS?.trim().toLowerCase();
  if (value === undefined || value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new Error(`LOCAL_CONTAINERS must be 1 or 0 (true or false), got "${process.env.LOCAL_CONTAINERS}"`);
}

/** The token-refresher's name on the local Lambda endpoint. */
export const LOCAL_REFRESHER_FUNCTION = 'token-refresher';

/** Lambda's base rate for polling a DynamoDB stream shard: 4 times a second. */
const STREAM_POLL_INTERVAL_MS = 250;

interface Started {
  moto?: Moto;
  simulator?: Simulator;
  server?: Server;
  faults?: AwsFaultProxy;
  lambda?: LocalLambda;
  functions?: LocalFunctions;
}

async function stopStarted(started: Started): Promise<void> {
  const server = started.server;
  if (server?.listening) {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
  await started.lambda?.stop();
  await started.functions?.stop();
  await started.faults?.stop();
  await Promise.all([started.simulator?.stop(), started.moto?.stop()]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
