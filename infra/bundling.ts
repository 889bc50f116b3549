/**
 * How every pipeline function is bundled for Lambda, as plain data: `PipelineFunction` hands it to
 * `NodejsFunction` (which runs esbuild locally), the package build (`npm run build`) prebuilds the
 * bundles it ships with esbuild's API from it (byte for byte the same, a test checks), and the
 * benchmarks build the same bundles, so what is measured and shipped is what is deployed.
 */

/** The esbuild options of a deployed function bundle. */
export interface PipelineBundling {
  /** Output module format; the deployed file is `index.mjs` for `esm`, `index.js` for `cjs`. */
  readonly format: 'esm' | 'cjs';
  readonly mainFields: readonly string[];
  /** Prepended to the bundle (`--banner:js`). */
  readonly banner: string;
  /** esbuild target, the Lambda runtime's Node.js major. */
  readonly target: string;
  readonly minify: boolean;
  readonly sourceMap: boolean;
  /** Modules left out of the bundle, for the runtime to provide. */
  readonly externalModules: readonly string[];
  /** Modules replaced in the bundle (`--alias`): module name to a file relative to the project root. */
  readonly aliases: Readonly<Record<string, string>>;
}

// ESM bundles need `require` for the CommonJS dependencies esbuild inlines (undici loads node:* with it).
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __pipelineCreateRequire } from 'node:module'; const require = __pipelineCreateRequire(import.meta.url);";

/** The file a bundle is written to, which Lambda loads for the handler `index.handler`. */
export function bundleFileName(bundling: PipelineBundling): string {
  return bundling.format === 'esm' ? 'index.mjs' : 'index.js';
}

/** The bundling of every pipeline function. */
export const PIPELINE_BUNDLING: PipelineBundling = Object.freeze({
  format: 'esm',
  mainFields: Object.freeze(['module', 'main']),
  banner: ESM_REQUIRE_BANNER,
  target: 'node24',
  minify: true,
  // Source maps off: they would ship in the asset and --enable-source-maps slows cold starts.
  sourceMap: false,
  // Bundle the AWS SDK too instead of using the runtime's copy: the functions run the exact SDK
  // version the tests ran (pinned in package-lock.json), and Powertools gets the SDK it was
  // built with. Costs some bundle size, buys reproducible behaviour.
  externalModules: Object.freeze([]),
  // Lambda gives functions their credentials in the environment: the rest of the SDK's default
  // chain (and the STS/SSO clients it carries) is never used there (shared/aws/lambda-credentials.ts).
  aliases: Object.freeze({ '@aws-sdk/credential-provider-node': 'shared/aws/lambda-credentials.ts' }),
} satisfies PipelineBundling);

/** esbuild `alias` of the deployed bundles, with absolute paths under `projectRoot`. */
export function esbuildAliases(
  projectRoot: string,
  bundling: Pick<PipelineBundling, 'aliases'> = PIPELINE_BUNDLING,
): Record<string, string> {
  // Bundling options from before aliases existed (the benchmark's reference tree) have none.
  return Object.fromEntries(
    Object.entries(bundling.aliases ?? {}).map(([module, file]) => [
      module,
      `${projectRoot.replace(/\/$/, '')}/${file}`,
    ]),
  );
}
