import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { MAX_OWNER_LENGTH } from '../../shared/check.js';

/**
 * Who calls the API, as its authorizer established. `user`: one person (a JWT's `sub`, or a Cognito
 * identity-pool identity under IAM auth); `service`: a backend signing with its own IAM principal.
 */
export interface Caller {
  /** The id stored on the checks the caller creates; only this caller may read them. */
  owner: string;
  kind: 'user' | 'service';
}

interface AuthorizerContext {
  jwt?: { claims?: Record<string, unknown> };
  iam?: { userArn?: unknown; cognitoIdentity?: { identityId?: unknown } | null };
}

// An assumed role's ARN names the session too (`.../assumed-role/<role>/<session>`); sessions change
// with every credential refresh, so a backend is its role.
const ASSUMED_ROLE_SESSION = /^(arn:aws[\w-]*:sts::\d{12}:assumed-role\/[^/]+)\/.+$/;

/**
 * The caller of a request, from the HTTP API (payload 2.0) authorizer context: the JWT's `sub`
 * (`authorizer.jwt.claims.sub`), the Cognito identity of an identity-pool caller
 * (`authorizer.iam.cognitoIdentity.identityId`), or the IAM principal (`authorizer.iam.userArn`, an
 * assumed role without its session name). `undefined` when there is none: a route without the
 * authorizer.
 */
export function callerOf(event: Pick<APIGatewayProxyEventV2, 'requestContext'>): Caller | undefined {
  const authorizer = (event.requestContext as { authorizer?: AuthorizerContext }).authorizer;
  const sub = authorizer?.jwt?.claims?.sub;
  if (isId(sub)) return bounded({ owner: sub, kind: 'user' });
  const identityId = authorizer?.iam?.cognitoIdentity?.identityId;
  if (isId(identityId)) return bounded({ owner: `cognito-identity:${identityId}`, kind: 'user' });
  const userArn = authorizer?.iam?.userArn;
  if (isId(userArn)) {
    return bounded({ owner: ASSUMED_ROLE_SESSION.exec(userArn)?.[1] ?? userArn, kind: 'service' });
  }
  return undefined;
}

/**
 * Whether `caller` may read a check owned by `owner`: its owner may; a check without an owner (a
 * direct upload, or one created before owners were stored) only a service may.
 */
export function mayRead(caller: Caller, owner: string | undefined): boolean {
  return owner === undefined ? caller.kind === 'service' : owner === caller.owner;
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** An identity too long to store is no identity the API can bind checks to. */
function bounded(caller: Caller): Caller | undefined {
  return caller.owner.length <= MAX_OWNER_LENGTH ? caller : undefined;
}
