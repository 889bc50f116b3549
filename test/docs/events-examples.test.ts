import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createLivenessSubscriber,
  type ExpectedOwners,
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

/** The backend's own record of who each check is for: here, the owners the documented examples carry. */
function expectedOwners(entries: Iterable<[string, string]> = ownersOfExamples()): ExpectedOwners & {
  ownerOf: ReturnType<typeof vi.fn<ExpectedOwners['ownerOf']>>;
} {
  const byCheckId = new Map(entries);
  return { ownerOf: vi.fn<ExpectedOwners['ownerOf']>(async ({ checkId }) => byCheckId.get(checkId)) };
}

function ownersOfExamples(): [string, string][] {
  return examples.flatMap(({ detail }) =>
    detail.owner ? [[detail.checkId, detail.owner] as [string, string]] : [],
  );
}

function subscriberWith(owners: ExpectedOwners = expectedOwners()) {
  const handlers = recordingHandlers();
  const processed = inMemoryProcessedEvents();
  const subscriber = createLivenessSubscriber({ processed, owners, handlers });
  return { handlers, processed, subscriber };
}

const passedExample = () => {
  const passed = examples.find((event) => event.detail.status === 'PASSED');
  if (!passed) throw new Error('docs/events.md has no PASSED example');
  return structuredClone(passed);
};

describe('the example subscriber', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('handles every documented example once, however often it arrives', async () => {
    const { handlers, subscriber } = subscriberWith();

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

  it('ignores a PASSED event whose owner is not the user it expects for the check, and logs it', async () => {
    const { handlers, subscriber } = subscriberWith();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    // Another user created a check with the victim's reference and passed it with their own face.
    const forged = passedExample();
    forged.detail.owner = 'user-mallory';

    await subscriber(forged);

    expect(handlers.onPassed).not.toHaveBeenCalled();
    expect(warn).toHaveBeenCalledWith('ignoring a liveness event whose owner is not the expected one', {
      id: forged.id,
      eventId: forged.detail.eventId,
      checkId: forged.detail.checkId,
    });
  });

  it('looks the expected owner up by the check, never taking it from the event', async () => {
    const owners = expectedOwners();
    const { subscriber } = subscriberWith(owners);
    const passed = passedExample();

    await subscriber(passed);

    expect(owners.ownerOf).toHaveBeenCalledWith({ checkId: passed.detail.checkId, reference: 'order-4711' });
  });

  it('ignores an event without an owner, and one for a check it expects from nobody', async () => {
    const { handlers, subscriber } = subscriberWith(expectedOwners([]));
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const anonymous = passedExample();
    delete anonymous.detail.owner;

    await subscriber(anonymous);
    await subscriber(passedExample());

    expect(handlers.onPassed).not.toHaveBeenCalled();
  });

  it('ignores an event from another source', async () => {
    const { handlers, subscriber } = subscriberWith();
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const foreign = { ...passedExample(), source: 'someone-else' };

    await subscriber(foreign);

    expect(handlers.onPassed).not.toHaveBeenCalled();
  });

  it('does not mark an ignored event handled: a republished copy is credited once its owner is expected', async () => {
    const owners = expectedOwners([['1f0e6c2a-7b1d-4d8e-9a3c-5e2f4b6a8c01', 'user-someone-else']]);
    const { handlers, subscriber } = subscriberWith(owners);
    vi.spyOn(console, 'warn').mockImplementation(() => {});

    await subscriber(passedExample());
    owners.ownerOf.mockResolvedValue('user-7f3a');
    await subscriber(passedExample());

    expect(handlers.onPassed).toHaveBeenCalledTimes(1);
  });

  it('ignores an event of an unknown schema version', async () => {
    const { handlers, subscriber } = subscriberWith();
    const [first] = examples;
    const future = { ...first, detail: { ...first?.detail, schemaVersion: 2 } } as unknown as LivenessEvent;
    vi.spyOn(console, 'warn').mockImplementation(() => {});

    await subscriber(future);

    expect(handlers.onPassed).not.toHaveBeenCalled();
  });
});
