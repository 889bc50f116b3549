import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { functionCodeSource, PipelineFunction } from '../../infra/constructs/pipeline-function.js';
import { createTestApp } from './support.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const OPTIONS = {
  description: 'test',
  timeout: Duration.seconds(30),
  memorySize: Size.mebibytes(256),
  environment: {},
  logRetention: logs.RetentionDays.ONE_WEEK,
  removalPolicy: RemovalPolicy.DESTROY,
};

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A folder laid out as the package ships its bundles: `<name>/index.mjs`. */
function shippedBundles(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'liveness-bundles-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'sweeper'));
  writeFileSync(join(dir, 'sweeper', 'index.mjs'), content);
  return dir;
}

describe('where a pipeline function gets its code', () => {
  it('takes the bundle the package ships when there is one', () => {
    const bundles = shippedBundles('export const handler = async () => {};\n');
    expect(functionCodeSource('sweeper', { bundles, project: ROOT })).toEqual({
      kind: 'shipped',
      dir: join(bundles, 'sweeper'),
    });
  });

  it('bundles from the source with esbuild otherwise, as in a clone of the repository', () => {
    const bundles = shippedBundles('');
    expect(functionCodeSource('checker', { bundles, project: ROOT })).toEqual({
      kind: 'source',
      entry: join(ROOT, 'functions', 'checker', 'handler.ts'),
    });
  });

  it('says how to fix a package that has neither', () => {
    const empty = shippedBundles('');
    expect(() => functionCodeSource('api', { bundles: empty, project: empty })).toThrow(
      /no code for the api function.*reinstall/i,
    );
  });

  it('deploys the shipped bundle as it is, without running esbuild, with the handler Lambda finds in index.mjs', () => {
    const content = '// shipped\nexport const handler = async () => ({ shipped: true });\n';
    const bundles = shippedBundles(content);
    // Bundling on: a NodejsFunction would run esbuild here.
    const test = createTestApp({ bundling: true });
    cleanups.push(test.cleanup);
    const stack = new Stack(test.app, 'S');
    new PipelineFunction(stack, 'Sweeper', {
      ...OPTIONS,
      name: 'sweeper',
      code: functionCodeSource('sweeper', { bundles, project: ROOT }),
    });
    const template = Template.fromStack(stack);
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function')) as {
      Properties: { Handler: string; Runtime: string; Code: { S3Key: string } };
    }[];
    expect(fn?.Properties.Handler).toBe('index.handler');
    expect(fn?.Properties.Runtime).toBe('nodejs24.x');
    const asset = join(test.outdir, `asset.${fn?.Properties.Code.S3Key.replace(/\.zip$/, '')}`, 'index.mjs');
    expect(readFileSync(asset, 'utf8')).toBe(content);
  });
});
