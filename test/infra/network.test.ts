import { type App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { FUNCTION_NETWORK_NEEDS } from '../../infra/constructs/network.js';
import { LivenessPipeline } from '../../infra/liveness-pipeline.js';
import type { LivenessPipelineProps } from '../../infra/liveness-pipeline-props.js';
import { FUNCTION_NAMES, type PipelineFunctionName } from '../../infra/settings.js';
import { NEEDED_CALLS } from './policy/needed-calls.js';
import { logicalIdOf, statementsOfRole, testAppsRemovedAfterEach } from './support.js';

const newApp = testAppsRemovedAfterEach();
const VENDOR_CALLERS = ['checker', 'token-refresher'] as const;
const OTHERS = ['notifier', 'api', 'sweeper'] as const;
const ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

interface VpcConfig {
  SubnetIds: { Ref: string }[];
  SecurityGroupIds: unknown[];
}

/** A VPC with a public tier (NAT), a private tier with egress and an isolated tier. */
function threeTierVpc(stack: Stack): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 1,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'egress', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ],
  });
}

function synth(props: (stack: Stack) => LivenessPipelineProps, app: App = newApp()) {
  const stack = new Stack(app, 'S', { env: { account: '111122223333', region: 'eu-west-1' } });
  const pipeline = new LivenessPipeline(stack, 'Pipeline', props(stack));
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<
    string,
    { Properties: { VpcConfig?: VpcConfig }; DependsOn?: string[] }
  >;
  const fn = (name: PipelineFunctionName) => {
    const resource = resources[logicalIdOf(pipeline.functions[name].function)];
    if (!resource) throw new Error(`no ${name} function in the template`);
    return resource;
  };
  const statements = (name: PipelineFunctionName) =>
    statementsOfRole(template, logicalIdOf(pipeline.functions[name].role));
  const actions = (name: PipelineFunctionName) =>
    statements(name).flatMap((s) => ([] as string[]).concat(s.Action));
  const subnetsOf = (name: PipelineFunctionName) =>
    (fn(name).Properties.VpcConfig?.SubnetIds ?? []).map((subnet) => subnet.Ref);
  return { stack, pipeline, template, fn, statements, actions, subnetsOf };
}

const idsOf = (subnets: ec2.ISubnet[]) => subnets.map((subnet) => logicalIdOf(subnet));

