/**
 * Reading JWT claims on the client side. Nothing here verifies a signature: the vendor does that.
 * We only need `exp` to decide when to renew a token before the vendor refuses it.
 */

/**
 * The decoded payload of a JWT, or `undefined` when the value is not a three-part JWT whose
 * payload is a base64url JSON object. Never throws, never logs the token.
 */
export function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  if (typeof token !== 'string') return undefined;
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const payload = parts[1];
  if (!payload || !/^[A-Za-z0-9_-]+$/.test(payload)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    return parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * The `exp` claim of a JWT in epoch seconds, or `undefined` when the token is not a JWT or has no
 * finite numeric `exp`.
 */
export function decodeJwtExp(token: string): number | undefined {
  const exp = decodeJwtPayload(token)?.exp;
  return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
}

/**
 * The `iat` claim (issued at) of a JWT in epoch seconds, or `undefined` when the token is not a JWT
 * or has no finite numeric `iat`.
 */
export function decodeJwtIat(token: string): number | undefined {
  const iat = decodeJwtPayload(token)?.iat;
  return typeof iat === 'number' && Number.isFinite(iat) ? iat : undefined;
}
