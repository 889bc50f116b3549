/**
 * The measured figures the docs show are rendered from bench/results.json, never typed by hand:
 * every figure block of the documents that show them equals its rendering from the results, and the
 * prose around them names no run (no commit hash, load, test count, run duration or run date).
 * Decision records and the changelog are records of their day, and are not read.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type BenchResults,
  FIGURE_BLOCKS,
  FIGURE_DOCUMENTS,
  figureBlockNames,
  renderFigureBlocks,
} from '../../bench/lib/figures.js';
import { READER_DOCS, ROOT } from './helpers.js';

const results = JSON.parse(readFileSync(join(ROOT, 'bench/results.json'), 'utf8')) as BenchResults;

describe('the figures the docs show', () => {
  it.each(FIGURE_DOCUMENTS)('%s shows the figures of bench/results.json', (doc) => {
    const text = readFileSync(join(ROOT, doc), 'utf8');
    expect(figureBlockNames(text).length, `${doc} shows no figure block`).toBeGreaterThan(0);
    // On failure: node --import tsx bench/render-figures.ts
    expect(text).toBe(renderFigureBlocks(text, results));
  });

  it('shows every block it can render somewhere', () => {
    const shown = FIGURE_DOCUMENTS.flatMap((doc) => figureBlockNames(readFileSync(join(ROOT, doc), 'utf8')));
    expect([...new Set(shown)].sort()).toEqual(Object.keys(FIGURE_BLOCKS).sort());
  });

  it('renders a changed figure into its block and leaves the prose alone', () => {
    const doc = 'Before.\n\n<!-- figures:cost -->\n| stale |\n<!-- /figures -->\n\nAfter.\n';
    const cheaper = { ...results, cost: { ...results.cost, totalUsdPerMillion: 9.5 } };
    const rendered = renderFigureBlocks(doc, cheaper);
    expect(rendered).toMatch(/^Before\.\n\n<!-- figures:cost -->\n\| per million checks/);
    expect(rendered).toContain('| **full batches** | **$9.50** |');
    expect(rendered).not.toContain('| stale |');
    expect(rendered.endsWith('<!-- /figures -->\n\nAfter.\n')).toBe(true);
  });

  it('refuses a block it cannot render, naming it', () => {
    expect(() => renderFigureBlocks('<!-- figures:nope -->\n<!-- /figures -->', results)).toThrow(/"nope"/);
  });
});

/** What only a run knows, by the words that give it away. */
const RUN_FIGURES: [string, RegExp][] = [
  ['a load average', /\bload (average )?(of |about )?\d/i],
  ['a commit hash', /`(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,40}`/],
  ['a test count', /\b\d[\d,]* (tests|test files)\b/],
  ['a run duration', /\b\d+ min \d+ s\b/],
  ['a run date', /\b(on|measured|run of|last run) 20\d\d-\d\d-\d\d\b/i],
];

/** The prose of a document: code blocks and figure blocks blanked, lines kept in place. */
const proseOf = (text: string) =>
  text
    .replace(/^```[\s\S]*?^```/gm, (block) => block.replace(/[^\n]/g, ''))
    .replace(/<!-- figures:\w+ -->[\s\S]*?<!-- \/figures -->/g, (block) => block.replace(/[^\n]/g, ''));

const runFiguresIn = (doc: string, text: string) =>
  proseOf(text)
    .split('\n')
    .flatMap((line, i) =>
      RUN_FIGURES.filter(([, pattern]) => pattern.test(line)).map(([what]) => `${doc}:${i + 1}: ${what}`),
    );

const PROSE_DOCUMENTS = READER_DOCS;

describe('the prose of the docs', () => {
  it.each(PROSE_DOCUMENTS)('%s names no run in prose', (doc) => {
    expect(runFiguresIn(doc, readFileSync(join(ROOT, doc), 'utf8'))).toEqual([]);
  });

  it('finds what only a run knows, outside code and figure blocks', () => {
    const text = [
      'A full run (load average 1.2-1.4, 5 min 30 s) on `fd2574a`: 1,457 tests, measured 2026-11-30.',
      '```sh',
      'npm run bench -- --reference=fd2574a',
      '```',
      '<!-- figures:machine -->',
      '| 2026-11-30 | fd2574a |',
      '<!-- /figures -->',
      'The default lease is 120 s; the checker runs 5 at once.',
    ].join('\n');
    expect(runFiguresIn('x.md', text)).toEqual([
      'x.md:1: a load average',
      'x.md:1: a commit hash',
      'x.md:1: a test count',
      'x.md:1: a run duration',
      'x.md:1: a run date',
    ]);
  });
});
