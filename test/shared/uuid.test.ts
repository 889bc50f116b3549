import { describe, expect, it } from 'vitest';
import { uuidV5 } from '../../shared/uuid.js';

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
});
