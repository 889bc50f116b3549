import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { foreignImportsOf } from '../support/foreign-imports.js';

const MAIN_ENTRY = fileURLToPath(new URL('../../infra/index.ts', import.meta.url));

describe('the main entry (infra/index.ts, published as .)', () => {
  it('needs at synth time only its peer dependencies (aws-cdk-lib, constructs) and Node built-ins', async () => {
    const { packages } = await foreignImportsOf(MAIN_ENTRY, { platform: 'node', followPackages: false });
    expect(packages.sort()).toEqual(['aws-cdk-lib', 'constructs']);
  });
});
