/**
 * A typed client for the pipeline's API, for apps in browsers and on Node: `fetch` only, no
 * dependencies. Create a check, upload the selfie with its presigned POST, wait for the verdict.
 */
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import type { AuthHook } from './auth.js';
import { callApi, type HttpDeps } from './http.js';
import { precheckSelfie, precheckSelfieSize } from './precheck.js';
import type { CheckView, CreateCheckRequest, IssuedCheck, UploadForm, UploadLimits } from './types.js';
import { type UploadOptions, uploadWithForm, type XhrLike } from './upload.js';
import { type PollingOptions, pollUntilFinal, type WaitOptions } from './wait.js';

/** Options of {@link createLivenessClient}. */
export interface LivenessClientOptions {
  /** The API's base URL, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com`. */
  baseUrl: string;
  /** Authenticates API requests: {@link bearerToken}, or a SigV4 signer. @default none */
  auth?: AuthHook;
  /** Polling defaults for {@link LivenessClient.waitForVerdict}. */
  polling?: PollingOptions;
  /** @default the global `fetch` */
  fetch?: typeof fetch;
  /** @default the global `XMLHttpRequest`, where there is one */
  XMLHttpRequest?: new () => XhrLike;
  /** Time for polling and for the upload form's expiry. @default the system clock */
  clock?: Clock;
}

/** Options of {@link LivenessClient.checkSelfie}. */
export interface CheckSelfieOptions
  extends Omit<CreateCheckRequest, 'contentType'>,
    Omit<WaitOptions, 'signal'> {
  /** The installation's limits, checked before anything is sent (the form's `maxBytes` always is). */
  limits?: Partial<UploadLimits>;
  onProgress?: UploadOptions['onProgress'];
  /** Called once the check exists and again once the upload is done. */
  onStage?: (stage: 'uploading' | 'checking', checkId: string) => void;
  signal?: AbortSignal;
}

/** The client's operations. */
export interface LivenessClient {
  /** `POST /checks`: a new check and its upload form. */
  createCheck(request?: CreateCheckRequest, options?: { signal?: AbortSignal }): Promise<IssuedCheck>;
  /** `GET /checks/{checkId}`. */
  getCheck(checkId: string, options?: { signal?: AbortSignal }): Promise<CheckView>;
  /** Uploads a selfie with a check's form, after checking its size against the form's limit. */
  upload(check: IssuedCheck | UploadForm, selfie: Blob | Uint8Array, options?: UploadOptions): Promise<void>;
  /** Polls the check until its status is final (see {@link PollingOptions}). */
  waitForVerdict(checkId: string, options?: WaitOptions): Promise<CheckView>;
  /** The whole flow: pre-check, create, upload, wait. */
  checkSelfie(selfie: Blob | Uint8Array, options?: CheckSelfieOptions): Promise<CheckView>;
}

/** A client for one installation of the pipeline. */
export function createLivenessClient(options: LivenessClientOptions): LivenessClient {
  const clock = options.clock ?? systemClock;
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const now = () => clock.now().getTime();
  const http: HttpDeps = {
    baseUrl: options.baseUrl,
    fetch: fetchFn,
    now,
    ...(options.auth ? { auth: options.auth } : {}),
  };
  const Xhr = options.XMLHttpRequest ?? (globalThis as { XMLHttpRequest?: new () => XhrLike }).XMLHttpRequest;
  const uploadDeps = { fetch: fetchFn, now, ...(Xhr ? { XMLHttpRequest: Xhr } : {}) };

  const client: LivenessClient = {
    createCheck: async (request = {}, { signal } = {}) =>
      await callApi<IssuedCheck>(http, 'POST', '/checks', request, signal),
    getCheck: async (checkId, { signal } = {}) =>
      await callApi<CheckView>(http, 'GET', `/checks/${encodeURIComponent(checkId)}`, undefined, signal),
    upload: async (check, selfie, uploadOptions) => {
      const form = 'upload' in check ? check.upload : check;
      precheckSelfieSize(selfie instanceof Uint8Array ? selfie.length : selfie.size, form.maxBytes);
      const blob =
        selfie instanceof Uint8Array
          ? new Blob([selfie.slice()], { type: form.fields['Content-Type'] ?? '' })
          : selfie;
      await uploadWithForm(uploadDeps, form, blob, uploadOptions);
    },
    waitForVerdict: async (checkId, waitOptions = {}) =>
      await pollUntilFinal(
        async (signal) => await client.getCheck(checkId, signal ? { signal } : {}),
        checkId,
        clock,
        { ...options.polling, ...waitOptions },
      ),
    checkSelfie: async (
      selfie,
      { limits, device, reference, onProgress, onStage, signal, ...polling } = {},
    ) => {
      const checked = await precheckSelfie(selfie, limits);
      const issued = await client.createCheck(
        {
          contentType: checked.contentType,
          ...(device ? { device } : {}),
          ...(reference ? { reference } : {}),
        },
        signal ? { signal } : {},
      );
      onStage?.('uploading', issued.checkId);
      await client.upload(issued, checked.blob, {
        ...(onProgress ? { onProgress } : {}),
        ...(signal ? { signal } : {}),
      });
      onStage?.('checking', issued.checkId);
      return await client.waitForVerdict(issued.checkId, { ...polling, ...(signal ? { signal } : {}) });
    },
  };
  return client;
}
