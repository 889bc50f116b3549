/**
 * The checker's test helpers: SQS events of S3 notifications, and for unit tests deps with the
 * in-memory check repository, a fake vendor and a clock that never waits, beside a mocked S3. Nothing
 * here mocks at import: a moto suite may import it too.
 */
import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/util-stream';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { expect, vi } from 'vitest';
import { readConfig } from '../../../functions/checker/config.js';
import type { CheckerDeps } from '../../../functions/checker/context.js';
import { OutcomeMemory } from '../../../functions/checker/outcome-memory.js';
import type { LivenessOutcome } from '../../../shared/apptenticate/outcome.js';
import type { CheckItem } from '../../../shared/check.js';
import { createLogger, createMetrics } from '../../../shared/observability.js';
import { makePng } from '../../../tools/simulator/images.js';
import sqsEvent from '../../fixtures/sqs/event.json' with { type: 'json' };
import notification from '../../fixtures/sqs/s3-notification.json' with { type: 'json' };
import { InMemoryCheckRepository } from '../../support/in-memory-check-repository.js';

export const CHECK_ID = '3f6c1e0a-2b4d-4c8e-9f1a-7b2c3d4e5f60';
export const KEY = `selfies/${CHECK_ID}`;
export const selfie = makePng({ width: 200, height: 200 });
/** The fake clock's time. */
export const NOW = new Date('2026-11-25T10:00:00Z');

/** An S3 ObjectCreated notification body for one key (encoded the way S3 encodes keys). */
export function notificationBody(key: string, size: number, bucket = 'selfie-bucket'): string {
  const copy = structuredClone(notification);
  const record = copy.Records[0] as {
    s3: { bucket: { name: string }; object: { key: string; size: number } };
  };
  record.s3.bucket.name = bucket;
  record.s3.object.key = encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
  record.s3.object.size = size;
  return JSON.stringify(copy);
}

/** A Lambda SQS event with one record per body. */
export function sqsEventOf(bodies: string[], receiveCount = 1): SQSEvent {
  const template = sqsEvent.Records[0] as SQSRecord;
  return {
    Records: bodies.map((body, i) => ({
      ...structuredClone(template),
      messageId: `message-${i}`,
      body,
      attributes: { ...template.attributes, ApproximateReceiveCount: String(receiveCount) },
    })),
  };
}

/** An S3 GetObject `Body` holding `bytes`. */
export function body(bytes: Uint8Array) {
  return sdkStreamMixin(Readable.from([Buffer.from(bytes)]));
}

/** Mocks every S3 client of the test file (call it at module scope of a unit test file only). */
export function mockS3() {
  return mockClient(S3Client);
}

/** S3 as most tests start: the selfie is there, and deletes succeed. */
export function resetS3(s3Mock: ReturnType<typeof mockS3>) {
  s3Mock.reset();
  s3Mock
    .on(GetObjectCommand)
    .callsFake(() => ({ Body: body(selfie), ContentLength: selfie.length, Metadata: {} }));
  s3Mock.on(DeleteObjectCommand).resolves({});
}

/** The checker's unit-test deps: what `makeDeps` returns. */
export type TestDeps = CheckerDeps & {
  repository: InMemoryCheckRepository;
  vendorCalls: () => number;
  sleeps: number[];
  /** Moves the fake clock on (it starts at `NOW`). */
  advance: (ms: number) => void;
};

/**
 * The checker's deps with the in-memory check repository (empty unless `repository` is given), a
 * fake vendor answering `outcomes` in turn (then PASSED), and a clock that never waits.
 */
export function makeDeps(
  outcomes: LivenessOutcome[],
  env: Record<string, string> = {},
  repository = new InMemoryCheckRepository(),
): TestDeps {
  const config = readConfig({
    TABLE_NAME: 'checks',
    TOKEN_SECRET_ARN: 'arn:secret',
    SELFIE_BUCKET: 'selfie-bucket',
    ...env,
  });
  const checkLiveness = vi.fn(
    async () => outcomes.shift() ?? { kind: 'passed' as const, transactionId: 'tx' },
  );
  const sleeps: number[] = [];
  let elapsedMs = 0;
  return {
    config,
    s3: new S3Client({ region: 'us-east-1' }),
    repository,
    liveness: { checkLiveness },
    logger: createLogger('checker-test', 'ERROR'),
    metrics: createMetrics('checker-test'),
    clock: {
      now: () => new Date(NOW.getTime() + elapsedMs),
      // No wall-clock waits in tests: backoff only records what it would have slept.
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
    outcomeMemory: new OutcomeMemory(),
    vendorCalls: () => checkLiveness.mock.calls.length,
    sleeps,
    advance: (ms) => {
      elapsedMs += ms;
    },
  };
}

/** A check item as another writer left it: `fields` over a plausible CHECKING item of `CHECK_ID`. */
export function checkItem(fields: Partial<CheckItem> = {}): CheckItem {
  return {
    checkId: CHECK_ID,
    status: 'CHECKING',
    version: 1,
    createdAt: '2026-11-25T09:59:00.000Z',
    updatedAt: '2026-11-25T09:59:00.000Z',
    attempts: 1,
    expiresAt: Math.floor(NOW.getTime() / 1000) + 86_400,
    ...fields,
  } as CheckItem;
}

/** Runs `during` while the vendor call is in flight (another writer changing the check meanwhile). */
export function duringVendorCall(deps: TestDeps, during: () => void): void {
  const checkLiveness = deps.liveness.checkLiveness;
  deps.liveness.checkLiveness = async (request, options) => {
    during();
    return await checkLiveness(request, options);
  };
}

/** The check as the repository holds it. */
export function stored(deps: TestDeps, checkId = CHECK_ID): CheckItem | undefined {
  return deps.repository.items.get(checkId);
}

/** A DynamoDB throttling error as the SDK raises it. */
export const throttled = () =>
  Object.assign(new Error('slow down'), { name: 'ThrottlingException', $fault: 'client' });

/** A write DynamoDB refuses for good, as the SDK raises it. */
export const refusedForGood = () =>
  Object.assign(new Error('One or more parameter values were invalid'), {
    name: 'ValidationException',
    $fault: 'client',
  });

/** The final writes the checker made (or tried to make), with their inputs. */
export function finalWrites(deps: TestDeps) {
  return deps.repository.callsOf('finalize') as Parameters<InMemoryCheckRepository['finalize']>[0][];
}

/** The lease ids the claims carried, in order. */
export function claimedLeaseIds(deps: TestDeps): unknown[] {
  return deps.repository.callsOf('claim').map((input) => input.leaseId);
}

/** Matches a lease id of one delivery of `messageId`: the message id, then the delivery's nonce. */
export function leaseOfMessage(messageId: string) {
  return expect.stringMatching(new RegExp(`^${messageId}/[0-9a-f-]{36}$`));
}

/** The metric names `addMetric` was called with. */
export function metricNames(addMetric: { mock: { calls: unknown[][] } }): unknown[] {
  return addMetric.mock.calls.map(([name]) => name);
}
