import type { Server } from 'node:http';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { API_CORS } from '../../../infra/api-cors.js';
import { createLocalApiServer, type LocalApiInvoke, listen } from '../../../tools/local/local-api.js';
import { CHECK_ID, CONTRACT_CASES } from '../../functions/api/contract-cases.js';
import { contractProblems, OPENAPI } from '../../support/openapi.js';

const APP_ORIGIN = 'http://127.0.0.1:5173';
const ddb = mockClient(DynamoDBDocumentClient);

async function start(invoke: LocalApiInvoke, corsAllowedOrigins: string[] = []) {
  const server = createLocalApiServer({ invoke, corsAllowedOrigins });
  const port = await listen(server, 0);
  return { server, url: `http://127.0.0.1:${port}` };
}

async function close(server: Server | undefined): Promise<void> {
  await new Promise<void>((resolve) => {
    if (!server?.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** What came over HTTP, in the shape the contract validator reads. */
async function observed(response: Response) {
  return {
    statusCode: response.status,
    headers: Object.fromEntries(response.headers.entries()),
    body: await response.text(),
  };
}

describe('the local API over HTTP against docs/openapi.json', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    vi.stubEnv('TABLE_NAME', 'checks');
    vi.stubEnv('SELFIE_BUCKET', 'selfie-bucket');
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    const { handler } = await import('../../../functions/api/handler.js');
    ({ server, url } = await start(async (event) => await handler(event, {} as Context), [APP_ORIGIN]));
  });
  afterAll(async () => {
    await close(server);
    vi.unstubAllEnvs();
  });
  beforeEach(() => {
    ddb.reset();
  });

  it.each(CONTRACT_CASES.filter((c) => c.only !== 'handler'))(
    'answers $name as the contract says',
    async (contractCase) => {
      contractCase.dynamodb?.(ddb);
      const { method, path, headers, body } = contractCase.request;
      const response = await observed(
        await fetch(`${url}${path}`, { method, ...(headers ? { headers } : {}), ...(body ? { body } : {}) }),
      );
      expect(response.statusCode).toBe(contractCase.status);
      if (contractCase.code) expect(JSON.parse(response.body).error.code).toBe(contractCase.code);
      expect(contractProblems(contractCase.where, response)).toEqual([]);
    },
  );

  it('serves the contract at GET /openapi.json', async () => {
    const response = await fetch(`${url}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual(OPENAPI);
  });
});

describe('the local API when the function fails', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await close(server);
  });

  it("answers API Gateway's own 500, as the contract says", async () => {
    let url: string;
    ({ server, url } = await start(async () => {
      throw new Error('the handler crashed');
    }));
    const response = await observed(await fetch(`${url}/checks/${CHECK_ID}`));
    expect(response).toMatchObject({ statusCode: 500, body: '{"message":"Internal Server Error"}' });
    expect(contractProblems({ method: 'GET', path: '/checks/{checkId}' }, response)).toEqual([]);
  });
});

describe('CORS on the local API', () => {
  let server: Server | undefined;
  const invoke = vi.fn<LocalApiInvoke>(async () => ({
    statusCode: 429,
    headers: { 'content-type': 'application/json', 'retry-after': '7' },
    body: '{}',
  }));
  afterEach(async () => {
    await close(server);
    invoke.mockClear();
  });
  const preflight = (origin: string) => ({
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type',
    },
  });

  it('answers a preflight from an allowed origin itself, with the methods and headers the stack allows', async () => {
    let url: string;
    ({ server, url } = await start(invoke, [APP_ORIGIN]));
    const response = await fetch(`${url}/checks`, preflight(APP_ORIGIN));
    expect(response.status).toBe(204);
    expect(Object.fromEntries(response.headers.entries())).toMatchObject({
      'access-control-allow-origin': APP_ORIGIN,
      'access-control-allow-methods': 'GET,POST',
      'access-control-allow-headers': API_CORS.allowHeaders.join(','),
      'access-control-max-age': '3600',
    });
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(invoke).not.toHaveBeenCalled();
  });

  it('gives an origin it does not allow no CORS headers, so the browser blocks the call', async () => {
    let url: string;
    ({ server, url } = await start(invoke, [APP_ORIGIN]));
    const denied = await fetch(`${url}/checks`, preflight('https://evil.example'));
    expect(denied.status).toBe(204);
    expect([...denied.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    const call = await fetch(`${url}/checks`, {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
    });
    expect(call.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("adds the allowed origin to the function's answers and shows scripts retry-after", async () => {
    let url: string;
    ({ server, url } = await start(invoke, [APP_ORIGIN]));
    const response = await fetch(`${url}/checks`, { method: 'POST', headers: { origin: APP_ORIGIN } });
    expect(response.status).toBe(429);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(response.headers.get('access-control-expose-headers')).toBe('retry-after');
    expect(response.headers.get('retry-after')).toBe('7');
  });

  it('without allowed origins leaves OPTIONS to the function, as a stack without CORS does', async () => {
    let url: string;
    ({ server, url } = await start(invoke));
    await fetch(`${url}/checks`, preflight(APP_ORIGIN));
    expect(invoke).toHaveBeenCalledWith(
      expect.objectContaining({
        requestContext: expect.objectContaining({ http: expect.objectContaining({ method: 'OPTIONS' }) }),
      }),
    );
  });
});
