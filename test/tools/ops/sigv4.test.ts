import { describe, expect, it } from 'vitest';
import { canonicalRequest, signRequest } from '../../../tools/ops/aws/sigv4.js';

// The worked example of AWS's Signature Version 4 documentation (IAM ListUsers, 2015-08-30).
const example = {
  method: 'GET',
  url: new URL('https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08'),
  headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
  body: '',
  service: 'iam',
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  now: new Date('2015-08-30T12:36:00Z'),
};

describe('signRequest', () => {
  it('builds the canonical request of the documented example', () => {
    const { request, hash } = canonicalRequest({
      ...example,
      headers: { ...example.headers, host: 'iam.amazonaws.com', 'x-amz-date': '20150830T123600Z' },
    });
    expect(request).toBe(
      [
        'GET',
        '/',
        'Action=ListUsers&Version=2010-05-08',
        'content-type:application/x-www-form-urlencoded; charset=utf-8',
        'host:iam.amazonaws.com',
        'x-amz-date:20150830T123600Z',
        '',
        'content-type;host;x-amz-date',
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      ].join('\n'),
    );
    expect(hash).toBe('f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59');
  });

  it('signs the documented example with its documented signature', () => {
    const headers = signRequest(example);
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    );
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
  });

  it('signs a session token and sorts and encodes query parameters', () => {
    const headers = signRequest({
      ...example,
      url: new URL('https://iam.amazonaws.com/?b=2&a=x%20y'),
      credentials: { ...example.credentials, sessionToken: 'session' },
    });
    expect(headers['x-amz-security-token']).toBe('session');
    expect(headers.authorization).toContain(
      'SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,',
    );
    const { request } = canonicalRequest({
      ...example,
      url: new URL('https://iam.amazonaws.com/?b=2&a=x%20y'),
    });
    expect(request.split('\n')[2]).toBe('a=x%20y&b=2');
  });
});
