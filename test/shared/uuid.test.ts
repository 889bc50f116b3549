import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha1, uuidV5 } from '../../shared/uuid.js';

/** The same UUID v5 through node:crypto, as the pipeline computed it before it went plain JavaScript. */
function uuidV5ByNodeCrypto(namespace: string, name: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

describe('uuidV5', () => {
  it("gives RFC 9562's example for www.example.com in the DNS namespace", () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('gives different ids for the same name in different namespaces', () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'x')).not.toBe(
      uuidV5('6ba7b811-9dad-11d1-80b4-00c04fd430c8', 'x'),
    );
  });

  it('gives the ids node:crypto gives, for every name length across SHA-1 block edges and for non-ASCII names', () => {
    const namespace = '6f1d2c7e-3b8a-4f0e-9c55-2a4e8d1b7c90';
    const names = [
      ...Array.from({ length: 200 }, (_, n) => 'k'.repeat(n)),
      'selfies/ÄÖÜ-✓-😀',
      'a:PASSED:2026-11-25T10:00:00.000Z',
    ];
    for (const name of names) expect(uuidV5(namespace, name), name).toBe(uuidV5ByNodeCrypto(namespace, name));
  });

  it('refuses a namespace that is not a UUID', () => {
    expect(() => uuidV5('not-a-uuid', 'x')).toThrow(/namespace must be a UUID/);
  });
});

describe('sha1', () => {
  it.each([
    ['', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
    ['abc', 'a9993e364706816aba3e25717850c26c9cd0d89d'],
    ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '84983e441c3bd26ebaae4aa1f95129e5e54670f1'],
  ])('hashes %j as FIPS 180 says', (text, digest) => {
    expect(Buffer.from(sha1(new TextEncoder().encode(text))).toString('hex')).toBe(digest);
  });

  it('hashes a million bytes as node:crypto does', () => {
    const bytes = new Uint8Array(1_000_000).map((_, i) => (i * 31) & 0xff);
    expect(Buffer.from(sha1(bytes)).toString('hex')).toBe(createHash('sha1').update(bytes).digest('hex'));
  });
});
