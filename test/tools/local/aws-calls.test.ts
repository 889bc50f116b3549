import { createServer, type IncomingMessage, type Server } from 'node:http';
import { DynamoDBClient, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient, GetRecordsCommand } from '@aws-sdk/client-dynamodb-streams';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsClientOptions, type FunctionName } from '../../../functions/commons/aws-clients.js';
import { type CallRequest, type ObservedCall, observeCall } from '../../../tools/local/aws-calls.js';

/** Stands in for AWS: remembers each request's shape and answers 200 with an empty JSON body. */
const seen: CallRequest[] = [];
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((request: IncomingMessage, response) => {
    seen.push({ method: request.method, url: request.url, headers: request.headers });
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen.length = 0;
});

const config = (fn?: FunctionName) => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  maxAttempts: 1,
  ...(fn ? awsClientOptions(fn) : {}),
});

/** What the recorder makes of the one request `send` made; the answer (an empty body) may not parse. */
async function observe(send: () => Promise<unknown>): Promise<ObservedCall> {
  await send().catch(() => undefined);
  expect(seen).toHaveLength(1);
  return observeCall(seen[0] as CallRequest);
}

describe('observeCall on the requests the SDK clients send', () => {
  it('names JSON-protocol calls by their X-Amz-Target and signing service, and the function by its user agent', async () => {
    const cases: [FunctionName, () => Promise<unknown>, string][] = [
      [
        'checker',
        () =>
          new DynamoDBClient(config('checker')).send(
            new UpdateItemCommand({ TableName: 't', Key: { checkId: { S: 'x' } } }),
          ),
        'dynamodb:UpdateItem',
      ],
      [
        'sweeper',
        () =>
          new DynamoDBClient(config('sweeper')).send(
            new QueryCommand({ TableName: 't', IndexName: 'sweep', KeyConditionExpression: 'a = :a' }),
          ),
        'dynamodb:Query',
      ],
      [
        'checker',
        () => new SecretsManagerClient(config('checker')).send(new GetSecretValueCommand({ SecretId: 's' })),
        'secretsmanager:GetSecretValue',
      ],
      [
        'token-refresher',
        () =>
          new SecretsManagerClient(config('token-refresher')).send(
            new PutSecretValueCommand({ SecretId: 's', SecretString: '{}' }),
          ),
        'secretsmanager:PutSecretValue',
      ],
      [
        'notifier',
        () =>
          new EventBridgeClient(config('notifier')).send(
            new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}' }] }),
          ),
        'events:PutEvents',
      ],
      [
        'api',
        () =>
          new SQSClient(config('api')).send(
            new SendMessageCommand({ QueueUrl: `${endpoint}/1/q`, MessageBody: 'm' }),
          ),
        'sqs:SendMessage',
      ],
    ];
    for (const [fn, send, action] of cases) {
      seen.length = 0;
      expect(await observe(send)).toEqual({ fn, action });
    }
  });

  it('names DynamoDB Streams reads as IAM does (dynamodb:GetRecords) and a client without a function name as no one', async () => {
    expect(
      await observe(() =>
        new DynamoDBStreamsClient(config()).send(new GetRecordsCommand({ ShardIterator: 'i' })),
      ),
    ).toEqual({ fn: undefined, action: 'dynamodb:GetRecords' });
    seen.length = 0;
    expect(
      await observe(() =>
        new SQSClient(config()).send(new ReceiveMessageCommand({ QueueUrl: `${endpoint}/1/q` })),
      ),
    ).toEqual({ fn: undefined, action: 'sqs:ReceiveMessage' });
  });

  it("names Lambda's Invoke by its path", async () => {
    expect(
      await observe(() =>
        new LambdaClient(config('checker')).send(
          new InvokeCommand({ FunctionName: 'token-refresher', InvocationType: 'Event', Payload: '{}' }),
        ),
      ),
    ).toEqual({ fn: 'checker', action: 'lambda:InvokeFunction' });
  });

  it('names S3 object and listing calls by method and path, and other bucket calls as unknown', async () => {
    const s3 = (fn: FunctionName) => new S3Client(config(fn));
    const cases: [FunctionName, () => Promise<unknown>, string][] = [
      [
        'checker',
        () => s3('checker').send(new GetObjectCommand({ Bucket: 'b', Key: 'selfies/x' })),
        's3:GetObject',
      ],
      [
        'checker',
        () => s3('checker').send(new HeadObjectCommand({ Bucket: 'b', Key: 'selfies/x' })),
        's3:GetObject',
      ],
      [
        'sweeper',
        () => s3('sweeper').send(new DeleteObjectCommand({ Bucket: 'b', Key: 'selfies/x' })),
        's3:DeleteObject',
      ],
      [
        'api',
        () => s3('api').send(new PutObjectCommand({ Bucket: 'b', Key: 'selfies/x', Body: 'x' })),
        's3:PutObject',
      ],
      [
        'sweeper',
        () => s3('sweeper').send(new ListObjectsV2Command({ Bucket: 'b', Prefix: 'selfies/x', MaxKeys: 1 })),
        's3:ListBucket',
      ],
    ];
    for (const [fn, send, action] of cases) {
      seen.length = 0;
      expect(await observe(send)).toEqual({ fn, action });
    }
    seen.length = 0;
    const cors = await observe(() =>
      s3('api').send(
        new PutBucketCorsCommand({
          Bucket: 'b',
          CORSConfiguration: { CORSRules: [{ AllowedMethods: ['POST'], AllowedOrigins: ['*'] }] },
        }),
      ),
    );
    expect(cors).toMatchObject({
      fn: 'api',
      action: 's3:?',
      request: expect.stringMatching(/^PUT \/b\/?\?cors/),
    });
  });

  it("names an app's presigned POST upload s3:PutObject from presigned-post, whatever its user agent", async () => {
    const form = await createPresignedPost(new S3Client(config('api')), {
      Bucket: 'b',
      Key: 'selfies/x',
      Expires: 60,
    });
    const body = new FormData();
    for (const [name, value] of Object.entries(form.fields)) body.append(name, value);
    body.append('file', new Blob([new Uint8Array([1, 2, 3])]), 'selfie.jpg');
    expect(seen).toHaveLength(0);
    const response = await fetch(form.url, { method: 'POST', body });
    expect(response.status).toBe(200);

    expect(seen).toHaveLength(1);
    expect(observeCall(seen[0] as CallRequest)).toEqual({ fn: 'presigned-post', action: 's3:PutObject' });
  });

  it('names a presigned URL by the credential in its query, and no function', () => {
    const credential = encodeURIComponent('local/20261204/us-east-1/s3/aws4_request');
    expect(
      observeCall({
        method: 'GET',
        url: `/b/selfies/x?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${credential}&X-Amz-Signature=abc`,
        headers: { 'user-agent': 'curl/8' },
      }),
    ).toEqual({ fn: undefined, action: 's3:GetObject' });
  });

  it('says what it saw when it cannot name the call', () => {
    expect(observeCall({ method: 'GET', url: '/moto-api/data.json', headers: {} })).toEqual({
      fn: undefined,
      action: 'unknown:?',
      request: 'GET /moto-api/data.json',
    });
  });
});
