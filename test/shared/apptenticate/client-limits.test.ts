import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApptenticateClient, MAX_VENDOR_BODY_BYTES } from '../../../shared/apptenticate/client.js';
import type { LivenessRequest } from '../../../shared/apptenticate/outcome.js';
import { makePng } from '../../../tools/simulator/images.js';

/**
 * A vendor that answers 200 and then sends its body a few bytes at a time: never silent for long
 * (so undici's bodyTimeout, which bounds silence, never fires), but slow in total.
 */
interface TricklingVendor {
  baseUrl: string;
  /** Body chunks written so far. */
  chunksSent: () => number;
  /** Resolves when the client has gone away (the socket closed) before the body ended. */
  abandoned: Promise<void>;
  /** Resolves once this many chunks have been written. */
  afterChunks: (n: number) => Promise<void>;
  close: () => Promise<void>;
}

async function startTricklingVendor(options: {
  chunks: number;
  intervalMs: number;
  chunk: (i: number) => string;
  last: string;
}): Promise<TricklingVendor> {
  let sent = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  let markAbandoned: () => void = () => undefined;
  const abandoned = new Promise<void>((resolve) => {
    markAbandoned = resolve;
  });
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let finished = false;
      res.on('close', () => {
        if (!finished) markAbandoned();
      });
      const timer = setInterval(() => {
        if (res.destroyed) {
          clearInterval(timer);
          return;
        }
        if (sent >= options.chunks) {
          clearInterval(timer);
          finished = true;
          res.end(options.last);
          return;
        }
        res.write(options.chunk(sent));
        sent++;
        for (const w of waiters.filter((w) => sent >= w.n)) w.resolve();
      }, options.intervalMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    chunksSent: () => sent,
    abandoned,
    afterChunks: (n) =>
      sent >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const request: LivenessRequest = {
  selfie: makePng({ width: 120, height: 120, seed: 5 }),
  contentType: 'image/png',
  fileName: 'selfie.png',
};

const PASSED = JSON.stringify({ data: { valid: true, id: 7 } });

let vendor: TricklingVendor | undefined;
let client: ApptenticateClient | undefined;

afterEach(async () => {
  await client?.close();
  await vendor?.close();
  vendor = undefined;
  client = undefined;
});

/** A vendor that trickles a valid verdict, and a client whose own timeouts alone would read it all. */
async function trickling(): Promise<{ vendor: TricklingVendor; client: ApptenticateClient }> {
  // 400 chunks of whitespace 10 ms apart, then the verdict: valid JSON if read to the end.
  vendor = await startTricklingVendor({ chunks: 400, intervalMs: 10, chunk: () => ' ', last: PASSED });
  // Silence never exceeds 10 ms, so these timeouts alone would read the whole body.
  client = new ApptenticateClient({
    baseUrl: vendor.baseUrl,
    headersTimeoutMs: 5_000,
    bodyTimeoutMs: 5_000,
    callTimeoutMs: 60_000,
  });
  return { vendor, client };
}

describe('ApptenticateClient deadline', () => {
  it('gives up a trickling body when the caller’s signal aborts, and reports a retryable timeout', async () => {
    const { vendor, client } = await trickling();
    const deadline = new AbortController();
    const call = client.checkLiveness('token', request, { signal: deadline.signal });
    await vendor.afterChunks(3);

    deadline.abort();

    await expect(call).resolves.toMatchObject({ kind: 'retryable', reason: 'TIMEOUT' });
    await vendor.abandoned;
    expect(vendor.chunksSent()).toBeLessThan(400);
  });

  it('does not send a request whose signal has already aborted', async () => {
    const { vendor, client } = await trickling();

    const outcome = await client.refresh('refresh-token', { signal: AbortSignal.abort() });

    expect(outcome).toMatchObject({ kind: 'retryable', reason: 'TIMEOUT' });
    expect(vendor.chunksSent()).toBe(0);
  });

  it('names the deadline, not the vendor’s text, in the outcome', async () => {
    const { vendor, client } = await trickling();
    const deadline = new AbortController();
    const call = client.login('user', 'password-marker', { signal: deadline.signal });
    await vendor.afterChunks(1);
    deadline.abort();

    const outcome = await call;

    expect(outcome.kind).toBe('retryable');
    expect(JSON.stringify(outcome)).not.toContain('password-marker');
    expect(JSON.stringify(outcome)).toMatch(/deadline/);
  });
});

describe('ApptenticateClient call timeout', () => {
  it('bounds one call in total even when the body never pauses long enough for bodyTimeout', async () => {
    vendor = await startTricklingVendor({ chunks: 400, intervalMs: 10, chunk: () => ' ', last: PASSED });
    client = new ApptenticateClient({
      baseUrl: vendor.baseUrl,
      headersTimeoutMs: 5_000,
      bodyTimeoutMs: 5_000,
      callTimeoutMs: 100,
    });

    await expect(client.checkLiveness('token', request)).resolves.toMatchObject({
      kind: 'retryable',
      reason: 'TIMEOUT',
    });
    await vendor.abandoned;
    expect(vendor.chunksSent()).toBeLessThan(400);
  });
});

describe('ApptenticateClient body size limit', () => {
  it('reads a body up to the limit', async () => {
    // Padding inside a valid JSON answer, just under the limit.
    const padding = ' '.repeat(MAX_VENDOR_BODY_BYTES - PASSED.length - 1);
    vendor = await startTricklingVendor({ chunks: 1, intervalMs: 1, chunk: () => padding, last: PASSED });
    client = new ApptenticateClient({ baseUrl: vendor.baseUrl });

    await expect(client.checkLiveness('token', request)).resolves.toMatchObject({
      kind: 'passed',
      transactionId: '7',
    });
  });

  it('treats a larger body as an unreadable answer and stops reading it', async () => {
    // 64 chunks of 16 KiB (1 MiB) before a valid verdict: nothing past the limit is buffered.
    vendor = await startTricklingVendor({
      chunks: 64,
      intervalMs: 5,
      chunk: () => ' '.repeat(16 * 1024),
      last: PASSED,
    });
    client = new ApptenticateClient({ baseUrl: vendor.baseUrl });

    const outcome = await client.checkLiveness('token', request);

    expect(outcome).toMatchObject({ kind: 'terminal', reason: 'RESPONSE_INVALID', httpStatus: 200 });
    await vendor.abandoned;
    expect(vendor.chunksSent()).toBeLessThan(64);
  });
});
