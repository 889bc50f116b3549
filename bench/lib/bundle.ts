/**
 * Builds function bundles with esbuild's API from the options the stack deploys with
 * (infra/bundling.ts), plus the variants the cold-start benchmark compares.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';
import { esbuildAliases, PIPELINE_BUNDLING, type PipelineBundling } from '../../infra/bundling.js';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BENCH_TMP = join(PROJECT_ROOT, 'bench', 'tmp');

/** A way to bundle, as a change to the deployed options. */
export interface BundleVariant {
  name: string;
  format: 'esm' | 'cjs';
  /** Leave `@aws-sdk/*` and `@smithy/*` to the runtime (Lambda's Node.js runtimes ship SDK v3). */
  sdkExternal: boolean;
  /** Take undici's parts from its package entry (all of undici), as the client did before `undici-parts.ts`. */
  undiciEntry?: boolean;
  /** Without the deployed aliases: the SDK's whole default credential chain. */
  defaultCredentialChain?: boolean;
}

/** The variant the stack deploys, read from infra/bundling.ts. */
export function deployedVariant(bundling: PipelineBundling = PIPELINE_BUNDLING): BundleVariant {
  return {
    name: 'deployed',
    format: bundling.format,
    sdkExternal: bundling.externalModules.some((m) => m.startsWith('@aws-sdk')),
  };
}

// The variant "undici entry": shared/apptenticate/undici-parts.ts swapped for a module taking the
// same two names from undici's package entry (which loads all of undici), as the client did before.
const UNDICI_ENTRY_PARTS = `
import { Agent, request as undiciRequest } from 'undici';
export { Agent };
export function request(url, options) {
  return undiciRequest(url, options);
}
`;

const undiciEntryPlugin: Plugin = {
  name: 'undici-entry',
  setup(b) {
    b.onResolve({ filter: /\/undici-parts\.js$/ }, () => ({
      path: 'undici-entry-parts',
      namespace: 'undici-entry',
    }));
    b.onLoad({ filter: /.*/, namespace: 'undici-entry' }, () => ({
      contents: UNDICI_ENTRY_PARTS,
      loader: 'js',
      resolveDir: PROJECT_ROOT,
    }));
  },
};

/**
 * Bundles `entry` (relative to the project) into `outdir`; returns the file, its size in bytes and
 * esbuild's metafile (what went in; it is not written beside the bundle).
 */
export async function bundle(
  entry: string,
  outdir: string,
  variant: BundleVariant,
  bundling: PipelineBundling = PIPELINE_BUNDLING,
): Promise<{ file: string; bytes: number; metafile: Metafile }> {
  await mkdir(outdir, { recursive: true });
  const file = join(outdir, variant.format === 'esm' ? 'index.mjs' : 'index.cjs');
  const external = [...bundling.externalModules];
  if (variant.sdkExternal) external.push('@aws-sdk/*', '@smithy/*');
  const result = await build({
    entryPoints: [resolve(PROJECT_ROOT, entry)],
    metafile: true,
    bundle: true,
    platform: 'node',
    format: variant.format,
    target: bundling.target,
    minify: bundling.minify,
    sourcemap: bundling.sourceMap,
    mainFields: [...bundling.mainFields],
    ...(variant.format === 'esm' ? { banner: { js: bundling.banner } } : {}),
    external,
    alias: variant.defaultCredentialChain ? {} : esbuildAliases(PROJECT_ROOT, bundling),
    outfile: file,
    absWorkingDir: PROJECT_ROOT,
    logLevel: 'error',
    plugins: variant.undiciEntry ? [undiciEntryPlugin] : [],
  });
  return { file, bytes: (await stat(file)).size, metafile: result.metafile };
}
