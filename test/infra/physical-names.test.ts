import { createHash } from 'node:crypto';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { describe, expect, it } from 'vitest';
import { readAppConfig } from '../../infra/context.js';
import { LivenessPipeline } from '../../infra/liveness-pipeline.js';
import { LivenessPipelineStack } from '../../infra/liveness-pipeline-stack.js';
import { testAppsRemovedAfterEach } from './support.js';

// Names a resource is known by in its account and region (or on its bus), set explicitly or derived
// by CDK from the construct path. Two deployments holding the same one collide.
const NAME_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  'AWS::Events::EventBus': ['Name'],
  'AWS::Events::Archive': ['ArchiveName'],
  'AWS::Events::Rule': ['Name'],
  'AWS::Events::EventBusPolicy': ['StatementId'],
  'AWS::ApiGatewayV2::Api': ['Name'],
  'AWS::Logs::QueryDefinition': ['Name'],
  'AWS::Logs::LogGroup': ['LogGroupName'],
  'AWS::CloudWatch::Dashboard': ['DashboardName'],
  'AWS::CloudWatch::Alarm': ['AlarmName'],
  'AWS::SecretsManager::Secret': ['Name'],
  'AWS::Lambda::Function': ['FunctionName'],
  'AWS::SQS::Queue': ['QueueName'],
  'AWS::DynamoDB::Table': ['TableName'],
  'AWS::S3::Bucket': ['BucketName'],
  'AWS::SNS::Topic': ['TopicName'],
  'AWS::IAM::Role': ['RoleName'],
  'AWS::EventSchemas::Registry': ['RegistryName'],
  'AWS::EventSchemas::Schema': ['SchemaName'],
  'AWS::KMS::Alias': ['AliasName'],
};

/**
 * Every physical name of a template as it would be deployed (`AWS::StackName` replaced), keyed by
 * `<type>.<property>`. A name that refers to another resource (`Ref`, `Fn::GetAtt`) is unique when that
 * resource's generated name is, and is left out; the statement id of a bus policy is keyed by its bus.
 */
function physicalNames(template: Template, stackName: string): string[] {
  const names: string[] = [];
  const render = (value: unknown): string | undefined => {
    if (typeof value === 'string') return value;
    if (value && typeof value === 'object') {
      const object = value as Record<string, unknown>;
      if (object.Ref === 'AWS::StackName') return stackName;
      const join = object['Fn::Join'] as [string, unknown[]] | undefined;
      if (join) {
        const parts = join[1].map(render);
        return parts.every((p) => p !== undefined) ? parts.join(join[0]) : undefined;
      }
    }
    return undefined;
  };
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties?: Record<string, unknown> }
  >;
  // A bus policy's statement id is unique per bus: a bus of this template by its name.
  const busOf = (value: unknown) => {
    const ref = (value as { Ref?: string } | undefined)?.Ref;
    return render(ref ? resources[ref]?.Properties?.Name : value) ?? JSON.stringify(value);
  };
  for (const resource of Object.values(resources)) {
    for (const property of NAME_PROPERTIES[resource.Type] ?? []) {
      const name = render(resource.Properties?.[property]);
      if (name === undefined) continue;
      const scope =
        resource.Type === 'AWS::Events::EventBusPolicy' ? `${busOf(resource.Properties?.EventBusName)}:` : '';
      names.push(`${resource.Type}.${property}=${scope}${name}`);
    }
  }
  return names;
}

const shared = (a: string[], b: string[]) => a.filter((name) => b.includes(name));

const testApp = testAppsRemovedAfterEach();

