import { describe, expect, it } from 'vitest';
import { KNOWN_REJECTION_CODES, REJECTION_CODES } from '../../../shared/apptenticate/codes.js';
import {
  parseLivenessResponse,
  parseLoginResponse,
  parseRefreshResponse,
} from '../../../shared/apptenticate/parse.js';
import { classifyTransportError } from '../../../shared/apptenticate/transport-errors.js';

const json = (value: unknown) => JSON.stringify(value);

describe('parseLivenessResponse', () => {
  it('reports passed with the transaction id and scores of the documented answer', () => {
    const body = json({
      data: {
        valid: true,
        api_response: { score: 2.656599, quality: 0.8511556, liveness: 0.9344166 },
        id: 1111,
      },
    });
    expect(parseLivenessResponse(200, body)).toEqual({
      kind: 'passed',
      transactionId: '1111',
      score: 2.656599,
      quality: 0.8511556,
      liveness: 0.9344166,
    });
  });

  it('reports passed without id or scores when the vendor sends neither', () => {
    expect(parseLivenessResponse(200, json({ data: { valid: true } }))).toEqual({ kind: 'passed' });
  });

  it('keeps a string transaction id as is', () => {
    const id = '8d3c1a52-37a5-4f3e-9e1c-0b9a4a1f2c77';
    expect(parseLivenessResponse(200, json({ data: { valid: true, id } }))).toEqual({
      kind: 'passed',
      transactionId: id,
    });
  });

  it('drops a malformed id and non-numeric scores without losing the verdict', () => {
    const body = json({
      data: { valid: true, id: { nested: 1 }, api_response: { score: 'high', quality: 0.7 } },
    });
    expect(parseLivenessResponse(200, body)).toEqual({ kind: 'passed', quality: 0.7 });
  });

  it('reads a verdict sent without the data wrapper', () => {
    expect(parseLivenessResponse(200, json({ valid: true, id: 7 }))).toEqual({
      kind: 'passed',
      transactionId: '7',
    });
  });

  it.each(KNOWN_REJECTION_CODES)('reports rejected with the stable reason for code %i', (code) => {
    const { reason, message } = REJECTION_CODES[code];
    expect(parseLivenessResponse(200, json({ data: { valid: false, message, error_code: code } }))).toEqual({
      kind: 'rejected',
      code,
      reason,
      message,
      httpStatus: 200,
    });
  });

  it('maps an unknown code to UNKNOWN_CODE and keeps the number', () => {
    expect(
      parseLivenessResponse(200, json({ data: { valid: false, message: 'x', error_code: 799 } })),
    ).toMatchObject({
      kind: 'rejected',
      code: 799,
      reason: 'UNKNOWN_CODE',
    });
  });

  it.each([400, 422])('reports a rejection that comes with HTTP %i as rejected', (status) => {
    const body = json({ data: { valid: false, message: 'Rostro muy reducido en pixeles', error_code: 706 } });
    expect(parseLivenessResponse(status, body)).toEqual({
      kind: 'rejected',
      code: 706,
      reason: 'FACE_TOO_SMALL',
      message: 'Rostro muy reducido en pixeles',
      httpStatus: status,
    });
  });

  it('keeps scores and id that come with a rejection', () => {
    const body = json({
      data: {
        valid: false,
        error_code: 715,
        id: 'abc',
        api_response: { score: -1, quality: 0.6, liveness: 0.2 },
      },
    });
    expect(parseLivenessResponse(200, body)).toEqual({
      kind: 'rejected',
      code: 715,
      reason: 'LIVENESS_SCORE_TOO_LOW',
      transactionId: 'abc',
      httpStatus: 200,
      score: -1,
      quality: 0.6,
      liveness: 0.2,
    });
  });

  it('reads a numeric string code', () => {
    expect(parseLivenessResponse(200, json({ data: { valid: false, error_code: '704' } }))).toMatchObject({
      kind: 'rejected',
      code: 704,
      reason: 'FACE_NOT_DETECTED',
    });
  });

  it('reports 711 and 712 as rejected, leaving the retry decision to the checker', () => {
    for (const code of [711, 712]) {
      expect(parseLivenessResponse(200, json({ data: { valid: false, error_code: code } })).kind).toBe(
        'rejected',
      );
    }
  });

  it('never decides on the message text', () => {
    const body = json({ data: { valid: false, message: 'Token is invalid or expired', error_code: 700 } });
    expect(parseLivenessResponse(200, body)).toMatchObject({ kind: 'rejected', reason: 'FACE_TOO_CLOSE' });
  });

  it('truncates a very long message', () => {
    const body = json({ data: { valid: false, message: 'x'.repeat(5000), error_code: 700 } });
    const outcome = parseLivenessResponse(200, body);
    expect(outcome.kind === 'rejected' && outcome.message?.length).toBe(300);
  });

  it('reports auth-refused for 401 whatever the body', () => {
    expect(parseLivenessResponse(401, json({ detail: 'x', code: 'token_not_valid' }))).toMatchObject({
      kind: 'auth-refused',
      httpStatus: 401,
    });
    expect(parseLivenessResponse(401, '')).toMatchObject({ kind: 'auth-refused' });
  });

  it.each([
    [429, 'RATE_LIMITED'],
    [500, 'VENDOR_ERROR'],
    [502, 'VENDOR_ERROR'],
    [503, 'VENDOR_ERROR'],
    [504, 'TIMEOUT'],
    [408, 'TIMEOUT'],
  ])('reports HTTP %i as retryable %s', (status, reason) => {
    expect(parseLivenessResponse(status, '<h1>Server Error</h1>')).toMatchObject({
      kind: 'retryable',
      reason,
      httpStatus: status,
    });
  });

  it('reports a 5xx carrying a rejection body as retryable', () => {
    expect(parseLivenessResponse(500, json({ data: { valid: false, error_code: 711 } }))).toMatchObject({
      kind: 'retryable',
      reason: 'VENDOR_ERROR',
    });
  });

  it.each([
    [
      'unreadable',
      'Upload a valid image. The file you uploaded was either not an image or a corrupted image.',
    ],
    ['too large', 'File too large. Size should not exceed 2 MB.'],
    ['in Spanish', 'Suba una imagen válida.'],
  ])(
    'reports a 400 whose only field error is the selfie (%s) as the image refused, whatever the words',
    (_label, words) => {
      const outcome = parseLivenessResponse(400, json({ selfie: [words] }));
      expect(outcome).toEqual({
        kind: 'image-refused',
        reason: 'IMAGE_REFUSED',
        httpStatus: 400,
        message: 'Apptenticate refused the selfie file itself (HTTP 400)',
      });
      expect(JSON.stringify(outcome)).not.toContain(words);
    },
  );

  it.each([
    ['413 with a JSON body', json({ detail: 'Request Entity Too Large' })],
    ['413 with an HTML page', '<html><body><h1>413 Request Entity Too Large</h1></body></html>'],
  ])('reports HTTP %s as the image refused for its size', (_label, body) => {
    expect(parseLivenessResponse(413, body)).toEqual({
      kind: 'image-refused',
      reason: 'OBJECT_TOO_LARGE',
      httpStatus: 413,
      message: 'Apptenticate refused the selfie as too large (HTTP 413)',
    });
  });

  it.each([
    ['another field', { device: ['"X" is not a valid choice.'] }],
    [
      'the selfie and another field',
      { selfie: ['Upload a valid image.'], details: ['Must be a valid boolean.'] },
    ],
    ['a non-field error', { non_field_errors: ['Invalid data.'] }],
    ['a selfie error that is not a list of strings', { selfie: { code: 'invalid' } }],
    ['an empty selfie error list', { selfie: [] }],
    ['a selfie error list that holds more than messages', { selfie: ['Upload a valid image.', { code: 1 }] }],
    ['a selfie error list of codes', { selfie: [1, 2] }],
  ])('reports 400 field errors about %s as terminal REQUEST_REFUSED', (_label, body) => {
    expect(parseLivenessResponse(400, json(body))).toMatchObject({
      kind: 'terminal',
      reason: 'REQUEST_REFUSED',
      httpStatus: 400,
    });
  });

  it.each([403, 404, 422])(
    'takes a selfie field error only from a 400: with HTTP %i it is a refused request',
    (status) => {
      expect(parseLivenessResponse(status, json({ selfie: ['Upload a valid image.'] }))).toMatchObject({
        kind: 'terminal',
        reason: 'REQUEST_REFUSED',
        httpStatus: status,
      });
    },
  );

  it('takes a selfie field error with HTTP 200 for an answer it cannot interpret', () => {
    expect(parseLivenessResponse(200, json({ selfie: ['Upload a valid image.'] }))).toMatchObject({
      kind: 'terminal',
      reason: 'RESPONSE_INVALID',
      httpStatus: 200,
    });
  });

  it.each([403, 404, 415])('reports HTTP %i without a verdict as terminal REQUEST_REFUSED', (status) => {
    expect(parseLivenessResponse(status, json({ detail: 'no' }))).toMatchObject({
      kind: 'terminal',
      reason: 'REQUEST_REFUSED',
    });
  });

  it.each([
    ['a rejection code', { valid: true, error_code: 700 }],
    ['a transient code', { valid: true, error_code: 711 }],
    ['a numeric string code', { valid: true, error_code: '704' }],
  ])('reports valid true with %s as terminal RESPONSE_INVALID, never as a pass', (_label, data) => {
    expect(parseLivenessResponse(200, json({ data }))).toMatchObject({
      kind: 'terminal',
      reason: 'RESPONSE_INVALID',
      httpStatus: 200,
    });
    expect(parseLivenessResponse(200, json(data))).toMatchObject({
      kind: 'terminal',
      reason: 'RESPONSE_INVALID',
    });
  });

  it('reports valid true with a 4xx as terminal REQUEST_REFUSED', () => {
    expect(parseLivenessResponse(400, json({ data: { valid: true } }))).toMatchObject({
      kind: 'terminal',
      reason: 'REQUEST_REFUSED',
    });
  });

  it.each([
    ['non-JSON', '<html>hello</html>'],
    ['an empty body', ''],
    ['a JSON array', '[1,2]'],
    ['data without valid', json({ data: { id: 1 } })],
    ['valid false without a code', json({ data: { valid: false, message: 'no' } })],
    ['valid as a string', json({ data: { valid: 'true' } })],
    ['a null body', 'null'],
  ])('reports a 2xx with %s as terminal RESPONSE_INVALID', (_label, body) => {
    expect(parseLivenessResponse(200, body)).toMatchObject({
      kind: 'terminal',
      reason: 'RESPONSE_INVALID',
      httpStatus: 200,
    });
  });

  it('reports a redirect as terminal', () => {
    expect(parseLivenessResponse(301, '')).toMatchObject({ kind: 'terminal' });
  });

  it('never puts the vendor body into the message', () => {
    const secretish = 'vendor-body-marker-12345';
    for (const status of [200, 400, 401, 429, 500]) {
      const outcome = parseLivenessResponse(status, json({ detail: secretish }));
      expect('message' in outcome ? outcome.message : '').not.toContain(secretish);
    }
  });
});

