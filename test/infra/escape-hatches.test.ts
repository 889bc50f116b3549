import { Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { LivenessPipeline } from '../../infra/liveness-pipeline.js';
import type { LivenessPipelineProps } from '../../infra/liveness-pipeline-props.js';
import { FUNCTION_NAMES, type PipelineFunctionName } from '../../infra/settings.js';
import { createTestApp, logicalIdOf, type Statement, statementsOfRole } from './support.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function synth(props: LivenessPipelineProps | ((stack: Stack) => LivenessPipelineProps)) {
  const test = createTestApp();
  cleanups.push(test.cleanup);
  const stack = new Stack(test.app, 'S', { env: { account: '111122223333', region: 'eu-west-1' } });
  const pipeline = new LivenessPipeline(
    stack,
    'Pipeline',
    typeof props === 'function' ? props(stack) : props,
  );
  const template = Template.fromStack(stack);
  const fn = (name: PipelineFunctionName) =>
    template.toJSON().Resources[logicalIdOf(pipeline.functions[name].function)] as {
      Properties: Record<string, unknown> & { Environment: { Variables: Record<string, unknown> } };
      DependsOn?: string[];
    };
  const statements = (name: PipelineFunctionName): Statement[] =>
    statementsOfRole(template, logicalIdOf(pipeline.functions[name].role));
  return { stack, pipeline, template, fn, statements };
}

const hasActions = (statements: Statement[], actions: string[]) =>
  statements.some((s) => actions.every((a) => ([] as string[]).concat(s.Action).includes(a)));

