/**
 * The measured figures the docs show are rendered from bench/results.json, never typed by hand:
 * every figure block of the documents that show them equals its rendering from the results.
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

const ROOT = new URL('../../', import.meta.url).pathname;
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