describe('parseLoginResponse', () => {
  it('reports ok with both tokens', () => {
    expect(parseLoginResponse(200, json({ refresh: 'r.r.r', access: 'a.a.a' }))).toEqual({
      kind: 'ok',
      refresh: 'r.r.r',
      access: 'a.a.a',
    });
  });

  it('reports refused for 401', () => {
    const body = json({ detail: 'No active account found with the given credentials' });
    expect(parseLoginResponse(401, body)).toMatchObject({ kind: 'refused', httpStatus: 401 });
  });

  it('reports a 200 without tokens as terminal RESPONSE_INVALID', () => {
    expect(parseLoginResponse(200, json({ access: 'a' }))).toMatchObject({
      kind: 'terminal',
      reason: 'RESPONSE_INVALID',
    });
  });

  it('reports 400 field errors as terminal REQUEST_REFUSED', () => {
    expect(parseLoginResponse(400, json({ username: ['This field is required.'] }))).toMatchObject({
      kind: 'terminal',
      reason: 'REQUEST_REFUSED',
    });
  });

  it('reports 503 as retryable', () => {
    expect(parseLoginResponse(503, '')).toMatchObject({ kind: 'retryable', reason: 'VENDOR_ERROR' });
  });
});

describe('parseRefreshResponse', () => {
  it('reports ok with the access token', () => {
    expect(parseRefreshResponse(200, json({ access: 'a.a.a' }))).toEqual({ kind: 'ok', access: 'a.a.a' });
  });

  it('passes on a rotated refresh token', () => {
    expect(parseRefreshResponse(200, json({ access: 'a', refresh: 'r' }))).toEqual({
      kind: 'ok',
      access: 'a',
      refresh: 'r',
    });
  });

  it('reports refused for 401', () => {
    const body = json({ detail: 'Token is invalid or expired', code: 'token_not_valid' });
    expect(parseRefreshResponse(401, body)).toMatchObject({ kind: 'refused', httpStatus: 401 });
  });

  it('reports 429 as retryable RATE_LIMITED', () => {
    expect(parseRefreshResponse(429, '')).toMatchObject({ kind: 'retryable', reason: 'RATE_LIMITED' });
  });

  it('reports a non-JSON 200 as terminal RESPONSE_INVALID', () => {
    expect(parseRefreshResponse(200, 'ok')).toMatchObject({ kind: 'terminal', reason: 'RESPONSE_INVALID' });
  });
});

