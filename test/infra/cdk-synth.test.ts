import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LivenessPipelineStack } from '../../infra/liveness-pipeline-stack.js';
import { buildFunctionBundles } from '../../tools/package/function-bundles.js';
import { EXISTING_RESOURCES } from './fixtures.js';
import { createTestApp } from './support.js';

const ROOT = new URL('../../', import.meta.url).pathname;

interface LambdaProperties {
  Runtime: string;
  Description: string;
  Code: { S3Key: string };
  Environment: { Variables: Record<string, unknown> };
}

/** Runs cfn-lint on templates (one process: its rule set loads once); errors fail, warnings are reported. Exit code bits: 2 errors, 4 warnings, 8 info. */
function cfnLint(...templatePaths: string[]): { errors: boolean; output: string } {
  const result = spawnSync('cfn-lint', ['--format', 'parseable', '--', ...templatePaths], {
    encoding: 'utf8',
  });
  if (result.error) {
    throw new Error(
      `cfn-lint was not found on PATH (${result.error.message}). Install it with: pip install "cfn-lint==1.51.0"`,
    );
  }
  const status = result.status ?? 1;
  if (status === 1) throw new Error(`cfn-lint crashed:\n${result.stderr}`);
  return { errors: (status & 2) !== 0, output: `${result.stdout}${result.stderr}` };
}

describe('cdk synth of the app (cdk.json), offline and without credentials', () => {
  let outdir: string;
  let result: ReturnType<typeof spawnSync>;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'liveness-synth-'));
    const env = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith('AWS_')) delete env[key];
    result = spawnSync('npx', ['cdk', 'synth', '-q', '-o', outdir], {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        ...env,
        CDK_DISABLE_CLI_TELEMETRY: 'true',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: '/nonexistent',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      },
      timeout: 120_000,
    });
  }, 130_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('synthesizes the stack and bundles the five functions with esbuild, without Docker', () => {
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    const template = JSON.parse(readFileSync(join(outdir, 'SelfieLiveness.template.json'), 'utf8'));
    expect(Object.keys(template.Resources).length).toBeGreaterThan(50);
    const bundles = readdirSync(outdir)
      .filter((name) => name.startsWith('asset.'))
      .map((name) => join(outdir, name, 'index.mjs'))
      .filter((file) => statSync(file, { throwIfNoEntry: false })?.isFile());
    expect(bundles).toHaveLength(5);
    for (const bundle of bundles) {
      // ESM bundles define `require` for the CommonJS code they inline.
      expect(readFileSync(bundle, 'utf8').slice(0, 200)).toContain('createRequire');
    }
  });

  it('produces bundles that load as ES modules with their environment set', () => {
    const template = JSON.parse(readFileSync(join(outdir, 'SelfieLiveness.template.json'), 'utf8'));
    const functions = Object.values(
      template.Resources as Record<string, { Type: string; Properties: LambdaProperties }>,
    ).filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Runtime === 'nodejs24.x');
    expect(functions).toHaveLength(5);
    for (const fn of functions) {
      const asset = `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`;
      const env = Object.fromEntries(
        Object.entries(fn.Properties.Environment.Variables as Record<string, unknown>).map(([k, v]) => [
          k,
          typeof v === 'string'
            ? v
            : k.endsWith('_ARN')
              ? 'arn:aws:secretsmanager:us-east-1:111122223333:secret:x-AbC123'
              : 'placeholder',
        ]),
      );
      // From a .mjs file, not `node -e` (which defines a global require and hides a missing banner).
      const loader = join(outdir, `load-${asset}.mjs`);
      writeFileSync(
        loader,
        `const m = await import(${JSON.stringify(join(outdir, asset, 'index.mjs'))});\nif (typeof m.handler !== 'function') throw new Error('no handler export');\n`,
      );
      const run = spawnSync(process.execPath, [loader], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true', ...env },
        timeout: 30_000,
      });
      expect(run.status, `${fn.Properties.Description}: ${run.stderr}`).toBe(0);
    }
  });

  it('bundles each function byte for byte as the package build prebuilds it (npm run build, dist/bundles)', async () => {
    const prebuilt = join(outdir, 'prebuilt');
    const bundles = await buildFunctionBundles(prebuilt);
    const synthesized = readdirSync(outdir)
      .filter((name) => name.startsWith('asset.'))
      .map((name) => join(outdir, name, 'index.mjs'))
      .filter((file) => statSync(file, { throwIfNoEntry: false })?.isFile())
      .map((file) => createHash('sha256').update(readFileSync(file)).digest('hex'));
    expect(synthesized.sort()).toEqual(
      Object.values(bundles)
        .map((bundle) => bundle.sha256)
        .sort(),
    );
  });

  // cfn-lint loads its whole rule set (~20 s on a busy 2-core machine): a bound, not a speed check.
  it('passes cfn-lint without errors', { timeout: 120_000 }, () => {
    const lint = cfnLint(join(outdir, 'SelfieLiveness.template.json'));
    expect(lint.errors, lint.output).toBe(false);
  });
});

