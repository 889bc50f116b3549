import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadEvent } from './events.js';

const context = {
  functionName: 'api',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:api',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/api',
  logStreamName: '2026/11/25/[$LATEST]abc',
  getRemainingTimeInMillis: () => 3000,
} as unknown as Context;

const ddb = mockClient(DynamoDBDocumentClient);

beforeEach(() => {
  vi.resetModules();
  ddb.reset();
  vi.stubEnv('TABLE_NAME', 'checks-table');
  vi.stubEnv('SELFIE_BUCKET', 'selfie-bucket');
  vi.stubEnv('SELFIE_PREFIX', 'incoming/');
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
  vi.stubEnv('AWS_SESSION_TOKEN', 'token');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('api handler', () => {
  it('wires the configuration into a working POST /checks', async () => {
    ddb.on(PutCommand).resolves({});
    const { handler } = await import('../../../functions/api/handler.js');
    const response = await handler(loadEvent('post-checks'), context);
    expect(response.statusCode).toBe(201);
    const created = JSON.parse(response.body) as {
      checkId: string;
      upload: { fields: Record<string, string> };
    };
    expect(created.checkId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(created.upload.fields.key).toBe(`incoming/${created.checkId}`);
    expect(ddb).toReceiveCommandWith(PutCommand, { TableName: 'checks-table' });
  });

  it('issues a new id for every check', async () => {
    ddb.on(PutCommand).resolves({});
    const { handler } = await import('../../../functions/api/handler.js');
    const first = JSON.parse((await handler(loadEvent('post-checks'), context)).body) as { checkId: string };
    const second = JSON.parse((await handler(loadEvent('post-checks'), context)).body) as { checkId: string };
    expect(first.checkId).not.toBe(second.checkId);
  });

  it('answers GET /checks/{checkId} from the configured table', async () => {
    ddb.on(GetCommand).resolves({});
    const { handler } = await import('../../../functions/api/handler.js');
    expect((await handler(loadEvent('get-check'), context)).statusCode).toBe(404);
    expect(ddb).toReceiveCommandWith(GetCommand, { TableName: 'checks-table' });
  });

  it('fails the cold start with a message naming a missing variable', async () => {
    vi.stubEnv('SELFIE_BUCKET', '');
    await expect(import('../../../functions/api/handler.js')).rejects.toThrow('SELFIE_BUCKET is required');
  });
});
