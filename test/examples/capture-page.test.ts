import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PAGE = `${ROOT}examples/capture-page/`;

describe('the capture page sources', () => {
  // The page needs the DOM's types, which the project's own tsconfig leaves out (they would let
  // browser globals into Lambda code): its folder has a tsconfig of its own, checked here.
  it('type-check with the DOM library', async () => {
    const tsc = `${ROOT}node_modules/typescript/bin/tsc`;
    const run = promisify(execFile)(process.execPath, [tsc, '--noEmit', '-p', `${PAGE}tsconfig.json`], {
      cwd: ROOT,
    });
    await expect(run).resolves.toMatchObject({ stdout: '' });
  });
});