describe('classifyTransportError', () => {
  const withCode = (code: string, name = 'Error') => Object.assign(new Error('boom'), { code, name });

  it.each(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT'])(
    'classifies %s as TIMEOUT',
    (code) => {
      expect(classifyTransportError(withCode(code))).toMatchObject({ kind: 'retryable', reason: 'TIMEOUT' });
    },
  );

  it.each(['UND_ERR_SOCKET', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ENOTFOUND'])(
    'classifies %s as CONNECTION_FAILED',
    (code) => {
      expect(classifyTransportError(withCode(code))).toMatchObject({
        kind: 'retryable',
        reason: 'CONNECTION_FAILED',
      });
    },
  );

  it('finds the code in a wrapped cause', () => {
    const error = new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') });
    expect(classifyTransportError(error)).toMatchObject({ reason: 'CONNECTION_FAILED' });
  });

  it('classifies an abort by timeout signal as TIMEOUT', () => {
    const error = new DOMException('The operation timed out.', 'TimeoutError');
    expect(classifyTransportError(error)).toMatchObject({ reason: 'TIMEOUT' });
  });

  it('leaves programming errors unclassified', () => {
    expect(classifyTransportError(withCode('UND_ERR_INVALID_ARG'))).toBeUndefined();
    expect(classifyTransportError(new TypeError('x is not a function'))).toBeUndefined();
  });
});

// The edges mutation testing found unpinned: exact messages, status and field boundaries.
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
