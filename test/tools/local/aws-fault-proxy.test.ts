import { createServer, type IncomingMessage, type Server } from 'node:http';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isRetryableAwsError } from '../../../shared/errors.js';
import {
  type AwsFaultProxy,
  type AwsFaultProxyOptions,
  classifyRequest,
  startAwsFaultProxy,
} from '../../../tools/local/aws-fault-proxy.js';

const SIGNED = 'AWS4-HMAC-SHA256 Credential=local/20261130/us-east-1/s3/aws4_request, Signature=abc';

/** A stand-in for moto: answers 200 with what it received, and remembers every request. */
const received: { method: string; url: string; target?: string; body: string }[] = [];
let upstream: Server;
let upstreamUrl: string;
let proxy: AwsFaultProxy | undefined;

beforeAll(async () => {
  upstream = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const target = request.headers['x-amz-target'];
      received.push({
        method: request.method ?? '',
        url: request.url ?? '',
        ...(typeof target === 'string' ? { target } : {}),
        body,
      });
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-upstream': 'yes' });
      response.end(JSON.stringify({ echo: body, host: request.headers.host }));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const address = upstream.address();
  upstreamUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterEach(async () => {
  await proxy?.stop();
  proxy = undefined;
  received.length = 0;
});

afterAll(async () => {
  await new Promise((resolve) => upstream.close(resolve));
});

async function start(options: Omit<AwsFaultProxyOptions, 'target'> = {}): Promise<AwsFaultProxy> {
  proxy = await startAwsFaultProxy({ target: upstreamUrl, ...options });
  return proxy;
}

const jsonCall = (endpoint: string, target: string, contentType = 'application/x-amz-json-1.0') =>
  fetch(`${endpoint}/`, {
    method: 'POST',
    headers: { 'x-amz-target': target, 'content-type': contentType, authorization: SIGNED },
    body: '{"TableName":"t"}',
  });

const sdkConfig = (endpoint: string) => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  forcePathStyle: true,
  maxAttempts: 1,
});

describe('classifyRequest', () => {
  const classify = (method: string, url: string, headers: Record<string, string>) =>
    classifyRequest({ method, url, headers });

  it('names DynamoDB item calls, Secrets Manager reads and PutEvents by their X-Amz-Target', () => {
    expect(classify('POST', '/', { 'x-amz-target': 'DynamoDB_20120810.UpdateItem' })).toBe('dynamodb-item');
    expect(classify('POST', '/', { 'x-amz-target': 'DynamoDB_20120810.Query' })).toBe('dynamodb-item');
    expect(classify('POST', '/', { 'x-amz-target': 'secretsmanager.GetSecretValue' })).toBe('secrets-read');
    expect(classify('POST', '/', { 'x-amz-target': 'AWSEvents.PutEvents' })).toBe('put-events');
  });

  it('lets pollers, writes of secrets and control-plane calls pass', () => {
    for (const target of [
      'AmazonSQS.ReceiveMessage',
      'AmazonSQS.DeleteMessageBatch',
      'AmazonSQS.ChangeMessageVisibility',
      'DynamoDBStreams_20120810.GetRecords',
      'DynamoDBStreams_20120810.GetShardIterator',
      'DynamoDB_20120810.CreateTable',
      'DynamoDB_20120810.DescribeTable',
      'secretsmanager.PutSecretValue',
      'AWSEvents.PutRule',
    ]) {
      expect(classify('POST', '/', { 'x-amz-target': target })).toBeUndefined();
    }
  });

  it('names signed S3 object calls by method and path, and lets bucket calls and presigned uploads pass', () => {
    const signed = { authorization: SIGNED };
    expect(classify('GET', '/bucket/selfies/abc?x-id=GetObject', signed)).toBe('s3-object');
    expect(classify('DELETE', '/bucket/selfies/abc?x-id=DeleteObject', signed)).toBe('s3-object');
    expect(classify('PUT', '/bucket/selfies/abc', signed)).toBe('s3-object');
    expect(classify('HEAD', '/bucket/selfies/abc', signed)).toBe('s3-object');
    expect(classify('PUT', '/bucket', signed)).toBeUndefined();
    expect(classify('GET', '/bucket/', signed)).toBeUndefined();
    // The app's presigned POST form: the policy and signature are form fields, not a header.
    expect(
      classify('POST', '/bucket', { 'content-type': 'multipart/form-data; boundary=x' }),
    ).toBeUndefined();
    expect(classify('GET', '/bucket/selfies/abc?X-Amz-Signature=abc', {})).toBeUndefined();
  });
});

