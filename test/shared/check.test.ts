import { describe, expect, it } from 'vitest';
import { MAX_REFERENCE_LENGTH, referenceProblem } from '../../shared/check.js';

describe('referenceProblem', () => {
  it.each([
    ['a plain reference', 'order-42'],
    ['non-Latin letters', 'commande-é-注文'],
    ['the longest allowed', 'r'.repeat(MAX_REFERENCE_LENGTH)],
  ])('accepts %s', (_label, value) => {
    expect(referenceProblem(value)).toBeUndefined();
  });

  it.each([
    ['a number', 42, 'NOT_A_STRING'],
    ['an empty string', '', 'LENGTH'],
    ['one character too many', 'r'.repeat(MAX_REFERENCE_LENGTH + 1), 'LENGTH'],
    ['a line feed', 'a\nb', 'FORBIDDEN_CHARACTER'],
    ['a C1 control character', 'a\u0085b', 'FORBIDDEN_CHARACTER'],
    ['a line separator', 'a\u2028b', 'FORBIDDEN_CHARACTER'],
    ['a lone surrogate', 'a\ud800b', 'FORBIDDEN_CHARACTER'],
    ['a right-to-left override', 'order-\u202e24', 'FORBIDDEN_CHARACTER'],
    ['a right-to-left isolate', 'a\u2067b', 'FORBIDDEN_CHARACTER'],
    ['a zero-width space', 'a\u200bb', 'FORBIDDEN_CHARACTER'],
    ['a zero-width joiner', 'a\u200db', 'FORBIDDEN_CHARACTER'],
    ['a byte order mark', '\ufeffa', 'FORBIDDEN_CHARACTER'],
    ['a soft hyphen', 'a\u00adb', 'FORBIDDEN_CHARACTER'],
  ])('refuses %s', (_label, value, problem) => {
    expect(referenceProblem(value)).toBe(problem);
  });
});
