/**
 * `npm run build`, which `npm pack` and `npm publish` run through `prepack`: `dist/` as the package
 * ships it.
 * - `tsc -p tsconfig.build.json`: ES modules and `.d.ts` of the three entries (`infra/index.ts`, the
 *   construct; `shared/events/index.ts`, the event contract; `client/index.ts`, the app client) and
 *   of what they import, nothing else.
 * - `dist/cjs/`: the same three entries as CommonJS, with copies of their `.d.ts`
 *   (tools/package/commonjs.ts), for CommonJS apps and Jest.
 * - The five function bundles, prebuilt with the stack's own bundling settings (infra/bundling.ts)
 *   into `dist/bundles/<name>/index.mjs`, with `dist/bundles/manifest.json` (settings, sizes,
 *   SHA-256), so a consumer's synth needs neither esbuild nor Docker.
 */
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PIPELINE_BUNDLING } from '../../infra/bundling.js';
import { buildCommonJs, copyDeclarationsToCommonJs } from './commonjs.js';
import { buildFunctionBundles, PROJECT_ROOT } from './function-bundles.js';

const DIST = join(PROJECT_ROOT, 'dist');

/** Runs the project's TypeScript compiler (`tsc`) with the package's build configuration. */
function compile(): Promise<void> {
  const typescript = createRequire(import.meta.url).resolve('typescript/package.json');
  const tsc = spawn(
    process.execPath,
    [join(dirname(typescript), 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: PROJECT_ROOT,
      stdio: 'inherit',
    },
  );
  return new Promise((resolve, reject) => {
    tsc.on('error', reject);
    tsc.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`tsc -p tsconfig.build.json failed (exit ${code})`)),
    );
  });
}

rmSync(DIST, { recursive: true, force: true });
// tsc writes dist/{infra,shared,client,functions}, esbuild dist/bundles and dist/cjs: side by side.
const [, bundles] = await Promise.all([
  compile(),
  buildFunctionBundles(join(DIST, 'bundles')),
  buildCommonJs(PROJECT_ROOT, DIST),
]);
await copyDeclarationsToCommonJs(DIST);
writeFileSync(
  join(DIST, 'bundles', 'manifest.json'),
  `${JSON.stringify({ bundling: PIPELINE_BUNDLING, bundles }, null, 2)}\n`,
);
const kib = Object.values(bundles).reduce((sum, bundle) => sum + bundle.bytes, 0) / 1024;
console.log(
  `dist/ built: the construct, the events and client entries (ES modules and CommonJS) and ${Object.keys(bundles).length} function bundles (${kib.toFixed(0)} KiB)`,
);
