import { v5 } from 'uuid';

/**
 * The name-based UUID (RFC 9562 version 5: SHA-1) of `name` in `namespace`. The same name in the
 * same namespace always gives the same id, so ids derived this way deduplicate across retries.
 *
 * The `uuid` package: node:crypto under Node, its own SHA-1 in a browser bundle, so subscribers
 * compute event ids with it in browsers and any runtime (the `./events` entry of the package).
 *
 * @param namespace a UUID in its usual hyphenated form
 */
export function uuidV5(namespace: string, name: string): string {
  return v5(name, namespace);
}