describe('per-function overrides', () => {
  it('set memory and reserved concurrency of the functions named, and leave the others alone', () => {
    const { fn } = synth({
      functions: {
        checker: { memorySize: Size.mebibytes(1024), reservedConcurrentExecutions: 8 },
        api: { reservedConcurrentExecutions: 20 },
      },
    });
    expect(fn('checker').Properties.MemorySize).toBe(1024);
    expect(fn('checker').Properties.ReservedConcurrentExecutions).toBe(8);
    expect(fn('api').Properties.ReservedConcurrentExecutions).toBe(20);
    expect(fn('notifier').Properties.MemorySize).toBe(256);
    expect(fn('notifier').Properties.ReservedConcurrentExecutions).toBeUndefined();
    // The refresher's reservation is the tokenRefresher.reserveConcurrency setting, off by default.
    expect(fn('token-refresher').Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('give a function its own log level, which wins over the logLevel setting for every other function', () => {
    const { fn } = synth({
      settings: { logLevel: 'WARN' },
      functions: { checker: { logLevel: 'DEBUG' }, tokenRefresher: { logLevel: 'ERROR' } },
    });
    expect(fn('checker').Properties.Environment.Variables.POWERTOOLS_LOG_LEVEL).toBe('DEBUG');
    expect(fn('token-refresher').Properties.Environment.Variables.POWERTOOLS_LOG_LEVEL).toBe('ERROR');
    for (const name of ['notifier', 'api', 'sweeper'] as const) {
      expect(fn(name).Properties.Environment.Variables.POWERTOOLS_LOG_LEVEL).toBe('WARN');
    }
  });

  it.each<[string, LivenessPipelineProps, RegExp]>([
    [
      'a checker reservation below the queue’s maxConcurrency',
      { functions: { checker: { reservedConcurrentExecutions: 2 } } },
      /functions\.checker\.reservedConcurrentExecutions must be at least checker\.maxConcurrency \(5\)/,
    ],
    [
      'a reservation for the token-refresher',
      { functions: { tokenRefresher: { reservedConcurrentExecutions: 3 } } },
      /functions\.tokenRefresher\.reservedConcurrentExecutions cannot be set: set tokenRefresher\.reserveConcurrency \(-c tokenRefresher\.reserveConcurrency=true\)/,
    ],
    [
      'a reservation of 0',
      { functions: { api: { reservedConcurrentExecutions: 0 } } },
      /functions\.api\.reservedConcurrentExecutions must be a whole number of at least 1/,
    ],
    [
      'memory as a setting (its one place is the memorySize override)',
      { settings: { api: { memoryMb: 512 } } } as unknown as LivenessPipelineProps,
      /api\.memoryMb is no longer a setting: set memory as functions\.api\.memorySize \(Size\.mebibytes\(1024\)/,
    ],
    [
      'memory outside what Lambda allows',
      { functions: { sweeper: { memorySize: Size.mebibytes(64) } } },
      /functions\.sweeper\.memorySize must be 128 to 10240 MiB/,
    ],
    [
      'a log level Powertools does not know',
      { functions: { notifier: { logLevel: 'VERBOSE' as 'DEBUG' } } },
      /functions\.notifier\.logLevel must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT/,
    ],
  ])('refuse %s, saying how to fix it', (_label, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});

describe('X-Ray tracing', () => {
  it('is off by default', () => {
    const { fn } = synth({});
    for (const name of FUNCTION_NAMES) expect(fn(name).Properties.TracingConfig).toBeUndefined();
  });

  it('turns on active tracing for every function, with the permission to send traces', () => {
    const { fn, statements } = synth({ tracing: true });
    for (const name of FUNCTION_NAMES) {
      expect(fn(name).Properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(hasActions(statements(name), ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'])).toBe(true);
    }
  });

  it('can be turned on or off per function', () => {
    const { fn, statements } = synth({ tracing: true, functions: { sweeper: { tracing: false } } });
    expect(fn('sweeper').Properties.TracingConfig).toBeUndefined();
    expect(hasActions(statements('sweeper'), ['xray:PutTraceSegments'])).toBe(false);
    expect(fn('checker').Properties.TracingConfig).toEqual({ Mode: 'Active' });
    const only = synth({ functions: { checker: { tracing: true } } });
    expect(only.fn('checker').Properties.TracingConfig).toEqual({ Mode: 'Active' });
    expect(only.fn('api').Properties.TracingConfig).toBeUndefined();
  });
});

describe('a VPC for the functions that call Apptenticate', () => {
  const withVpc = (options: { securityGroups?: boolean } = {}) =>
    synth((stack) => {
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
      const securityGroups = options.securityGroups
        ? [new ec2.SecurityGroup(stack, 'VendorEgress', { vpc, allowAllOutbound: true })]
        : undefined;
      return {
        vendorNetwork: {
          vpc,
          subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
          ...(securityGroups ? { securityGroups } : {}),
        },
      };
    });

  it('puts the checker and the token-refresher in the private subnets, and no other function', () => {
    const { fn, stack } = withVpc({ securityGroups: true });
    const sg = logicalIdOf(stack.node.findChild('VendorEgress'));
    for (const name of ['checker', 'token-refresher'] as const) {
      const config = fn(name).Properties.VpcConfig as { SubnetIds: unknown[]; SecurityGroupIds: unknown[] };
      expect(config.SubnetIds).toHaveLength(2);
      expect(JSON.stringify(config.SubnetIds)).toContain('PrivateSubnet');
      expect(config.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [sg, 'GroupId'] }]);
    }
    for (const name of ['notifier', 'api', 'sweeper'] as const) {
      expect(fn(name).Properties.VpcConfig).toBeUndefined();
    }
  });

  it('creates a security group per function when none is given', () => {
    const { template } = withVpc();
    template.resourceCountIs('AWS::EC2::SecurityGroup', 2);
  });

  it('lets Lambda manage the network interfaces, and creates the functions only after that permission', () => {
    const { fn, statements, template } = withVpc();
    for (const name of ['checker', 'token-refresher'] as const) {
      expect(
        hasActions(statements(name), [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ]),
      ).toBe(true);
      const policies = Object.keys(template.findResources('AWS::IAM::Policy'));
      expect(fn(name).DependsOn?.some((id) => policies.includes(id))).toBe(true);
    }
    expect(hasActions(statements('api'), ['ec2:CreateNetworkInterface'])).toBe(false);
  });

  it('refuses an empty list of security groups', () => {
    expect(() =>
      synth((stack) => ({ vendorNetwork: { vpc: new ec2.Vpc(stack, 'Vpc'), securityGroups: [] } })),
    ).toThrow(/vendorNetwork\.securityGroups must not be empty/);
  });
});

describe('subscribers in other accounts', () => {
  it('may create, change and delete their own rules for the liveness events on the bus, and nothing else', () => {
    const { template } = synth({ subscriberAccounts: ['444455556666', '777788889999'] });
    template.hasResourceProperties('AWS::Events::EventBusPolicy', {
      EventBusName: { Ref: Match.stringLikeRegexp('^PipelineEventBus') },
      Statement: {
        Effect: 'Allow',
        Principal: {
          AWS: ['arn:aws:iam::444455556666:root', 'arn:aws:iam::777788889999:root'],
        },
        Action: Match.arrayWith(['events:PutRule', 'events:DeleteRule', 'events:PutTargets']),
        Condition: {
          StringEqualsIfExists: {
            // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal IAM policy variable
            'events:creatorAccount': '${aws:PrincipalAccount}',
          },
          'ForAllValues:StringEquals': { 'events:source': ['selfie-liveness'] },
        },
      },
    });
    // A rule naming no source would match every event on a shared bus (test/infra/policy evaluates it).
    template.hasResourceProperties('AWS::Events::EventBusPolicy', {
      Statement: {
        Effect: 'Deny',
        Action: 'events:PutRule',
        Condition: { Null: { 'events:source': 'true' } },
      },
    });
    const policy = Object.values(template.findResources('AWS::Events::EventBusPolicy')).find(
      (p) => p.Properties.Statement.Effect === 'Allow',
    );
    const actions = policy?.Properties.Statement.Action as string[];
    expect(actions.some((action) => action === 'events:PutEvents' || action.endsWith('*'))).toBe(false);
    expect(JSON.stringify(policy?.Properties.Statement.Resource)).toContain(':rule/');
  });

  it('has no subscriber statement on the bus by default (only the publisher perimeter)', () => {
    const policies = synth({}).template.findResources('AWS::Events::EventBusPolicy');
    expect(Object.values(policies).map((p) => p.Properties.Statement.Effect)).toEqual(['Deny']);
  });

  it('refuses an account id that is not 12 digits', () => {
    expect(() => synth({ subscriberAccounts: ['12345'] })).toThrow(
      /subscriberAccounts entries must be 12-digit AWS account ids, got "12345"/,
    );
  });
});
