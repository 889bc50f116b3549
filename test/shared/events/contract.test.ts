import { describe, expect, expectTypeOf, it } from 'vitest';
import { type CheckItem, FINAL_STATUSES, type FinalStatus } from '../../../shared/check.js';
import {
  buildEventDetail,
  InvalidCheckItemError,
  toPublicOutcome,
} from '../../../shared/events/build-event.js';
import {
  DETAIL_SCHEMAS_BY_STATUS,
  DETAIL_TYPES,
  EVENT_STATUSES,
  eventIdFor,
  LIVENESS_EVENT_DETAIL_SCHEMA,
  LIVENESS_EVENT_SCHEMA,
  type LivenessCheckExpiredDetail,
  type LivenessCheckFailedDetail,
  type LivenessCheckPassedDetail,
  type LivenessCheckRejectedDetail,
  type LivenessEventDetail,
  type LivenessEventDevice,
  type LivenessEventFailure,
  type LivenessEventRejection,
  type LivenessEventResult,
  type LivenessEventStatus,
  MESSAGE_MAX_LENGTH,
  SCHEMA_VERSION,
} from '../../../shared/events/index.js';
import { finalCheckItem } from './check-items.js';
import { errorsOf, validateDetail } from './validator.js';

type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
type SchemaOf<S extends LivenessEventStatus> = (typeof DETAIL_SCHEMAS_BY_STATUS)[S];
const definitions = LIVENESS_EVENT_DETAIL_SCHEMA.definitions;

describe('the event contract types and the JSON Schema', () => {
  it('declare the same fields and required fields for every status', () => {
    expectTypeOf<keyof LivenessCheckPassedDetail>().toEqualTypeOf<keyof SchemaOf<'PASSED'>['properties']>();
    expectTypeOf<keyof LivenessCheckRejectedDetail>().toEqualTypeOf<
      keyof SchemaOf<'REJECTED'>['properties']
    >();
    expectTypeOf<keyof LivenessCheckFailedDetail>().toEqualTypeOf<keyof SchemaOf<'FAILED'>['properties']>();
    expectTypeOf<keyof LivenessCheckExpiredDetail>().toEqualTypeOf<keyof SchemaOf<'EXPIRED'>['properties']>();
    expectTypeOf<RequiredKeys<LivenessCheckPassedDetail>>().toEqualTypeOf<
      SchemaOf<'PASSED'>['required'][number]
    >();
    expectTypeOf<RequiredKeys<LivenessCheckRejectedDetail>>().toEqualTypeOf<
      SchemaOf<'REJECTED'>['required'][number]
    >();
    expectTypeOf<RequiredKeys<LivenessCheckFailedDetail>>().toEqualTypeOf<
      SchemaOf<'FAILED'>['required'][number]
    >();
    expectTypeOf<RequiredKeys<LivenessCheckExpiredDetail>>().toEqualTypeOf<
      SchemaOf<'EXPIRED'>['required'][number]
    >();
    // The same facts at run time, so a drift shows in the test report and not only in tsc.
    for (const status of EVENT_STATUSES) {
      const schema = DETAIL_SCHEMAS_BY_STATUS[status];
      expect(schema.properties.status.enum).toEqual([status]);
      expect(schema.additionalProperties).toBe(false);
    }
  });

  it('declare the same fields for result, rejection and failure', () => {
    expectTypeOf<keyof LivenessEventResult>().toEqualTypeOf<keyof typeof definitions.result.properties>();
    expectTypeOf<RequiredKeys<LivenessEventResult>>().toEqualTypeOf<
      (typeof definitions.result.required)[number]
    >();
    expectTypeOf<keyof LivenessEventRejection>().toEqualTypeOf<
      keyof typeof definitions.rejection.properties
    >();
    expectTypeOf<RequiredKeys<LivenessEventRejection>>().toEqualTypeOf<
      (typeof definitions.rejection.required)[number]
    >();
    expectTypeOf<keyof LivenessEventFailure>().toEqualTypeOf<keyof typeof definitions.failure.properties>();
    expectTypeOf<RequiredKeys<LivenessEventFailure>>().toEqualTypeOf<
      (typeof definitions.failure.required)[number]
    >();
    expectTypeOf<LivenessEventRejection['source']>().toEqualTypeOf<
      (typeof definitions.rejection.properties.source.enum)[number]
    >();
    expectTypeOf<LivenessEventDevice>().toEqualTypeOf<
      (typeof definitions.passedDetail.properties.device.enum)[number]
    >();
    expect(definitions.rejection.properties.source.enum).toEqual(['apptenticate', 'precheck']);
    expect(definitions.passedDetail.properties.device.enum).toEqual(['DESKTOP', 'IOS', 'ANDROID']);
  });

  it('name one detail-type per final status, and the schema knows each of them', () => {
    expect(EVENT_STATUSES).toEqual(FINAL_STATUSES);
    expect(Object.keys(DETAIL_TYPES).sort()).toEqual([...FINAL_STATUSES].sort());
    expect(LIVENESS_EVENT_SCHEMA.properties['detail-type'].enum).toEqual(Object.values(DETAIL_TYPES));
    expectTypeOf<(typeof DETAIL_TYPES)[LivenessEventStatus]>().toEqualTypeOf<
      (typeof LIVENESS_EVENT_SCHEMA.properties)['detail-type']['enum'][number]
    >();
  });

  it('keeps the stored check outcome assignable to the public shapes', () => {
    expectTypeOf<NonNullable<CheckItem['result']>>().toExtend<LivenessEventResult>();
    expectTypeOf<NonNullable<CheckItem['rejection']>>().toExtend<LivenessEventRejection>();
    expectTypeOf<NonNullable<CheckItem['failure']>>().toExtend<LivenessEventFailure>();
  });
});

