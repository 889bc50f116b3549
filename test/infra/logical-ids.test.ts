import { Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LivenessPipelineStack } from '../../infra/liveness-pipeline-stack.js';
import { createTestApp } from './support.js';

// A changed logical ID makes CloudFormation create a new resource and delete (or, when retained,
// orphan) the old one: a new, empty check table or bucket, a new API URL, secrets reset to their
// placeholders, a stream read again from TRIM_HORIZON. These IDs are what deployed stacks hold, so
// they are written out literally: a refactoring that moves a resource in the construct tree fails
// here. Change an entry only together with a documented migration.
const PINNED: Readonly<Record<string, readonly string[]>> = {
  // Stateful: data, keys, messages, subscriptions of the customer.
  'AWS::KMS::Key': ['PipelineKeyF48EE773'],
  'AWS::S3::Bucket': ['PipelineSelfieBucket40B3F5B1'],
  'AWS::DynamoDB::Table': ['PipelineCheckTableD51875BD'],
  'AWS::SecretsManager::Secret': ['PipelineCredentialsSecretA5C3BE89', 'PipelineTokenSecret4A5B0516'],
  'AWS::Events::EventBus': ['PipelineEventBus6FAF1DE3'],
  'AWS::Events::Archive': ['PipelineEventArchiveD2D9B0DB'],
  'AWS::EventSchemas::Registry': ['PipelineSchemaRegistry566F67E8'],
  'AWS::EventSchemas::Schema': ['PipelineEventSchemaD3143590'],
  'AWS::SQS::Queue': [
    'PipelineEventTapQueue6F05BB8D',
    'PipelineNotifierDeadLetterQueue26FBF1EE',
    'PipelineSelfieDeadLetterQueue9E76DD6E',
    'PipelineSelfieQueueF8BA6145',
  ],
  'AWS::SNS::Topic': ['PipelineAlarmTopicD2AEE5E8'],
  'AWS::Logs::LogGroup': [
    'PipelineApiAccessLogsB823281D',
    'PipelineApiLogGroup1521B9FF',
    'PipelineCheckerLogGroupA5F41952',
    'PipelineNotifierLogGroup53FE20E1',
    'PipelineSweeperLogGroup3816B880',
    'PipelineTokenRefresherLogGroup30B4B2BE',
  ],
  // Not data, but replacing them is visible outside the stack: the API id is in every app's base
  // URL; a second `$default` stage cannot be created beside the first, so a replaced stage fails the
  // deploy; a replaced notifications resource deletes every notification of the bucket.
  'AWS::ApiGatewayV2::Api': ['PipelineHttpApiE99D43B5'],
  'AWS::ApiGatewayV2::Stage': ['PipelineHttpApiDefaultStage56131F86'],
  'Custom::S3BucketNotifications': ['PipelineSelfieBucketNotifications4B6B9A3C'],
};

// CDK names an event-source mapping after its source's unique id, which starts with the stack's
// construct id: the logical ids below hold for these two stack names only (in 'Pipeline', the
// repeated 'Pipeline/Pipeline' folds into one). Giving them ids of their own would replace the
// mappings of every deployed stack, and a new stream mapping starts again at TRIM_HORIZON and
// publishes events twice. Two names pin the part of the id the construct decides.
const MAPPINGS_BY_STACK_ID: Readonly<Record<string, readonly string[]>> = {
  Pipeline: [
    'PipelineCheckerFunctionSqsEventSourcePipelineSelfieQueueFF5DAD433E671A53',
    'PipelineNotifierFunctionDynamoDBEventSourcePipelineCheckTableB9C0DE69B5DB4254',
  ],
  LivenessProd: [
    'PipelineCheckerFunctionSqsEventSourceLivenessProdPipelineSelfieQueue80ECDBDA1DEBA660',
    'PipelineNotifierFunctionDynamoDBEventSourceLivenessProdPipelineCheckTable635D3EE250A5BA55',
  ],
};

// One per address of `alarmEmails` (none without): a replaced email subscription waits for its
// recipient to confirm it again.
const ALARM_SUBSCRIPTIONS = ['PipelineAlarmTopiconcallexamplecom20B89C80'];

let resources: Record<string, { Type: string }>;
let withHatches: Record<string, { Type: string }>;
let renamed: Record<string, { Type: string }>;
let cleanup: () => void;

beforeAll(() => {
  const test = createTestApp();
  cleanup = test.cleanup;
  const stack = new LivenessPipelineStack(test.app, 'Pipeline');
  resources = Template.fromStack(stack).toJSON().Resources;
  // The same stack with every escape hatch on (a second app: the stack name must stay 'Pipeline').
  const other = createTestApp();
  const third = createTestApp();
  const cleanupFirst = cleanup;
  cleanup = () => {
    cleanupFirst();
    other.cleanup();
    third.cleanup();
  };
  const network = new Stack(other.app, 'Network');
  const hatched = new LivenessPipelineStack(other.app, 'Pipeline', {
    tracing: true,
    vendorNetwork: { vpc: new ec2.Vpc(network, 'Vpc', { maxAzs: 2, natGateways: 1 }) },
    subscriberAccounts: ['444455556666'],
    functions: { checker: { memorySize: Size.mebibytes(1024), reservedConcurrentExecutions: 10 } },
    alarmEmails: ['oncall@example.com'],
  });
  withHatches = Template.fromStack(hatched).toJSON().Resources;
  renamed = Template.fromStack(new LivenessPipelineStack(third.app, 'LivenessProd')).toJSON().Resources;
});
afterAll(() => cleanup());

const idsOfType = (type: string, from = resources) =>
  Object.entries(from)
    .filter(([, resource]) => resource.Type === type)
    .map(([id]) => id)
    .sort();

describe('logical IDs of the resources a deployed stack must keep', () => {
  it.each(Object.entries(PINNED))('keeps every %s at its pinned logical ID', (type, ids) => {
    expect(idsOfType(type)).toEqual([...ids].sort());
  });

  it.each(Object.entries(PINNED))(
    'keeps every %s at its pinned logical ID with every escape hatch on',
    (type, ids) => {
      expect(idsOfType(type, withHatches)).toEqual([...ids].sort());
    },
  );

  it.each(Object.entries(PINNED))('keeps every %s at its pinned logical ID in another stack', (type, ids) => {
    expect(idsOfType(type, renamed)).toEqual([...ids].sort());
  });

  it.each(Object.entries(MAPPINGS_BY_STACK_ID))(
    'keeps the event-source mappings of a stack named %s at their pinned logical IDs',
    (stackId, ids) => {
      const from = stackId === 'Pipeline' ? resources : renamed;
      expect(idsOfType('AWS::Lambda::EventSourceMapping', from)).toEqual([...ids].sort());
    },
  );

  it('keeps the event-source mappings at their pinned logical IDs with every escape hatch on', () => {
    expect(idsOfType('AWS::Lambda::EventSourceMapping', withHatches)).toEqual(
      [...(MAPPINGS_BY_STACK_ID.Pipeline ?? [])].sort(),
    );
  });

  it('keeps an alarm email subscription at its pinned logical ID, and has none without alarmEmails', () => {
    expect(idsOfType('AWS::SNS::Subscription', withHatches)).toEqual(ALARM_SUBSCRIPTIONS);
    expect(idsOfType('AWS::SNS::Subscription')).toEqual([]);
  });
});
