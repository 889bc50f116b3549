import { describe, expect, it } from 'vitest';
import {
  parseLivenessResponse,
  parseLoginResponse,
  parseRefreshResponse,
} from '../../../shared/apptenticate/parse.js';
import { classifyTransportError } from '../../../shared/apptenticate/transport-errors.js';

// The edges mutation testing found unpinned: exact messages, status and field boundaries.
const json = (value: unknown) => JSON.stringify(value);
const rejection = json({ data: { valid: false, error_code: 704, message: 'No face detected.' } });

describe('parse: the messages operators read', () => {
  it('names the status and what to do next for every answer without a verdict', () => {
    expect(parseLivenessResponse(401, '')).toStrictEqual({
      kind: 'auth-refused',
      httpStatus: 401,
      message: 'Apptenticate refused the access token (HTTP 401); refresh it and retry',
    });
    expect(parseLoginResponse(401, '')).toStrictEqual({
      kind: 'refused',
      httpStatus: 401,
      message: 'Apptenticate refused the username and password (HTTP 401); update the credentials secret',
    });
    expect(parseRefreshResponse(401, '')).toStrictEqual({
      kind: 'refused',
      httpStatus: 401,
      message: 'Apptenticate refused the refresh token (HTTP 401); log in again to get a new one',
    });
    expect(parseLivenessResponse(429, '')).toStrictEqual({
      kind: 'retryable',
      reason: 'RATE_LIMITED',
      httpStatus: 429,
      message: 'Apptenticate is rate limiting us (HTTP 429); retry later with backoff',
    });
    expect(parseLivenessResponse(504, '')).toStrictEqual({
      kind: 'retryable',
      reason: 'TIMEOUT',
      httpStatus: 504,
      message: 'Apptenticate timed out (HTTP 504); retry later',
    });
    expect(parseLivenessResponse(502, '')).toStrictEqual({
      kind: 'retryable',
      reason: 'VENDOR_ERROR',
      httpStatus: 502,
      message: 'Apptenticate failed with HTTP 502; retry later',
    });
  });

  it('says which answer was expected when a 2xx lacks it, and that a 4xx will not heal', () => {
    const invalid = (expected: string) =>
      `Apptenticate answered HTTP 200 without ${expected}; check that the API URL points at Apptenticate and report the response shape`;
    expect(parseLivenessResponse(200, '{}')).toMatchObject({ message: invalid('a liveness verdict') });
    expect(parseLoginResponse(200, '{}')).toMatchObject({ message: invalid('a token pair') });
    expect(parseRefreshResponse(200, '{}')).toMatchObject({ message: invalid('an access token') });
    expect(parseLivenessResponse(403, '{}')).toStrictEqual({
      kind: 'terminal',
      reason: 'REQUEST_REFUSED',
      httpStatus: 403,
      message:
        'Apptenticate refused the request with HTTP 403 and no verdict; retrying the same request will not help',
    });
  });

  it('names the error code of a transport failure', () => {
    expect(classifyTransportError(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }))).toStrictEqual({
      kind: 'retryable',
      reason: 'TIMEOUT',
      message: 'Apptenticate did not answer in time (ETIMEDOUT); retry later',
    });
    expect(classifyTransportError(Object.assign(new Error('x'), { code: 'EPIPE' }))).toStrictEqual({
      kind: 'retryable',
      reason: 'CONNECTION_FAILED',
      message: 'the connection to Apptenticate failed (EPIPE); retry later',
    });
  });
});

describe('parse: status boundaries', () => {
  it('retries 599 and refuses 600 as an answer that will not heal', () => {
    expect(parseLivenessResponse(599, '')).toMatchObject({ kind: 'retryable', reason: 'VENDOR_ERROR' });
    expect(parseLivenessResponse(600, rejection)).toMatchObject({
      kind: 'terminal',
      reason: 'REQUEST_REFUSED',
    });
  });

  it('reads a verdict from 2xx and 4xx answers only', () => {
    expect(parseLivenessResponse(299, json({ data: { valid: true } }))).toStrictEqual({ kind: 'passed' });
    expect(parseLivenessResponse(300, json({ data: { valid: true } }))).toMatchObject({
      kind: 'terminal',
      reason: 'REQUEST_REFUSED',
    });
    expect(parseLivenessResponse(399, rejection)).toMatchObject({
      kind: 'terminal',
      reason: 'REQUEST_REFUSED',
    });
    expect(parseLivenessResponse(301, rejection)).toMatchObject({
      kind: 'terminal',
      reason: 'REQUEST_REFUSED',
    });
    expect(parseLivenessResponse(499, rejection)).toMatchObject({ kind: 'rejected', code: 704 });
  });

  it('takes tokens from 2xx answers only', () => {
    const tokens = json({ access: 'a.b.c', refresh: 'd.e.f' });
    expect(parseLoginResponse(400, tokens)).toMatchObject({ kind: 'terminal', reason: 'REQUEST_REFUSED' });
    expect(parseRefreshResponse(400, tokens)).toMatchObject({ kind: 'terminal', reason: 'REQUEST_REFUSED' });
  });

  it('needs both tokens from a login, and neither may be empty', () => {
    expect(parseLoginResponse(200, json({ access: 'a.b.c' }))).toMatchObject({ kind: 'terminal' });
    expect(parseLoginResponse(200, json({ refresh: 'd.e.f' }))).toMatchObject({ kind: 'terminal' });
    expect(parseLoginResponse(200, json({ access: '', refresh: 'd.e.f' }))).toMatchObject({
      kind: 'terminal',
    });
    expect(parseRefreshResponse(200, json({ access: '' }))).toMatchObject({ kind: 'terminal' });
  });
});

