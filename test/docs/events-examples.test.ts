import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import {
  createLivenessSubscriber,
  inMemoryProcessedEvents,
  type LivenessOutcomeHandlers,
} from '../../examples/subscriber/handler.js';
import {
  DEFAULT_EVENT_SOURCE,
  DETAIL_TYPES,
  EVENT_STATUSES,
  eventIdFor,
  type LivenessEvent,
} from '../../shared/events/index.js';
import { errorsOf, validateDetail, validateEvent } from '../shared/events/validator.js';

const docs = readFileSync(new URL('../../docs/events.md', import.meta.url), 'utf8');
const blocks = [...docs.matchAll(/```json\n([\s\S]*?)\n```/g)].map(
  ([, body]) => JSON.parse(body ?? '') as unknown,
);
const isEvent = (block: unknown): block is LivenessEvent =>
  typeof (block as { 'detail-type'?: unknown })['detail-type'] === 'string';
const examples = blocks.filter(isEvent);
const patterns = blocks.filter((block) => !isEvent(block)) as Record<string, unknown>[];

const patternDir = new URL('../../examples/subscriber/patterns/', import.meta.url);
const patternFiles = readdirSync(patternDir).filter((name) => name.endsWith('.json'));
const readPattern = (name: string) =>
  JSON.parse(readFileSync(new URL(name, patternDir), 'utf8')) as Record<string, unknown>;

/** EventBridge matching for the pattern forms used here: arrays of values, nested objects. */
function matches(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) return pattern.includes(value);
  if (typeof pattern !== 'object' || pattern === null) return false;
  return Object.entries(pattern).every(([key, expected]) =>
    matches(expected, (value as Record<string, unknown> | undefined)?.[key]),
  );
}

describe('docs/events.md', () => {
  it('shows an example of every detail-type', () => {
    expect(new Set(examples.map((event) => event['detail-type']))).toEqual(
      new Set(Object.values(DETAIL_TYPES)),
    );
  });

  it.each(examples.map((event) => [`${event['detail-type']} ${event.detail.checkId}`, event] as const))(
    'has a %s example that validates against the JSON Schema',
    (_label, event) => {
      expect(validateEvent(event), errorsOf(validateEvent)).toBe(true);
      expect(validateDetail(event.detail), errorsOf(validateDetail)).toBe(true);
      expect(event.detail.eventId).toBe(
        eventIdFor(event.detail.checkId, event.detail.status, event.detail.createdAt),
      );
      expect(event.source).toBe(DEFAULT_EVENT_SOURCE);
    },
  );

  it('shows every pattern of examples/subscriber/patterns, verbatim', () => {
    expect(patterns).toHaveLength(patternFiles.length);
    expect(patterns).toEqual(expect.arrayContaining(patternFiles.map(readPattern)));
  });
});

describe('the subscriber event patterns', () => {
  it.each(patternFiles)('%s matches exactly the examples of its detail-types', (name) => {
    const pattern = readPattern(name);
    const detailTypes = pattern['detail-type'] as string[];
    expect(Object.values(DETAIL_TYPES)).toEqual(expect.arrayContaining(detailTypes));
    const matched = examples.filter((event) => matches(pattern, event));
    expect(matched.length).toBeGreaterThan(0);
    const expected = examples.filter(
      (event) =>
        detailTypes.includes(event['detail-type']) &&
        (name !== 'rejected-by-vendor.json' ||
          (event.detail.status === 'REJECTED' && event.detail.rejection.source === 'apptenticate')),
    );
    expect(matched).toEqual(expected);
  });

  it('has one pattern per detail-type', () => {
    for (const status of EVENT_STATUSES) {
      const name = `${DETAIL_TYPES[status].toLowerCase().replaceAll(' ', '-')}.json`;
      expect(readPattern(name)).toEqual({
        source: [DEFAULT_EVENT_SOURCE],
        'detail-type': [DETAIL_TYPES[status]],
      });
    }
  });
});

function recordingHandlers() {
  return {
    onPassed: vi.fn<LivenessOutcomeHandlers['onPassed']>(async () => {}),
    onRejected: vi.fn<LivenessOutcomeHandlers['onRejected']>(async () => {}),
    onNoVerdict: vi.fn<LivenessOutcomeHandlers['onNoVerdict']>(async () => {}),
  };
}

describe('the example subscriber', () => {
  it('handles every documented example once, however often it arrives', async () => {
    const handlers = recordingHandlers();
    const subscriber = createLivenessSubscriber(inMemoryProcessedEvents(), handlers);

    for (const event of [...examples, ...examples]) await subscriber(event);

    expect(handlers.onPassed.mock.calls).toEqual([
      ['1f0e6c2a-7b1d-4d8e-9a3c-5e2f4b6a8c01', 'order-4711', 'b0f2c6de-52a1-4d0b-93b8-17a3c9e4d210'],
    ]);
    expect(handlers.onRejected.mock.calls.map(([, , reason]) => reason)).toEqual([
      'FACE_TOO_CLOSE',
      'UNSUPPORTED_IMAGE_FORMAT',
    ]);
    expect(handlers.onNoVerdict.mock.calls.map(([, , why]) => why)).toEqual(['FAILED', 'EXPIRED']);
  });

  it('ignores an event of an unknown schema version', async () => {
    const handlers = recordingHandlers();
    const subscriber = createLivenessSubscriber(inMemoryProcessedEvents(), handlers);
    const [first] = examples;
    const future = { ...first, detail: { ...first?.detail, schemaVersion: 2 } } as unknown as LivenessEvent;
    vi.spyOn(console, 'warn').mockImplementation(() => {});

    await subscriber(future);

    expect(handlers.onPassed).not.toHaveBeenCalled();
  });
});
