import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { LivenessPipeline } from '../../infra/liveness-pipeline.js';
import { LivenessPipelineStack } from '../../infra/liveness-pipeline-stack.js';
import { logicalIdOf, testAppsRemovedAfterEach } from './support.js';

const testApp = testAppsRemovedAfterEach();

const HERE = { account: '111122223333', region: 'eu-west-1' };
const busArn = (account: string, region = 'eu-west-1') =>
  `arn:aws:events:${region}:${account}:event-bus/central`;

describe('a brought event bus', () => {
  it('in another account is refused at synth, saying what to do', () => {
    expect(
      () =>
        new LivenessPipelineStack(testApp(), 'Liveness', {
          env: HERE,
          existing: { eventBusArn: busArn('999988887777') },
        }),
    ).toThrow(
      /eventBus arn:aws:events:eu-west-1:999988887777:event-bus\/central is in account 999988887777, but the pipeline deploys to 111122223333.*deploy the pipeline in account 999988887777, or leave eventBus out .* forward the liveness events to it with a rule/s,
    );
  });

  it('in another region is refused at synth', () => {
    const stack = new Stack(testApp(), 'S', { env: HERE });
    const eventBus = events.EventBus.fromEventBusArn(stack, 'Bus', busArn(HERE.account, 'us-east-1'));
    expect(() => new LivenessPipeline(stack, 'Pipeline', { eventBus })).toThrow(
      /is in region us-east-1, but the pipeline deploys to eu-west-1/,
    );
  });

  it('in the same account synthesizes, with the archive, the example rule and the notifier on it', () => {
    const stack = new LivenessPipelineStack(testApp(), 'Liveness', {
      env: HERE,
      existing: { eventBusArn: busArn(HERE.account) },
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Events::EventBus', 0);
    template.hasResourceProperties('AWS::Events::Archive', { SourceArn: busArn(HERE.account) });
    template.hasResourceProperties('AWS::Events::Rule', { EventBusName: 'central' });
    const notifier = stack.pipeline.functions.notifier.function;
    const variables = (
      template.toJSON().Resources[logicalIdOf(notifier)].Properties as {
        Environment: { Variables: Record<string, unknown> };
      }
    ).Environment.Variables;
    expect(variables.EVENT_BUS_NAME).toBe('central');
  });

  it('in an environment-agnostic stack cannot be compared with the account and is accepted', () => {
    // The account is known only at deploy: docs/deploy.md says to give the stack an env to have it checked.
    expect(
      () =>
        new LivenessPipelineStack(testApp(), 'Liveness', {
          existing: { eventBusArn: busArn('999988887777') },
        }),
    ).not.toThrow();
  });
});

describe('a brought bucket', () => {
  const withBucket = (props: { corsAllowedOrigins?: string[] } = {}) => {
    const stack = new Stack(testApp(), 'S', { env: HERE });
    const bucket = s3.Bucket.fromBucketName(stack, 'Selfies', 'acme-selfies');
    new LivenessPipeline(stack, 'Pipeline', { bucket, ...props });
    return Annotations.fromStack(stack);
  };

  it('warns at synth that an overlapping ObjectCreated notification fails the deploy, and the ways out', () => {
    withBucket().hasWarning(
      '*',
      Match.stringLikeRegexp(
        'ObjectCreated.*"selfies/".*bucket acme-selfies.*Configurations overlap.*selfiePrefix.*EventBridge',
      ),
    );
  });

  it('warns at synth that corsAllowedOrigins sets only the API CORS, the bucket CORS being the installation’s', () => {
    withBucket({ corsAllowedOrigins: ['https://app.example.com'] }).hasWarning(
      '*',
      Match.stringLikeRegexp(
        'corsAllowedOrigins.*API.*bucket acme-selfies.*CORS.*POST.*https://app.example.com',
      ),
    );
    withBucket().hasNoWarning('*', Match.stringLikeRegexp('corsAllowedOrigins'));
  });

  it('is not warned about when the pipeline creates the bucket', () => {
    const stack = new Stack(testApp(), 'S', { env: HERE });
    new LivenessPipeline(stack, 'Pipeline', { corsAllowedOrigins: ['https://app.example.com'] });
    const annotations = Annotations.fromStack(stack);
    annotations.hasNoWarning('*', Match.stringLikeRegexp('Configurations overlap'));
    annotations.hasNoWarning('*', Match.stringLikeRegexp('corsAllowedOrigins'));
  });
});
