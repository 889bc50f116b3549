import { describe, expect, it } from 'vitest';
import {
  CheckNotFoundError,
  createLivenessClient,
  DEFAULT_POLLING,
  RateLimitedError,
  VerdictTimeoutError,
} from '../../client/index.js';
import { fakeFetch, steppingClock } from '../support/fake-fetch.js';

const BASE = 'https://api.example.test';
const ID = '3f6c1a2e-8b4d-4c1f-9a7e-2d5b6c8e9f01';
const view = (status: string) => ({
  status: 200,
  json: { checkId: ID, status, createdAt: 'x', updatedAt: 'x' },
});
const limited = (retryAfter: string) => ({
  status: 429,
  json: { error: { code: 'TOO_MANY_REQUESTS', message: 'slow down' } },
  headers: { 'retry-after': retryAfter },
});

describe('waitForVerdict', () => {
  it('reads after the initial delay, then at growing intervals up to the cap, until the status is final', async () => {
    const { clock, sleeps } = steppingClock();
    const fetch = fakeFetch(...Array.from({ length: 7 }, () => view('CHECKING')), view('REJECTED'));
    const client = createLivenessClient({ baseUrl: BASE, fetch, clock });
    const statuses: string[] = [];
    const check = await client.waitForVerdict(ID, { onStatus: (c) => statuses.push(c.status) });
    expect(check.status).toBe('REJECTED');
    expect(sleeps).toEqual([1000, 1500, 2250, 3375, 5000, 5000, 5000, 5000]);
    expect(statuses).toEqual([...Array.from({ length: 7 }, () => 'CHECKING'), 'REJECTED']);
  });

  it('treats EXPIRED and FAILED as final too', async () => {
    for (const status of ['EXPIRED', 'FAILED', 'PASSED']) {
      const client = createLivenessClient({
        baseUrl: BASE,
        fetch: fakeFetch(view(status)),
        clock: steppingClock().clock,
      });
      await expect(client.waitForVerdict(ID)).resolves.toMatchObject({ status });
    }
  });

  it('waits at least what Retry-After asks before the next read', async () => {
    const { clock, sleeps } = steppingClock();
    const fetch = fakeFetch(limited('9'), view('PASSED'));
    const client = createLivenessClient({ baseUrl: BASE, fetch, clock });
    await expect(client.waitForVerdict(ID)).resolves.toMatchObject({ status: 'PASSED' });
    expect(sleeps).toEqual([1000, 9000]);
  });

  it('retries a 503, a 500 and a network error within the deadline', async () => {
    const { clock, sleeps } = steppingClock();
    const fetch = fakeFetch(
      {
        status: 503,
        json: { error: { code: 'SERVICE_UNAVAILABLE', message: 'm' } },
        headers: { 'retry-after': '1' },
      },
      { status: 500, json: { error: { code: 'INTERNAL_ERROR', message: 'm' } } },
      new TypeError('fetch failed'),
      view('PASSED'),
    );
    const client = createLivenessClient({ baseUrl: BASE, fetch, clock });
    await expect(client.waitForVerdict(ID)).resolves.toMatchObject({ status: 'PASSED' });
    expect(sleeps).toEqual([1000, 1500, 2250, 3375]);
  });

  it('throws a non-retryable answer at once', async () => {
    const fetch = fakeFetch(
      { status: 404, json: { error: { code: 'CHECK_NOT_FOUND', message: 'm' } } },
      view('PASSED'),
    );
    const client = createLivenessClient({ baseUrl: BASE, fetch, clock: steppingClock().clock });
    await expect(client.waitForVerdict(ID)).rejects.toBeInstanceOf(CheckNotFoundError);
    expect(fetch.seen).toHaveLength(1);
  });

  it('gives up at the deadline with the last status, after one last read at the deadline', async () => {
    const { clock, sleeps } = steppingClock();
    const client = createLivenessClient({ baseUrl: BASE, fetch: fakeFetch(view('CHECKING')), clock });
    const error = await client.waitForVerdict(ID, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VerdictTimeoutError);
    expect(error).toMatchObject({ checkId: ID, lastStatus: 'CHECKING' });
    expect(sleeps).toEqual([1000, 1500, 2250, 3375, 1875]);
    expect(sleeps.reduce((a, b) => a + b)).toBe(10_000);
  });

  it('gives up rather than read early when Retry-After reaches past the deadline', async () => {
    const { clock, sleeps } = steppingClock();
    const fetch = fakeFetch(limited('120'), view('PASSED'));
    const client = createLivenessClient({ baseUrl: BASE, fetch, clock });
    const error = await client.waitForVerdict(ID, { timeoutMs: 30_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VerdictTimeoutError);
    expect(sleeps).toEqual([1000]);
    expect(fetch.seen).toHaveLength(1);
  });

  it('keeps the cause of a retryable failure at the deadline', async () => {
    const { clock } = steppingClock();
    const client = createLivenessClient({ baseUrl: BASE, fetch: fakeFetch(limited('1')), clock });
    const error = await client.waitForVerdict(ID, { timeoutMs: 3000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VerdictTimeoutError);
    expect((error as Error).cause).toBeInstanceOf(RateLimitedError);
  });

  it('stops with the signal reason when aborted while waiting, without another read', async () => {
    const controller = new AbortController();
    let reads = 0;
    const fetch = fakeFetch(view('CHECKING'));
    const counting: typeof globalThis.fetch = async (...args) => {
      reads++;
      return await fetch(...args);
    };
    // A clock whose sleeps never end on their own: only the abort ends the wait.
    const clock = { now: () => new Date(0), sleep: () => new Promise<void>(() => {}) };
    const client = createLivenessClient({ baseUrl: BASE, fetch: counting, clock });
    const waiting = client.waitForVerdict(ID, { signal: controller.signal });
    const reason = new Error('the person left the page');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(reads).toBe(0);
  });

  it('takes polling defaults from the client and lets a call override them', async () => {
    const { clock, sleeps } = steppingClock();
    const fetch = fakeFetch(view('CHECKING'), view('PASSED'));
    const client = createLivenessClient({
      baseUrl: BASE,
      fetch,
      clock,
      polling: { initialDelayMs: 200, backoff: 10, maxIntervalMs: 200 },
    });
    await client.waitForVerdict(ID, { initialDelayMs: 50 });
    expect(sleeps).toEqual([50, 200]);
    expect(DEFAULT_POLLING).toEqual({
      initialDelayMs: 1000,
      backoff: 1.5,
      maxIntervalMs: 5000,
      timeoutMs: 60_000,
    });
  });
});
