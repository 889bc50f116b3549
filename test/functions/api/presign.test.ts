import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createUploadPresigner } from '../../../functions/api/presign.js';

const s3 = new S3Client({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session-token' },
});

interface Policy {
  expiration: string;
  conditions: unknown[];
}

function decodePolicy(fields: Record<string, string>): Policy {
  const encoded = fields.Policy;
  if (encoded === undefined) throw new Error('no Policy field');
  return JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as Policy;
}

/** X-Amz-Date (20261125T100000Z) as epoch milliseconds. */
function signingTime(fields: Record<string, string>): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(fields['X-Amz-Date'] ?? '');
  if (!match) throw new Error('no X-Amz-Date field');
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  return Date.UTC(y as number, (mo as number) - 1, d, h, mi, s);
}

describe('createUploadPresigner', () => {
  const presigner = createUploadPresigner(s3, 'selfie-bucket');

  it('pins the exact key, the size range and the content type in the policy', async () => {
    const upload = await presigner.presign({
      key: 'selfies/3f6c1a2e-8b4d-4c1f-9a7e-2d5b6c8e9f01',
      contentType: 'image/png',
      maxBytes: 2_097_152,
      expiresInSeconds: 300,
    });
    const { conditions } = decodePolicy(upload.fields);
    expect(conditions).toContainEqual({ key: 'selfies/3f6c1a2e-8b4d-4c1f-9a7e-2d5b6c8e9f01' });
    expect(conditions).toContainEqual({ bucket: 'selfie-bucket' });
    expect(conditions).toContainEqual(['content-length-range', 1, 2_097_152]);
    expect(conditions).toContainEqual({ 'Content-Type': 'image/png' });
    expect(conditions).toContainEqual({ 'X-Amz-Security-Token': 'session-token' });
    // No condition leaves the key open to the client (no starts-with on $key, no ${filename}).
    expect(JSON.stringify(conditions)).not.toMatch(/starts-with|\$\{filename\}/);
  });

  it('returns the fields the form must carry, matching the policy', async () => {
    const upload = await presigner.presign({
      key: 'selfies/abc',
      contentType: 'image/jpeg',
      maxBytes: 1024,
      expiresInSeconds: 300,
    });
    expect(upload.fields).toMatchObject({
      key: 'selfies/abc',
      'Content-Type': 'image/jpeg',
      bucket: 'selfie-bucket',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Security-Token': 'session-token',
    });
    expect(upload.fields['X-Amz-Signature']).toMatch(/^[0-9a-f]{64}$/);
    expect(upload.fields['X-Amz-Credential']).toMatch(/^AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request$/);
    expect(upload.url).toBe('https://selfie-bucket.s3.eu-west-1.amazonaws.com/');
  });

  it.each([60, 300, 3600])('makes the policy expire %i seconds after signing', async (ttl) => {
    const upload = await presigner.presign({
      key: 'selfies/abc',
      contentType: 'image/jpeg',
      maxBytes: 1024,
      expiresInSeconds: ttl,
    });
    const policy = decodePolicy(upload.fields);
    expect(Date.parse(policy.expiration) - signingTime(upload.fields)).toBe(ttl * 1000);
  });

  it('classifies a signing failure instead of leaking the raw error', async () => {
    const broken = new S3Client({
      region: 'eu-west-1',
      credentials: async () => {
        throw Object.assign(new Error('secret detail'), { name: 'CredentialsProviderError' });
      },
    });
    await expect(
      createUploadPresigner(broken, 'b').presign({
        key: 'k',
        contentType: 'image/jpeg',
        maxBytes: 1,
        expiresInSeconds: 60,
      }),
    ).rejects.toThrow('S3 presigned POST failed with CredentialsProviderError');
  });
});
