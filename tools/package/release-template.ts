/**
 * The template a release deploys, kept per release as `test/infra/fixtures/releases/<version>.template.json`
 * for the upgrade guard (`test/infra/upgrade.test.ts`), which diffs today's template against it.
 *
 * Each release adds its own in the release commit, where package.json names the new version
 * (`test/infra/upgrade.test.ts` fails until the file exists):
 *
 *   node --import tsx tools/package/release-template.ts . <version>
 *
 * For a past release, run it on a checkout of that release (0.1.0's was made so, from 441223b, the
 * last commit before the first changes after 0.1.0; there is no tag):
 *
 *   git worktree add /tmp/rel-<version> <release commit or tag>
 *   ln -s "$PWD/node_modules" /tmp/rel-<version>/node_modules   # or `npm ci` there
 *   node --import tsx tools/package/release-template.ts /tmp/rel-<version> <version>
 *   git worktree remove --force /tmp/rel-<version>
 *
 * It synthesizes that checkout's `LivenessPipelineStack` for each of `RELEASE_VARIANTS`, with the
 * checkout's cdk.json feature flags and its own copy of aws-cdk-lib, the way the infra tests do
 * (no bundling), and keeps the resources without what changes on every synth and says nothing about
 * replacement (`normalizeTemplate`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as cdkLib from 'aws-cdk-lib';
import type * as ec2Lib from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';

/** A CloudFormation resource as synthesized. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

/** Resources by logical id. */
export type TemplateResources = Record<string, TemplateResource>;

/** What a variant's props are built with: the aws-cdk-lib of the checkout being synthesized. */
export interface CdkKit {
  readonly cdk: typeof cdkLib;
  readonly ec2: typeof ec2Lib;
  readonly app: cdkLib.App;
}

/** One way of deploying the stack whose template a release keeps. */
export interface ReleaseVariant {
  /** The stack's construct id: part of the event-source mappings' logical ids. */
  readonly stackId: string;
  /** A `Stage` the stack is in (a CDK Pipelines stage, `dev`/`prod` of one app). @default - the app */
  readonly stage?: string;
  /** The `LivenessPipelineStackProps`; only props the release already had. */
  readonly props: (kit: CdkKit) => Record<string, unknown>;
}

/**
 * The stacks each release fixture holds. Never change a variant once a fixture holds it: its props
 * must mean the same to the release and to today's code. A new variant needs fixtures made again.
 */
export const RELEASE_VARIANTS: Readonly<Record<string, ReleaseVariant>> = {
  default: { stackId: 'Pipeline', props: () => ({}) },
  // The escape hatches of 0.1.0, alarm emails (the only SNS subscriptions) and another stack name.
  hatches: {
    stackId: 'LivenessProd',
    props: ({ cdk, ec2, app }) => ({
      tracing: true,
      vendorNetwork: {
        vpc: new ec2.Vpc(new cdk.Stack(app, 'Network'), 'Vpc', { maxAzs: 2, natGateways: 1 }),
      },
      subscriberAccounts: ['444455556666'],
      functions: { checker: { memorySize: cdk.Size.mebibytes(1024), reservedConcurrentExecutions: 10 } },
      alarmEmails: ['oncall@example.com'],
      corsAllowedOrigins: ['https://app.example.com'],
    }),
  },
  // One app shape deployed per stage: the stack named apart from its construct id, or in a Stage.
  named: { stackId: 'Liveness', props: () => ({ stackName: 'liveness-dev' }) },
  staged: { stackId: 'Pipeline', stage: 'Dev', props: () => ({}) },
};

/** What the fixture file holds. */
export interface ReleaseTemplate {
  readonly release: string;
  /** The commit the fixture was synthesized from. */
  readonly commit: string;
  readonly madeWith: string;
  readonly variants: Record<
    string,
    { readonly stackId: string; readonly stage?: string; readonly resources: TemplateResources }
  >;
}

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

type StackClass = new (scope: Construct, id: string, props?: Record<string, unknown>) => cdkLib.Stack;

