import { builtinModules } from 'node:module';
import { build, type Plugin } from 'esbuild';

const NODE_BUILTINS = new Set(builtinModules);

/** What an entry needs beyond its own files, once bundled for the browser. */
export interface ForeignImports {
  /** Node built-ins (`node:crypto`, `fs`, ...) imported anywhere in the bundle, packages included. */
  builtins: string[];
  /** Packages the bundle takes in (resolved with the browser condition, as a browser bundler would). */
  packages: string[];
}

/**
 * Bundles an entry for the browser platform, packages included, and lists what it reaches outside its
 * own files. The events entry is imported by browsers and any Lambda: it may take a package that
 * bundles for the browser, never a Node built-in.
 */
export async function foreignImportsOf(entry: string | { contents: string }): Promise<ForeignImports> {
  const builtins: string[] = [];
  const packages = new Set<string>();
  const flagForeign: Plugin = {
    name: 'flag-foreign-imports',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point' || args.path.startsWith('.') || args.path.startsWith('/'))
          return undefined;
        if (args.path.startsWith('node:') || NODE_BUILTINS.has(args.path)) {
          builtins.push(args.path);
          // Left out of the bundle so that every one is reported, not only the first.
          return { path: args.path, external: true };
        }
        packages.add(
          args.path.startsWith('@')
            ? args.path.split('/').slice(0, 2).join('/')
            : (args.path.split('/')[0] ?? ''),
        );
        return undefined;
      });
    },
  };
  await build({
    ...(typeof entry === 'string'
      ? { entryPoints: [entry] }
      : { stdin: { contents: entry.contents, resolveDir: process.cwd() } }),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    plugins: [flagForeign],
  });
  return { builtins, packages: [...packages] };
}