describe('parse: verdict fields', () => {
  it('reports a rejection that carries a code without valid', () => {
    expect(parseLivenessResponse(200, json({ data: { error_code: 704 } }))).toMatchObject({
      kind: 'rejected',
      code: 704,
    });
    expect(parseLivenessResponse(200, json({ error_code: 706 }))).toMatchObject({
      kind: 'rejected',
      code: 706,
    });
  });

  it('leaves out what the vendor did not send, rather than sending it as undefined', () => {
    expect(parseLivenessResponse(200, json({ data: { valid: false, error_code: 700 } }))).toStrictEqual({
      kind: 'rejected',
      code: 700,
      reason: 'FACE_TOO_CLOSE',
      httpStatus: 200,
    });
  });

  it.each([
    ['a fractional number', 1.5],
    ['a number beyond safe integers', 2 ** 60],
    ['a blank string', '   '],
    ['a string longer than 128 characters', 'x'.repeat(129)],
  ])('drops %s as the transaction id', (_label, id) => {
    expect(parseLivenessResponse(200, json({ data: { valid: true, id } }))).toStrictEqual({ kind: 'passed' });
  });

  it('keeps a transaction id of 128 characters, trimmed', () => {
    const id = 'x'.repeat(128);
    expect(parseLivenessResponse(200, json({ data: { valid: true, id } }))).toMatchObject({
      transactionId: id,
    });
    expect(parseLivenessResponse(200, json({ data: { valid: true, id: ' 42 ' } }))).toMatchObject({
      transactionId: '42',
    });
  });

  it.each([
    ['a fractional number', 704.5],
    ['digits with a prefix', 'x704'],
    ['digits with a suffix', '704x'],
  ])('refuses %s as a rejection code', (_label, code) => {
    expect(parseLivenessResponse(200, json({ data: { valid: false, error_code: code } }))).toMatchObject({
      kind: 'terminal',
      reason: 'RESPONSE_INVALID',
    });
  });

  it('reads a numeric string code with blanks around it', () => {
    expect(parseLivenessResponse(200, json({ data: { valid: false, error_code: ' 704 ' } }))).toMatchObject({
      kind: 'rejected',
      code: 704,
    });
  });

  it('drops an infinite score', () => {
    const body = '{"data":{"valid":true,"api_response":{"score":1e999,"quality":0.5}}}';
    expect(parseLivenessResponse(200, body)).toStrictEqual({ kind: 'passed', quality: 0.5 });
  });

  it('drops a blank or non-string message', () => {
    for (const message of ['   ', 42]) {
      const outcome = parseLivenessResponse(200, json({ data: { valid: false, error_code: 704, message } }));
      expect(outcome).not.toHaveProperty('message');
    }
  });
});

describe('classifyTransportError: finding the code', () => {
  it.each([
    'UND_ERR_CONNECT_TIMEOUT',
    'UND_ERR_HEADERS_TIMEOUT',
    'UND_ERR_BODY_TIMEOUT',
    'ETIMEDOUT',
    'ESOCKETTIMEDOUT',
  ])('classifies %s in a wrapped cause as TIMEOUT', (code) => {
    const error = new Error('fetch failed', { cause: Object.assign(new Error('inner'), { code }) });
    expect(classifyTransportError(error)).toMatchObject({ reason: 'TIMEOUT' });
  });

  it.each([
    'UND_ERR_SOCKET',
    'UND_ERR_CLOSED',
    'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
    'HPE_INVALID_CONSTANT',
    'HPE_INVALID_STATUS',
    'HPE_INVALID_HEADER_TOKEN',
    'HPE_INVALID_CHUNK_SIZE',
    'HPE_INVALID_CONTENT_LENGTH',
    'ECONNRESET',
    'ECONNREFUSED',
    'ECONNABORTED',
    'EPIPE',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'ENETDOWN',
    'ENOTFOUND',
    'EAI_AGAIN',
  ])('classifies %s in a wrapped cause as CONNECTION_FAILED', (code) => {
    const error = new Error('fetch failed', { cause: Object.assign(new Error('inner'), { code }) });
    expect(classifyTransportError(error)).toMatchObject({ reason: 'CONNECTION_FAILED' });
  });

  it('classifies an unlisted parser error by its HPE_ prefix', () => {
    const error = Object.assign(new Error('bad answer'), { code: 'HPE_UNEXPECTED_CONTENT_LENGTH' });
    expect(classifyTransportError(error)).toMatchObject({ reason: 'CONNECTION_FAILED' });
  });

  it('prefers a known code in a cause over the wrapper own unknown code', () => {
    const inner = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    const error = Object.assign(new Error('fetch failed', { cause: inner }), { code: 'ERR_WRAPPED' });
    expect(classifyTransportError(error)).toMatchObject({ reason: 'CONNECTION_FAILED' });
  });

  it('looks no deeper than four errors down the cause chain', () => {
    let error: Error = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    for (let i = 0; i < 4; i++) error = new Error(`wrapper ${i}`, { cause: error });
    expect(classifyTransportError(error)).toBeUndefined();
  });

  it('leaves a missing error and a non-string code unclassified', () => {
    expect(classifyTransportError(undefined)).toBeUndefined();
    expect(classifyTransportError(Object.assign(new Error('x'), { code: 42 }))).toBeUndefined();
  });
});
