import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { FINAL_STATUSES } from '../../../shared/check.js';
import { buildEventDetail } from '../../../shared/events/build-event.js';
import {
  DETAIL_TYPES,
  LIVENESS_EVENT_DETAIL_SCHEMA,
  LIVENESS_EVENT_DETAIL_SCHEMA_LENIENT,
  LIVENESS_EVENT_SCHEMA,
  LIVENESS_EVENT_SCHEMA_LENIENT,
} from '../../../shared/events/index.js';
import { finalCheckItem } from './check-items.js';
import {
  errorsOf,
  validateDetail,
  validateDetailLeniently,
  validateEvent,
  validateEventLeniently,
} from './validator.js';

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

const ALL_SCHEMAS = [
  LIVENESS_EVENT_DETAIL_SCHEMA,
  LIVENESS_EVENT_SCHEMA,
  LIVENESS_EVENT_DETAIL_SCHEMA_LENIENT,
  LIVENESS_EVENT_SCHEMA_LENIENT,
] as Record<string, unknown>[];

/** How many times `key: value` occurs anywhere in a schema. */
function occurrences(schema: unknown, key: string, value: unknown): number {
  if (Array.isArray(schema)) return schema.reduce((n: number, item) => n + occurrences(item, key, value), 0);
  if (typeof schema !== 'object' || schema === null) return 0;
  return Object.entries(schema).reduce(
    (n, [k, v]) => n + (k === key && v === value ? 1 : 0) + occurrences(v, key, value),
    0,
  );
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
    for (const schema of ALL_SCHEMAS) {
      expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
      const foreign = [...keywordsOf(schema)].filter((keyword) => !DRAFT_04_KEYWORDS.has(keyword));
      expect(foreign).toEqual([]);
    }
  });

  it('is valid under the draft-07 meta-schema as well', () => {
    const ajv = new Ajv();
    for (const schema of ALL_SCHEMAS) {
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
    ['a reference holding markup', (d) => (d.reference = '<script>alert(1)</script>')],
    ['a reference with a space', (d) => (d.reference = 'order 42')],
  ])('refuses a detail with %s', (_label, mutate) => {
    const detail = structuredClone(buildEventDetail(finalCheckItem('PASSED'))) as unknown as Record<
      string,
      unknown
    >;
    mutate(detail);
    expect(validateDetail(detail)).toBe(false);
  });
});

/** A field this release does not publish, added at every level of an event: what a later release within schema version 1 may do. */
function withAdditiveFields(event: ReturnType<typeof toEvent>) {
  const copy = structuredClone(event) as unknown as Record<string, Record<string, unknown>>;
  copy.replayName = 'added-later' as unknown as Record<string, unknown>;
  const detail = copy.detail as Record<string, unknown>;
  detail.region = 'eu-west-1';
  for (const part of ['result', 'rejection', 'failure']) {
    const nested = detail[part] as Record<string, unknown> | undefined;
    if (nested) nested.addedLater = 1;
  }
  return copy;
}

describe('the lenient JSON Schema, for subscribers', () => {
  it('is the strict schema without a single additionalProperties: false', () => {
    expect(occurrences(LIVENESS_EVENT_SCHEMA, 'additionalProperties', false)).toBeGreaterThan(0);
    expect(occurrences(LIVENESS_EVENT_SCHEMA_LENIENT, 'additionalProperties', false)).toBe(0);
    expect(occurrences(LIVENESS_EVENT_DETAIL_SCHEMA_LENIENT, 'additionalProperties', false)).toBe(0);
    const strictWithoutClosing = JSON.parse(
      JSON.stringify(LIVENESS_EVENT_SCHEMA).replaceAll('"additionalProperties":false,', ''),
    );
    expect({ ...LIVENESS_EVENT_SCHEMA_LENIENT, title: '', description: '' }).toEqual({
      ...strictWithoutClosing,
      title: '',
      description: '',
    });
  });

  it.each(FINAL_STATUSES)(
    'accepts a %s event with fields added at every level, which the strict one refuses',
    (status) => {
      const event = withAdditiveFields(toEvent(status));
      expect(validateEventLeniently(event), errorsOf(validateEventLeniently)).toBe(true);
      expect(validateDetailLeniently(event.detail), errorsOf(validateDetailLeniently)).toBe(true);
      expect(validateEvent(event)).toBe(false);
      expect(validateDetail(event.detail)).toBe(false);
    },
  );

  it.each<[string, (event: Record<string, unknown>, detail: Record<string, unknown>) => void]>([
    ['a missing eventId', (_e, d) => delete d.eventId],
    ['a PASSED detail without result', (_e, d) => delete d.result],
    ['a second schemaVersion', (_e, d) => (d.schemaVersion = 2)],
    ['an unknown device', (_e, d) => (d.device = 'PHONE')],
    ['a result without valid', (_e, d) => (d.result = { score: 1 })],
    ['a detail-type that does not match the detail', (e) => (e['detail-type'] = DETAIL_TYPES.FAILED)],
    ['a missing source', (e) => delete e.source],
  ])('still refuses %s', (_label, mutate) => {
    const event = structuredClone(toEvent('PASSED')) as unknown as Record<string, unknown>;
    mutate(event, event.detail as Record<string, unknown>);
    expect(validateEventLeniently(event)).toBe(false);
  });
});