/** Synthesizes every variant of `RELEASE_VARIANTS` with the given stack class and aws-cdk-lib. */
export function synthesizeVariants(
  Stack: StackClass,
  libs: Omit<CdkKit, 'app'>,
  context: Record<string, unknown>,
): ReleaseTemplate['variants'] {
  const variants: Record<string, { stackId: string; stage?: string; resources: TemplateResources }> = {};
  for (const [name, variant] of Object.entries(RELEASE_VARIANTS)) {
    const outdir = mkdtempSync(join(tmpdir(), 'release-template-'));
    try {
      const app = new libs.cdk.App({
        outdir,
        // No bundling: the code is not part of the comparison (normalizeTemplate drops it).
        context: { ...context, 'aws:cdk:bundling-stacks': [] },
        builtinCloudFormationValidation: false,
      });
      const scope = variant.stage ? new libs.cdk.Stage(app, variant.stage) : app;
      const stack = new Stack(scope, variant.stackId, variant.props({ ...libs, app }));
      const assembly = scope.synth();
      const template = assembly.getStackArtifact(stack.artifactId).template as {
        Resources: TemplateResources;
      };
      variants[name] = {
        stackId: variant.stackId,
        ...(variant.stage ? { stage: variant.stage } : {}),
        resources: normalizeTemplate(template.Resources),
      };
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }
  return variants;
}

/**
 * The resources without what differs from synth to synth and never replaces anything: CDK metadata
 * (construct paths, asset paths), the version-reporting resource, and each function's code (asset
 * hashes, S3 keys, inline handlers: a new bundle is an in-place update). The bootstrap-version
 * parameter and rule are outside `Resources` and not kept.
 */
export function normalizeTemplate(resources: TemplateResources): TemplateResources {
  const kept: Record<string, TemplateResource> = {};
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type === 'AWS::CDK::Metadata') continue;
    const { Metadata: _metadata, ...rest } = resource;
    const properties = rest.Properties;
    kept[id] =
      resource.Type === 'AWS::Lambda::Function' && properties?.Code !== undefined
        ? { ...rest, Properties: { ...properties, Code: '<function code>' } }
        : rest;
  }
  return kept;
}

/** The context of a checkout's cdk.json (its feature flags). */
export function cdkJsonContextOf(checkout: string): Record<string, unknown> {
  return (
    JSON.parse(readFileSync(join(checkout, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
  ).context;
}

async function main(checkout: string, release: string): Promise<void> {
  // The checkout's own aws-cdk-lib: its stack's constructs must come from the same copy as the App.
  const require = createRequire(join(checkout, 'package.json'));
  const cdk = require('aws-cdk-lib') as typeof cdkLib;
  const ec2 = require('aws-cdk-lib/aws-ec2') as typeof ec2Lib;
  const module = (await import(
    pathToFileURL(join(checkout, 'infra', 'liveness-pipeline-stack.ts')).href
  )) as {
    LivenessPipelineStack: StackClass;
  };
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', checkout, ...args], { encoding: 'utf8' }).trim();
  // In the release commit itself the checkout holds the changes about to be committed.
  // (a node_modules symlinked into a worktree is no change).
  const changes = git('status', '--porcelain')
    .split('\n')
    .filter((line) => line && line !== '?? node_modules');
  const commit = `${git('rev-parse', 'HEAD')}${changes.length > 0 ? '+uncommitted changes' : ''}`;
  const fixture: ReleaseTemplate = {
    release,
    commit,
    madeWith: `node --import tsx tools/package/release-template.ts <checkout of ${commit.slice(0, 7)}> ${release}`,
    variants: synthesizeVariants(module.LivenessPipelineStack, { cdk, ec2 }, cdkJsonContextOf(checkout)),
  };
  const file = new URL(`test/infra/fixtures/releases/${release}.template.json`, pathToFileURL(PROJECT_ROOT));
  writeFileSync(file, `${JSON.stringify(fixture, null, 2)}\n`);
  // The repository's formatter, so that `npm run lint` passes on the file as written.
  execFileSync(join(PROJECT_ROOT, 'node_modules', '.bin', 'biome'), [
    'format',
    '--write',
    fileURLToPath(file),
  ]);
  console.log(`wrote ${file.pathname}: ${Object.keys(fixture.variants).join(', ')} of ${commit}`);
}

const [checkout, release] = process.argv.slice(2);
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (!checkout || !release || !/^\d+\.\d+\.\d+$/.test(release)) {
    console.error('usage: node --import tsx tools/package/release-template.ts <checkout> <version>');
    process.exit(2);
  }
  await main(resolve(checkout), release);
}