describe('a stack bringing every existing resource, and one with every escape hatch', () => {
  let template: Template;
  let hatches: Template;
  let outdir: string;
  let cleanup: () => void;

  beforeAll(() => {
    // CloudFormation rule validation on, as in a real synth.
    const test = createTestApp({ validation: true });
    ({ outdir, cleanup } = test);
    const stack = new LivenessPipelineStack(test.app, 'Byo', {
      existing: EXISTING_RESOURCES,
      apiAuth: {
        jwt: { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc', audience: ['app'] },
      },
      corsAllowedOrigins: ['https://app.example.com'],
      alarmEmails: ['ops@example.com'],
    });
    // A VPC from the app's network stack, as a platform team would pass it.
    const network = new Stack(test.app, 'Network');
    const vpc = new ec2.Vpc(network, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const hatchStack = new LivenessPipelineStack(test.app, 'Hatches', {
      tracing: true,
      vendorNetwork: { vpc },
      subscriberAccounts: ['444455556666'],
      functions: {
        checker: { memorySize: Size.mebibytes(1024), reservedConcurrentExecutions: 10, logLevel: 'DEBUG' },
        sweeper: { tracing: false },
      },
    });
    template = Template.fromStack(stack);
    hatches = Template.fromStack(hatchStack);
  });
  afterAll(() => cleanup());

  it('creates none of the brought resources', () => {
    for (const type of [
      'AWS::S3::Bucket',
      'AWS::Events::EventBus',
      'AWS::KMS::Key',
      'AWS::SecretsManager::Secret',
      'AWS::SNS::Topic',
    ]) {
      template.resourceCountIs(type, 0);
    }
  });

  it('wires the brought resources into the functions, with their KMS keys', () => {
    const json = JSON.stringify(template.toJSON());
    for (const value of [
      EXISTING_RESOURCES.bucketName,
      EXISTING_RESOURCES.eventBusArn,
      EXISTING_RESOURCES.credentialsSecretArn,
      EXISTING_RESOURCES.tokenSecretArn,
      EXISTING_RESOURCES.alarmTopicArn,
      EXISTING_RESOURCES.bucketKeyArn,
      EXISTING_RESOURCES.secretsKeyArn,
    ]) {
      expect(json).toContain(value);
    }
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: EXISTING_RESOURCES.bucketName,
    });
    template.hasResourceProperties('AWS::Events::Archive', { SourceArn: EXISTING_RESOURCES.eventBusArn });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: EXISTING_RESOURCES.alarmTopicArn,
    });
  });

  it('uses a JWT authorizer on every route', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: {
        Audience: ['app'],
        Issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
      },
    });
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes).toHaveLength(2);
    for (const route of routes) expect(route.Properties.AuthorizationType).toBe('JWT');
  });

  // cfn-lint loads its whole rule set (~20 s on a busy 2-core machine): a bound, not a speed check.
  it('passes cfn-lint without errors', { timeout: 120_000 }, () => {
    const lint = cfnLint(
      join(outdir, 'Byo.template.json'),
      join(outdir, 'Hatches.template.json'),
      join(outdir, 'Network.template.json'),
    );
    // The escape hatches are in the linted template.
    // The subscribers' Allow, the Deny of a rule naming no source, and the publisher perimeter.
    hatches.resourceCountIs('AWS::Events::EventBusPolicy', 3);
    hatches.hasResourceProperties('AWS::Lambda::Function', {
      TracingConfig: { Mode: 'Active' },
      VpcConfig: {},
    });
    expect(lint.errors, lint.output).toBe(false);
  });
});
