import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  DEVICES,
  type Device,
  isDevice,
  MAX_REFERENCE_LENGTH,
  REFERENCE_CHARACTERS,
  type ReferenceProblem,
  referenceProblem,
} from '../../shared/check.js';
import { PipelineError } from '../../shared/errors.js';

/**
 * Every error code the api function answers, with its HTTP status: the one list `docs/openapi.json`
 * is checked against (a test answers each code and validates it against the contract).
 */
export const API_ERRORS = {
  INVALID_JSON: 400,
  INVALID_BODY: 400,
  UNKNOWN_FIELD: 400,
  INVALID_DEVICE: 400,
  INVALID_REFERENCE: 400,
  INVALID_CONTENT_TYPE: 400,
  INVALID_CHECK_ID: 400,
  UNAUTHENTICATED: 401,
  CHECK_NOT_FOUND: 404,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  OWNER_RATE_LIMITED: 429,
  OPEN_CHECKS_LIMITED: 429,
  OWNER_DAILY_LIMITED: 429,
  CHECK_BUDGET_EXHAUSTED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;
export type ApiErrorCode = keyof typeof API_ERRORS;

/** An answer the API gives on purpose: a stable code (which sets the status) and a message safe to show. */
export class ApiError extends PipelineError {
  readonly statusCode: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** Extra response headers, e.g. `allow` on a 405. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = API_ERRORS[code];
  }
}

/** The content types an upload may have. */
export const UPLOAD_CONTENT_TYPES = ['image/jpeg', 'image/png'] as const;
export type UploadContentType = (typeof UPLOAD_CONTENT_TYPES)[number];
export const DEFAULT_UPLOAD_CONTENT_TYPE: UploadContentType = 'image/jpeg';

/** The largest `POST /checks` body accepted; the real one is under 300 bytes. */
export const MAX_BODY_BYTES = 4096;
const CREATE_FIELDS = ['device', 'reference', 'contentType'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A validated `POST /checks` request. */
export interface CreateCheckRequest {
  device?: Device;
  reference?: string;
  contentType: UploadContentType;
}

/**
 * Validates a `POST /checks` request: JSON media type (415), body size (413), JSON object with only
 * known fields, each well-formed (400). An absent or empty body means "all defaults".
 */
export function parseCreateCheckRequest(
  event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded' | 'headers'>,
): CreateCheckRequest {
  const text = decodeBody(event);
  if (text === undefined) return { contentType: DEFAULT_UPLOAD_CONTENT_TYPE };
  assertJsonMediaType(event.headers?.['content-type']);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError('INVALID_JSON', 'the request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError('INVALID_BODY', 'the request body must be a JSON object');
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !(CREATE_FIELDS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new ApiError(
      'UNKNOWN_FIELD',
      `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map(quoteField).join(', ')}; allowed: ${CREATE_FIELDS.join(', ')}`,
    );
  }
  const request: CreateCheckRequest = { contentType: DEFAULT_UPLOAD_CONTENT_TYPE };
  const { device, reference, contentType } = fields;
  if (device !== undefined && device !== null) {
    if (!isDevice(device)) {
      throw new ApiError('INVALID_DEVICE', `device must be one of ${DEVICES.join(', ')}`);
    }
    request.device = device;
  }
  if (reference !== undefined && reference !== null) {
    request.reference = validateReference(reference);
  }
  if (contentType !== undefined && contentType !== null) {
    if (!(UPLOAD_CONTENT_TYPES as readonly unknown[]).includes(contentType)) {
      throw new ApiError(
        'INVALID_CONTENT_TYPE',
        `contentType must be one of ${UPLOAD_CONTENT_TYPES.join(', ')}`,
      );
    }
    request.contentType = contentType as UploadContentType;
  }
  return request;
}

/** Validates a `checkId` path parameter: a UUID, in any letter case (400 otherwise). */
export function parseCheckId(raw: string | undefined): string {
  if (raw === undefined || !UUID.test(raw)) {
    throw new ApiError('INVALID_CHECK_ID', 'checkId must be a UUID');
  }
  // UUIDs are case-insensitive; the API issues them in lower case, and the table's key is that.
  return raw.toLowerCase();
}

const REFERENCE_MESSAGES: Record<ReferenceProblem, string> = {
  NOT_A_STRING: 'reference must be a string',
  LENGTH: `reference must be 1 to ${MAX_REFERENCE_LENGTH} characters long`,
  FORBIDDEN_CHARACTER: `reference may contain only ${REFERENCE_CHARACTERS}`,
};

function validateReference(reference: unknown): string {
  const problem = referenceProblem(reference);
  if (problem !== undefined) throw new ApiError('INVALID_REFERENCE', REFERENCE_MESSAGES[problem]);
  return reference as string;
}

/** The body as text, or `undefined` when there is none; enforces the size limit on the decoded bytes. */
function decodeBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): string | undefined {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  // HTTP APIs base64-encode bodies whose content type they do not treat as text.
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) {
    throw new ApiError('PAYLOAD_TOO_LARGE', `the request body must not exceed ${MAX_BODY_BYTES} bytes`);
  }
  if (bytes.length === 0) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError('INVALID_JSON', 'the request body is not valid UTF-8');
  }
}

function assertJsonMediaType(header: string | undefined): void {
  const [type = '', ...parameters] = (header ?? '').split(';').map((part) => part.trim().toLowerCase());
  const charset = parameters
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replaceAll('"', '');
  if (type !== 'application/json' || (charset !== undefined && charset !== 'utf-8')) {
    throw new ApiError(
      'UNSUPPORTED_MEDIA_TYPE',
      'the request body must be sent with content-type application/json (UTF-8)',
    );
  }
}

function quoteField(name: string): string {
  // Field names come from the client: show a bounded, printable rendering only.
  const shown = name.length > 40 ? `${name.slice(0, 40)}...` : name;
  return JSON.stringify(shown);
}
