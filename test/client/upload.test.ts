import { describe, expect, it } from 'vitest';
import {
  createLivenessClient,
  type IssuedCheck,
  NetworkError,
  SelfieRejectedError,
  UploadExpiredError,
  UploadRejectedError,
  type XhrLike,
} from '../../client/index.js';
import { fakeFetch, steppingClock } from '../support/fake-fetch.js';

const form: IssuedCheck['upload'] = {
  url: 'https://bucket.s3.example.test/',
  fields: {
    key: 'selfies/abc',
    'Content-Type': 'image/jpeg',
    Policy: 'eyJjb25kaXRpb25zIjpbXX0=',
    'X-Amz-Signature': 'deadbeef',
  },
  expiresAt: '2026-11-30T10:05:00.000Z',
  maxBytes: 1000,
};
const bytes = new Uint8Array(600).fill(7);
const at = (iso: string) => steppingClock(Date.parse(iso)).clock;
const BASE = 'https://api.example.test';

describe('upload through fetch (Node)', () => {
  it('posts every form field unchanged, in order, then the selfie last as "file" with the pinned type', async () => {
    const fetch = fakeFetch({ status: 204 });
    const client = createLivenessClient({ baseUrl: BASE, fetch, clock: at('2026-11-30T10:00:00Z') });
    const progress: unknown[] = [];
    await client.upload(form, bytes, { onProgress: (p) => progress.push(p) });
    const body = fetch.seen[0]?.body as FormData;
    expect(fetch.seen[0]).toMatchObject({ url: form.url, method: 'POST' });
    expect([...body.keys()]).toEqual(['key', 'Content-Type', 'Policy', 'X-Amz-Signature', 'file']);
    expect(body.get('Policy')).toBe(form.fields.Policy);
    const file = body.get('file') as File;
    expect(file.type).toBe('image/jpeg');
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(bytes);
    expect(progress).toEqual([
      { loaded: 0, total: 600 },
      { loaded: 600, total: 600 },
    ]);
  });

  it("throws S3's refusal as UploadRejectedError with S3's code and nothing else from its body", async () => {
    const s3 =
      '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Invalid according to Policy: Policy Condition failed: ["eq", "$key", "selfies/abc"]</Message></Error>';
    const client = createLivenessClient({
      baseUrl: BASE,
      fetch: fakeFetch({ status: 403, text: s3 }),
      clock: at('2026-11-30T10:00:00Z'),
    });
    const error = await client.upload(form, bytes).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadRejectedError);
    expect(error).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(JSON.stringify(error) + String(error)).not.toMatch(/Policy|selfies\/abc/);
  });

  it('refuses an expired form without sending the selfie', async () => {
    const fetch = fakeFetch({ status: 204 });
    const client = createLivenessClient({ baseUrl: BASE, fetch, clock: at('2026-11-30T10:05:00Z') });
    await expect(client.upload(form, bytes)).rejects.toBeInstanceOf(UploadExpiredError);
    expect(fetch.seen).toEqual([]);
  });

  it("refuses a selfie over the form's maxBytes, or empty, without sending it", async () => {
    const fetch = fakeFetch({ status: 204 });
    const client = createLivenessClient({ baseUrl: BASE, fetch, clock: at('2026-11-30T10:00:00Z') });
    await expect(client.upload(form, new Uint8Array(1001))).rejects.toMatchObject({
      reason: 'OBJECT_TOO_LARGE',
    });
    await expect(client.upload(form, new Blob([]))).rejects.toBeInstanceOf(SelfieRejectedError);
    expect(fetch.seen).toEqual([]);
  });

  it('throws a connection failure as NetworkError', async () => {
    const client = createLivenessClient({
      baseUrl: BASE,
      fetch: fakeFetch(new TypeError('fetch failed')),
      clock: at('2026-11-30T10:00:00Z'),
    });
    await expect(client.upload(form, bytes)).rejects.toBeInstanceOf(NetworkError);
  });
});

/** A stand-in for the browser's XMLHttpRequest: records what the client does and lets the test answer. */
class FakeXhr implements XhrLike {
  static last: FakeXhr | undefined;
  opened: string[] = [];
  sent: unknown;
  aborted = false;
  status = 0;
  responseText = '';
  upload: XhrLike['upload'] = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  constructor() {
    FakeXhr.last = this;
  }
  open(method: string, url: string) {
    this.opened = [method, url];
  }
  send(body: unknown) {
    this.sent = body;
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  answer(status: number, text = '') {
    this.status = status;
    this.responseText = text;
    this.onload?.();
  }
}

describe('upload through XMLHttpRequest (browsers)', () => {
  const client = () =>
    createLivenessClient({
      baseUrl: BASE,
      fetch: fakeFetch(new Error('fetch must not be used')),
      XMLHttpRequest: FakeXhr,
      clock: at('2026-11-30T10:00:00Z'),
    });

  it('reports the browser’s upload progress and resolves on 204', async () => {
    const progress: unknown[] = [];
    const uploading = client().upload(form, bytes, { onProgress: (p) => progress.push(p) });
    await Promise.resolve();
    const xhr = FakeXhr.last as FakeXhr;
    expect(xhr.opened).toEqual(['POST', form.url]);
    expect([...(xhr.sent as FormData).keys()].at(-1)).toBe('file');
    xhr.upload.onprogress?.({ loaded: 300, total: 900, lengthComputable: true });
    xhr.upload.onprogress?.({ loaded: 100, total: 0, lengthComputable: false });
    xhr.answer(204);
    await uploading;
    expect(progress).toEqual([
      { loaded: 300, total: 900 },
      { loaded: 100, total: 600 },
    ]);
  });

  it('adds no upload listener without onProgress (a listener costs a CORS preflight)', async () => {
    const uploading = client().upload(form, bytes);
    await Promise.resolve();
    const xhr = FakeXhr.last as FakeXhr;
    expect(xhr.upload.onprogress).toBeNull();
    xhr.answer(204);
    await uploading;
  });

  it("throws S3's refusal with its code, and a failed connection as NetworkError", async () => {
    const refused = client().upload(form, bytes);
    await Promise.resolve();
    FakeXhr.last?.answer(400, '<Error><Code>EntityTooLarge</Code></Error>');
    await expect(refused).rejects.toMatchObject({
      name: 'UploadRejectedError',
      status: 400,
      code: 'EntityTooLarge',
    });
    const failed = client().upload(form, bytes);
    await Promise.resolve();
    FakeXhr.last?.onerror?.();
    await expect(failed).rejects.toBeInstanceOf(NetworkError);
  });

  it('aborts the request when the signal fires, rejecting with its reason', async () => {
    const controller = new AbortController();
    const uploading = client().upload(form, bytes, { signal: controller.signal });
    await Promise.resolve();
    const reason = new Error('cancelled');
    controller.abort(reason);
    await expect(uploading).rejects.toBe(reason);
    expect(FakeXhr.last?.aborted).toBe(true);
  });

  it('uses fetch when asked to, even where XMLHttpRequest exists', async () => {
    const fetch = fakeFetch({ status: 204 });
    FakeXhr.last = undefined;
    const c = createLivenessClient({
      baseUrl: BASE,
      fetch,
      XMLHttpRequest: FakeXhr,
      clock: at('2026-11-30T10:00:00Z'),
    });
    await c.upload(form, bytes, { transport: 'fetch' });
    expect(fetch.seen).toHaveLength(1);
    expect(FakeXhr.last).toBeUndefined();
  });
});
