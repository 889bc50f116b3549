import { type Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import {
  LivenessPipelineStack,
  type LivenessPipelineStackProps,
} from '../../infra/liveness-pipeline-stack.js';
import { EXISTING_RESOURCES } from './fixtures.js';
import { createTestApp } from './support.js';

/** Synthesizes a pipeline stack with AwsSolutionsChecks; returns the failure report, or '' when clean. */
function nagReport(props: LivenessPipelineStackProps, addToStack?: (stack: Stack) => void) {
  const { app, cleanup } = createTestApp();
  const stack = new LivenessPipelineStack(app, 'Pipeline', props);
  addToStack?.(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
    return { report: '', acknowledgements: acknowledgementsIn(stack) };
  } catch (error) {
    return { report: (error as Error).message, acknowledgements: acknowledgementsIn(stack) };
  } finally {
    cleanup();
  }
}

/** Every acknowledgement recorded in a construct tree: rule id -> reason. */
function acknowledgementsIn(root: IConstruct): Map<string, string> {
  const found = new Map<string, string>();
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.set(`${construct.node.path} ${id.replace(/^annotation::/i, '')}`, reason);
      }
    }
  }
  return found;
}

describe('cdk-nag AwsSolutionsChecks', () => {
  it('passes on the default stack, every acknowledgement carrying its reason', () => {
    const { report, acknowledgements } = nagReport({});
    expect(report).toBe('');
    // Logical ids are generated: name the bucket by its role instead.
    const rules = [...acknowledgements.keys()]
      .map((key) => key.split(' ')[1]?.replace(/<PipelineSelfieBucket\w+\.Arn>/, '<SelfieBucket.Arn>'))
      .sort();
    expect(rules).toEqual(
      [
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions-IAM5[Resource::*]',
        // The checker, the api and the sweeper act on selfie objects.
        'AwsSolutions-IAM5[Resource::<SelfieBucket.Arn>/selfies/*]',
        'AwsSolutions-IAM5[Resource::<SelfieBucket.Arn>/selfies/*]',
        'AwsSolutions-IAM5[Resource::<SelfieBucket.Arn>/selfies/*]',
        'AwsSolutions-S1',
        'AwsSolutions-SMG4',
        'AwsSolutions-SMG4',
        'AwsSolutions-SQS3',
        'AwsSolutions-SQS3',
        'AwsSolutions-SQS3',
      ].sort(),
    );
    for (const [key, reason] of acknowledgements) expect(reason.length, key).toBeGreaterThan(30);
  });

  it('passes on a stack that brings every existing resource', () => {
    const { report } = nagReport({
      existing: EXISTING_RESOURCES,
      apiAuth: { jwt: { issuer: 'https://issuer.example.com', audience: ['client'] } },
    });
    expect(report).toBe('');
  });

  it('fails, naming the rule, when the stack gains a non-compliant resource', () => {
    const { report } = nagReport({}, (stack) => {
      new sqs.Queue(stack, 'Careless', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    });
    expect(report).toMatch(/AwsSolutions-SQS2/);
    expect(report).toMatch(/Pipeline\/Careless/);
  });
});
