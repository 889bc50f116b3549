/**
 * The package as a platform team gets it: `npm pack` (which builds `dist/` through `prepack`), the
 * tarball installed offline into a fresh CDK app in a temporary folder outside the repository,
 * a consumer stack compiled with TypeScript against the package's `.d.ts` and synthesized, with
 * `docker` and `esbuild` on the PATH replaced by tripwires.
 *
 * The peers (aws-cdk-lib, constructs) and @types/node are linked from the repository's
 * node_modules, as an app that already has them would have them: installing aws-cdk-lib again from
 * the npm cache would cost most of this test's time and prove nothing about the package.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventIdFor } from '../../shared/events/index.js';
import { ensureNode24 } from '../../tools/node24.js';
import { foreignImportsOf } from '../support/foreign-imports.js';
import { expectSuccess, PACKAGE, packTarball, ROOT, type Run, run } from './packed.js';

const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

const CONSUMER_STACK = `
import { App, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { LivenessPipeline, type LivenessPipelineProps } from '${PACKAGE.name}';
import {
  DETAIL_TYPES,
  eventIdFor,
  type LivenessEvent,
  LIVENESS_EVENT_SCHEMA_LENIENT,
} from '${PACKAGE.name}/events';
import { createLivenessClient, hintForReason } from '${PACKAGE.name}/client';

/** A subscriber, typed by the package's event contract: narrowing on status types each outcome. */
export function describeOutcome(event: LivenessEvent): string {
  const { detail } = event;
  switch (detail.status) {
    case 'PASSED':
      return \`passed \${detail.result.transactionId ?? '-'}\`;
    case 'REJECTED':
      return \`rejected \${detail.rejection.reason} by \${detail.rejection.source}\`;
    case 'FAILED':
      return \`failed \${detail.failure.reason}\`;
    case 'EXPIRED':
      return 'expired';
  }
}

const app = new App();
const stack = new Stack(app, 'ConsumerStack');
const bucket = s3.Bucket.fromBucketName(stack, 'Selfies', 'acme-selfies');
const eventBus = events.EventBus.fromEventBusArn(
  stack,
  'Bus',
  'arn:aws:events:eu-west-1:111122223333:event-bus/acme-platform',
);
const props: LivenessPipelineProps = { bucket, eventBus, eventTap: false };
const pipeline = new LivenessPipeline(stack, 'Pipeline', props);
new events.Rule(stack, 'PassedChecks', {
  eventBus: pipeline.eventBus,
  eventPattern: { source: [pipeline.settings.eventSource], detailType: [DETAIL_TYPES.PASSED] },
});
app.synth();

console.log(
  JSON.stringify({
    eventId: eventIdFor('check-1', 'PASSED', '2026-11-25T10:00:00.000Z'),
    outcome: describeOutcome({
      version: '0',
      id: 'e',
      'detail-type': DETAIL_TYPES.REJECTED,
      source: 'selfie-liveness',
      account: '111122223333',
      time: '2026-11-25T10:00:07Z',
      region: 'eu-west-1',
      resources: [],
      detail: {
        schemaVersion: 1,
        eventId: 'x',
        checkId: 'check-1',
        status: 'REJECTED',
        createdAt: '2026-11-25T10:00:00.000Z',
        decidedAt: '2026-11-25T10:00:07.000Z',
        attempts: 1,
        rejection: { reason: 'FACE_TOO_CLOSE', code: 700, source: 'apptenticate' },
      },
    }),
    lenientSchemaTitle: LIVENESS_EVENT_SCHEMA_LENIENT.title,
    // The app client, typed from <package>/client (created, never called: no API here).
    client: typeof createLivenessClient({ baseUrl: 'https://api.example.com' }).checkSelfie,
    hint: hintForReason('FACE_TOO_CLOSE').title.length > 0,
  }),
);
`;

let work: string;
let app: string;
let outdir: string;
let tripwires: string;
let synth: Run;
let template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
let manifest: { bundles: Record<string, { file: string; sha256: string }> };

let synthEnv: NodeJS.ProcessEnv;
let node24: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'liveness-consumer-'));
  app = join(work, 'app');
  outdir = join(app, 'cdk.out');
  tripwires = join(work, 'tripwires');
  mkdirSync(app);
  mkdirSync(tripwires);

  // npm pack runs prepack, which builds dist/ (tsc and the five function bundles).
  const [tarball, binary] = await Promise.all([packTarball(work), ensureNode24()]);
  node24 = binary;

  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer-app', version: '1.0.0', private: true, type: 'module' }),
  );
  // From the cache first: the tarball, and its one dependency (uuid) whose tarball `npm ci` cached.
  // `--prefer-offline`, not `--offline`: resolving `^14.0.3` also needs uuid's registry metadata,
  // which `npm ci` (lockfile URLs only) never caches; a fresh machine fetches it once. The peers are
  // linked after the install (npm would otherwise try to install them, or prune the links).
  expectSuccess(
    'npm install',
    run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--legacy-peer-deps', tarball],
      app,
    ),
  );
  for (const linked of ['aws-cdk-lib', 'constructs', '@types/node']) {
    mkdirSync(dirname(join(app, 'node_modules', linked)), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', linked), join(app, 'node_modules', linked), 'dir');
  }

  writeFileSync(join(app, 'stack.ts'), CONSUMER_STACK);
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: true,
        types: ['node'],
      },
      files: ['stack.ts'],
    }),
  );
  expectSuccess('tsc', run(process.execPath, [TSC, '-p', 'tsconfig.json'], app));

  // Tripwires: a synth that bundles with Docker or the esbuild CLI leaves a mark and fails.
  for (const tool of ['docker', 'esbuild']) {
    const mark = join(work, `${tool}-was-called`);
    writeFileSync(join(tripwires, tool), `#!/bin/sh\ntouch ${JSON.stringify(mark)}\nexit 1\n`, {
      mode: 0o755,
    });
  }
  synthEnv = {
    PATH: `${tripwires}:${dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: work,
    CDK_OUTDIR: outdir,
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
  synth = run(process.execPath, ['stack.js'], app, synthEnv);
  expectSuccess('the consumer synth', synth);
  template = JSON.parse(readFileSync(join(outdir, 'ConsumerStack.template.json'), 'utf8'));
  manifest = JSON.parse(
    readFileSync(join(app, 'node_modules', PACKAGE.name, 'dist', 'bundles', 'manifest.json'), 'utf8'),
  );
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed package, installed into a fresh CDK app', () => {
  it('installs with its one dependency (uuid, for eventIdFor), with optional peer ranges on aws-cdk-lib and constructs', () => {
    const installed = JSON.parse(
      readFileSync(join(app, 'node_modules', PACKAGE.name, 'package.json'), 'utf8'),
    ) as typeof PACKAGE;
    expect(installed.dependencies).toEqual({ uuid: '^14.0.3' });
    expect(existsSync(join(app, 'node_modules', 'uuid', 'package.json'))).toBe(true);
    expect(installed.peerDependencies).toEqual({ 'aws-cdk-lib': '^2.276.0', constructs: '^10.5.0' });
    expect(installed.peerDependenciesMeta).toEqual({
      'aws-cdk-lib': { optional: true },
      constructs: { optional: true },
    });
  });

  it('ships the built entries, the five bundles, the license and the changelog; no sources, tests or benchmarks', () => {
    const root = join(app, 'node_modules', PACKAGE.name);
    for (const file of [
      'dist/infra/index.js',
      'dist/infra/index.d.ts',
      'dist/shared/events/index.js',
      'dist/shared/events/index.d.ts',
      'dist/client/index.js',
      'dist/client/index.d.ts',
      'dist/cjs/package.json',
      'dist/cjs/infra/index.js',
      'dist/cjs/infra/index.d.ts',
      'dist/cjs/shared/events/index.js',
      'dist/cjs/shared/events/index.d.ts',
      'dist/cjs/client/index.js',
      'dist/cjs/client/index.d.ts',
      'LICENSE',
      'CHANGELOG.md',
      'README.md',
    ]) {
      expect(existsSync(join(root, file)), file).toBe(true);
    }
    expect(Object.keys(manifest.bundles).sort()).toEqual(
      ['api', 'checker', 'notifier', 'sweeper', 'token-refresher'].sort(),
    );
    for (const folder of ['test', 'bench', 'tools', 'functions', 'infra', 'shared', 'examples']) {
      expect(existsSync(join(root, folder)), folder).toBe(false);
    }
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toContain('END OF TERMS AND CONDITIONS');
  });

  it('compiles a consumer stack and a subscriber typed by <package>/events, and runs them', () => {
    const printed = JSON.parse(synth.stdout.trim().split('\n').at(-1) ?? '{}');
    expect(printed).toEqual({
      eventId: eventIdFor('check-1', 'PASSED', '2026-11-25T10:00:00.000Z'),
      outcome: 'rejected FACE_TOO_CLOSE by apptenticate',
      lenientSchemaTitle: 'LivenessEvent (lenient)',
      client: 'function',
      hint: true,
    });
  });

  it('deploys the five functions from the shipped bundles, byte for byte, with no Docker and no esbuild', () => {
    const functions = Object.values(template.Resources).filter(
      (resource) => resource.Type === 'AWS::Lambda::Function' && resource.Properties.Runtime === 'nodejs24.x',
    );
    expect(functions).toHaveLength(5);
    const deployed = functions.map((fn) => {
      const key = (fn.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
      expect(fn.Properties.Handler).toBe('index.handler');
      const files = readdirSync(join(outdir, `asset.${key}`));
      expect(files).toEqual(['index.mjs']);
      return createHash('sha256')
        .update(readFileSync(join(outdir, `asset.${key}`, 'index.mjs')))
        .digest('hex');
    });
    expect(deployed.sort()).toEqual(
      Object.values(manifest.bundles)
        .map((bundle) => bundle.sha256)
        .sort(),
    );
    expect(existsSync(join(work, 'docker-was-called'))).toBe(false);
    expect(existsSync(join(work, 'esbuild-was-called'))).toBe(false);
    // No NodejsFunction anywhere in the consumer's construct tree: nothing would bundle at synth.
    expect(readFileSync(join(outdir, 'tree.json'), 'utf8')).not.toContain('aws_lambda_nodejs');
  });

  it('synthesizes the same template on Node 24', () => {
    const outdir24 = join(work, 'cdk.out.node24');
    expectSuccess(
      'the consumer synth on Node 24',
      run(node24, ['stack.js'], app, {
        ...synthEnv,
        PATH: `${tripwires}:${dirname(node24)}:/usr/bin:/bin`,
        CDK_OUTDIR: outdir24,
      }),
    );
    expect(JSON.parse(readFileSync(join(outdir24, 'ConsumerStack.template.json'), 'utf8'))).toEqual(template);
    expect(existsSync(join(work, 'docker-was-called'))).toBe(false);
    expect(existsSync(join(work, 'esbuild-was-called'))).toBe(false);
  });

  it('uses the existing bucket and bus and keeps the logical IDs the repository pins', () => {
    const types = Object.values(template.Resources).map((resource) => resource.Type);
    expect(types).not.toContain('AWS::S3::Bucket');
    expect(types).not.toContain('AWS::Events::EventBus');
    const ids = Object.keys(template.Resources);
    for (const id of [
      'PipelineCheckTableD51875BD',
      'PipelineKeyF48EE773',
      'PipelineCredentialsSecretA5C3BE89',
      'PipelineTokenSecret4A5B0516',
      'PipelineSelfieQueueF8BA6145',
      'PipelineHttpApiE99D43B5',
    ]) {
      expect(ids, id).toContain(id);
    }
  });

  it('bundles <package>/events for the browser with no Node built-in, taking only uuid besides itself', async () => {
    const found = await foreignImportsOf(
      { contents: `export * from '${PACKAGE.name}/events';` },
      { resolveDir: app },
    );
    expect(found).toEqual({ builtins: [], packages: [PACKAGE.name, 'uuid'] });
  });

  it('bundles <package>/client for the browser with no Node built-in and no dependency', async () => {
    const found = await foreignImportsOf(
      { contents: `export { createLivenessClient, hintForReason } from '${PACKAGE.name}/client';` },
      { resolveDir: app },
    );
    expect(found).toEqual({ builtins: [], packages: [PACKAGE.name] });
  });
});
