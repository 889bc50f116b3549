/**
 * Rewrites the figure blocks of the docs from `bench/results.json` (after `npm run bench`, or after
 * editing its hand-kept sections): `node --import tsx bench/render-figures.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchResults, FIGURE_DOCUMENTS, renderFigureBlocks } from './lib/figures.js';

const root = new URL('../', import.meta.url).pathname;
const results = JSON.parse(readFileSync(join(root, 'bench/results.json'), 'utf8')) as BenchResults;
for (const doc of FIGURE_DOCUMENTS) {
  const path = join(root, doc);
  const before = readFileSync(path, 'utf8');
  const after = renderFigureBlocks(before, results);
  if (after !== before) writeFileSync(path, after);
  console.log(`${doc}: ${after === before ? 'unchanged' : 'rewritten'}`);
}
