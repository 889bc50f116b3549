import { describe, expect, it } from 'vitest';
import {
  ApiError,
  MAX_BODY_BYTES,
  parseCheckId,
  parseCreateCheckRequest,
} from '../../../functions/api/validation.js';

const JSON_HEADERS = { 'content-type': 'application/json' };
const request = (
  body: string | undefined,
  headers: Record<string, string> = JSON_HEADERS,
  isBase64Encoded = false,
) => parseCreateCheckRequest({ body, headers, isBase64Encoded });

function refusal(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe('parseCreateCheckRequest', () => {
  it('accepts every field and keeps the values', () => {
    expect(request('{"device":"DESKTOP","reference":"order-1","contentType":"image/png"}')).toEqual({
      device: 'DESKTOP',
      reference: 'order-1',
      contentType: 'image/png',
    });
  });

  it('defaults the content type to image/jpeg for an empty object, an empty body and no body', () => {
    expect(request('{}')).toEqual({ contentType: 'image/jpeg' });
    expect(request('', {})).toEqual({ contentType: 'image/jpeg' });
    expect(request(undefined, {})).toEqual({ contentType: 'image/jpeg' });
  });

  it('treats null fields as absent', () => {
    expect(request('{"device":null,"reference":null,"contentType":null}')).toEqual({
      contentType: 'image/jpeg',
    });
  });

  it('decodes a base64-encoded body', () => {
    const body = Buffer.from('{"device":"IOS","reference":"ref-1"}').toString('base64');
    expect(request(body, JSON_HEADERS, true)).toEqual({
      device: 'IOS',
      reference: 'ref-1',
      contentType: 'image/jpeg',
    });
  });

  it('accepts application/json with a utf-8 charset in any letter case', () => {
    expect(request('{}', { 'content-type': 'Application/JSON; charset=UTF-8' })).toEqual({
      contentType: 'image/jpeg',
    });
  });

  it.each([
    ['a missing content type', {}],
    ['text/plain', { 'content-type': 'text/plain' }],
    ['form data', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['a non-UTF-8 charset', { 'content-type': 'application/json; charset=iso-8859-1' }],
  ])('refuses a body with %s with 415', (_label, headers: Record<string, string>) => {
    expect(refusal(() => request('{}', headers))).toMatchObject({
      statusCode: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
  });

  it('refuses a body over the size limit with 413, also when base64-encoded', () => {
    const big = JSON.stringify({ reference: 'x'.repeat(MAX_BODY_BYTES) });
    expect(refusal(() => request(big))).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE' });
    const encoded = Buffer.from(big).toString('base64');
    expect(refusal(() => request(encoded, JSON_HEADERS, true))).toMatchObject({ statusCode: 413 });
  });

  it('accepts a body of exactly the size limit', () => {
    const padding = MAX_BODY_BYTES - '{"reference":"x"}'.length;
    const body = `{"reference":"x"}${' '.repeat(padding)}`;
    expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
    expect(request(body)).toMatchObject({ reference: 'x' });
  });

  it('refuses malformed JSON with 400 INVALID_JSON', () => {
    expect(refusal(() => request('{"device":'))).toMatchObject({ statusCode: 400, code: 'INVALID_JSON' });
  });

  it('refuses a base64 body that is not UTF-8 with 400 INVALID_JSON', () => {
    const body = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64');
    expect(refusal(() => request(body, JSON_HEADERS, true))).toMatchObject({
      statusCode: 400,
      code: 'INVALID_JSON',
    });
  });

  it.each(['[]', '"IOS"', '42', 'null', 'true'])(
    'refuses the non-object body %s with 400 INVALID_BODY',
    (body) => {
      expect(refusal(() => request(body))).toMatchObject({ statusCode: 400, code: 'INVALID_BODY' });
    },
  );

  it('refuses unknown fields with 400 and names them', () => {
    const error = refusal(() => request('{"device":"IOS","fileName":"me.jpg","__proto__":{}}'));
    expect(error).toMatchObject({ statusCode: 400, code: 'UNKNOWN_FIELD' });
    expect(error.message).toContain('"fileName"');
    expect(error.message).toContain('"__proto__"');
  });

  it.each([['iPhone'], ['ios'], [''], [3], [['IOS']]])(
    'refuses the device %j with 400 INVALID_DEVICE',
    (device) => {
      expect(refusal(() => request(JSON.stringify({ device })))).toMatchObject({
        statusCode: 400,
        code: 'INVALID_DEVICE',
      });
    },
  );

  it('accepts a reference of exactly 128 characters and refuses 129', () => {
    expect(request(JSON.stringify({ reference: 'r'.repeat(128) })).reference).toHaveLength(128);
    expect(refusal(() => request(JSON.stringify({ reference: 'r'.repeat(129) })))).toMatchObject({
      statusCode: 400,
      code: 'INVALID_REFERENCE',
    });
  });

  it.each([
    ['a newline', 'a\nb'],
    ['a NUL', 'a\u0000b'],
    ['a DEL', 'a\u007fb'],
    ['a C1 control', 'a\u0085b'],
    ['a line separator', 'a\u2028b'],
    ['a lone surrogate', 'a\ud800b'],
  ])('refuses a reference with %s', (_label, reference) => {
    expect(refusal(() => request(JSON.stringify({ reference })))).toMatchObject({
      statusCode: 400,
      code: 'INVALID_REFERENCE',
    });
  });

  it.each([[''], [42], [{ id: 1 }]])('refuses the reference %j', (reference) => {
    expect(refusal(() => request(JSON.stringify({ reference })))).toMatchObject({
      code: 'INVALID_REFERENCE',
    });
  });

  it('accepts a reference made of letters, digits and . _ : @ / + = -', () => {
    expect(request(JSON.stringify({ reference: 'user-123/order:456_a@b.c+x=' })).reference).toBe(
      'user-123/order:456_a@b.c+x=',
    );
  });

  it.each([
    ['markup', '<script>alert(1)</script>'],
    ['an ampersand', 'a&b'],
    ['quotes', `a"b'c\`d`],
    ['a backslash', 'a\\b'],
    ['a space', 'Kunde 42'],
    ['a non-ASCII letter', 'ref-ü'],
  ])('refuses a reference with %s, naming the characters allowed', (_label, reference) => {
    expect(refusal(() => request(JSON.stringify({ reference })))).toMatchObject({
      statusCode: 400,
      code: 'INVALID_REFERENCE',
      message: 'reference may contain only ASCII letters, digits and . _ : @ / + = -',
    });
  });

  it.each(['image/gif', 'image/jpg', 'IMAGE/JPEG', 'application/octet-stream'])(
    'refuses the content type %s with 400 INVALID_CONTENT_TYPE',
    (contentType) => {
      expect(refusal(() => request(JSON.stringify({ contentType })))).toMatchObject({
        statusCode: 400,
        code: 'INVALID_CONTENT_TYPE',
      });
    },
  );
});

describe('parseCheckId', () => {
  it('accepts a UUID in lower or upper case and answers it in lower case, as ids are issued', () => {
    expect(parseCheckId('3f6c1a2e-8b4d-4c1f-9a7e-2d5b6c8e9f01')).toBe('3f6c1a2e-8b4d-4c1f-9a7e-2d5b6c8e9f01');
    expect(parseCheckId('3F6C1A2E-8B4D-4C1F-9A7E-2D5B6C8E9F01')).toBe('3f6c1a2e-8b4d-4c1f-9a7e-2d5b6c8e9f01');
  });

  it.each([
    undefined,
    '',
    'not-a-uuid',
    '3f6c1a2e8b4d4c1f9a7e2d5b6c8e9f01',
    '3f6c1a2e-8b4d-4c1f-9a7e-2d5b6c8e9f01 ',
    '3f6c1a2e-8b4d-4c1f-9a7e-2d5b6c8e9f0g',
    '../3f6c1a2e-8b4d-4c1f-9a7e-2d5b6c8e9f01',
  ])('refuses %j with 400 INVALID_CHECK_ID', (raw) => {
    expect(refusal(() => parseCheckId(raw))).toMatchObject({ statusCode: 400, code: 'INVALID_CHECK_ID' });
  });
});
