/**
 * The JSON Schema of the event contract in `contract.ts`. It uses only keywords that mean the same
 * in JSON Schema draft-04 (what the EventBridge schema registry accepts as `JSONSchemaDraft4`) and
 * draft-07 (what Ajv 8 speaks), so one object serves the registry and subscribers' validators.
 * A test compares it with the TypeScript types and with what `buildEventDetail` emits.
 *
 * Ajv 8 has no draft-04 meta-schema: to validate with it, drop `$schema` (see docs/events.md).
 */
import { DEVICES, MAX_OWNER_LENGTH, MAX_REFERENCE_LENGTH, REFERENCE_PATTERN } from '../check.js';
import { MESSAGE_MAX_LENGTH, SCHEMA_VERSION } from './contract.js';

const DRAFT_04 = 'http://json-schema.org/draft-04/schema#';

/** ISO 8601 date-time with a zone, as `Date.prototype.toISOString` writes it (offsets accepted too). */
const ISO_8601_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$';
/** A UUID v5, the shape of `eventId`. */
const UUID_V5_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$';
/** Stable reason names are upper snake case. */
const REASON_PATTERN = '^[A-Z][A-Z0-9_]*$';

const result = {
  type: 'object',
  description: 'What Apptenticate said; fields appear when the vendor gave them.',
  additionalProperties: false,
  required: ['valid'],
  properties: {
    valid: { type: 'boolean' },
    transactionId: { type: 'string', minLength: 1, maxLength: 256 },
    score: { type: 'number' },
    quality: { type: 'number' },
    liveness: { type: 'number' },
  },
} as const;

const rejection = {
  type: 'object',
  description: 'Why the selfie was rejected. Branch on reason, never on message.',
  additionalProperties: false,
  required: ['reason', 'source'],
  properties: {
    code: { type: 'integer' },
    reason: { type: 'string', pattern: REASON_PATTERN, maxLength: 64 },
    message: { type: 'string', maxLength: MESSAGE_MAX_LENGTH },
    source: { type: 'string', enum: ['apptenticate', 'precheck'] },
  },
} as const;

const failure = {
  type: 'object',
  description: 'Why no verdict could be had. Branch on reason, never on message.',
  additionalProperties: false,
  required: ['reason', 'message'],
  properties: {
    reason: { type: 'string', pattern: REASON_PATTERN, maxLength: 64 },
    message: { type: 'string', maxLength: MESSAGE_MAX_LENGTH },
  },
} as const;

const commonProperties = {
  schemaVersion: { type: 'integer', enum: [SCHEMA_VERSION] },
  eventId: { type: 'string', pattern: UUID_V5_PATTERN },
  checkId: { type: 'string', minLength: 1, maxLength: 256 },
  reference: { type: 'string', minLength: 1, maxLength: MAX_REFERENCE_LENGTH, pattern: REFERENCE_PATTERN },
  owner: { type: 'string', minLength: 1, maxLength: MAX_OWNER_LENGTH },
  device: { type: 'string', enum: DEVICES },
  createdAt: { type: 'string', pattern: ISO_8601_PATTERN },
  decidedAt: { type: 'string', pattern: ISO_8601_PATTERN },
  attempts: { type: 'integer', minimum: 0 },
} as const;

const COMMON_REQUIRED = [
  'schemaVersion',
  'eventId',
  'checkId',
  'status',
  'createdAt',
  'decidedAt',
  'attempts',
] as const;

const passedDetail = {
  type: 'object',
  title: 'Liveness Check Passed',
  additionalProperties: false,
  required: [...COMMON_REQUIRED, 'result'],
  properties: {
    ...commonProperties,
    status: { type: 'string', enum: ['PASSED'] },
    result: { $ref: '#/definitions/result' },
  },
} as const;

const rejectedDetail = {
  type: 'object',
  title: 'Liveness Check Rejected',
  additionalProperties: false,
  required: [...COMMON_REQUIRED, 'rejection'],
  properties: {
    ...commonProperties,
    status: { type: 'string', enum: ['REJECTED'] },
    rejection: { $ref: '#/definitions/rejection' },
    result: { $ref: '#/definitions/result' },
  },
} as const;

const failedDetail = {
  type: 'object',
  title: 'Liveness Check Failed',
  additionalProperties: false,
  required: [...COMMON_REQUIRED, 'failure'],
  properties: {
    ...commonProperties,
    status: { type: 'string', enum: ['FAILED'] },
    failure: { $ref: '#/definitions/failure' },
  },
} as const;

const expiredDetail = {
  type: 'object',
  title: 'Liveness Check Expired',
  additionalProperties: false,
  required: [...COMMON_REQUIRED],
  properties: {
    ...commonProperties,
    status: { type: 'string', enum: ['EXPIRED'] },
  },
} as const;

