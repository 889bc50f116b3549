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
  // URL, and a new stream mapping starts again at TRIM_HORIZON and publishes events twice.
  'AWS::ApiGatewayV2::Api': ['PipelineHttpApiE99D43B5'],
  'AWS::Lambda::EventSourceMapping': [
    'PipelineCheckerFunctionSqsEventSourcePipelineSelfieQueueFF5DAD433E671A53',
    'PipelineNotifierFunctionDynamoDBEventSourcePipelineCheckTableB9C0DE69B5DB4254',
  ],
};

let resources: Record<string, { Type: string }>;
let withHatches: Record<string, { Type: string }>;
let cleanup: () => void;

beforeAll(() => {
  const test = createTestApp();
  cleanup = test.cleanup;
  const stack = new LivenessPipelineStack(test.app, 'Pipeline');
  resources = Template.fromStack(stack).toJSON().Resources;
  // The same stack with every escape hatch on (a second app: the stack name must stay 'Pipeline').
  const other = createTestApp();
  const cleanupFirst = cleanup;
  cleanup = () => {
    cleanupFirst();
    other.cleanup();
  };
  const network = new Stack(other.app, 'Network');
  const hatched = new LivenessPipelineStack(other.app, 'Pipeline', {
    tracing: true,
    vendorNetwork: { vpc: new ec2.Vpc(network, 'Vpc', { maxAzs: 2, natGateways: 1 }) },
    subscriberAccounts: ['444455556666'],
    functions: { checker: { memorySize: Size.mebibytes(1024), reservedConcurrentExecutions: 10 } },
  });
  withHatches = Template.fromStack(hatched).toJSON().Resources;
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
});