describe('network: every function in a VPC', () => {
  it('puts all five functions in the private subnets with egress, each with a security group of its own', () => {
    let vpc: ec2.Vpc | undefined;
    const { fn, subnetsOf, template } = synth((stack) => {
      vpc = threeTierVpc(stack);
      return { network: { vpc } };
    });
    const egress = idsOf(vpc?.privateSubnets ?? []);
    expect(egress).toHaveLength(2);
    for (const name of FUNCTION_NAMES) {
      expect(subnetsOf(name), name).toEqual(egress);
      expect(fn(name).Properties.VpcConfig?.SecurityGroupIds, name).toHaveLength(1);
    }
    template.resourceCountIs('AWS::EC2::SecurityGroup', 5);
  });

  it('uses the subnets and security groups given', () => {
    let isolated: string[] = [];
    let sg = '';
    const { fn, subnetsOf, template } = synth((stack) => {
      const vpc = threeTierVpc(stack);
      isolated = idsOf(vpc.isolatedSubnets);
      const group = new ec2.SecurityGroup(stack, 'Functions', { vpc, allowAllOutbound: true });
      sg = logicalIdOf(group);
      return {
        network: { vpc, subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }, securityGroups: [group] },
        vendorNetwork: { vpc, securityGroups: [group] },
      };
    });
    for (const name of OTHERS) {
      expect(subnetsOf(name), name).toEqual(isolated);
      expect(fn(name).Properties.VpcConfig?.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [sg, 'GroupId'] }]);
    }
    template.resourceCountIs('AWS::EC2::SecurityGroup', 1);
  });

  it('leaves the checker and the token-refresher to vendorNetwork when both are given', () => {
    let vpc: ec2.Vpc | undefined;
    const { subnetsOf } = synth((stack) => {
      vpc = threeTierVpc(stack);
      return {
        network: { vpc, subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } },
        vendorNetwork: { vpc },
      };
    });
    for (const name of VENDOR_CALLERS)
      expect(subnetsOf(name), name).toEqual(idsOf(vpc?.privateSubnets ?? []));
    for (const name of OTHERS) expect(subnetsOf(name), name).toEqual(idsOf(vpc?.isolatedSubnets ?? []));
  });

  it('gives exactly the functions in a VPC the network-interface permissions, created after them', () => {
    const inVpc = synth((stack) => ({ network: { vpc: threeTierVpc(stack) } }));
    const policies = Object.keys(inVpc.template.findResources('AWS::IAM::Policy'));
    for (const name of FUNCTION_NAMES) {
      expect(inVpc.actions(name), name).toEqual(expect.arrayContaining(ENI_ACTIONS));
      // Lambda checks the role for these when it creates the function.
      expect(
        inVpc.fn(name).DependsOn?.some((id) => policies.includes(id)),
        name,
      ).toBe(true);
    }
    const outside = synth(() => ({}));
    for (const name of FUNCTION_NAMES) {
      expect(
        outside.actions(name).filter((action) => action.startsWith('ec2:')),
        name,
      ).toEqual([]);
      expect(outside.fn(name).Properties.VpcConfig, name).toBeUndefined();
    }
  });

  it('adds to each role the network-interface actions on * and nothing else', () => {
    const inVpc = synth((stack) => ({ network: { vpc: threeTierVpc(stack) } }));
    const outside = synth(() => ({}));
    // Each allowed action with its resources and conditions: CDK merges statements on the same resource.
    const grants = (statements: ReturnType<typeof inVpc.statements>) =>
      statements.flatMap((s) =>
        ([] as string[])
          .concat(s.Action)
          .map((action) => JSON.stringify([s.Effect, action, s.Resource, s.Condition ?? null])),
      );
    for (const name of FUNCTION_NAMES) {
      const before = new Set(grants(outside.statements(name)));
      const added = grants(inVpc.statements(name)).filter((grant) => !before.has(grant));
      expect(added.sort(), name).toEqual(
        ENI_ACTIONS.map((action) => JSON.stringify(['Allow', action, '*', null])).sort(),
      );
    }
  });

  it('warns when the functions that call Apptenticate would run in isolated subnets', () => {
    const warnings = (props: (stack: Stack) => LivenessPipelineProps) =>
      Annotations.fromStack(synth(props).stack)
        .findWarning('*', Match.anyValue())
        .filter((w) => String(w.entry.data).includes('vendorUnreachable'))
        .map((w) => String(w.entry.data));
    const isolated = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const everyone = warnings((stack) => ({ network: { vpc: threeTierVpc(stack), subnets: isolated } }));
    expect(everyone).toHaveLength(1);
    expect(everyone[0]).toMatch(/network puts the checker and token-refresher in isolated subnets/);
    expect(everyone[0]).toMatch(/with vendorNetwork/);
    const vendor = warnings((stack) => ({ vendorNetwork: { vpc: threeTierVpc(stack), subnets: isolated } }));
    expect(vendor[0]).toMatch(/vendorNetwork puts the checker and token-refresher in isolated subnets/);
    expect(
      warnings((stack) => {
        const vpc = threeTierVpc(stack);
        return { network: { vpc, subnets: isolated }, vendorNetwork: { vpc } };
      }),
    ).toEqual([]);
    expect(warnings((stack) => ({ network: { vpc: threeTierVpc(stack) } }))).toEqual([]);
  });

  it('refuses an empty list of security groups, naming the prop', () => {
    expect(() => synth((stack) => ({ network: { vpc: threeTierVpc(stack), securityGroups: [] } }))).toThrow(
      /network\.securityGroups must not be empty/,
    );
  });

  it('passes cdk-nag with every function in a VPC', () => {
    const app = newApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    synth((stack) => {
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1, flowLogs: { all: {} } });
      return { network: { vpc } };
    }, app);
    expect(() => app.synth()).not.toThrow();
  });
});

describe('what the functions call from their network', () => {
  it('is every AWS service whose API a function calls itself (policy/needed-calls.ts)', () => {
    for (const name of FUNCTION_NAMES) {
      const own = NEEDED_CALLS[name]
        .filter((call) => call.via === 'code')
        // The app uploads with the api's presigned POST: that PutObject leaves the app, not the api.
        .filter((call) => !(name === 'api' && call.action === 's3:PutObject'))
        .map((call) => call.action.split(':')[0]);
      expect([...FUNCTION_NETWORK_NEEDS[name].services].sort(), name).toEqual([...new Set(own)].sort());
    }
  });

  it('has the checker and the token-refresher, and only they, calling Apptenticate', () => {
    expect(FUNCTION_NAMES.filter((name) => FUNCTION_NETWORK_NEEDS[name].vendor)).toEqual([...VENDOR_CALLERS]);
  });
});
