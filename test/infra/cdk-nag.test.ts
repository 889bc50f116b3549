import { type App, Size, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { LivenessPipeline } from '../../infra/liveness-pipeline.js';
import {
  LivenessPipelineStack,
  type LivenessPipelineStackProps,
} from '../../infra/liveness-pipeline-stack.js';
import { EXISTING_RESOURCES } from './fixtures.js';
import { createTestApp } from './support.js';

/** Synthesizes a pipeline stack with AwsSolutionsChecks; returns the failure report, or '' when clean. */
function nagReport(
  props: LivenessPipelineStackProps | ((app: App) => Stack),
  addToStack?: (stack: Stack) => void,
) {
  const { app, cleanup } = createTestApp();
  const stack = typeof props === 'function' ? props(app) : new LivenessPipelineStack(app, 'Pipeline', props);
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

  it('passes with every escape hatch on: overrides, tracing, a VPC for the vendor calls, subscriber accounts', () => {
    const { report, acknowledgements } = nagReport((app) => {
      const stack = new Stack(app, 'Hatches');
      // The test's own VPC, with flow logs as cdk-nag wants of any VPC.
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1, flowLogs: { all: {} } });
      new LivenessPipeline(stack, 'Pipeline', {
        tracing: true,
        vendorNetwork: { vpc },
        subscriberAccounts: ['444455556666'],
        functions: {
          checker: { reservedConcurrentExecutions: 10, logLevel: 'DEBUG', memorySize: Size.mebibytes(1024) },
          api: { tracing: false },
        },
      });
      return stack;
    });
    expect(report).toBe('');
    const reasons = [...acknowledgements.values()].join('\n');
    expect(reasons).toMatch(/X-Ray/);
    expect(reasons).toMatch(/network interfaces/);
  });

  it('fails, naming the rule, when the stack gains a non-compliant resource', () => {
    const { report } = nagReport({}, (stack) => {
      new sqs.Queue(stack, 'Careless', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    });
    expect(report).toMatch(/AwsSolutions-SQS2/);
    expect(report).toMatch(/Pipeline\/Careless/);
  });
});
