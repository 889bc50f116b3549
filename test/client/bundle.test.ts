import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('the client as a browser bundle', () => {
  it('bundles for the browser from its own files and shared/ alone, under 25 kB minified', async () => {
    const result = await build({
      entryPoints: [new URL('../../client/index.ts', import.meta.url).pathname],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((input) => !/^(client|shared)\//.test(input))).toEqual([]);
    // 18.5 kB on 2026-12-04 (15.3 kB on 2026-11-30), most of it the hints' text; a dependency or a
    // Node polyfill would show here.
    expect(result.outputFiles[0]?.contents.length).toBeLessThan(25_000);
  });
});
