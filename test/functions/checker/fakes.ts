/**
 * The checker's unit-test fakes: aws-sdk-client-mock on S3 and DynamoDB (module scope: never import
 * this from a moto suite), deps with a fake vendor and a clock that never waits.
 */
import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { sdkStreamMixin } from '@smithy/util-stream';
import { mockClient } from 'aws-sdk-client-mock';
import { expect, vi } from 'vitest';
import type { CheckerDeps } from '../../../functions/checker/checker.js';
import { readConfig } from '../../../functions/checker/config.js';
import { OutcomeMemory } from '../../../functions/checker/outcome-memory.js';
import type { LivenessOutcome } from '../../../shared/apptenticate/outcome.js';
import { CheckRepository } from '../../../shared/check-repository.js';
import { createLogger, createMetrics } from '../../../shared/observability.js';
import { makePng } from '../../../tools/simulator/images.js';

// One mock per client class, per test file (vitest isolates each file's modules).
export const s3Mock = mockClient(S3Client);
export const ddbMock = mockClient(DynamoDBDocumentClient);

export const CHECK_ID = '3f6c1e0a-2b4d-4c8e-9f1a-7b2c3d4e5f60';
export const KEY = `selfies/${CHECK_ID}`;
export const selfie = makePng({ width: 200, height: 200 });
/** The fake clock's time. */
export const NOW = new Date('2026-11-25T10:00:00Z');

/** An S3 GetObject `Body` holding `bytes`. */
export function body(bytes: Uint8Array) {
  return sdkStreamMixin(Readable.from([Buffer.from(bytes)]));
}

/** The checker's deps with a fake vendor answering `outcomes` in turn (then PASSED), and a clock that never waits. */
export function makeDeps(
  outcomes: LivenessOutcome[],
  env: Record<string, string> = {},
): CheckerDeps & { vendorCalls: () => number; sleeps: number[] } {
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
  return {
    config,
    s3: new S3Client({ region: 'us-east-1' }),
    repository: new CheckRepository(new DynamoDBClient({ region: 'us-east-1' }), 'checks', 86_400),
    liveness: { checkLiveness },
    logger: createLogger('checker-test', 'ERROR'),
    metrics: createMetrics('checker-test'),
    clock: {
      now: () => new Date(NOW),
      // No wall-clock waits in tests: backoff only records what it would have slept.
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
    outcomeMemory: new OutcomeMemory(),
    vendorCalls: () => checkLiveness.mock.calls.length,
    sleeps,
  };
}

/** A DynamoDB throttling error as the SDK raises it. */
export const throttled = () =>
  Object.assign(new Error('slow down'), { name: 'ThrottlingException', $fault: 'client' });

/** DynamoDB answers every UpdateItem by echoing a plausible new image. */
export function acceptWrites(extra: Record<string, unknown> = {}) {
  ddbMock.on(UpdateCommand).callsFake((input) => ({
    Attributes: {
      checkId: input.Key.checkId,
      status: input.ExpressionAttributeValues[':final'] ?? 'CHECKING',
      attempts: 1,
      version: 2,
      ...extra,
    },
  }));
}

/** The UpdateItem inputs that made (or tried to make) a check final. */
export function finalWrites() {
  return ddbMock
    .commandCalls(UpdateCommand)
    .map((c) => c.args[0].input)
    .filter((input) => input.ExpressionAttributeValues?.[':final'] !== undefined);
}

/** The mocks as most tests start: the selfie is there, deletes and writes succeed. */
export function resetAws() {
  s3Mock.reset();
  ddbMock.reset();
  s3Mock
    .on(GetObjectCommand)
    .callsFake(() => ({ Body: body(selfie), ContentLength: selfie.length, Metadata: {} }));
  s3Mock.on(DeleteObjectCommand).resolves({});
  acceptWrites();
}

/** The lease ids the claims carried, in order. */
export function claimedLeaseIds(): unknown[] {
  return ddbMock
    .commandCalls(UpdateCommand)
    .map((c) => c.args[0].input)
    .filter((input) => input.ExpressionAttributeValues?.[':lease'] !== undefined)
    .map((input) => input.ExpressionAttributeValues?.[':leaseId']);
}

/** Matches a lease id of one delivery of `messageId`: the message id, then the delivery's nonce. */
export function leaseOfMessage(messageId: string) {
  return expect.stringMatching(new RegExp(`^${messageId}/[0-9a-f-]{36}$`));
}

/** The metric names `addMetric` was called with. */
export function metricNames(addMetric: { mock: { calls: unknown[][] } }): unknown[] {
  return addMetric.mock.calls.map(([name]) => name);
}
