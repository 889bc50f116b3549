import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createClients, resolveTarget } from '../../../tools/ops/clients.js';

const cloudFormation = mockClient(CloudFormationClient);

afterEach(() => {
  cloudFormation.reset();
});

describe('createClients', () => {
  it("binds the CloudFormation, CloudWatch and CloudWatch Logs SDK clients to a local pipeline's endpoint", async () => {
    const clients = await createClients({
      description: 'local',
      names: {},
      local: true,
      awsEndpoint: 'http://127.0.0.1:4566',
      region: 'eu-west-1',
    });
    expect(clients.cloudFormation).toBeInstanceOf(CloudFormationClient);
    expect(clients.cloudWatch).toBeInstanceOf(CloudWatchClient);
    expect(clients.logs).toBeInstanceOf(CloudWatchLogsClient);
    for (const client of [clients.cloudFormation, clients.cloudWatch, clients.logs]) {
      expect(await client.config.region()).toBe('eu-west-1');
      expect(await client.config.credentials()).toMatchObject({ accessKeyId: 'local' });
      expect(await client.config.endpoint?.()).toMatchObject({ hostname: '127.0.0.1', port: 4566 });
    }
  });

  it('leaves a stack target to the default chain, in the region asked', async () => {
    const clients = await createClients({
      description: 'stack',
      names: {},
      local: false,
      region: 'ap-south-1',
    });
    expect(clients.region).toBe('ap-south-1');
    expect(await clients.cloudWatch.config.region()).toBe('ap-south-1');
    // No endpoint of ours: the SDK's own (or AWS_ENDPOINT_URL_*, which it reads itself).
    expect(clients.cloudWatch.config.endpoint).toBeUndefined();
  });
});

describe('resolveTarget', () => {
  const choice = (flags: Record<string, string>) => ({
    flags: { region: 'eu-west-1', ...flags },
    env: {},
    needed: ['checkTableName'] as const,
  });

  it("names the pipeline's resources by the stack's DescribeStacks outputs, flags first", async () => {
    cloudFormation.on(DescribeStacksCommand, { StackName: 'Mine' }).resolves({
      Stacks: [
        {
          StackName: 'Mine',
          CreationTime: new Date(),
          StackStatus: 'UPDATE_COMPLETE',
          Outputs: [
            { OutputKey: 'CheckTableName', OutputValue: 'checks-table' },
            { OutputKey: 'EventBusName', OutputValue: 'bus' },
            { OutputKey: 'SomethingElse', OutputValue: 'x' },
          ],
        },
      ],
    });
    const { target } = await resolveTarget(choice({ stack: 'Mine', 'event-bus-name': 'other-bus' }));
    expect(target.description).toBe('stack Mine (eu-west-1)');
    expect(target.names).toEqual({ checkTableName: 'checks-table', eventBusName: 'other-bus' });
  });

  it('reads no stack when flags name everything the command needs', async () => {
    const { target } = await resolveTarget(choice({ 'check-table-name': 't' }));
    expect(target.names).toEqual({ checkTableName: 't' });
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(0);
  });

  it('says how to name the pipeline when CloudFormation does not know the stack', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Stack with id Nope does not exist',
      }),
    );
    await expect(resolveTarget(choice({ stack: 'Nope' }))).rejects.toThrow(
      'stack Nope was not found in eu-west-1: pass --stack <name>',
    );
  });

  it('passes on any other CloudFormation error as it is', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'not authorized to perform: cloudformation:DescribeStacks',
      }),
    );
    await expect(resolveTarget(choice({ stack: 'Mine' }))).rejects.toThrow(
      'not authorized to perform: cloudformation:DescribeStacks',
    );
  });
});
