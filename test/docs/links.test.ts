/**
 * Every relative link of the project's documents resolves: the file exists, and an anchor names a
 * heading of the target as GitHub renders it (lower case, punctuation dropped, spaces as hyphens).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;

function markdownUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownUnder(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

const DOCUMENTS = [
  'README.md',
  'CONTRIBUTING.md',
  'CHANGELOG.md',
  'bench/README.md',
  ...markdownUnder('docs'),
  ...markdownUnder('examples'),
].filter((doc) => existsSync(join(ROOT, doc)));

/** GitHub's anchor of a heading. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The document's text without fenced code blocks or inline code spans. */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** The anchors of a document's headings (code spans keep their text; a repeated heading gets -1, -2). */
function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of text.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6} (.+)$/gm)) {
    const base = slug((heading ?? '').replace(/`/g, ''));
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

interface Link {
  doc: string;
  target: string;
}

function linksOf(doc: string): Link[] {
  const text = prose(readFileSync(join(ROOT, doc), 'utf8'));
  const targets = [
    ...[...text.matchAll(/\]\(([^)\s]+)(?: "[^"]*")?\)/g)].map((m) => m[1] ?? ''),
    ...[...text.matchAll(/<img [^>]*src="([^"]+)"/g)].map((m) => m[1] ?? ''),
  ];
  return targets.filter((t) => !/^(https?:|mailto:)/.test(t)).map((target) => ({ doc, target }));
}

function broken({ doc, target }: Link): string | undefined {
  const [path = '', anchor] = target.split('#');
  const file = path === '' ? join(ROOT, doc) : join(ROOT, dirname(doc), decodeURIComponent(path));
  if (!existsSync(file)) return `${doc}: ${target}: no such file`;
  if (anchor === undefined || statSync(file).isDirectory() || !file.endsWith('.md')) return undefined;
  if (anchorsOf(readFileSync(file, 'utf8')).has(anchor)) return undefined;
  return `${doc}: ${target}: no heading #${anchor} in ${relative(ROOT, file)}`;
}

describe('the links of the docs', () => {
  it('reads the documents and their links', () => {
    expect(DOCUMENTS).toEqual(expect.arrayContaining(['README.md', 'docs/deploy.md', 'bench/README.md']));
    expect(slug("What differs from AWS, and moto's limits")).toBe('what-differs-from-aws-and-motos-limits');
    expect(slug('The event bus name (0.2.0)')).toBe('the-event-bus-name-020');
    expect(linksOf('README.md').length).toBeGreaterThan(0);
  });

  it.each(DOCUMENTS)('%s links only to files and headings that exist', (doc) => {
    expect(linksOf(doc).map(broken).filter(Boolean)).toEqual([]);
  });
});
