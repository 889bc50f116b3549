import { createHash } from 'node:crypto';

/**
 * The name-based UUID (RFC 9562 version 5: SHA-1) of `name` in `namespace`. The same name in the
 * same namespace always gives the same id, so ids derived this way deduplicate across retries.
 *
 * @param namespace a UUID in its usual hyphenated form
 */
export function uuidV5(namespace: string, name: string): string {
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
