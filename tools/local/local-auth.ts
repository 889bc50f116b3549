/**
 * The local stand-in for the HTTP API's authorizer: who the caller is, as the api function reads it
 * from `requestContext.authorizer`. Local only, and it verifies nothing:
 *
 * - `Authorization: Bearer <JWT>`: the token's payload is decoded, unverified, and its claims are
 *   handed over as a JWT authorizer would after verifying it (`authorizer.jwt.claims`); it must hold
 *   a `sub`. Any JWT works: make one with `localBearerToken('alice')`.
 * - no `Authorization` (or a SigV4 one): the IAM authorizer's context for one local principal,
 *   {@link LOCAL_IAM_PRINCIPAL}, as if a backend had signed the request.
 * - anything else: refused, as API Gateway refuses it (`401 {"message":"Unauthorized"}`).
 */

/** The IAM principal every unsigned or SigV4-signed local request comes from. */
export const LOCAL_IAM_PRINCIPAL = 'arn:aws:iam::000000000000:user/local-developer';

/** The authorizer context the api function reads, or `undefined` when the request is refused. */
export function localAuthorizer(authorization: string | undefined): Record<string, unknown> | undefined {
  if (authorization === undefined || authorization === '' || authorization.startsWith('AWS4-HMAC-SHA256 ')) {
    return {
      iam: {
        accessKey: 'LOCALACCESSKEY',
        accountId: '000000000000',
        callerId: 'local-developer',
        cognitoIdentity: null,
        principalOrgId: null,
        userArn: LOCAL_IAM_PRINCIPAL,
        userId: 'local-developer',
      },
    };
  }
  const token = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]*)$/.exec(authorization);
  if (!token) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(token[2] as string, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return undefined;
  const record = claims as Record<string, unknown>;
  if (typeof record.sub !== 'string' || record.sub === '') return undefined;
  // API Gateway hands every claim over as a string.
  const stringified = Object.fromEntries(
    Object.entries(record).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : JSON.stringify(value),
    ]),
  );
  return { jwt: { claims: stringified, scopes: null } };
}

/** An unsigned JWT for `sub` that the local API accepts (and a real JWT authorizer never would). */
export function localBearerToken(sub: string, claims: Record<string, unknown> = {}): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `Bearer ${part({ alg: 'none', typ: 'JWT' })}.${part({ sub, iss: 'npm-start', ...claims })}.`;
}
