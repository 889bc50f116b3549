/**
 * When to stop using an access token. A token is renewed `min(skew, renewFraction x its lifetime)`
 * before it lapses, the lifetime read from the JWT (`exp - iat`): a fixed 30 s margin would refresh
 * before every call with tokens that live less than that.
 */
import { decodeJwtExp, decodeJwtIat } from './jwt.js';

/** How early to renew, and what to assume for a token whose `exp` cannot be read. */
export interface RenewalPolicy {
  /** Renew at most this many milliseconds before a token lapses. */
  readonly skewMs: number;
  /** Renew at most this share of a token's lifetime before it lapses. */
  readonly renewFraction: number;
  /** Lifetime assumed for a token without a readable `exp`. */
  readonly fallbackAccessTtlMs: number;
}

/** When to stop using a token: `min(skew, renewFraction x lifetime)` before it lapses. */
export function renewAt(lapseMs: number, lifetimeMs: number | undefined, policy: RenewalPolicy): number {
  const margin =
    lifetimeMs === undefined
      ? policy.skewMs
      : Math.min(policy.skewMs, Math.max(0, lifetimeMs) * policy.renewFraction);
  return lapseMs - margin;
}

/**
 * When (our clock) a token we asked for at `askedAtMs` lapses, and its lifetime. With `iat` and
 * `exp`: the lifetime after the ask, immune to clock skew (it cannot have been issued earlier).
 * With `exp` only: the vendor's `exp`. With neither: the policy's fallback lifetime.
 */
export function lapseOf(
  token: string,
  askedAtMs: number,
  policy: RenewalPolicy,
): [lapseMs: number, lifetimeMs: number] {
  const exp = decodeJwtExp(token);
  const iat = decodeJwtIat(token);
  if (exp !== undefined && iat !== undefined && exp > iat) {
    const lifetimeMs = (exp - iat) * 1000;
    return [askedAtMs + lifetimeMs, lifetimeMs];
  }
  if (exp !== undefined) return [exp * 1000, exp * 1000 - askedAtMs];
  return [askedAtMs + policy.fallbackAccessTtlMs, policy.fallbackAccessTtlMs];
}

/**
 * When to stop using an access token someone else minted (the refresher, into the token secret):
 * only its absolute `exp` (or the secret's `accessExpiresAt`) tells when it lapses. `undefined`
 * when neither is known.
 */
export function storedTokenRenewAt(
  token: string,
  accessExpiresAt: number | undefined,
  policy: RenewalPolicy,
): number | undefined {
  const expSeconds = decodeJwtExp(token) ?? accessExpiresAt;
  if (expSeconds === undefined) return undefined;
  const iat = decodeJwtIat(token);
  const lifetimeMs = iat !== undefined && expSeconds > iat ? (expSeconds - iat) * 1000 : undefined;
  return renewAt(expSeconds * 1000, lifetimeMs, policy);
}