describe('two stages in one account and region', () => {
  it('share no physical name between two stacks of one app', () => {
    const app = testApp();
    const dev = new LivenessPipelineStack(app, 'Dev', { stackName: 'dev-liveness' });
    const prod = new LivenessPipelineStack(app, 'Prod', { stackName: 'prod-liveness' });
    const devNames = physicalNames(Template.fromStack(dev), 'dev-liveness');
    const prodNames = physicalNames(Template.fromStack(prod), 'prod-liveness');
    expect(devNames.length).toBeGreaterThan(0);
    expect(shared(devNames, prodNames)).toEqual([]);
  });

  it('share no physical name between two apps whose stack has one construct id and a name per stage', () => {
    // The usual shape of a platform's app: `new Stack(app, 'Liveness', { stackName: `${stage}-liveness` })`,
    // one synth per stage. The construct path is the same in both; only the stack name differs.
    const synth = (stackName: string) =>
      physicalNames(
        Template.fromStack(new LivenessPipelineStack(testApp(), 'Liveness', { stackName })),
        stackName,
      );
    expect(shared(synth('dev-liveness'), synth('prod-liveness'))).toEqual([]);
  });

  it('give every physical name of two pipelines in one stack to one of them only', () => {
    const stack = new Stack(testApp(), 'Team', { stackName: 'team-liveness' });
    new LivenessPipeline(stack, 'Onboarding');
    new LivenessPipeline(stack, 'Payments');
    const names = physicalNames(Template.fromStack(stack), 'team-liveness');
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  });

  it('give two pipelines sharing one brought bus, each with subscriber accounts, their own bus-policy statements', () => {
    const stack = new Stack(testApp(), 'Team', { stackName: 'team-liveness' });
    const eventBus = events.EventBus.fromEventBusArn(
      stack,
      'Central',
      'arn:aws:events:eu-west-1:111122223333:event-bus/central',
    );
    new LivenessPipeline(stack, 'Onboarding', { eventBus, subscriberAccounts: ['444455556666'] });
    new LivenessPipeline(stack, 'Payments', { eventBus, subscriberAccounts: ['444455556666'] });
    const ids = Object.values(Template.fromStack(stack).findResources('AWS::Events::EventBusPolicy')).map(
      (policy) => policy.Properties.StatementId as string,
    );
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });

  it('give two stacks of two apps sharing one brought bus their own bus-policy statements', () => {
    const statementIds = (stackName: string) => {
      const stack = new LivenessPipelineStack(testApp(), 'Liveness', {
        stackName,
        existing: { eventBusArn: 'arn:aws:events:eu-west-1:111122223333:event-bus/central' },
        subscriberAccounts: ['444455556666'],
      });
      return Object.values(Template.fromStack(stack).findResources('AWS::Events::EventBusPolicy')).map(
        (policy) => policy.Properties.StatementId as string,
      );
    };
    expect(shared(statementIds('dev-liveness'), statementIds('prod-liveness'))).toEqual([]);
  });
});

describe('the event bus name', () => {
  const busName = (stack: Stack) =>
    Object.values(Template.fromStack(stack).findResources('AWS::Events::EventBus'))[0]?.Properties.Name;

  it('stays what it was for a stack whose name is its construct id (the ready app, cdk.json stackName)', () => {
    // 0.1.0 derived it from the construct path: makeUniqueId(['SelfieLiveness', 'Pipeline', 'EventBus']).
    const stack = new LivenessPipelineStack(testApp(), 'SelfieLiveness', { stackName: 'SelfieLiveness' });
    expect(busName(stack)).toBe(
      `SelfieLivenessPipelineEventBus${hashOf('SelfieLiveness/Pipeline/EventBus')}`,
    );
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('event bus is now named'));
  });

  it('takes an explicit eventBusName, to keep the name a bus had before', () => {
    const stack = new LivenessPipelineStack(testApp(), 'Liveness', {
      stackName: 'prod-liveness',
      eventBusName: 'liveness-events',
    });
    expect(busName(stack)).toBe('liveness-events');
  });

  it('warns at synth when the name differs from the one derived from the construct path before', () => {
    const stack = new LivenessPipelineStack(testApp(), 'Liveness', { stackName: 'prod-liveness' });
    Annotations.fromStack(stack).hasWarning(
      '*',
      Match.stringLikeRegexp(
        'event bus is now named prodlivenessPipelineEventBus[0-9A-F]{8} .*it was named LivenessPipelineEventBus08BA4282 .*set eventBusName',
      ),
    );
  });

  it('is read from the eventBusName context key', () => {
    const context: Record<string, string> = { eventBusName: 'liveness-events' };
    expect(readAppConfig((key) => context[key]).props.eventBusName).toBe('liveness-events');
  });

  it('refuses an eventBusName together with a brought eventBus', () => {
    const stack = new Stack(testApp(), 'S');
    const eventBus = events.EventBus.fromEventBusName(stack, 'Bus', 'central');
    expect(() => new LivenessPipeline(stack, 'Pipeline', { eventBus, eventBusName: 'other' })).toThrow(
      /eventBusName names a bus the pipeline creates: leave it out with eventBus/,
    );
  });
});

function hashOf(path: string): string {
  return createHash('md5').update(path).digest('hex').slice(0, 8).toUpperCase();
}