describe('the AWS fault proxy', () => {
  it('forwards calls unchanged and answers with what the target answered', async () => {
    const { endpoint, counts } = await start();
    const response = await jsonCall(endpoint, 'DynamoDB_20120810.GetItem');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-upstream')).toBe('yes');
    const answer = (await response.json()) as { echo: string; host: string };
    expect(answer.echo).toBe('{"TableName":"t"}');
    // The Host header the client signed reaches the target unchanged.
    expect(answer.host).toBe(new URL(endpoint).host);
    expect(received).toEqual([
      { method: 'POST', url: '/', target: 'DynamoDB_20120810.GetItem', body: '{"TableName":"t"}' },
    ]);
    expect(counts().forwarded['dynamodb-item']).toBe(1);
  });

  it('throttles S3 object calls with 503 SlowDown, which the SDK takes as a retryable throttle', async () => {
    const { endpoint, counts } = await start({ rates: { 's3-object': { throttle: 1 } } });
    const s3 = new S3Client(sdkConfig(endpoint));
    const error = await s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'selfies/x' })).catch((e) => e);
    expect(error).toMatchObject({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
    expect(isRetryableAwsError(error)).toBe(true);
    expect(received).toEqual([]);
    expect(counts().injected['s3-object']).toEqual({ throttle: 1, error: 0, outage: 0 });
  });

  it('answers the raw S3 fault as AWS does', async () => {
    const { endpoint } = await start({ rates: { 's3-object': { throttle: 1 } } });
    const response = await fetch(`${endpoint}/bucket/selfies/abc`, { headers: { authorization: SIGNED } });
    expect(response.status).toBe(503);
    expect(await response.text()).toContain('<Error><Code>SlowDown</Code>');
  });

  it('throttles DynamoDB item calls with a 400 ThrottlingException in application/x-amz-json-1.0', async () => {
    const { endpoint } = await start({ rates: { 'dynamodb-item': { throttle: 1 } } });
    const raw = await jsonCall(endpoint, 'DynamoDB_20120810.UpdateItem');
    expect(raw.status).toBe(400);
    expect(raw.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(await raw.json()).toMatchObject({
      __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
    });
    const dynamodb = new DynamoDBClient(sdkConfig(endpoint));
    const error = await dynamodb
      .send(new GetItemCommand({ TableName: 't', Key: { checkId: { S: 'x' } } }))
      .catch((e) => e);
    expect(error).toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    expect(isRetryableAwsError(error)).toBe(true);
    expect(received).toEqual([]);
  });

  it('fails DynamoDB item calls with a 500 server fault', async () => {
    const { endpoint } = await start({ rates: { 'dynamodb-item': { error: 1 } } });
    const dynamodb = new DynamoDBClient(sdkConfig(endpoint));
    const error = await dynamodb
      .send(new GetItemCommand({ TableName: 't', Key: { checkId: { S: 'x' } } }))
      .catch((e) => e);
    expect(error).toMatchObject({ name: 'InternalServerError', $fault: 'server' });
  });

  it('throttles Secrets Manager reads with a 400 ThrottlingException', async () => {
    const { endpoint } = await start({ rates: { 'secrets-read': { throttle: 1 } } });
    const secrets = new SecretsManagerClient(sdkConfig(endpoint));
    const error = await secrets.send(new GetSecretValueCommand({ SecretId: 's' })).catch((e) => e);
    expect(error).toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    expect(isRetryableAwsError(error)).toBe(true);
  });

  it('fails PutEvents with a 500', async () => {
    const { endpoint, counts } = await start({ rates: { 'put-events': { error: 1 } } });
    const events = new EventBridgeClient(sdkConfig(endpoint));
    const error = await events
      .send(new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}' }] }))
      .catch((e) => e);
    expect(error).toMatchObject({ $metadata: { httpStatusCode: 500 }, $fault: 'server' });
    expect(counts().injected['put-events'].error).toBe(1);
  });

  it('lets pollers and presigned uploads through even when every faultable call fails', async () => {
    const { endpoint, counts } = await start({ rates: 1 });
    expect((await jsonCall(endpoint, 'AmazonSQS.ReceiveMessage')).status).toBe(200);
    expect((await jsonCall(endpoint, 'DynamoDBStreams_20120810.GetRecords')).status).toBe(200);
    const form = new FormData();
    form.append('key', 'selfies/abc');
    form.append('file', new Blob([new Uint8Array([1, 2, 3])]), 'selfie');
    expect((await fetch(`${endpoint}/bucket`, { method: 'POST', body: form })).status).toBe(200);
    expect((await jsonCall(endpoint, 'DynamoDB_20120810.PutItem')).status).not.toBe(200);
    expect(counts().passedThrough).toBe(3);
    expect(received.map((r) => r.target ?? `${r.method} ${r.url}`)).toEqual([
      'AmazonSQS.ReceiveMessage',
      'DynamoDBStreams_20120810.GetRecords',
      'POST /bucket',
    ]);
  });

  it('fails a set share of calls, split between throttles and server errors, and counts each kind', async () => {
    const { endpoint, counts } = await start({ rates: 0.2, seed: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++)
      statuses.push((await jsonCall(endpoint, 'DynamoDB_20120810.UpdateItem')).status);
    const { throttle, error } = counts().injected['dynamodb-item'];
    expect(statuses.filter((s) => s === 400)).toHaveLength(throttle);
    expect(statuses.filter((s) => s === 500)).toHaveLength(error);
    expect(throttle + error).toBeGreaterThan(20);
    expect(throttle + error).toBeLessThan(60);
    expect(throttle).toBeGreaterThan(8);
    expect(error).toBeGreaterThan(8);
    expect(counts().forwarded['dynamodb-item']).toBe(200 - throttle - error);
  });

  it('repeats the same fault sequence for the same seed, and another for another seed', async () => {
    const run = async (seed: number) => {
      const { endpoint } = await start({ rates: 0.3, seed });
      const statuses: number[] = [];
      for (let i = 0; i < 60; i++)
        statuses.push((await jsonCall(endpoint, 'secretsmanager.GetSecretValue')).status);
      await proxy?.stop();
      proxy = undefined;
      return statuses.join(',');
    };
    const first = await run(42);
    expect(await run(42)).toBe(first);
    expect(await run(43)).not.toBe(first);
  });

  it("keeps one class's fault sequence independent of the other classes' traffic", async () => {
    const run = async (interleave: boolean) => {
      const { endpoint } = await start({ rates: 0.5, seed: 9 });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) {
        if (interleave) await jsonCall(endpoint, 'AWSEvents.PutEvents', 'application/x-amz-json-1.1');
        statuses.push((await jsonCall(endpoint, 'DynamoDB_20120810.GetItem')).status);
      }
      await proxy?.stop();
      proxy = undefined;
      return statuses.join(',');
    };
    expect(await run(true)).toBe(await run(false));
  });

  it('stages an outage of one service for a number of seconds, then lets its calls through', async () => {
    const { endpoint, outage, counts } = await start();
    const over = outage('dynamodb', 0.3);
    expect((await jsonCall(endpoint, 'DynamoDB_20120810.UpdateItem')).status).toBe(500);
    expect((await jsonCall(endpoint, 'secretsmanager.GetSecretValue')).status).toBe(200);
    await over;
    expect((await jsonCall(endpoint, 'DynamoDB_20120810.UpdateItem')).status).toBe(200);
    expect(counts().injected['dynamodb-item']).toEqual({ throttle: 0, error: 0, outage: 1 });
  });

  it('answers an S3 outage with 503 ServiceUnavailable', async () => {
    const { endpoint, outage, totals } = await start();
    const over = outage('s3', 0.2);
    const response = await fetch(`${endpoint}/bucket/selfies/abc`, {
      method: 'DELETE',
      headers: { authorization: SIGNED },
    });
    expect(response.status).toBe(503);
    expect(await response.text()).toContain('<Code>ServiceUnavailable</Code>');
    await over;
    expect(totals()).toEqual({ throttle: 0, error: 0, outage: 1 });
  });

  it('records every call it receives with recordCalls, faulted ones too, and none without it', async () => {
    const recording = await start({ recordCalls: true, rates: { 'dynamodb-item': { throttle: 1 } } });
    const dynamodb = new DynamoDBClient(sdkConfig(recording.endpoint));
    const throttled = await dynamodb
      .send(new GetItemCommand({ TableName: 't', Key: { checkId: { S: 'x' } } }))
      .catch((e) => e);
    expect(throttled).toMatchObject({ name: 'ThrottlingException' });
    const secrets = new SecretsManagerClient({
      ...sdkConfig(recording.endpoint),
      customUserAgent: [['selfie-liveness', 'token-refresher']],
    });
    await secrets.send(new GetSecretValueCommand({ SecretId: 's' })).catch(() => undefined);
    expect(recording.calls()).toEqual([
      { fn: undefined, action: 'dynamodb:GetItem' },
      { fn: 'token-refresher', action: 'secretsmanager:GetSecretValue' },
    ]);
    await recording.stop();

    const silent = await start();
    await jsonCall(silent.endpoint, 'DynamoDB_20120810.GetItem');
    expect(silent.calls()).toEqual([]);
  });

  it('loses the answers of scripted calls after the target applied them: a 500, a reset, a late answer', async () => {
    const { endpoint, loseAnswers, counts } = await start();
    loseAnswers({
      target: 'DynamoDB_20120810.PutItem',
      bodyIncludes: '"t"',
      answers: ['error', 'reset', 'late'],
      holdMs: 300,
    });
    const lostError = await jsonCall(endpoint, 'DynamoDB_20120810.PutItem');
    expect(lostError.status).toBe(500);
    expect(await lostError.json()).toMatchObject({ __type: expect.stringContaining('InternalServerError') });
    await expect(jsonCall(endpoint, 'DynamoDB_20120810.PutItem')).rejects.toThrow();
    // A client that stops waiting before the hold is over never sees the answer; the target applied the call.
    await expect(
      fetch(`${endpoint}/`, {
        method: 'POST',
        headers: { 'x-amz-target': 'DynamoDB_20120810.PutItem', authorization: SIGNED },
        body: '{"TableName":"t"}',
        signal: AbortSignal.timeout(100),
      }),
    ).rejects.toThrow();
    // Past the script, calls pass as before.
    expect((await jsonCall(endpoint, 'DynamoDB_20120810.PutItem')).status).toBe(200);
    expect(received.map((r) => r.target)).toEqual(Array(4).fill('DynamoDB_20120810.PutItem'));
    expect(counts().answersLost).toEqual({ error: 1, reset: 1, late: 1 });
    expect(counts().forwarded['dynamodb-item']).toBe(4);
  });

  it('gives a late answer to a client that waits for it, and leaves calls the script does not match alone', async () => {
    const { endpoint, loseAnswers } = await start();
    loseAnswers({
      target: 'AmazonSQS.ReceiveMessage',
      bodyIncludes: 'queue-a',
      answers: ['late'],
      holdMs: 200,
    });
    const other = await fetch(`${endpoint}/`, {
      method: 'POST',
      headers: { 'x-amz-target': 'AmazonSQS.ReceiveMessage' },
      body: '{"QueueUrl":"queue-b"}',
    });
    expect(other.status).toBe(200);
    const late = await fetch(`${endpoint}/`, {
      method: 'POST',
      headers: { 'x-amz-target': 'AmazonSQS.ReceiveMessage' },
      body: '{"QueueUrl":"queue-a"}',
    });
    expect(late.status).toBe(200);
    expect(((await late.json()) as { echo: string }).echo).toBe('{"QueueUrl":"queue-a"}');
    expect(received.map((r) => r.body)).toEqual(['{"QueueUrl":"queue-b"}', '{"QueueUrl":"queue-a"}']);
  });

  it('loses a set share of answers after forwarding, apart from the faults that never reach the target', async () => {
    const { endpoint, counts } = await start({ rates: { 'dynamodb-item': { lost: 0.3 } }, seed: 5 });
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++)
      statuses.push((await jsonCall(endpoint, 'DynamoDB_20120810.UpdateItem')).status);
    const lost = statuses.filter((s) => s === 500).length;
    expect(lost).toBeGreaterThan(15);
    expect(lost).toBeLessThan(45);
    expect(counts().answersLost.error).toBe(lost);
    expect(counts().injected['dynamodb-item']).toEqual({ throttle: 0, error: 0, outage: 0 });
    // Every call reached the target, the lost ones included.
    expect(received).toHaveLength(100);
    expect(counts().forwarded['dynamodb-item']).toBe(100);
  });

  it('lets the SDK retry a call whose answer was lost, so the target receives it twice', async () => {
    const { endpoint, loseAnswers } = await start();
    loseAnswers({ target: 'DynamoDB_20120810.GetItem', answers: ['error'] });
    const dynamodb = new DynamoDBClient({ ...sdkConfig(endpoint), maxAttempts: 3 });
    await dynamodb.send(new GetItemCommand({ TableName: 't', Key: { checkId: { S: 'x' } } }));
    expect(received.map((r) => r.target)).toEqual(['DynamoDB_20120810.GetItem', 'DynamoDB_20120810.GetItem']);
  });

  it('refuses rates outside 0..1 and unknown classes with a message saying what is allowed', async () => {
    await expect(start({ rates: 1.5 })).rejects.toThrow(/between 0 and 1/);
    await expect(start({ rates: { 'dynamodb-item': { throttle: 0.7, error: 0.6 } } })).rejects.toThrow(
      /between 0 and 1/,
    );
    await expect(start({ rates: { 'dynamodb-item': { error: 0.5, lost: 0.6 } } })).rejects.toThrow(
      /between 0 and 1/,
    );
    await expect(start({ rates: { sqs: { throttle: 0.1 } } as never })).rejects.toThrow(/s3-object/);
  });

  it('answers 502 when the target is unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const address = closed.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await new Promise((resolve) => closed.close(resolve));
    proxy = await startAwsFaultProxy({ target: `http://127.0.0.1:${port}` });
    expect((await jsonCall(proxy.endpoint, 'DynamoDB_20120810.GetItem')).status).toBe(502);
  });
});
