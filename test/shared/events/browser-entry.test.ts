import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { foreignImportsOf } from '../../support/foreign-imports.js';

const ENTRY = fileURLToPath(new URL('../../../shared/events/index.ts', import.meta.url));

describe('the events entry (shared/events/index.ts, published as ./events)', () => {
  it('bundles for the browser with no Node built-in, taking only the uuid package', async () => {
    expect(await foreignImportsOf(ENTRY)).toEqual({ builtins: [], packages: ['uuid'] });
  });

  it('flags Node built-ins, also inside packages, and names each package, so the check above can fail', async () => {
    const found = await foreignImportsOf({
      contents: [
        "import { createHash } from 'node:crypto';",
        "import { readFileSync } from 'fs';",
        // A Node-only package: its own imports of Node built-ins count too.
        "import { request } from 'undici';",
        'export const used = [createHash, readFileSync, request];',
      ].join('\n'),
    });
    expect(found.builtins).toEqual(expect.arrayContaining(['node:crypto', 'fs']));
    expect(found.builtins.length).toBeGreaterThan(2);
    expect(found.packages).toEqual(['undici']);
  });
});
