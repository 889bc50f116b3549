import { Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { afterEach, describe, expect, it } from 'vitest';
import { ApptenticateSecrets } from '../../infra/constructs/apptenticate-secrets.js';
import { CheckTable } from '../../infra/constructs/check-table.js';
import { SelfieStorage } from '../../infra/constructs/selfie-storage.js';
import { EXISTING_RESOURCES } from './fixtures.js';
import { createTestApp } from './support.js';

let cleanup = () => {};
afterEach(() => cleanup());

const newStack = () => {
  const test = createTestApp();
  cleanup = test.cleanup;
  return new Stack(test.app, 'S');
};

const sweeper = {
  timeout: Duration.minutes(2),
  memorySize: Size.mebibytes(384),
  environment: {},
  logRetention: logs.RetentionDays.ONE_WEEK,
  removalPolicy: RemovalPolicy.DESTROY,
};

describe('the parts of the pipeline, used on their own', () => {
  it('turns the Duration props of SelfieStorage into the queue timeouts and the selfie lifecycle', () => {
    const stack = newStack();
    new SelfieStorage(stack, {
      selfiePrefix: 'in/',
      selfieExpiration: Duration.days(2),
      visibilityTimeout: Duration.minutes(5),
      maxReceiveCount: 4,
      deadLetterRetention: Duration.days(7),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 300,
      RedrivePolicy: { maxReceiveCount: 4 },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 7 * 86_400 });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [{ Id: 'expire-selfies', Prefix: 'in/', ExpirationInDays: 2, Status: 'Enabled' }, {}],
      },
    });
  });

  it('gives the sweeper of CheckTable its Size memory, Duration timeout and schedule', () => {
    const stack = newStack();
    new CheckTable(stack, {
      sweeper,
      sweepInterval: Duration.minutes(10),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 384, Timeout: 120 });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(10 minutes)' });
    template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
  });

  it('rejects the same secret for credentials and tokens in ApptenticateSecrets', () => {
    const stack = newStack();
    const secret = secretsmanager.Secret.fromSecretCompleteArn(
      stack,
      'T',
      EXISTING_RESOURCES.tokenSecretArn ?? '',
    );
    expect(
      () =>
        new ApptenticateSecrets(stack, {
          encryptionKey: new kms.Key(stack, 'K'),
          credentialsSecret: secret,
          tokenSecret: secret,
          refresher: sweeper,
          refreshInterval: Duration.hours(6),
        }),
    ).toThrow(/Invalid ApptenticateSecrets props:\n- credentialsSecret and tokenSecret must be different/);
  });
});
