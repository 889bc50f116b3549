/**
 * Lambda's Invoke API for the local pipeline, which has no Lambda service (moto runs functions only
 * in Docker): `POST /2015-03-31/functions/<name>/invocations`, answered the way Lambda answers the
 * SDK. `npm run ops -- rotate-credentials` forces the token-refresher through it, with the same
 * `LambdaClient` call it makes against AWS.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A function the endpoint runs: the handler, given the event. */
export type LocalFunction = (event: unknown) => Promise<unknown>;

/** A running endpoint. */
export interface LocalLambda {
  /** The endpoint for `LambdaClient` (`AWS_ENDPOINT_URL_LAMBDA`). */
  endpoint: string;
  /** Resolves when every asynchronous (`Event`) invocation has finished. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** Serves the functions by name (a function ARN's last part counts as the name) on 127.0.0.1. */
export async function serveLocalLambda(
  functions: Readonly<Record<string, LocalFunction>>,
  port = 0,
): Promise<LocalLambda> {
  const running = new Set<Promise<unknown>>();
  const server = createServer((request, response) => {
    answer(request, response).catch(() => {
      if (!response.headersSent)
        send(response, 500, { message: 'local lambda error' }, { 'x-amzn-errortype': 'ServiceException' });
    });
  });

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const match = INVOKE_PATH.exec(new URL(request.url ?? '/', 'http://local').pathname);
    const body = await readBody(request);
    if (request.method !== 'POST' || !match) {
      return send(
        response,
        404,
        { message: 'only Invoke is served here' },
        { 'x-amzn-errortype': 'UnknownOperationException' },
      );
    }
    const name =
      decodeURIComponent(match[1] ?? '')
        .split(':')
        .at(-1) ?? '';
    const fn = functions[name];
    if (!fn) {
      return send(
        response,
        404,
        { Type: 'User', message: `Function not found: ${name}` },
        { 'x-amzn-errortype': 'ResourceNotFoundException' },
      );
    }
    const event: unknown = body.length > 0 ? JSON.parse(body) : {};
    const type = request.headers['x-amz-invocation-type'] ?? 'RequestResponse';
    if (type === 'Event') {
      const run = fn(event).catch(() => undefined);
      running.add(run);
      void run.finally(() => running.delete(run));
      return send(response, 202, undefined);
    }
    try {
      return send(response, 200, (await fn(event)) ?? null, { 'x-amz-executed-version': '$LATEST' });
    } catch (error) {
      const { name: errorType, message } = error instanceof Error ? error : new Error(String(error));
      return send(
        response,
        200,
        { errorType, errorMessage: message },
        { 'x-amz-function-error': 'Unhandled', 'x-amz-executed-version': '$LATEST' },
      );
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    idle: async () => {
      await Promise.all([...running]);
    },
    stop: async () => {
      await Promise.all([...running]);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}
