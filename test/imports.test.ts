import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

// Static imports and re-exports, type-only ones included: a circle of types still ties the files together.
const SPECIFIER = /^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;

/** The project files a source imports, relative to the root (`.js` specifiers resolve to `.ts`). */
function localImports(file: string, source: string): string[] {
  const targets: string[] = [];
  for (const match of source.matchAll(SPECIFIER)) {
    const specifier = match[1] ?? match[2];
    if (!specifier?.startsWith('.')) continue;
    const target = relative(ROOT, resolve(ROOT, dirname(file), specifier)).replace(/\.js$/, '.ts');
    targets.push(target);
  }
  return targets;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every import circle among `files` (Tarjan's strongly connected components of two or more files). */
function importCircles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const indexes = new Map<string, number>();
  const lowlinks = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (file: string) => {
    indexes.set(file, index);
    lowlinks.set(file, index);
    index += 1;
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (!indexes.has(next)) {
        visit(next);
        lowlinks.set(file, Math.min(lowlinks.get(file) ?? 0, lowlinks.get(next) ?? 0));
      } else if (onStack.has(next)) {
        lowlinks.set(file, Math.min(lowlinks.get(file) ?? 0, indexes.get(next) ?? 0));
      }
    }
    if (lowlinks.get(file) === indexes.get(file)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member === undefined) break;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || (graph.get(file) ?? []).includes(file)) circles.push(component.sort());
    }
  };
  for (const file of graph.keys()) if (!indexes.has(file)) visit(file);
  return circles;
}

function graphOf(dirs: readonly string[]): Map<string, string[]> {
  const files = dirs.flatMap((dir) => sourceFiles(dir));
  return new Map(
    files.map((file) => [
      file,
      localImports(file, readFileSync(join(ROOT, file), 'utf8')).filter((target) =>
        existsSync(join(ROOT, target)),
      ),
    ]),
  );
}

describe('imports', () => {
  it('reads imports, re-exports and type-only imports, resolving .js to .ts', () => {
    const source = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export { c } from './c.js';",
      "export type { D } from './d.js';",
      'import {',
      '  e,',
      "} from './e.js';",
      "import 'node:fs';",
      "import { f } from 'aws-cdk-lib';",
    ].join('\n');
    expect(localImports(join('infra', 'x.ts'), source)).toEqual([
      join('infra', 'a.ts'),
      'b.ts',
      join('infra', 'c.ts'),
      join('infra', 'd.ts'),
      join('infra', 'e.ts'),
    ]);
  });

  it('finds a circle through a type-only import, and none in a chain', () => {
    const circle = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(importCircles(circle)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
    expect(
      importCircles(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', []],
        ]),
      ),
    ).toEqual([]);
  });

  // The graph spans every source folder, so a circle through another folder is found too.
  const graph = graphOf(['infra', 'shared', 'functions']);
  it.each([['infra'], ['shared'], ['functions']])('has no import circle through %s/', (dir) => {
    expect(
      importCircles(graph).filter((circle) => circle.some((file) => file.startsWith(`${dir}/`))),
    ).toEqual([]);
  });
});
