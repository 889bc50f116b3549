/** The local stand-in for API Gateway (HTTP API, payload format 2.0) in front of the api function. */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { localAuthorizer } from './local-auth.js';
import { answerPreflight, corsResponseHeaders, type LocalCorsOrigins } from './local-cors.js';

/** The api function as the local server calls it. */
export type LocalApiInvoke = (
  event: APIGatewayProxyEventV2,
) => Promise<{ statusCode?: number; headers?: Record<string, unknown>; body?: string }>;

/** Options of {@link createLocalApiServer}. */
export interface LocalApiServerOptions {
  invoke: LocalApiInvoke;
  /**
   * Origins CORS allows, read on every request (the runtime adds its own origin once it listens);
   * empty: no CORS, as a stack without `corsAllowedOrigins`.
   */
  corsAllowedOrigins?: LocalCorsOrigins;
  /** Answers a request that is not for the API (the capture page); `false` passes it on. */
  serveOther?: (request: IncomingMessage, response: ServerResponse) => boolean;
}

/** The OpenAPI contract, served at `GET /openapi.json` (locally only; the stack does not serve it). */
const OPENAPI_URL = new URL('../../docs/openapi.json', import.meta.url);

/**
 * The local HTTP API: API Gateway's CORS preflight, the contract at `GET /openapi.json`, and every
 * other request to the api function as an HTTP API (payload 2.0) `$default` route.
 */
export function createLocalApiServer(options: LocalApiServerOptions): Server {
  const cors = options.corsAllowedOrigins ?? [];
  return createServer((request, response) => {
    if (answerPreflight(request, response, cors)) return;
    if (
      request.method === 'GET' &&
      new URL(request.url ?? '/', 'http://127.0.0.1').pathname === '/openapi.json'
    ) {
      request.resume();
      response.writeHead(200, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        ...corsResponseHeaders(request.headers, cors),
      });
      response.end(readFileSync(OPENAPI_URL));
      return;
    }
    if (options.serveOther?.(request, response)) return;
    serveApi(request, response, options.invoke, cors);
  });
}

/** Listens on 127.0.0.1 and resolves with the port; a busy port fails with what to do. */
export async function listen(server: Server, port: number): Promise<number> {
  return await new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${port} on 127.0.0.1 is busy: stop what uses it or set PORT to another port`)
          : error,
      );
    });
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** Plays API Gateway (HTTP API, payload format 2.0) in front of the api function. */
export function serveApi(
  request: IncomingMessage,
  response: ServerResponse,
  invoke: LocalApiInvoke,
  cors: LocalCorsOrigins = [],
): void {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [
        name,
        Array.isArray(value) ? value.join(',') : (value ?? ''),
      ]),
    );
    const body = Buffer.concat(chunks);
    const now = new Date();
    const event: APIGatewayProxyEventV2 = {
      version: '2.0',
      routeKey: '$default',
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: url.host,
        domainPrefix: 'local',
        http: {
          method: request.method ?? 'GET',
          path: url.pathname,
          protocol: `HTTP/${request.httpVersion}`,
          sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? '',
        },
        requestId: randomUUID(),
        routeKey: '$default',
        stage: '$default',
        time: now.toUTCString(),
        timeEpoch: now.getTime(),
      },
      ...(body.length > 0 ? { body: body.toString('base64') } : {}),
      isBase64Encoded: body.length > 0,
    };
    const authorizer = localAuthorizer(headers.authorization);
    if (!authorizer) {
      // What API Gateway's authorizer answers; the function never runs.
      response.writeHead(401, {
        'content-type': 'application/json',
        ...corsResponseHeaders(request.headers, cors),
      });
      response.end('{"message":"Unauthorized"}');
      return;
    }
    (event.requestContext as unknown as Record<string, unknown>).authorizer = authorizer;
    invoke(event).then(
      (result) => {
        response.writeHead(result.statusCode ?? 200, {
          ...(result.headers as Record<string, string>),
          ...corsResponseHeaders(request.headers, cors),
        });
        response.end(result.body ?? '');
      },
      () => {
        // What API Gateway answers when the integration fails.
        response.writeHead(500, {
          'content-type': 'application/json',
          ...corsResponseHeaders(request.headers, cors),
        });
        response.end('{"message":"Internal Server Error"}');
      },
    );
  });
}
