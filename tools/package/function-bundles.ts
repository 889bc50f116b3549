/**
 * The five function bundles as the package ships them: built with esbuild's API from the stack's
 * own bundling settings (infra/bundling.ts), the options `NodejsFunction` passes to esbuild when it
 * bundles from source. A test compares these files byte for byte with the assets of `cdk synth`.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import {
  bundleFileName,
  esbuildAliases,
  PIPELINE_BUNDLING,
  type PipelineBundling,
} from '../../infra/bundling.js';
import { FUNCTION_NAMES, type PipelineFunctionName } from '../../infra/settings.js';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** One built bundle. */
export interface FunctionBundle {
  /** The file, relative to the bundles folder: `<name>/index.mjs`. */
  readonly file: string;
  readonly bytes: number;
  /** SHA-256 of the file, hex. */
  readonly sha256: string;
}

/** The esbuild options of one function bundle, as `NodejsFunction` sets them from `bundling`. */
export function esbuildOptions(
  entry: string,
  outfile: string,
  bundling: PipelineBundling = PIPELINE_BUNDLING,
): BuildOptions {
  return {
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: bundling.format,
    target: bundling.target,
    minify: bundling.minify,
    sourcemap: bundling.sourceMap,
    mainFields: [...bundling.mainFields],
    ...(bundling.format === 'esm' ? { banner: { js: bundling.banner } } : {}),
    external: [...bundling.externalModules],
    alias: esbuildAliases(PROJECT_ROOT, bundling),
    outfile,
    absWorkingDir: PROJECT_ROOT,
    logLevel: 'error',
  };
}

/** Builds every function's bundle into `<outdir>/<name>/index.mjs`. */
export async function buildFunctionBundles(
  outdir: string,
): Promise<Record<PipelineFunctionName, FunctionBundle>> {
  const built = await Promise.all(
    FUNCTION_NAMES.map(async (name) => {
      await mkdir(join(outdir, name), { recursive: true });
      const file = join(name, bundleFileName(PIPELINE_BUNDLING));
      await build(esbuildOptions(join(PROJECT_ROOT, 'functions', name, 'handler.ts'), join(outdir, file)));
      const content = await readFile(join(outdir, file));
      const bundle: FunctionBundle = {
        file,
        bytes: content.length,
        sha256: createHash('sha256').update(content).digest('hex'),
      };
      return [name, bundle] as const;
    }),
  );
  return Object.fromEntries(built) as Record<PipelineFunctionName, FunctionBundle>;
}
