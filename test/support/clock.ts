import type { Clock } from '../../shared/clock.js';

/** A clock tests control: `now` answers whatever the test says; `sleep` returns at once. */
export function testClock(now: () => Date): Clock {
  return { now, sleep: async () => undefined };
}
