/**
 * The presigned POST upload: every form field unchanged, then the selfie as the last field, `file`.
 * In a browser it goes through `XMLHttpRequest`, the one browser API that reports upload progress;
 * elsewhere (Node, React Native without XHR) through `fetch`, which reports only the start and the end.
 */
import { NetworkError, UploadExpiredError, UploadRejectedError } from './errors.js';
import type { UploadForm } from './types.js';

/** How far an upload got, in bytes of the whole form body when known. */
export interface UploadProgress {
  loaded: number;
  total: number;
}

/** Options of an upload. */
export interface UploadOptions {
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
  /**
   * `xhr` needs a global `XMLHttpRequest` (or {@link UploadDeps.XMLHttpRequest}).
   * @default 'xhr' where `XMLHttpRequest` exists, else 'fetch'
   */
  transport?: 'xhr' | 'fetch';
}

/** The small part of `XMLHttpRequest` the upload uses, so the client needs no DOM typings. */
export interface XhrLike {
  open(method: string, url: string): void;
  send(body: unknown): void;
  abort(): void;
  readonly status: number;
  readonly responseText: string;
  readonly upload: {
    onprogress: ((event: { loaded: number; total: number; lengthComputable: boolean }) => void) | null;
  };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

/** What an upload needs from its surroundings; tests pass fakes. */
export interface UploadDeps {
  fetch: typeof fetch;
  XMLHttpRequest?: new () => XhrLike;
  /** Epoch milliseconds, to refuse an expired form before sending the selfie. */
  now: () => number;
}

/** Uploads a selfie with a check's presigned POST; resolves once S3 stored it. */
export async function uploadWithForm(
  deps: UploadDeps,
  form: UploadForm,
  selfie: Blob,
  options: UploadOptions = {},
): Promise<void> {
  if (options.signal?.aborted) throw options.signal.reason;
  if (Date.parse(form.expiresAt) <= deps.now()) throw new UploadExpiredError(form.expiresAt);
  const body = new FormData();
  for (const [name, value] of Object.entries(form.fields)) body.append(name, value);
  // S3 takes the content type from the form's field; the part's own type only has to be sensible.
  body.append('file', selfie, 'selfie');
  const Xhr = deps.XMLHttpRequest;
  const transport = options.transport ?? (Xhr ? 'xhr' : 'fetch');
  if (transport === 'xhr') {
    if (!Xhr) throw new TypeError('transport "xhr" needs XMLHttpRequest, which this runtime does not have');
    return await sendWithXhr(Xhr, form.url, body, selfie.size, options);
  }
  return await sendWithFetch(deps.fetch, form.url, body, selfie.size, options);
}

async function sendWithFetch(
  fetchFn: typeof fetch,
  url: string,
  body: FormData,
  size: number,
  { onProgress, signal }: UploadOptions,
): Promise<void> {
  onProgress?.({ loaded: 0, total: size });
  let response: Response;
  try {
    response = await fetchFn(url, { method: 'POST', body, ...(signal ? { signal } : {}) });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new NetworkError('the upload could not reach the storage', { cause: error });
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) throw new UploadRejectedError(response.status, s3ErrorCode(text));
  onProgress?.({ loaded: size, total: size });
}

function sendWithXhr(
  Xhr: new () => XhrLike,
  url: string,
  body: FormData,
  size: number,
  { onProgress, signal }: UploadOptions,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new Xhr();
    const onAbort = () => xhr.abort();
    const settle = (outcome: () => void) => {
      signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    xhr.open('POST', url);
    // Only when asked: a progress listener makes the browser send a CORS preflight first.
    if (onProgress) {
      xhr.upload.onprogress = (event) =>
        onProgress({ loaded: event.loaded, total: event.lengthComputable ? event.total : size });
    }
    xhr.onload = () =>
      settle(() => {
        if (xhr.status >= 200 && xhr.status < 300) resolve();
        else reject(new UploadRejectedError(xhr.status, s3ErrorCode(xhr.responseText)));
      });
    xhr.onerror = () =>
      settle(() =>
        reject(new NetworkError('the upload could not reach the storage (offline, or CORS refused)')),
      );
    xhr.onabort = () => settle(() => reject(signal?.reason ?? new NetworkError('the upload was aborted')));
    signal?.addEventListener('abort', onAbort, { once: true });
    xhr.send(body);
  });
}

/** S3's `<Error><Code>…</Code>` (the rest of the body, which can echo the policy, stays out). */
function s3ErrorCode(text: string): string {
  return /<Code>([A-Za-z0-9]{1,64})<\/Code>/.exec(text)?.[1] ?? 'Unknown';
}
