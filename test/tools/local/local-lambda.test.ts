import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalLambda, serveLocalLambda } from '../../../tools/local/local-lambda.js';

let lambda: LocalLambda;
let client: LambdaClient;
const received: unknown[] = [];

beforeAll(async () => {
  lambda = await serveLocalLambda({
    'token-refresher': async (event) => {
      received.push(event);
      if ((event as { fail?: boolean }).fail)
        throw Object.assign(new Error('refused'), { name: 'TerminalError' });
      return { refreshed: true };
    },
  });
  client = new LambdaClient({
    endpoint: lambda.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  client.destroy();
  await lambda.stop();
});

const payload = (value: unknown) => Buffer.from(JSON.stringify(value));
const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('utf8');

describe('the local Lambda invoke endpoint', () => {
  it('runs a function with the event and answers its result, as Lambda does for the SDK', async () => {
    const answer = await client.send(
      new InvokeCommand({ FunctionName: 'token-refresher', Payload: payload({ force: true }) }),
    );
    expect(answer.StatusCode).toBe(200);
    expect(answer.FunctionError).toBeUndefined();
    expect(JSON.parse(text(answer.Payload))).toEqual({ refreshed: true });
    expect(received.at(-1)).toEqual({ force: true });
  });

  it('answers a thrown error as an unhandled function error with its type and message', async () => {
    const answer = await client.send(
      new InvokeCommand({ FunctionName: 'token-refresher', Payload: payload({ fail: true }) }),
    );
    expect(answer.FunctionError).toBe('Unhandled');
    expect(JSON.parse(text(answer.Payload))).toEqual({ errorType: 'TerminalError', errorMessage: 'refused' });
  });

  it('accepts an asynchronous invoke with 202 and runs it', async () => {
    const before = received.length;
    const answer = await client.send(
      new InvokeCommand({
        FunctionName: 'token-refresher',
        InvocationType: 'Event',
        Payload: payload({ n: 1 }),
      }),
    );
    expect(answer.StatusCode).toBe(202);
    await lambda.idle();
    expect(received.length).toBe(before + 1);
  });

  it('refuses an unknown function as Lambda does', async () => {
    await expect(
      client.send(new InvokeCommand({ FunctionName: 'nothing', Payload: payload({}) })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
