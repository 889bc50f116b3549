import { createServer, type Server, type Socket } from 'node:net';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_REQUEST_HANDLER, localAwsClients } from '../../../tools/local/provision.js';

describe('the local pipeline’s own AWS clients', () => {
  let silent: Server;
  let endpoint: string;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    // Accepts connections and never answers: a moto that hung.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('give up on a call that is never answered, so a poller is never held for good', async () => {
    const { sqs } = localAwsClients(
      { endpoint, region: 'us-east-1' },
      { ...LOCAL_REQUEST_HANDLER, requestTimeout: 200 },
    );
    sqs.config.maxAttempts = async () => 1;
    await expect(
      sqs.send(new ReceiveMessageCommand({ QueueUrl: `${endpoint}/000000000000/q`, WaitTimeSeconds: 0 })),
    ).rejects.toThrow(/timed out|timeout/i);
  });

  it('allow each attempt 10 s, well above a local long poll of 1 s', () => {
    expect(LOCAL_REQUEST_HANDLER).toMatchObject({ requestTimeout: 10_000, throwOnRequestTimeout: true });
  });
});
