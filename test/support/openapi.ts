/**
 * Validates real API answers against the OpenAPI contract (`docs/openapi.json`) with Ajv's JSON
 * Schema 2020-12 (the dialect of OpenAPI 3.1). The document is loaded as one schema, so every
 * `$ref` resolves inside it exactly as a client generator would resolve it.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';

const CONTRACT_ID = 'urn:selfie-liveness:openapi';

/** The contract, parsed. */
export const OPENAPI = JSON.parse(
  readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8'),
) as OpenApiDocument;

interface OpenApiResponse {
  $ref?: string;
  description: string;
  headers?: Record<string, { $ref?: string; required?: boolean }>;
  content?: Record<string, { schema: unknown }>;
}
interface OpenApiOperation {
  operationId: string;
  responses: Record<string, OpenApiResponse>;
}
/** The parts of an OpenAPI 3.1 document the validator reads. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: {
    schemas: Record<string, unknown>;
    responses: Record<string, OpenApiResponse>;
    headers: Record<string, { required?: boolean }>;
    securitySchemes: Record<string, Record<string, unknown>>;
  };
  [key: string]: unknown;
}

// OpenAPI's own formats and the document's top-level fields are not JSON Schema vocabulary: Ajv in
// strict mode needs to be told they are there on purpose. The formats are checked, not ignored.
const ajv = new Ajv2020({ strict: true, allErrors: true });
for (const keyword of [
  'openapi',
  'info',
  'servers',
  'paths',
  'components',
  'security',
  'jsonSchemaDialect',
]) {
  ajv.addKeyword(keyword);
}
// ajv-formats is CommonJS: under NodeNext its plugin is the module's `default`.
ajvFormats.default(ajv, ['uuid', 'date-time', 'uri']);
ajv.addSchema({ ...OPENAPI, $id: CONTRACT_ID });

/** An answer to validate: what the handler returned, or what came over HTTP. */
export interface ObservedResponse {
  statusCode: number;
  headers: Record<string, string | undefined>;
  body: string;
}

/**
 * Where in the contract an answer is described: the answer to `method` on `path` (a method the path
 * has no operation for is answered as its operations document for that status: the 405 they carry),
 * or a shared response.
 */
export type ContractLocation = { method: string; path: string } | { component: string };

/**
 * What is wrong with `response` against the contract at `where`: an undocumented status, a missing
 * required header, another media type, or a body that breaks the schema. Empty when it conforms.
 */
export function contractProblems(where: ContractLocation, response: ObservedResponse): string[] {
  const { pointer, declared } = locate(where, response.statusCode);
  if (!declared) return [`status ${response.statusCode} is not documented at ${describe(where)}`];
  const problems: string[] = [];
  const headers = Object.fromEntries(
    Object.entries(response.headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  for (const [name, header] of Object.entries(declared.headers ?? {})) {
    const spec = header.$ref ? OPENAPI.components.headers[header.$ref.split('/').at(-1) as string] : header;
    if (spec?.required && headers[name.toLowerCase()] === undefined)
      problems.push(`header ${name} is missing`);
  }
  const mediaType = headers['content-type']?.split(';')[0]?.trim();
  const content = declared.content ?? {};
  if (!mediaType || !(mediaType in content)) {
    return [...problems, `media type ${mediaType} is not documented (${Object.keys(content).join(', ')})`];
  }
  const validate = ajv.getSchema(`${CONTRACT_ID}#${pointer}/content/${pointerToken(mediaType)}/schema`);
  if (!validate) return [...problems, `no schema at ${pointer}`];
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    return [...problems, 'the body is not JSON'];
  }
  if (!validate(body)) problems.push(ajv.errorsText(validate.errors, { separator: '; ' }));
  return problems;
}

/** The error codes the contract lists for a status at `where` (from its `code` enum). */
export function documentedErrorCodes(where: ContractLocation, statusCode: number): string[] {
  const { declared } = locate(where, statusCode);
  const codes = new Set<string>();
  collectCodeEnums(declared?.content?.['application/json']?.schema, codes);
  return [...codes];
}

function collectCodeEnums(schema: unknown, codes: Set<string>): void {
  if (Array.isArray(schema)) {
    for (const item of schema) collectCodeEnums(item, codes);
    return;
  }
  if (typeof schema !== 'object' || schema === null) return;
  const record = schema as Record<string, unknown>;
  const code = (record.properties as Record<string, { properties?: Record<string, { enum?: string[] }> }>)
    ?.error?.properties?.code;
  for (const value of code?.enum ?? []) codes.add(value);
  for (const value of Object.values(record)) collectCodeEnums(value, codes);
}

function locate(
  where: ContractLocation,
  statusCode: number,
): { pointer: string; declared?: OpenApiResponse } {
  let pointer: string;
  let declared: OpenApiResponse | undefined;
  if ('component' in where) {
    pointer = `/components/responses/${pointerToken(where.component)}`;
    declared = OPENAPI.components.responses[where.component];
  } else {
    const operations = OPENAPI.paths[where.path] ?? {};
    // Another method than the path's can only be refused: with the 405 its operations document.
    const method = Object.hasOwn(operations, where.method.toLowerCase())
      ? where.method.toLowerCase()
      : statusCode === 405
        ? Object.keys(operations).find((name) => operations[name]?.responses['405'])
        : undefined;
    pointer = `/paths/${pointerToken(where.path)}/${method}/responses/${statusCode}`;
    declared = method ? operations[method]?.responses[String(statusCode)] : undefined;
  }
  if (declared?.$ref) {
    const name = declared.$ref.split('/').at(-1) as string;
    pointer = `/components/responses/${pointerToken(name)}`;
    declared = OPENAPI.components.responses[name];
  }
  return declared ? { pointer, declared } : { pointer };
}

function describe(where: ContractLocation): string {
  return 'component' in where ? `components.responses.${where.component}` : `${where.method} ${where.path}`;
}

/** A JSON Pointer token (RFC 6901), URI-encoded for use in a fragment. */
function pointerToken(token: string): string {
  return encodeURIComponent(token.replaceAll('~', '~0').replaceAll('/', '~1'));
}
