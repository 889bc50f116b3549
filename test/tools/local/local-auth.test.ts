import { describe, expect, it } from 'vitest';
import { LOCAL_IAM_PRINCIPAL, localAuthorizer, localBearerToken } from '../../../tools/local/local-auth.js';

describe('the local authorizer stand-in', () => {
  it('hands over the claims of a bearer JWT, unverified and as strings, as a JWT authorizer does', () => {
    expect(localAuthorizer(localBearerToken('alice', { exp: 1795600800, groups: ['a'] }))).toEqual({
      jwt: {
        claims: { sub: 'alice', iss: 'npm-start', exp: '1795600800', groups: '["a"]' },
        scopes: null,
      },
    });
    const signed = `Bearer eyJhbGciOiJSUzI1NiJ9.${Buffer.from('{"sub":"bob"}').toString('base64url')}.c2ln`;
    expect(localAuthorizer(signed)).toMatchObject({ jwt: { claims: { sub: 'bob' } } });
  });

  it('takes a request without a token, or a SigV4-signed one, as the local IAM principal', () => {
    for (const header of [
      undefined,
      'AWS4-HMAC-SHA256 Credential=AKID/20261125/us-east-1/execute-api/aws4_request',
    ]) {
      expect(localAuthorizer(header)).toMatchObject({
        iam: { userArn: LOCAL_IAM_PRINCIPAL, cognitoIdentity: null },
      });
    }
  });

  it.each([
    ['Basic dXNlcjpwYXNz'],
    ['Bearer not-a-jwt'],
    [`Bearer e30.${Buffer.from('{"iss":"x"}').toString('base64url')}.`],
    [`Bearer e30.${Buffer.from('[1]').toString('base64url')}.`],
    ['Bearer e30.bm90IGpzb24.'],
  ])('refuses %s as API Gateway would', (header) => {
    expect(localAuthorizer(header)).toBeUndefined();
  });
});
