import { DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const context = {
  functionName: 'sweeper',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:sweeper',
  memoryLimitInMB: '256',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

const scheduled: ScheduledEvent = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2026-11-25T12:00:00Z',
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:123456789012:rule/sweeper-schedule'],
  detail: {},
};

const ddb = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);

function emfLines(spy: { mock: { calls: unknown[][] } }): Record<string, unknown>[] {
  return spy.mock.calls
    .map((call) => String(call[0]))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeEach(() => {
  vi.resetModules();
  ddb.reset();
  s3.reset();
  s3.on(ListObjectsV2Command).resolves({ KeyCount: 0 });
  s3.on(DeleteObjectCommand).resolves({});
  ddb.on(QueryCommand).resolves({ Items: [] });
  vi.stubEnv('TABLE_NAME', 'checks-table');
  vi.stubEnv('SELFIE_BUCKET', 'selfies-bucket');
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  vi.stubEnv('POWERTOOLS_DEV', '');
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('sweeper handler', () => {
  it('sweeps the configured table and publishes ChecksExpired and ChecksFailedStale', async () => {
    ddb
      .on(QueryCommand, { ExpressionAttributeValues: { ':status': 'AWAITING_UPLOAD' } })
      .resolves({ Items: [{ checkId: 'a1' }, { checkId: 'a2' }] });
    ddb
      .on(QueryCommand, { ExpressionAttributeValues: { ':status': 'CHECKING' } })
      .resolves({ Items: [{ checkId: 'c1' }] });
    ddb.on(UpdateCommand).resolves({ Attributes: {} });
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { handler } = await import('../../../functions/sweeper/handler.js');

    expect(await handler(scheduled, context)).toEqual({
      expired: 2,
      failed: 1,
      waiting: 0,
      unclaimed: 0,
      skipped: 0,
      notYetDue: 0,
      rescheduled: 0,
      errors: 0,
    });
    expect(ddb).toReceiveCommandWith(QueryCommand, { TableName: 'checks-table' });
    const [emf] = emfLines(stdout);
    expect(emf).toMatchObject({ ChecksExpired: 2, ChecksFailedStale: 1 });
  });

  it('looks for the selfie in the configured bucket and publishes ChecksAwaitingChecker when it is there', async () => {
    ddb
      .on(QueryCommand, { ExpressionAttributeValues: { ':status': 'AWAITING_UPLOAD' } })
      .resolves({ Items: [{ checkId: 'a1' }] });
    ddb.on(UpdateCommand).resolves({ Attributes: {} });
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'selfies/a1' }], KeyCount: 1 });
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { handler } = await import('../../../functions/sweeper/handler.js');

    expect(await handler(scheduled, context)).toMatchObject({ expired: 0, waiting: 1 });
    expect(s3).toReceiveCommandWith(ListObjectsV2Command, { Bucket: 'selfies-bucket', Prefix: 'selfies/a1' });
    expect(emfLines(stdout)[0]).toMatchObject({
      ChecksExpired: 0,
      ChecksAwaitingChecker: 1,
      ChecksFailedUnclaimed: 0,
    });
  });

  it('fails the run when some writes failed, after publishing what it did', async () => {
    ddb
      .on(QueryCommand, { ExpressionAttributeValues: { ':status': 'AWAITING_UPLOAD' } })
      .resolves({ Items: [{ checkId: 'a1' }] });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':status': 'CHECKING' } }).resolves({ Items: [] });
    ddb.on(UpdateCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { handler } = await import('../../../functions/sweeper/handler.js');

    await expect(handler(scheduled, context)).rejects.toThrow('sweep could not settle 1 check(s)');
    expect(emfLines(stdout)[0]).toMatchObject({ ChecksExpired: 0, ChecksFailedStale: 0 });
  });
});
