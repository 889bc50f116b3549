import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { foreignImportsOf } from '../../support/foreign-imports.js';

const NODE_BUILTINS = new Set(builtinModules);
const ENTRY = fileURLToPath(new URL('../../../shared/events/index.ts', import.meta.url));
describe('the events entry (shared/events/index.ts, published as ./events)', () => {
  it('bundles for the browser with no Node built-in and no package import', async () => {
    expect(await foreignImportsOf(ENTRY)).toEqual([]);
  });

  it('flags Node built-ins and packages, so the check above can fail', async () => {
    const found = await foreignImportsOf({
      contents: [
        "import { createHash } from 'node:crypto';",
        "import { readFileSync } from 'fs';",
        "import { App } from 'aws-cdk-lib';",
        'export const used = [createHash, readFileSync, App];',
      ].join('\n'),
    });
    expect(found).toEqual(['node:crypto', 'fs', 'aws-cdk-lib']);
    expect(found.filter((name) => name.startsWith('node:') || NODE_BUILTINS.has(name))).toHaveLength(2);
  });
});
