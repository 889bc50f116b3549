import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterEach } from 'vitest';

const CDK_JSON = new URL('../../cdk.json', import.meta.url);

/** The feature flags of cdk.json, so tests synthesize what `cdk synth` synthesizes. */
export function cdkJsonContext(): Record<string, unknown> {
  return (JSON.parse(readFileSync(CDK_JSON, 'utf8')) as { context: Record<string, unknown> }).context;
}

/** A test App writing into its own temporary folder; call `cleanup` when done. */
export function createTestApp(
  options: { validation?: boolean; bundling?: boolean; context?: Record<string, unknown> } = {},
) {
  const outdir = mkdtempSync(join(tmpdir(), 'liveness-infra-'));
  const app = new App({
    outdir,
    context: {
      ...cdkJsonContext(),
      // No stack bundles its assets unless asked: template tests don't need the code (cdk-synth.test.ts does).
      ...(options.bundling ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
    // CloudFormation rule validation costs ~2 s per synth: on only where a test is about it.
    builtinCloudFormationValidation: options.validation ?? false,
  });
  return { app, outdir, cleanup: () => rmSync(outdir, { recursive: true, force: true }) };
}

/**
 * A factory of test Apps (as `createTestApp` makes them, default options) whose folders are removed
 * after each test of the file that calls this at its top level.
 */
export function testAppsRemovedAfterEach(): () => App {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });
  return () => {
    const test = createTestApp();
    cleanups.push(test.cleanup);
    return test.app;
  };
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalIdOf(construct: IConstruct): string {
  const cfn = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).resolve(cfn.logicalId) as string;
}

/** An IAM statement as synthesized. */
export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** Every statement of the policies attached to a role. */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) => JSON.stringify(policy.Properties?.Roles ?? []).includes(`"${roleLogicalId}"`))
    .flatMap((policy) => (policy.Properties.PolicyDocument.Statement ?? []) as Statement[]);
}

/** The sorted, de-duplicated actions of a set of statements. */
export function actionsOf(statements: Statement[]): string[] {
  return [...new Set(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])))].sort();
}
