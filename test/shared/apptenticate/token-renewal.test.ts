import { describe, expect, it } from 'vitest';
import { lapseOf, renewAt, storedTokenRenewAt } from '../../../shared/apptenticate/token-lifetime.js';

/** A JWT carrying these claims (unsigned: only `exp` and `iat` are read). */
function jwt(claims: { exp?: number; iat?: number }): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none' })}.${part(claims)}.sig`;
}

const POLICY = { skewMs: 30_000, renewFraction: 0.25, fallbackAccessTtlMs: 300_000 };
/** When the token was asked for, epoch ms (1,000,000 s). */
const ASKED = 1_000_000_000;

describe('renewAt', () => {
  it('renews a quarter of a short lifetime before the lapse', () => {
    expect(renewAt(200_000, 40_000, POLICY)).toBe(190_000);
  });

  it('renews at most 30 s before the lapse, however long the lifetime', () => {
    expect(renewAt(200_000, 3_600_000, POLICY)).toBe(170_000);
  });

  it('renews 30 s before the lapse when the lifetime is unknown', () => {
    expect(renewAt(200_000, undefined, POLICY)).toBe(170_000);
  });

  it('renews at the lapse itself for a lifetime that is already over', () => {
    expect(renewAt(200_000, -5_000, POLICY)).toBe(200_000);
  });
});

describe('lapseOf', () => {
  it('counts the lifetime from the ask when the token says when it was issued', () => {
    // The vendor's clock runs 1,000 s ahead: only exp - iat counts.
    const token = jwt({ iat: 2_000_000, exp: 2_000_100 });
    expect(lapseOf(token, ASKED, POLICY)).toEqual([ASKED + 100_000, 100_000]);
  });

  it.each([
    ['no iat', { exp: 1_000_100 }],
    ['an iat no earlier than its exp', { iat: 1_000_100, exp: 1_000_100 }],
  ])("takes the vendor's exp for a token with %s", (_label, claims) => {
    expect(lapseOf(jwt(claims), ASKED, POLICY)).toEqual([1_000_100_000, 100_000]);
  });

  it.each([
    ['no claims', 'opaque-token'],
    ['an iat but no exp', jwt({ iat: 1_000_000 })],
  ])('assumes the fallback lifetime for a token with %s', (_label, token) => {
    expect(lapseOf(token, ASKED, POLICY)).toEqual([ASKED + 300_000, 300_000]);
  });
});

describe('storedTokenRenewAt', () => {
  it('renews a stored token by its own exp, a quarter of its lifetime before', () => {
    const token = jwt({ iat: 1_000_000, exp: 1_000_100 });
    expect(storedTokenRenewAt(token, 5_000_000, POLICY)).toBe(1_000_100_000 - 25_000);
  });

  it("falls back on the secret's accessExpiresAt for a token without exp, 30 s before it", () => {
    expect(storedTokenRenewAt('opaque-token', 1_000_100, POLICY)).toBe(1_000_100_000 - 30_000);
  });

  it('renews 30 s before exp when the lifetime cannot be told', () => {
    expect(storedTokenRenewAt(jwt({ exp: 1_000_100 }), undefined, POLICY)).toBe(1_000_070_000);
    expect(storedTokenRenewAt(jwt({ iat: 1_000_100, exp: 1_000_100 }), undefined, POLICY)).toBe(
      1_000_070_000,
    );
    expect(storedTokenRenewAt(jwt({ iat: 1_000_200, exp: 1_000_100 }), undefined, POLICY)).toBe(
      1_000_070_000,
    );
  });

  it('knows nothing of a token without exp in a secret without accessExpiresAt', () => {
    expect(storedTokenRenewAt('opaque-token', undefined, POLICY)).toBeUndefined();
  });
});
