/**
 * The Apptenticate HTTP client: login, token refresh and the liveness call, on one keep-alive
 * undici `Agent`. Every vendor answer and every transport failure becomes a typed outcome; the
 * client throws only for programming errors (an invalid argument, a closed client).
 *
 * The liveness call's multipart body is encoded here (`multipart.ts`), as undici would encode a
 * `FormData` but without copying the selfie into a `Blob`.
 */
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { DEFAULT_APPTENTICATE_URL } from './endpoint.js';
import { encodeMultipart } from './multipart.js';
import type {
  LivenessOutcome,
  LivenessRequest,
  LoginOutcome,
  RefreshOutcome,
  VendorRetryable,
} from './outcome.js';
import { parseLivenessResponse, parseLoginResponse, parseRefreshResponse } from './parse.js';
import { classifyTransportError } from './transport-errors.js';
import { Agent, request } from './undici-parts.js';

/**
 * The most of a vendor answer the client reads. Every documented answer is well under 1 KiB; a
 * larger body is treated as unreadable and the rest of it is not read.
 */
export const MAX_VENDOR_BODY_BYTES = 64 * 1024;

export { DEFAULT_APPTENTICATE_URL };

/** Paths of the vendor endpoints (they end in `/`, as Django expects). */
export const APPTENTICATE_PATHS = {
  login: '/api/token/',
  refresh: '/api/token/refresh/',
  liveness: '/api/v3/biometrics/liveness/',
} as const;

/** Options of {@link ApptenticateClient}. */
export interface ApptenticateClientOptions {
  /**
   * Base URL of the API, without a trailing slash (one is stripped).
   * @default 'https://api.apptenticate.com'
   */
  baseUrl?: string;
  /**
   * The undici dispatcher to send requests with (tests pass a `MockAgent`). When given, the
   * client does not own it and `close()` leaves it open; `connectTimeoutMs` does not apply.
   * @default a keep-alive `Agent` owned by the client
   */
  dispatcher?: Dispatcher;
  /** @default 3000 */
  connectTimeoutMs?: number;
  /** Time to wait for the response headers once the request is sent. @default 10000 */
  headersTimeoutMs?: number;
  /** Longest silence while reading the response body. @default 10000 */
  bodyTimeoutMs?: number;
  /**
   * Longest one call may take in total, from connecting to the last byte of the body. The undici
   * timeouts bound each wait (connect, headers, silence in the body), not the sum, so a body that
   * trickles in would otherwise never time out.
   * @default connectTimeoutMs + headersTimeoutMs
   */
  callTimeoutMs?: number;
  /** How long an idle keep-alive socket stays open. @default 30000 */
  keepAliveTimeoutMs?: number;
}

/** Per call: the caller's deadline. */
export interface CallOptions {
  /**
   * Aborts the call when it fires (the record's deadline); the call then reports a retryable
   * `TIMEOUT` outcome, and an answer that has not fully arrived is discarded.
   */
  signal?: AbortSignal;
}

/** A client of the Apptenticate API. One instance per container; it keeps connections alive. */
export class ApptenticateClient {
  readonly baseUrl: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly headersTimeout: number;
  private readonly bodyTimeout: number;
  /** Longest one call may take in total (see {@link ApptenticateClientOptions.callTimeoutMs}). */
  readonly callTimeoutMs: number;

