import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

/** The claims the simulator puts into its tokens (SimpleJWT's, plus a revocation generation). */
export interface SimulatorClaims {
  token_type: 'access' | 'refresh';
  exp: number;
  iat: number;
  jti: string;
  user_id: number;
  /** Tokens of an older generation are refused (revocation and forced expiry). */
  gen: number;
}

/** Signs and verifies HS256 JWTs with one random key per simulator. */
export class JwtSigner {
  private readonly key = randomUUID();

  sign(claims: Omit<SimulatorClaims, 'jti'>): string {
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({ ...claims, jti: randomUUID().replaceAll('-', '') }),
    ).toString('base64url');
    return `${header}.${payload}.${this.mac(`${header}.${payload}`)}`;
  }

  /** The claims of a token this signer issued, or `undefined` (bad shape, bad signature). */
  verify(token: string): SimulatorClaims | undefined {
    const [header, payload, signature, ...rest] = token.split('.');
    if (!header || !payload || !signature || rest.length > 0) return undefined;
    const expected = Buffer.from(this.mac(`${header}.${payload}`));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SimulatorClaims;
    } catch {
      return undefined;
    }
  }

  private mac(input: string): string {
    return createHmac('sha256', this.key).update(input).digest('base64url');
  }
}
