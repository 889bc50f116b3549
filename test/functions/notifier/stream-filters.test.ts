import { describe, expect, it } from 'vitest';
import { NOTIFIER_STREAM_FILTERS } from '../../../functions/notifier/stream-filters.js';
import { matchesPattern } from '../../../tools/local/stream-event-source.js';

const passes = (record: unknown) =>
  NOTIFIER_STREAM_FILTERS.some((pattern) => matchesPattern(record, pattern));
const image = (status: string) => ({ checkId: { S: 'c-1' }, status: { S: status } });

describe('NOTIFIER_STREAM_FILTERS', () => {
  it('passes a MODIFY from CHECKING or AWAITING_UPLOAD into each final status', () => {
    for (const status of ['PASSED', 'REJECTED', 'FAILED']) {
      expect(
        passes({ eventName: 'MODIFY', dynamodb: { OldImage: image('CHECKING'), NewImage: image(status) } }),
      ).toBe(true);
    }
    expect(
      passes({
        eventName: 'MODIFY',
        dynamodb: { OldImage: image('AWAITING_UPLOAD'), NewImage: image('EXPIRED') },
      }),
    ).toBe(true);
  });

  it('passes final statuses without decidedAt, for the notifier to count rather than drop unseen', () => {
    const forged = { ...image('PASSED'), owner: { S: 'user-mallory' } };
    expect(passes({ eventName: 'INSERT', dynamodb: { NewImage: forged } })).toBe(true);
    expect(
      passes({ eventName: 'MODIFY', dynamodb: { OldImage: image('AWAITING_UPLOAD'), NewImage: forged } }),
    ).toBe(true);
  });

  it('passes an INSERT that is already final', () => {
    expect(passes({ eventName: 'INSERT', dynamodb: { NewImage: image('REJECTED') } })).toBe(true);
  });

  it('drops non-final transitions, rewrites of a final item, non-final inserts and TTL removals', () => {
    expect(
      passes({
        eventName: 'MODIFY',
        dynamodb: { OldImage: image('AWAITING_UPLOAD'), NewImage: image('CHECKING') },
      }),
    ).toBe(false);
    expect(
      passes({ eventName: 'MODIFY', dynamodb: { OldImage: image('PASSED'), NewImage: image('PASSED') } }),
    ).toBe(false);
    expect(
      passes({ eventName: 'MODIFY', dynamodb: { OldImage: image('FAILED'), NewImage: image('REJECTED') } }),
    ).toBe(false);
    expect(passes({ eventName: 'INSERT', dynamodb: { NewImage: image('AWAITING_UPLOAD') } })).toBe(false);
    expect(passes({ eventName: 'REMOVE', dynamodb: { OldImage: image('PASSED') } })).toBe(false);
    // moto 5.2.1's keys-only first INSERT of an UpdateItem that creates an item (notifier.moto.test.ts).
    expect(passes({ eventName: 'INSERT', dynamodb: { NewImage: { checkId: { S: 'c-1' } } } })).toBe(false);
  });
});
