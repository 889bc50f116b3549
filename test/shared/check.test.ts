import { describe, expect, it } from 'vitest';
import { MAX_REFERENCE_LENGTH, REFERENCE_PATTERN, referenceProblem } from '../../shared/check.js';

describe('referenceProblem', () => {
  it.each([
    ['a plain reference', 'order-42'],
    ['a UUID', '5b0c3f9e-8a2d-4c61-9f7a-1e2d3c4b5a69'],
    ['an onboarding id with an underscore', 'onb_01HZX3K9QF'],
    ['a typed id', 'order:456'],
    ['a path-like id', 'sign-up/8842'],
    ['an email-like id', 'a@b.c'],
    ['base64 with padding', 'dXNlci0xMjM+/w=='],
    ['every allowed character', 'AZaz09._:@/+=-'],
    ['the longest allowed', 'r'.repeat(MAX_REFERENCE_LENGTH)],
  ])('accepts %s', (_label, value) => {
    expect(referenceProblem(value)).toBeUndefined();
  });

  it.each([
    ['a number', 42, 'NOT_A_STRING'],
    ['an empty string', '', 'LENGTH'],
    ['one character too many', 'r'.repeat(MAX_REFERENCE_LENGTH + 1), 'LENGTH'],
    ['a script tag', '<script>alert(1)</script>', 'FORBIDDEN_CHARACTER'],
    ['a closing angle bracket', 'a>b', 'FORBIDDEN_CHARACTER'],
    ['a double quote', 'a"b', 'FORBIDDEN_CHARACTER'],
    ['a single quote', "a'b", 'FORBIDDEN_CHARACTER'],
    ['a backtick', 'a`b', 'FORBIDDEN_CHARACTER'],
    ['an ampersand', 'a&b', 'FORBIDDEN_CHARACTER'],
    ['a backslash', 'a\\b', 'FORBIDDEN_CHARACTER'],
    ['a space', 'order 42', 'FORBIDDEN_CHARACTER'],
    ['a tab', 'a\tb', 'FORBIDDEN_CHARACTER'],
    ['a line feed', 'a\nb', 'FORBIDDEN_CHARACTER'],
    ['a trailing line feed', 'order-42\n', 'FORBIDDEN_CHARACTER'],
    ['a NUL', 'a\u0000b', 'FORBIDDEN_CHARACTER'],
    ['a C1 control character', 'a\u0085b', 'FORBIDDEN_CHARACTER'],
    ['a line separator', 'a\u2028b', 'FORBIDDEN_CHARACTER'],
    ['a lone surrogate', 'a\ud800b', 'FORBIDDEN_CHARACTER'],
    ['a right-to-left override', 'order-\u202e24', 'FORBIDDEN_CHARACTER'],
    ['a zero-width space', 'a\u200bb', 'FORBIDDEN_CHARACTER'],
    ['a byte order mark', '\ufeffa', 'FORBIDDEN_CHARACTER'],
    ['a soft hyphen', 'a\u00adb', 'FORBIDDEN_CHARACTER'],
    ['a non-ASCII letter', 'ref-ü', 'FORBIDDEN_CHARACTER'],
    ['a Cyrillic look-alike', 'order-\u0430', 'FORBIDDEN_CHARACTER'],
    ['a fullwidth less-than sign', 'a\uff1cb', 'FORBIDDEN_CHARACTER'],
    ['a percent-encoded tag', '%3Cscript%3E', 'FORBIDDEN_CHARACTER'],
    ['an RFC 2047 encoded word (non-ASCII S3 metadata)', '=?UTF-8?B?cmVmLcO8?=', 'FORBIDDEN_CHARACTER'],
  ])('refuses %s', (_label, value, problem) => {
    expect(referenceProblem(value)).toBe(problem);
  });

  it('states the same rule as a JSON Schema pattern', () => {
    const pattern = new RegExp(REFERENCE_PATTERN, 'u');
    for (const value of ['order-42', 'a@b.c', 'order:456', 'r'.repeat(MAX_REFERENCE_LENGTH)]) {
      expect(pattern.test(value)).toBe(true);
    }
    for (const value of ['<b>', 'a b', 'ref-ü', 'order-42\n', '']) expect(pattern.test(value)).toBe(false);
  });
});