/** The `detail` schema of each status, for tests and tooling; they reference `#/definitions/*`. */
export const DETAIL_SCHEMAS_BY_STATUS = {
  PASSED: passedDetail,
  REJECTED: rejectedDetail,
  FAILED: failedDetail,
  EXPIRED: expiredDetail,
} as const;

const definitions = {
  result,
  rejection,
  failure,
  passedDetail,
  rejectedDetail,
  failedDetail,
  expiredDetail,
} as const;

const detailOneOf = [
  { $ref: '#/definitions/passedDetail' },
  { $ref: '#/definitions/rejectedDetail' },
  { $ref: '#/definitions/failedDetail' },
  { $ref: '#/definitions/expiredDetail' },
] as const;

/** The JSON Schema (draft-04 compatible) of an event's `detail`: `LivenessEventDetail`. */
export const LIVENESS_EVENT_DETAIL_SCHEMA = {
  $schema: DRAFT_04,
  title: 'LivenessEventDetail',
  description: `The detail of a selfie liveness event, schemaVersion ${SCHEMA_VERSION}.`,
  definitions,
  oneOf: detailOneOf,
} as const;

function envelopeOf<T extends string, D extends string>(detailType: T, definition: D) {
  return {
    properties: {
      'detail-type': { enum: [detailType] },
      detail: { $ref: `#/definitions/${definition}` },
    },
  } as const;
}

/**
 * The JSON Schema (draft-04 compatible) of a whole EventBridge liveness event: `LivenessEvent`.
 * This is the document to register in the EventBridge schema registry (`JSONSchemaDraft4`).
 */
export const LIVENESS_EVENT_SCHEMA = {
  $schema: DRAFT_04,
  title: 'LivenessEvent',
  description: `A selfie liveness event on EventBridge, detail schemaVersion ${SCHEMA_VERSION}.`,
  definitions: { ...definitions, detail: { oneOf: detailOneOf } },
  type: 'object',
  // `account` is always present on AWS but not required here: some emulators (moto) omit it.
  required: ['version', 'id', 'detail-type', 'source', 'time', 'region', 'resources', 'detail'],
  // Ties each detail-type to the detail of its status.
  oneOf: [
    envelopeOf('Liveness Check Passed', 'passedDetail'),
    envelopeOf('Liveness Check Rejected', 'rejectedDetail'),
    envelopeOf('Liveness Check Failed', 'failedDetail'),
    envelopeOf('Liveness Check Expired', 'expiredDetail'),
  ],
  properties: {
    version: { type: 'string' },
    id: { type: 'string' },
    'detail-type': {
      type: 'string',
      enum: [
        'Liveness Check Passed',
        'Liveness Check Rejected',
        'Liveness Check Failed',
        'Liveness Check Expired',
      ],
    },
    source: { type: 'string' },
    account: { type: 'string' },
    time: { type: 'string' },
    region: { type: 'string' },
    resources: { type: 'array', items: { type: 'string' } },
    detail: { $ref: '#/definitions/detail' },
  },
} as const;

/** A JSON Schema document, as plain JSON. */
export type JsonSchemaDocument = Readonly<Record<string, unknown>>;

/**
 * `schema` with every `additionalProperties: false` left out: fields the schema does not list are
 * allowed at every level, everything else (required fields, types, enums, patterns) holds.
 */
function allowingAdditiveFields(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(allowingAdditiveFields);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key, value]) => !(key === 'additionalProperties' && value === false))
      // `properties` and `definitions` map names to schemas; a field may itself be named
      // `additionalProperties` only in theory, and the pipeline has none.
      .map(([key, value]) => [key, allowingAdditiveFields(value)]),
  );
}

/**
 * The lenient JSON Schema of a whole liveness event, for subscribers that validate what they
 * receive: {@link LIVENESS_EVENT_SCHEMA} without `additionalProperties: false`, so a field added
 * within schema version 1 (which the contract allows) does not break a subscriber's validation.
 * Use this one in consumers; the strict one keeps the producer honest in the pipeline's own tests.
 */
export const LIVENESS_EVENT_SCHEMA_LENIENT = allowingAdditiveFields({
  ...LIVENESS_EVENT_SCHEMA,
  title: 'LivenessEvent (lenient)',
  description: `${LIVENESS_EVENT_SCHEMA.description} Allows fields added within the version.`,
}) as JsonSchemaDocument;

/** The lenient JSON Schema of an event's `detail`: {@link LIVENESS_EVENT_DETAIL_SCHEMA} allowing additive fields. */
export const LIVENESS_EVENT_DETAIL_SCHEMA_LENIENT = allowingAdditiveFields({
  ...LIVENESS_EVENT_DETAIL_SCHEMA,
  title: 'LivenessEventDetail (lenient)',
  description: `${LIVENESS_EVENT_DETAIL_SCHEMA.description} Allows fields added within the version.`,
}) as JsonSchemaDocument;
