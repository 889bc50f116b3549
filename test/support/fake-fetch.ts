/** A `fetch` that answers from a script and records what it was asked, for the client's unit tests. */

/** One request as the fake saw it. */
export interface SeenRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string | FormData;
}

/** An answer: a status, a JSON or text body, headers; or a thrown error (a network failure). */
export type FakeAnswer =
  | { status: number; json?: unknown; text?: string; headers?: Record<string, string> }
  | Error;

/** A fake `fetch`: `answers` are used in order, the last one repeats. */
export function fakeFetch(...answers: FakeAnswer[]): typeof fetch & { seen: SeenRequest[] } {
  const seen: SeenRequest[] = [];
  let next = 0;
  const fn = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const body = init.body;
    seen.push({
      url: String(input),
      method: init.method ?? 'GET',
      headers,
      ...(typeof body === 'string' || body instanceof FormData ? { body } : {}),
    });
    if (init.signal?.aborted) throw init.signal.reason;
    const answer = answers[Math.min(next++, answers.length - 1)];
    if (!answer) throw new Error('fakeFetch has no answer');
    if (answer instanceof Error) throw answer;
    const text = answer.json !== undefined ? JSON.stringify(answer.json) : (answer.text ?? '');
    return new Response(answer.status === 204 ? null : text, {
      status: answer.status,
      headers: { 'content-type': 'application/json', ...answer.headers },
    });
  };
  return Object.assign(fn as typeof fetch, { seen });
}

/** A clock tests drive: `sleep` moves time on at once and records how long it was asked to wait. */
export function steppingClock(startMs = Date.parse('2026-11-30T10:00:00.000Z')) {
  let now = startMs;
  const sleeps: number[] = [];
  return {
    sleeps,
    advance: (ms: number) => {
      now += ms;
    },
    clock: {
      now: () => new Date(now),
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
    },
  };
}
