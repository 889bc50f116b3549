/**
 * The CommonJS build of the package's three entries, for apps made by `cdk init app --language
 * typescript` (CommonJS, with Jest) and TypeScript's `module: node16`/`commonjs`: `dist/cjs/`, a
 * folder marked `"type": "commonjs"`, beside the ES modules in `dist/`.
 *
 * - One CommonJS file per entry, bundled by esbuild with the peers (`aws-cdk-lib`, `constructs`)
 *   left to `require`: `uuid` 14 is ES modules only, which Jest's `require` cannot load, so the
 *   events entry's part of it is inlined. The events and client entries stay free of Node
 *   built-ins, as their ES modules are.
 * - `import.meta.url` becomes the file's own URL. `dist/cjs/infra/index.js` sits as deep as
 *   `dist/infra/constructs/`, so `../../bundles/` still reaches the prebuilt function bundles.
 * - The `.d.ts` files tsc wrote for `dist/` are copied into `dist/cjs/`: inside the CommonJS folder
 *   TypeScript reads them as CommonJS declarations (no TS1479 in a CommonJS consumer).
 */
import { cp, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { build } from 'esbuild';

/** Each entry's source, relative to the project, and its place under `dist/cjs/`. */
export const COMMONJS_ENTRIES = [
  { source: 'infra/index.ts', out: 'infra/index.js', platform: 'node' },
  // Neutral: no Node built-in, as the ES module entries (uuid's portable build, not its node:crypto one).
  { source: 'shared/events/index.ts', out: 'shared/events/index.js', platform: 'neutral' },
  { source: 'client/index.ts', out: 'client/index.js', platform: 'neutral' },
] as const;

/** The peers, required at run time from the consumer's own copy. */
const PEERS = ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs'];

/** Node 20.19 is the oldest Node the package supports for synth and apps (package.json engines). */
const TARGET = 'node20.19';

/** Bundles the three entries as CommonJS into `<dist>/cjs/`. */
export async function buildCommonJs(projectRoot: string, dist: string): Promise<void> {
  const cjs = join(dist, 'cjs');
  await Promise.all(
    COMMONJS_ENTRIES.map((entry) =>
      build({
        entryPoints: [join(projectRoot, entry.source)],
        outfile: join(cjs, entry.out),
        bundle: true,
        platform: entry.platform,
        ...(entry.platform === 'neutral'
          ? { mainFields: ['module', 'main'] }
          : {
              define: { 'import.meta.url': '__liveness_import_meta_url' },
              banner: {
                js: "const __liveness_import_meta_url = require('node:url').pathToFileURL(__filename).href;",
              },
            }),
        format: 'cjs',
        target: TARGET,
        external: PEERS,
        absWorkingDir: projectRoot,
        legalComments: 'none',
        // Shows warnings: an `import.meta` left in a neutral entry would be one.
        logLevel: 'warning',
      }),
    ),
  );
  await writeFile(join(cjs, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
}

/** Copies every `.d.ts` under `dist/` (but `dist/cjs/`) to the same place under `dist/cjs/`. */
export async function copyDeclarationsToCommonJs(dist: string): Promise<number> {
  const cjs = join(dist, 'cjs');
  const files = (await readdir(dist, { recursive: true })).filter(
    (file) => file.endsWith('.d.ts') && !file.startsWith(`cjs/`) && !file.startsWith('bundles/'),
  );
  await Promise.all(files.map((file) => cp(join(dist, file), join(cjs, relative('.', file)))));
  return files.length;
}