describe('buildEventDetail', () => {
  it.each(FINAL_STATUSES)('builds a %s detail that validates against the schema', (status) => {
    const detail = buildEventDetail(finalCheckItem(status));
    expect(validateDetail(detail), errorsOf(validateDetail)).toBe(true);
    expect(detail.status).toBe(status);
    expect(detail.schemaVersion).toBe(SCHEMA_VERSION);
    expect(detail.eventId).toBe(eventIdFor(detail.checkId, status, detail.createdAt));
  });

  it.each(FINAL_STATUSES)('emits every field the %s schema declares when the item has them all', (status) => {
    const detail = buildEventDetail(finalCheckItem(status));
    const schema = DETAIL_SCHEMAS_BY_STATUS[status];
    expect(Object.keys(detail).sort()).toEqual(Object.keys(schema.properties).sort());
  });

  it.each(FINAL_STATUSES)('builds a minimal %s detail from an item without optional fields', (status) => {
    const { device: _d, reference: _r, owner: _o, decidedAt: _t, ...item } = finalCheckItem(status);
    const minimal: CheckItem =
      status === 'PASSED'
        ? { ...item, result: { valid: true } }
        : status === 'REJECTED'
          ? { ...item, result: undefined, rejection: { reason: 'EMPTY_OBJECT', source: 'precheck' } }
          : item;
    const detail = buildEventDetail(minimal);
    expect(validateDetail(detail), errorsOf(validateDetail)).toBe(true);
    expect(Object.keys(detail).sort()).toEqual([...DETAIL_SCHEMAS_BY_STATUS[status].required].sort());
    expect(detail.decidedAt).toBe(item.updatedAt);
  });

  it('builds the PASSED detail field by field', () => {
    expect(buildEventDetail(finalCheckItem('PASSED'))).toEqual({
      schemaVersion: 1,
      eventId: eventIdFor('5b0c3f9e-8a2d-4c61-9f7a-1e2d3c4b5a69', 'PASSED', '2026-11-25T10:00:00.000Z'),
      checkId: '5b0c3f9e-8a2d-4c61-9f7a-1e2d3c4b5a69',
      status: 'PASSED',
      reference: 'order-4711',
      owner: 'user-7f3a',
      device: 'IOS',
      createdAt: '2026-11-25T10:00:00.000Z',
      decidedAt: '2026-11-25T10:00:07.412Z',
      result: { valid: true, transactionId: 'tx-8c1f2a', score: 0.98, quality: 0.91, liveness: 0.97 },
      attempts: 1,
    } satisfies LivenessEventDetail);
  });

  it('leaves out a stored reference the reference rule refuses (a check created before the rule)', () => {
    const detail = buildEventDetail(finalCheckItem('PASSED', { reference: 'Kunde <b>42</b>' }));
    expect(detail).not.toHaveProperty('reference');
    expect(validateDetail(detail), errorsOf(validateDetail)).toBe(true);
  });

  it('leaves out storage details, lease data and anything the contract does not name', () => {
    const item = finalCheckItem('REJECTED', {
      rejection: {
        code: 700,
        reason: 'FACE_TOO_CLOSE',
        source: 'apptenticate',
        ...{ vendorBody: '{"raw":true}' },
      },
    });
    const leaky = { ...item, uploadUrl: 'https://example.com/presigned?X-Amz-Signature=abc', image: 'AAAA' };
    const json = JSON.stringify(buildEventDetail(leaky));
    for (const secret of [
      'bucket',
      'objectKey',
      'leaseId',
      'expiresAt',
      'vendorBody',
      'X-Amz',
      'image',
      'version',
    ]) {
      expect(json).not.toContain(secret);
    }
  });

  it('cuts messages longer than the contract allows', () => {
    const long = 'x'.repeat(MESSAGE_MAX_LENGTH + 500);
    const detail = buildEventDetail(
      finalCheckItem('FAILED', { failure: { reason: 'VENDOR_UNAVAILABLE', message: long } }),
    );
    expect(detail.status === 'FAILED' && detail.failure.message.length).toBe(MESSAGE_MAX_LENGTH);
    expect(validateDetail(detail), errorsOf(validateDetail)).toBe(true);
  });

  it.each<[string, FinalStatus, Partial<CheckItem>]>([
    ['a non-final status', 'PASSED', { status: 'CHECKING' }],
    ['a PASSED item without result', 'PASSED', { result: undefined }],
    ['a PASSED item with a result lacking valid', 'PASSED', { result: { score: 1 } as never }],
    ['a REJECTED item without rejection', 'REJECTED', { rejection: undefined }],
    [
      'a REJECTED item with an unknown source',
      'REJECTED',
      { rejection: { reason: 'X', source: 'vendor' as never } },
    ],
    ['a FAILED item without failure', 'FAILED', { failure: undefined }],
    ['an item without checkId', 'EXPIRED', { checkId: '' }],
    ['an item with a checkId over 256 characters', 'EXPIRED', { checkId: 'c'.repeat(257) }],
    ['an item without createdAt', 'EXPIRED', { createdAt: undefined as unknown as string }],
    ['an item with an unparsable decidedAt', 'EXPIRED', { decidedAt: 'yesterday' }],
  ])('refuses %s', (_label, status, overrides) => {
    expect(() => buildEventDetail({ ...finalCheckItem(status), ...overrides })).toThrow(
      InvalidCheckItemError,
    );
  });
});

