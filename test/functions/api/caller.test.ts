import { describe, expect, it } from 'vitest';
import { callerOf, mayRead } from '../../../functions/api/caller.js';
import { MAX_OWNER_LENGTH } from '../../../shared/check.js';

const withAuthorizer = (authorizer: unknown) => ({ requestContext: { authorizer } }) as never;
const iam = (userArn: unknown, cognitoIdentity: unknown = null) =>
  withAuthorizer({ iam: { userArn, cognitoIdentity } });

describe('callerOf', () => {
  it.each([
    [
      'a JWT sub',
      withAuthorizer({ jwt: { claims: { sub: 'abc-123' }, scopes: null } }),
      { owner: 'abc-123', kind: 'user' },
    ],
    [
      'an IAM user',
      iam('arn:aws:iam::123456789012:user/alice'),
      { owner: 'arn:aws:iam::123456789012:user/alice', kind: 'service' },
    ],
    [
      'an assumed role, without its session',
      iam('arn:aws:sts::123456789012:assumed-role/backend/i-0abc/extra'),
      { owner: 'arn:aws:sts::123456789012:assumed-role/backend', kind: 'service' },
    ],
    [
      'an assumed role in another partition',
      iam('arn:aws-us-gov:sts::123456789012:assumed-role/backend/s'),
      { owner: 'arn:aws-us-gov:sts::123456789012:assumed-role/backend', kind: 'service' },
    ],
    [
      'a Cognito identity behind the shared role',
      iam('arn:aws:sts::123456789012:assumed-role/cognito-auth/CognitoIdentityCredentials', {
        identityId: 'eu-west-1:42',
      }),
      { owner: 'cognito-identity:eu-west-1:42', kind: 'user' },
    ],
  ])('names %s', (_name, event, caller) => {
    expect(callerOf(event)).toEqual(caller);
  });

  it.each([
    ['no authorizer context', { requestContext: {} } as never],
    ['a JWT without sub', withAuthorizer({ jwt: { claims: { iss: 'x' } } })],
    ['an empty sub', withAuthorizer({ jwt: { claims: { sub: '' } } })],
    ['a sub that is no string', withAuthorizer({ jwt: { claims: { sub: 42 } } })],
    [
      'a sub too long to store',
      withAuthorizer({ jwt: { claims: { sub: 's'.repeat(MAX_OWNER_LENGTH + 1) } } }),
    ],
    ['an IAM context without a principal', iam(undefined)],
  ])('finds no caller in %s', (_name, event) => {
    expect(callerOf(event)).toBeUndefined();
  });
});

describe('mayRead', () => {
  it('lets the owner read, services read checks without an owner, and nobody else', () => {
    expect(mayRead({ owner: 'a', kind: 'user' }, 'a')).toBe(true);
    expect(mayRead({ owner: 'a', kind: 'user' }, 'b')).toBe(false);
    expect(mayRead({ owner: 'a', kind: 'user' }, undefined)).toBe(false);
    expect(mayRead({ owner: 'svc', kind: 'service' }, undefined)).toBe(true);
    expect(mayRead({ owner: 'svc', kind: 'service' }, 'a')).toBe(false);
  });
});
