/** What the docs tests share: where the project is and which documents a reader meets. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The project's root folder. */
export const ROOT = new URL('../../', import.meta.url).pathname;

/** The documents with commands and prose for readers: the README, CONTRIBUTING, the bench's, and `docs/*.md`. */
export const READER_DOCS: readonly string[] = [
  'README.md',
  'CONTRIBUTING.md',
  'bench/README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