describe('eventIdFor', () => {
  const CREATED = '2026-11-25T10:00:00.000Z';

  it('gives the same UUID v5 for the same check, status and creation, every time', () => {
    expect(eventIdFor('check-1', 'PASSED', CREATED)).toBe(eventIdFor('check-1', 'PASSED', CREATED));
    expect(eventIdFor('check-1', 'PASSED', CREATED)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('gives different ids for different statuses and checks', () => {
    const ids = new Set([
      ...FINAL_STATUSES.map((status) => eventIdFor('check-1', status, CREATED)),
      ...FINAL_STATUSES.map((status) => eventIdFor('check-2', status, CREATED)),
    ]);
    expect(ids.size).toBe(8);
  });

  it('gives a new id to a later check under the same check id (a direct upload key reused after the TTL)', () => {
    expect(eventIdFor('check-1', 'PASSED', CREATED)).not.toBe(
      eventIdFor('check-1', 'PASSED', '2026-12-26T10:00:00.000Z'),
    );
  });

  it('gives every event of one check the same id, whatever else its item carries', () => {
    const item = finalCheckItem('PASSED');
    const republished = { ...item, version: item.version + 1, updatedAt: '2026-11-25T11:00:00.000Z' };
    expect(buildEventDetail(republished).eventId).toBe(buildEventDetail(item).eventId);
    const later = { ...item, createdAt: '2026-12-26T10:00:00.000Z' };
    expect(buildEventDetail(later).eventId).not.toBe(buildEventDetail(item).eventId);
  });

  it('keeps its namespace and derivation, so republished events keep their ids across releases', () => {
    expect(eventIdFor('5b0c3f9e-8a2d-4c61-9f7a-1e2d3c4b5a69', 'PASSED', CREATED)).toBe(PINNED_PASSED_ID);
  });
});

describe('toPublicOutcome', () => {
  it('shows nothing for a check that is not final', () => {
    expect(toPublicOutcome({ ...finalCheckItem('PASSED'), status: 'CHECKING' })).toEqual({});
    expect(toPublicOutcome(finalCheckItem('EXPIRED'))).toEqual({});
  });

  it('shows the rejection and the vendor result of a REJECTED check', () => {
    expect(toPublicOutcome(finalCheckItem('REJECTED'))).toEqual({
      rejection: { code: 700, reason: 'FACE_TOO_CLOSE', message: 'Face to close.', source: 'apptenticate' },
      result: { valid: false, transactionId: 'tx-7d0e1b', score: 0.12, quality: 0.8, liveness: 0.05 },
    });
  });

  it('drops malformed sections instead of throwing', () => {
    const item = finalCheckItem('FAILED', { failure: { reason: 'not a reason' as never, message: 'x' } });
    expect(toPublicOutcome(item)).toEqual({});
  });
});

// Python: uuid.uuid5(uuid.UUID(EVENT_ID_NAMESPACE), '5b0c3f9e-8a2d-4c61-9f7a-1e2d3c4b5a69:PASSED')
const PINNED_PASSED_ID = 'e9effd0a-d121-5c87-8cf3-af91272a3c79';
