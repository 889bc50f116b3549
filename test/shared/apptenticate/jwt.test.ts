import { describe, expect, it } from 'vitest';
import { decodeJwtExp, decodeJwtPayload } from '../../../shared/apptenticate/jwt.js';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (payload: unknown) => `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(payload)}.signature`;

describe('decodeJwtExp', () => {
  it('reads exp from the payload', () => {
    expect(decodeJwtExp(jwt({ exp: 1_767_225_600, token_type: 'access' }))).toBe(1_767_225_600);
  });

  it.each([
    ['not a JWT', 'opaque-token'],
    ['two parts', 'a.b'],
    ['a payload that is not JSON', `x.${Buffer.from('nope').toString('base64url')}.y`],
    ['a payload that is an array', jwt([1])],
    ['no exp', jwt({ sub: 1 })],
    ['a string exp', jwt({ exp: '1767225600' })],
    ['invalid base64url characters', 'a.b+c/d=.e'],
  ])('gives undefined for %s', (_label, token) => {
    expect(decodeJwtExp(token)).toBeUndefined();
  });
});

describe('decodeJwtPayload', () => {
  it('returns every claim', () => {
    expect(decodeJwtPayload(jwt({ exp: 1, jti: 'abc' }))).toEqual({ exp: 1, jti: 'abc' });
  });
});
