/**
 * How the client authenticates: a hook that sees each API request (not the upload, which the form's
 * own signature authorizes) and returns the headers to add. Use {@link bearerToken} under the JWT
 * authorizer, or a SigV4 signer under IAM auth (docs/apps.md shows one).
 */

/** The API request a hook signs: exactly what is sent, with the headers set so far. */
export interface ApiRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Readonly<Record<string, string>>;
  /** The JSON body, for `POST`. */
  body?: string;
}

/** Returns headers to add to a request (`authorization`, or SigV4's `x-amz-*` and `authorization`). */
export type AuthHook = (
  request: ApiRequest,
) => Record<string, string> | undefined | Promise<Record<string, string> | undefined>;

/**
 * `Authorization: Bearer <token>` on every API request. Pass a function to read a fresh token from
 * your identity provider's SDK each time (it refreshes tokens itself).
 */
export function bearerToken(token: string | (() => string | Promise<string>)): AuthHook {
  return async () => ({ authorization: `Bearer ${typeof token === 'string' ? token : await token()}` });
}
