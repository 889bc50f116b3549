import { build, type Plugin } from 'esbuild';

/**
 * Bundles an entry for the browser platform and lists every import that is not part of it: a Node
 * built-in (`node:crypto`, `fs`, ...) or any package. The events entry is imported by browsers and
 * any Lambda, so it must need neither.
 */
export async function foreignImportsOf(entry: string | { contents: string }): Promise<string[]> {
  const found: string[] = [];
  const flagForeign: Plugin = {
    name: 'flag-foreign-imports',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point' || args.path.startsWith('.') || args.path.startsWith('/'))
          return undefined;
        found.push(args.path);
        // Left out of the bundle so that every one is reported, not only the first.
        return { path: args.path, external: true };
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
  return found;
}
