import { readFileSync } from 'node:fs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { API_ERRORS, UPLOAD_CONTENT_TYPES } from '../../../functions/api/validation.js';
import { CHECK_STATUSES, DEVICES, MAX_REFERENCE_LENGTH, REFERENCE_PATTERN } from '../../../shared/check.js';
import { LIVENESS_EVENT_DETAIL_SCHEMA } from '../../../shared/events/index.js';
import { localAuthorizer } from '../../../tools/local/local-auth.js';
import { contractProblems, documentedErrorCodes, OPENAPI } from '../../support/openapi.js';
import { CONTRACT_CASES, type ContractCase, type ContractRequest } from './contract-cases.js';
import { loadEvent, postChecks, proxyRequest } from './events.js';

const context = {
  functionName: 'api',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  getRemainingTimeInMillis: () => 3000,
} as unknown as Context;

const ddb = mockClient(DynamoDBDocumentClient);

beforeEach(() => {
  vi.resetModules();
  ddb.reset();
  vi.stubEnv('TABLE_NAME', 'checks');
  vi.stubEnv('SELFIE_BUCKET', 'selfie-bucket');
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

/**
 * The request as API Gateway hands it to the function through the stack's explicit routes, after
 * its authorizer: the fixtures' IAM caller, or the claims of the request's bearer token.
 */
function eventFor(contractCase: ContractCase): APIGatewayProxyEventV2 {
  const event = routedEvent(contractCase.request);
  const context = event.requestContext as unknown as Record<string, unknown>;
  const authorization = contractCase.request.headers?.authorization;
  if (authorization) context.authorizer = localAuthorizer(authorization);
  if (contractCase.withoutAuthorizer) delete context.authorizer;
  return event;
}

function routedEvent(request: ContractRequest): APIGatewayProxyEventV2 {
  const checkId = /^\/checks\/([^/]+)$/.exec(request.path)?.[1];
  if (request.method === 'POST' && request.path === '/checks') {
    return postChecks(request.body, { 'content-type': request.headers?.['content-type'] });
  }
  if (request.method === 'GET' && checkId) {
    const event = loadEvent('get-check');
    event.rawPath = request.path;
    event.pathParameters = { checkId };
    return event;
  }
  return proxyRequest(request.method, request.path);
}

describe('the api handler against docs/openapi.json', () => {
  it.each(CONTRACT_CASES.filter((c) => c.only !== 'local'))(
    'answers $name as the contract says',
    async (contractCase) => {
      contractCase.dynamodb?.(ddb);
      const { handler } = await import('../../../functions/api/handler.js');
      const response = await handler(eventFor(contractCase), context);
      expect(response.statusCode).toBe(contractCase.status);
      if (contractCase.code) expect(JSON.parse(response.body).error.code).toBe(contractCase.code);
      expect(contractProblems(contractCase.where, response)).toEqual([]);
    },
  );

  it('exercises every error code the api has, each documented at its status', () => {
    const exercised = new Set(CONTRACT_CASES.flatMap((c) => (c.code ? [c.code] : [])));
    expect([...exercised].sort()).toEqual(Object.keys(API_ERRORS).sort());
    for (const contractCase of CONTRACT_CASES.filter((c) => c.code)) {
      expect(documentedErrorCodes(contractCase.where, contractCase.status), contractCase.name).toContain(
        contractCase.code,
      );
    }
  });

  it('refuses answers that break it', () => {
    const read = { method: 'GET', path: '/checks/{checkId}' };
    const json = { 'content-type': 'application/json' };
    const check = { checkId: '3f6c1a2e-8b4d-4c1f-9a7e-2d5b6c8e9f01', status: 'PASSED', createdAt: 'x' };
    expect(contractProblems(read, { statusCode: 200, headers: json, body: JSON.stringify(check) })).toEqual([
      expect.stringContaining('updatedAt'),
    ]);
    expect(
      contractProblems(read, {
        statusCode: 404,
        headers: json,
        body: '{"error":{"code":"OWNER_RATE_LIMITED","message":"x"}}',
      }),
    ).toEqual([expect.stringContaining('must match exactly one schema in oneOf')]);
    // A method the path has no operation for may only be refused, with a 405.
    expect(
      contractProblems(
        { method: 'DELETE', path: '/checks/{checkId}' },
        { statusCode: 200, headers: json, body: JSON.stringify(check) },
      ),
    ).toEqual(['status 200 is not documented at DELETE /checks/{checkId}']);
    expect(contractProblems(read, { statusCode: 418, headers: json, body: '{}' })).toEqual([
      'status 418 is not documented at GET /checks/{checkId}',
    ]);
    expect(
      contractProblems(read, { statusCode: 200, headers: { 'content-type': 'text/html' }, body: '' }),
    ).toEqual([expect.stringContaining('media type text/html')]);
  });
});

describe('docs/api.md', () => {
  it('lists every error code with its status, as API_ERRORS does', () => {
    const doc = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Errors'), doc.indexOf('## CORS'));
    const rows = [...section.matchAll(/^\| (\d{3}) \| `([A-Z_]+)` \|/gm)].map((m) => [m[2], Number(m[1])]);
    expect(Object.fromEntries(rows)).toEqual(API_ERRORS);
  });
});

describe('docs/openapi.json', () => {
  const schemas = OPENAPI.components.schemas as Record<string, Record<string, unknown>>;
  // Prose differs between the two documents (the API's says which fields only services see).
  const without = (schema: unknown): unknown => {
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema;
    const { description: _d, title: _t, ...rest } = schema as Record<string, unknown>;
    return Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, without(value)]));
  };

  it('is OpenAPI 3.1 with both security schemes', () => {
    expect(OPENAPI.openapi).toBe('3.1.0');
    expect(OPENAPI.components.securitySchemes).toMatchObject({
      sigv4: { type: 'apiKey', in: 'header', name: 'Authorization' },
      jwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    });
    expect(OPENAPI.security).toEqual([{ sigv4: [] }, { jwt: [] }]);
  });

  it("lists the code's own devices, statuses, content types and reference length", () => {
    expect(schemas.Device?.enum).toEqual(DEVICES);
    expect(schemas.CheckStatus?.enum).toEqual(CHECK_STATUSES);
    expect(schemas.UploadContentType?.enum).toEqual(UPLOAD_CONTENT_TYPES);
    const request = schemas.CreateCheckRequest as {
      properties: Record<string, { maxLength?: number; pattern?: string }>;
    };
    expect(request.properties.reference?.maxLength).toBe(MAX_REFERENCE_LENGTH);
    expect(request.properties.reference?.pattern).toBe(REFERENCE_PATTERN);
  });

  it('shows result, rejection and failure exactly as the event contract does', () => {
    const events = LIVENESS_EVENT_DETAIL_SCHEMA.definitions;
    expect(without(schemas.Result)).toEqual(without(events.result));
    expect(without(schemas.Rejection)).toEqual(without(events.rejection));
    expect(without(schemas.Failure)).toEqual(without(events.failure));
  });

  it('uses every component it defines (a linter refuses unused ones)', () => {
    const refs = new Set(
      JSON.stringify(OPENAPI)
        .match(/"#\/components\/[^"]+"/g)
        ?.map((ref) => ref.slice(1, -1)),
    );
    const { securitySchemes, ...referenced } = OPENAPI.components;
    const unused = Object.entries(referenced).flatMap(([kind, entries]) =>
      Object.keys(entries)
        .filter((name) => !refs.has(`#/components/${kind}/${name}`))
        .map((name) => `${kind}/${name}`),
    );
    expect(unused).toEqual([]);
    const required = new Set(
      (OPENAPI.security as Record<string, unknown>[]).flatMap((entry) => Object.keys(entry)),
    );
    expect(Object.keys(securitySchemes).filter((name) => !required.has(name))).toEqual([]);
  });

  it('gives every enum its type', () => {
    const untyped: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const record = node as Record<string, unknown>;
      if (Array.isArray(record.enum) && record.type === undefined) untyped.push(at);
      for (const [key, value] of Object.entries(record)) walk(value, `${at}/${key}`);
    };
    walk(OPENAPI, '');
    expect(untyped).toEqual([]);
  });

  it('documents on every operation the 404 of a wrong base URL and the 405 of another method', () => {
    for (const [path, operations] of Object.entries(OPENAPI.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        expect(Object.keys(operation.responses), `${method} ${path}`).toEqual(
          expect.arrayContaining(['404', '405']),
        );
        expect(documentedErrorCodes({ method, path }, 404), `${method} ${path}`).toContain('NOT_FOUND');
        expect(documentedErrorCodes({ method, path }, 405), `${method} ${path}`).toEqual([
          'METHOD_NOT_ALLOWED',
        ]);
      }
    }
  });
});
