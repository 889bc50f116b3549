/**
 * The checker as one warm container runs it: its real wiring (`buildDeps`: the Apptenticate
 * client, the token provider with its Secrets Manager cache, the check repository) with AWS answered
 * in process by `FakeAws`, and the vendor call timed per check.
 */
import { randomUUID } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { type CheckerDeps, checkBatch } from '../../functions/checker/checker.js';
import { readConfig } from '../../functions/checker/config.js';
import { buildDeps, CHECKER_S3_OPTIONS } from '../../functions/checker/wiring.js';
import { DEFAULT_SETTINGS, functionEnvironment } from '../../infra/settings.js';
import { ApptenticateClient } from '../../shared/apptenticate/client.js';
import { serializeTokenSecret } from '../../shared/apptenticate/token-secret.js';
import { FakeAws } from './fake-aws.js';

export const BUCKET = 'bench-selfies';

export interface CheckerHarness {
  fake: FakeAws;
  deps: CheckerDeps;
  /** Vendor call time in ms per check id (the last call for that check). */
  vendorMs: Map<string, number>;
  /** When each check's first AWS call started and its selfie delete ended (performance.now()). */
  spans: Map<string, { start: number; end?: number }>;
  /** Runs one batch the way the handler does (checkBatch, then publishing metrics). */
  runBatch(event: SQSEvent): Promise<number>;
}

/** Logs in to the vendor and stores the tokens the way the token-refresher does. */
async function storeTokenSecret(
  fake: FakeAws,
  vendor: { baseUrl: string; username: string; password: string },
) {
  const client = new ApptenticateClient({ baseUrl: vendor.baseUrl });
  const login = await client.login(vendor.username, vendor.password);
  await client.close();
  if (login.kind !== 'ok') throw new Error(`could not log in to the simulator: ${login.kind}`);
  fake.secretString = serializeTokenSecret({
    refresh: login.refresh,
    refreshExpiresAt: Math.floor(Date.now() / 1000) + 86_400,
    updatedAt: new Date().toISOString(),
  });
}

export async function createCheckerHarness(
  vendor: {
    baseUrl: string;
    username: string;
    password: string;
  },
  /** Options for the S3 client in place of the wiring's (a variant). @default CHECKER_S3_OPTIONS */
  s3Options: Record<string, unknown> = CHECKER_S3_OPTIONS,
): Promise<CheckerHarness> {
  const fake = new FakeAws();
  await storeTokenSecret(fake, vendor);
  const env = {
    ...functionEnvironment('checker', DEFAULT_SETTINGS, {
      tableName: 'bench-checks',
      bucketName: BUCKET,
      eventBusName: 'bench-bus',
      credentialsSecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-credentials',
      tokenSecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-token',
      tokenRefresherFunctionName: '',
    }),
    LIVENESS_API_URL: vendor.baseUrl,
  };
  // The S3 client gets the options the wiring gives the one it creates.
  const deps = buildDeps(readConfig(env), fake.clients({ s3: s3Options }));
  const vendorMs = new Map<string, number>();
  const spans = new Map<string, { start: number; end?: number }>();
  const liveness = deps.liveness;
  deps.liveness = {
    checkLiveness: async (request) => {
      const started = performance.now();
      try {
        return await liveness.checkLiveness(request);
      } finally {
        vendorMs.set(request.fileName.replace(/\.\w+$/, ''), performance.now() - started);
      }
    },
  };
  // Span of each check inside the checker: from its GetObject call to the end of its DeleteObject.
  const s3 = deps.s3;
  const send = s3.send.bind(s3) as (command: unknown) => Promise<unknown>;
  (s3 as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command) => {
    const input = (command as { input?: { Key?: string } }).input;
    const id = input?.Key?.split('/').at(-1) ?? '';
    const isGet = command?.constructor?.name === 'GetObjectCommand';
    if (isGet && !spans.has(id)) spans.set(id, { start: performance.now() });
    const result = await send(command);
    const span = spans.get(id);
    if (!isGet && span) span.end = performance.now();
    return result;
  };
  return {
    fake,
    deps,
    vendorMs,
    spans,
    runBatch: async (event) => {
      try {
        const response = await checkBatch(event, deps);
        return response.batchItemFailures.length;
      } finally {
        if (deps.metrics.hasStoredMetrics()) deps.metrics.publishStoredMetrics();
      }
    },
  };
}

/** Stores `images` under fresh check ids and returns the SQS batch of their S3 notifications. */
export function makeBatch(
  fake: FakeAws,
  images: readonly Uint8Array[],
): { event: SQSEvent; checkIds: string[] } {
  const checkIds: string[] = [];
  const records = images.map((bytes): SQSRecord => {
    const checkId = randomUUID();
    checkIds.push(checkId);
    const key = `${DEFAULT_SETTINGS.selfiePrefix}${checkId}`;
    fake.objects.set(key, bytes);
    const body = JSON.stringify({
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: 'us-east-1',
          eventTime: new Date().toISOString(),
          eventName: 'ObjectCreated:Post',
          s3: { bucket: { name: BUCKET }, object: { key: encodeURIComponent(key), size: bytes.length } },
        },
      ],
    });
    return {
      messageId: randomUUID(),
      receiptHandle: randomUUID(),
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'AIDAEXAMPLE',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:bench-checks',
      awsRegion: 'us-east-1',
    };
  });
  return { event: { Records: records }, checkIds };
}

/** Swallows stdout (the functions' JSON logs and EMF metrics) while `fn` runs, counting its bytes. */
export async function withCapturedStdout<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; bytes: number; lines: number }> {
  const write = process.stdout.write.bind(process.stdout);
  let bytes = 0;
  let lines = 0;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    lines += String(chunk).split('\n').length - 1;
    return true;
  }) as typeof process.stdout.write;
  try {
    const value = await fn();
    return { value, bytes, lines };
  } finally {
    process.stdout.write = write;
  }
}
