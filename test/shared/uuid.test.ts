import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { uuidV5 } from '../../shared/uuid.js';

/** The same UUID v5 through node:crypto, as the pipeline computed it before it used the `uuid` package. */
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

  it('gives the ids node:crypto gives, for every name length across SHA-1 block edges (as the browser build hashes them too) and for non-ASCII names', () => {
    const namespace = '6f1d2c7e-3b8a-4f0e-9c55-2a4e8d1b7c90';
    const names = [
      ...Array.from({ length: 200 }, (_, n) => 'k'.repeat(n)),
      'selfies/ÄÖÜ-✓-😀',
      'a:PASSED:2026-11-25T10:00:00.000Z',
    ];
    for (const name of names) expect(uuidV5(namespace, name), name).toBe(uuidV5ByNodeCrypto(namespace, name));
  });

  it('refuses a namespace that is not a UUID', () => {
    expect(() => uuidV5('not-a-uuid', 'x')).toThrow(TypeError);
  });
});
