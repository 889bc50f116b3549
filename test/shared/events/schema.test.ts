import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { FINAL_STATUSES } from '../../../shared/check.js';
import {
  buildEventDetail,
  DETAIL_TYPES,
  LIVENESS_EVENT_DETAIL_SCHEMA,
  LIVENESS_EVENT_SCHEMA,
} from '../../../shared/events/index.js';
import { finalCheckItem } from './check-items.js';
import { errorsOf, validateDetail, validateEvent } from './validator.js';

/** The keywords of JSON Schema draft-04 (validation and metadata), which EventBridge's registry accepts. */
const DRAFT_04_KEYWORDS = new Set([
  '$schema',
  'id',
  '$ref',
  'title',
  'description',
  'default',
  'definitions',
  'type',
  'enum',
  'format',
  'properties',
  'patternProperties',
  'additionalProperties',
  'required',
  'minProperties',
  'maxProperties',
  'dependencies',
  'items',
  'additionalItems',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
]);

/** Every keyword used anywhere in a schema (property names and definition names are not keywords). */
function keywordsOf(schema: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) {
    for (const item of schema) keywordsOf(item, found);
    return found;
  }
  if (typeof schema !== 'object' || schema === null) return found;
  for (const [key, value] of Object.entries(schema)) {
    found.add(key);
    if (key === 'properties' || key === 'definitions' || key === 'patternProperties') {
      for (const sub of Object.values(value as object)) keywordsOf(sub, found);
    } else if (key !== 'enum' && key !== 'required' && key !== 'default') {
      keywordsOf(value, found);
    }
  }
  return found;
}

const toEvent = (status: (typeof FINAL_STATUSES)[number]) => ({
  version: '0',
  id: 'c5e6a1c4-0b53-6b0c-2a5c-6e3a4f1d2b7e',
  'detail-type': DETAIL_TYPES[status],
  source: 'selfie-liveness',
  account: '123456789012',
  time: '2026-11-25T10:00:07Z',
  region: 'eu-west-1',
  resources: [],
  detail: buildEventDetail(finalCheckItem(status)),
});

describe('the JSON Schema', () => {
  it('declares draft-04 and uses only draft-04 keywords, so the schema registry accepts it', () => {
    for (const schema of [LIVENESS_EVENT_DETAIL_SCHEMA, LIVENESS_EVENT_SCHEMA]) {
      expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
      const foreign = [...keywordsOf(schema)].filter((keyword) => !DRAFT_04_KEYWORDS.has(keyword));
      expect(foreign).toEqual([]);
    }
  });

  it('is valid under the draft-07 meta-schema as well', () => {
    const ajv = new Ajv();
    for (const schema of [LIVENESS_EVENT_DETAIL_SCHEMA, LIVENESS_EVENT_SCHEMA]) {
      const { $schema: _ignored, ...rest } = schema;
      expect(ajv.validateSchema(rest), JSON.stringify(ajv.errors)).toBe(true);
    }
  });

  it('survives JSON serialisation unchanged, as infra registers it', () => {
    expect(JSON.parse(JSON.stringify(LIVENESS_EVENT_SCHEMA))).toEqual(LIVENESS_EVENT_SCHEMA);
  });

  it.each(FINAL_STATUSES)('accepts a whole %s event', (status) => {
    expect(validateEvent(toEvent(status)), errorsOf(validateEvent)).toBe(true);
  });

  it('refuses an event whose detail-type does not match its detail', () => {
    expect(validateEvent({ ...toEvent('PASSED'), 'detail-type': DETAIL_TYPES.FAILED })).toBe(false);
  });

  it.each<[string, (detail: Record<string, unknown>) => void]>([
    ['a missing eventId', (d) => delete d.eventId],
    ['an eventId that is not a UUID v5', (d) => (d.eventId = 'evt-1')],
    ['a second schemaVersion', (d) => (d.schemaVersion = 2)],
    ['an unknown field', (d) => (d.presignedUrl = 'https://example.com')],
    ['a PASSED detail carrying a rejection', (d) => (d.rejection = { reason: 'X', source: 'precheck' })],
    ['a PASSED detail without result', (d) => delete d.result],
    ['a timestamp that is not ISO 8601', (d) => (d.decidedAt = '25/11/2026')],
    ['an unknown device', (d) => (d.device = 'PHONE')],
    ['a negative attempt count', (d) => (d.attempts = -1)],
    ['extra fields in result', (d) => (d.result = { valid: true, image: 'AAAA' })],
  ])('refuses a detail with %s', (_label, mutate) => {
    const detail = structuredClone(buildEventDetail(finalCheckItem('PASSED'))) as unknown as Record<
      string,
      unknown
    >;
    mutate(detail);
    expect(validateDetail(detail)).toBe(false);
  });
});
