import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;
// Not project sources: dependencies, build output, the local runtime's state, and the tests themselves.
const SKIPPED = new Set(['node_modules', '.git', 'cdk.out', '.local', 'dist', 'test']);

// Static imports and re-exports, side-effect imports, dynamic imports, require, and files
// reached through `new URL(..., import.meta.url)`.
const SPECIFIERS = [
  /\bfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\s*['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\bnew\s+URL\s*\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url/g,
];

/** Every source file under `dir`, relative to the project root, outside the skipped folders. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return dir === ROOT && SKIPPED.has(entry.name) ? [] : sourceFiles(path);
    return SOURCE.test(entry.name) ? [relative(ROOT, path)] : [];
  });
}

/** The specifiers of `source` (a file at `file`, relative to the root) that resolve into `test/`. */
function importsFromTest(file: string, source: string): string[] {
  const specifiers = SPECIFIERS.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1]));
  return specifiers.filter((specifier): specifier is string => {
    if (!specifier?.startsWith('.')) return false;
    const target = relative(ROOT, resolve(ROOT, dirname(file), specifier));
    return target === 'test' || target.startsWith(`test${sep}`);
  });
}

describe('project layout', () => {
  it('finds the sources it scans, including the harness under tools/', () => {
    const files = sourceFiles(ROOT);
    expect(files).toContain(join('tools', 'simulator', 'server.ts'));
    expect(files).toContain(join('tools', 'local', 'runtime.ts'));
    expect(files.some((file) => file.startsWith(`test${sep}`))).toBe(false);
  });

  it('flags a product file that imports from test/', () => {
    const source = [
      "import { makePng } from '../test/support/images.js';",
      "export { startMoto } from '../../test/support/moto.js';",
      "const helper = await import('../test/simulator/server.js');",
      "import '../test/support/setup.js';",
      "import { ok } from './local/runtime.js';",
    ].join('\n');
    expect(importsFromTest(join('tools', 'demo.ts'), source)).toEqual([
      '../test/support/images.js',
      '../test/support/setup.js',
      '../test/simulator/server.js',
    ]);
    expect(importsFromTest(join('bench', 'lib', 'x.ts'), source)).toEqual(['../../test/support/moto.js']);
  });

  it('has no file outside test/ importing from test/', () => {
    const offenders = sourceFiles(ROOT).flatMap((file) =>
      importsFromTest(file, readFileSync(join(ROOT, file), 'utf8')).map(
        (specifier) => `${file}: ${specifier}`,
      ),
    );
    expect(offenders).toEqual([]);
  });

  it('has no npm script running a file under test/', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const offenders = Object.entries(scripts).filter(([, command]) =>
      /(^|[\s'"=])(\.\/)?test\//.test(command),
    );
    expect(offenders).toEqual([]);
  });
});

describe('shared/ and the environment', () => {
  it('names no environment variable a function declares: config.ts files own them', async () => {
    const declarations = [
      (await import('../functions/api/environment.js')).API_ENVIRONMENT,
      (await import('../functions/checker/environment.js')).CHECKER_ENVIRONMENT,
      (await import('../functions/notifier/environment.js')).NOTIFIER_ENVIRONMENT,
      (await import('../functions/sweeper/environment.js')).SWEEPER_ENVIRONMENT,
      (await import('../functions/token-refresher/environment.js')).TOKEN_REFRESHER_ENVIRONMENT,
    ];
    const names = new Set(declarations.flatMap((declaration) => Object.keys(declaration)));
    expect(names).toContain('LIVENESS_API_URL');
    const found = sourceFiles(join(ROOT, 'shared')).flatMap((file) => {
      const source = readFileSync(join(ROOT, file), 'utf8');
      return [...names]
        .filter((name) => new RegExp(`\\b${name}\\b`).test(source))
        .map((n) => `${file}: ${n}`);
    });
    expect(found).toEqual([]);
  });
});
