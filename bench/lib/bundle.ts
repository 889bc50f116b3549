/**
 * Builds function bundles with esbuild's API from the options the stack deploys with
 * (infra/bundling.ts), plus the variants the cold-start benchmark compares.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { esbuildAliases, PIPELINE_BUNDLING, type PipelineBundling } from '../../infra/bundling.js';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BENCH_TMP = join(PROJECT_ROOT, 'bench', 'tmp');

/** A way to bundle, as a change to the deployed options. */
export interface BundleVariant {
  name: string;
  format: 'esm' | 'cjs';
  /** Leave `@aws-sdk/*` and `@smithy/*` to the runtime (Lambda's Node.js runtimes ship SDK v3). */
  sdkExternal: boolean;
  /** Replace `import ... from 'undici'` with deep imports of only the parts the client uses. */
  undiciDeep: boolean;
}

/** The variant the stack deploys, read from infra/bundling.ts. */
export function deployedVariant(bundling: PipelineBundling = PIPELINE_BUNDLING): BundleVariant {
  return {
    name: 'deployed',
    format: bundling.format,
    sdkExternal: bundling.externalModules.some((m) => m.startsWith('@aws-sdk')),
    undiciDeep: false,
  };
}

// The three names shared/apptenticate/client.ts takes from undici, without the rest of the package
// (fetch, WebSocket, cache, mocks, proxies, interceptors). `request` is re-created on the dispatcher.
const UNDICI_DEEP_SHIM = `
import Agent from 'undici/lib/dispatcher/agent.js';
import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';
import api from 'undici/lib/api/index.js';
import formdata from 'undici/lib/web/fetch/formdata.js';
Object.assign(Dispatcher.prototype, api);
export const FormData = formdata.FormData;
export { Agent, Dispatcher };
export function request(url, { dispatcher, ...options }) {
  const u = new URL(url);
  return dispatcher.request({ ...options, origin: u.origin, path: u.pathname + u.search });
}
`;

const undiciDeepPlugin: Plugin = {
  name: 'undici-deep',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, () => ({ path: 'undici-deep-shim', namespace: 'undici-deep' }));
    b.onLoad({ filter: /.*/, namespace: 'undici-deep' }, () => ({
      contents: UNDICI_DEEP_SHIM,
      loader: 'js',
      resolveDir: PROJECT_ROOT,
    }));
  },
};

/** Bundles `entry` (relative to the project) into `outdir`; returns the file and its size in bytes. */
export async function bundle(
  entry: string,
  outdir: string,
  variant: BundleVariant,
  bundling: PipelineBundling = PIPELINE_BUNDLING,
): Promise<{ file: string; bytes: number }> {
  await mkdir(outdir, { recursive: true });
  const file = join(outdir, variant.format === 'esm' ? 'index.mjs' : 'index.cjs');
  const external = [...bundling.externalModules];
  if (variant.sdkExternal) external.push('@aws-sdk/*', '@smithy/*');
  await build({
    entryPoints: [resolve(PROJECT_ROOT, entry)],
    bundle: true,
    platform: 'node',
    format: variant.format,
    target: bundling.target,
    minify: bundling.minify,
    sourcemap: bundling.sourceMap,
    mainFields: [...bundling.mainFields],
    ...(variant.format === 'esm' ? { banner: { js: bundling.banner } } : {}),
    external,
    alias: esbuildAliases(PROJECT_ROOT, bundling),
    outfile: file,
    absWorkingDir: PROJECT_ROOT,
    logLevel: 'error',
    plugins: variant.undiciDeep ? [undiciDeepPlugin] : [],
  });
  return { file, bytes: (await stat(file)).size };
}
