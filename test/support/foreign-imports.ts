import { builtinModules } from 'node:module';
import { build, type Plugin } from 'esbuild';

const NODE_BUILTINS = new Set(builtinModules);

/** What an entry needs beyond its own files, once bundled. */
export interface ForeignImports {
  /** Node built-ins (`node:crypto`, `fs`, ...) imported anywhere in the bundle, packages included. */
  builtins: string[];
  /** Packages the bundle takes in (resolved with the browser condition, as a browser bundler would). */
  packages: string[];
}

/** How to bundle. */
export interface ForeignImportsOptions {
  /** @default 'browser' */
  readonly platform?: 'browser' | 'node';
  /**
   * Follow packages into their own imports (their Node built-ins count too), or only name them.
   * @default true
   */
  readonly followPackages?: boolean;
  /** Where an inline entry resolves its imports from. @default process.cwd() */
  readonly resolveDir?: string;
}

/** The package a specifier names: `@scope/name` or `name`. */
function packageOf(specifier: string): string {
  return specifier.startsWith('@')
    ? specifier.split('/').slice(0, 2).join('/')
    : (specifier.split('/')[0] ?? '');
}

/**
 * Bundles an entry (for the browser platform unless told otherwise, packages included unless told
 * otherwise) and lists what it reaches outside its own files. The events entry is imported by
 * browsers and any Lambda: it may take a package that bundles for the browser, never a Node built-in.
 */
export async function foreignImportsOf(
  entry: string | { contents: string },
  options: ForeignImportsOptions = {},
): Promise<ForeignImports> {
  const builtins: string[] = [];
  const packages = new Set<string>();
  const followPackages = options.followPackages ?? true;
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
        packages.add(packageOf(args.path));
        return followPackages ? undefined : { path: args.path, external: true };
      });
    },
  };
  await build({
    ...(typeof entry === 'string'
      ? { entryPoints: [entry] }
      : { stdin: { contents: entry.contents, resolveDir: options.resolveDir ?? process.cwd() } }),
    bundle: true,
    platform: options.platform ?? 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    plugins: [flagForeign],
  });
  return { builtins, packages: [...packages] };
}