  constructor(options: ApptenticateClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_APPTENTICATE_URL).replace(/\/+$/, '');
    this.headersTimeout = options.headersTimeoutMs ?? 10_000;
    this.bodyTimeout = options.bodyTimeoutMs ?? 10_000;
    this.callTimeoutMs = options.callTimeoutMs ?? (options.connectTimeoutMs ?? 3_000) + this.headersTimeout;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher =
      options.dispatcher ??
      new Agent({
        connect: { timeout: options.connectTimeoutMs ?? 3_000 },
        headersTimeout: this.headersTimeout,
        bodyTimeout: this.bodyTimeout,
        keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
      });
  }

  /** `POST /api/token/`: exchanges the username and password for an access and a refresh token. */
  async login(username: string, password: string, options: CallOptions = {}): Promise<LoginOutcome> {
    const body = new URLSearchParams({ username, password }).toString();
    const answer = await this.send(APPTENTICATE_PATHS.login, {
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      signal: options.signal,
    });
    return 'kind' in answer ? answer : parseLoginResponse(answer.status, answer.text);
  }

  /** `POST /api/token/refresh/`: mints a new access token from a refresh token. */
  async refresh(refreshToken: string, options: CallOptions = {}): Promise<RefreshOutcome> {
    const body = new URLSearchParams({ refresh: refreshToken }).toString();
    const answer = await this.send(APPTENTICATE_PATHS.refresh, {
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      signal: options.signal,
    });
    return 'kind' in answer ? answer : parseRefreshResponse(answer.status, answer.text);
  }

  /**
   * `POST /api/v3/biometrics/liveness/` with the selfie, the device when known, `return_id=true`
   * and `details=true`, authorised by the given access token.
   */
  async checkLiveness(
    accessToken: string,
    livenessRequest: LivenessRequest,
    options: CallOptions = {},
  ): Promise<LivenessOutcome> {
    const form = encodeMultipart([
      {
        name: 'selfie',
        fileName: livenessRequest.fileName,
        contentType: livenessRequest.contentType,
        bytes: livenessRequest.selfie,
      },
      ...(livenessRequest.device ? [{ name: 'device', value: livenessRequest.device }] : []),
      { name: 'return_id', value: 'true' },
      { name: 'details', value: 'true' },
    ]);
    const answer = await this.send(APPTENTICATE_PATHS.liveness, {
      // A stream of the chunks as they are (the selfie is not copied); its length is known up front.
      body: Readable.from(form.chunks),
      headers: {
        authorization: `Bearer ${accessToken}`,
        'content-type': form.contentType,
        'content-length': String(form.length),
      },
      signal: options.signal,
    });
    return 'kind' in answer ? answer : parseLivenessResponse(answer.status, answer.text);
  }

  /** Closes the client's own keep-alive connections; an injected dispatcher is left open. */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private async send(
    path: string,
    options: {
      body: string | Readable;
      headers: Record<string, string>;
      signal: AbortSignal | undefined;
    },
  ): Promise<{ status: number; text: string } | VendorRetryable> {
    const callTimeout = AbortSignal.timeout(this.callTimeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, callTimeout]) : callTimeout;
    if (signal.aborted) return deadlinePassed(options.signal);
    try {
      const response = await request(`${this.baseUrl}${path}`, {
        method: 'POST',
        dispatcher: this.dispatcher,
        headers: { accept: 'application/json', ...options.headers },
        body: options.body,
        headersTimeout: this.headersTimeout,
        bodyTimeout: this.bodyTimeout,
        signal,
      });
      const text = await readLimited(response.body);
      return { status: response.statusCode, text };
    } catch (error) {
      if (signal.aborted) return deadlinePassed(options.signal);
      return transportFailure(error);
    }
  }
}

/**
 * The body as text, or '' when it is larger than {@link MAX_VENDOR_BODY_BYTES}: the answer is then
 * judged by its status alone, and the rest of the body is not read.
 */
async function readLimited(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_VENDOR_BODY_BYTES) {
      body.destroy();
      return '';
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The call's own total timeout or the caller's deadline fired. */
function deadlinePassed(callerSignal: AbortSignal | undefined): VendorRetryable {
  return {
    kind: 'retryable',
    reason: 'TIMEOUT',
    message: callerSignal?.aborted
      ? "the record's deadline passed before Apptenticate answered; retry later"
      : 'Apptenticate did not answer within the call timeout; retry later',
  };
}

function transportFailure(error: unknown): VendorRetryable {
  const outcome = classifyTransportError(error);
  if (!outcome) throw error;
  return outcome;
}
