import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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

describe('resolveTarget with no stack, region or resources file named', () => {
  let cwd: string;
  let server: Server | undefined;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'ops-target-'));
  });
  afterEach(async () => {
    if (server) await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    rmSync(cwd, { recursive: true, force: true });
  });
  const unnamed = (flags: Record<string, string> = {}) => ({
    flags,
    env: {},
    needed: ['checkTableName'] as const,
    cwd,
  });
  const writeResources = (data: Record<string, unknown>) => {
    mkdirSync(join(cwd, '.local'));
    writeFileSync(join(cwd, '.local', 'resources.json'), JSON.stringify(data));
  };
  /** An api that answers, as a running `npm start` does. */
  const answeringApi = async () => {
    server = createServer((_request, response) => response.end('{}'));
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const stackNotFound = () =>
    cloudFormation.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Stack with id SelfieLiveness does not exist',
      }),
    );

  it("uses the running local pipeline's .local/resources.json and says so", async () => {
    writeResources({
      apiUrl: await answeringApi(),
      pid: process.pid,
      tableName: 'local-checks',
      awsEndpoint: 'http://127.0.0.1:4566',
      region: 'us-east-1',
    });
    const { target } = await resolveTarget(unnamed({ 'event-bus-name': 'other-bus' }));
    expect(target.local).toBe(true);
    expect(target.awsEndpoint).toBe('http://127.0.0.1:4566');
    expect(target.names).toEqual({ checkTableName: 'local-checks', eventBusName: 'other-bus' });
    expect(target.notice).toBe(
      `the local pipeline running here (${join(cwd, '.local', 'resources.json')}, pid ${process.pid}): no --stack, --region or --resources given`,
    );
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(0);
  });

  it('reads the stack when --stack or --region names one, a local pipeline running or not', async () => {
    writeResources({ apiUrl: await answeringApi(), pid: process.pid, tableName: 'local-checks' });
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'SelfieLiveness',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [{ OutputKey: 'CheckTableName', OutputValue: 'stack-checks' }],
        },
      ],
    });
    const namings: Record<string, string>[] = [
      { region: 'eu-west-1' },
      { stack: 'SelfieLiveness', region: 'eu-west-1' },
    ];
    for (const flags of namings) {
      const { target } = await resolveTarget(unnamed(flags));
      expect(target.local).toBe(false);
      expect(target.notice).toBeUndefined();
      expect(target.names).toEqual({ checkTableName: 'stack-checks' });
    }
  });

  it('says the recorded local pipeline is not running and no stack is named', async () => {
    const ended = spawnSync(process.execPath, ['-e', '0']).pid;
    writeResources({ apiUrl: 'http://127.0.0.1:9', pid: ended, tableName: 'local-checks' });
    stackNotFound();
    await expect(resolveTarget(unnamed())).rejects.toThrow(
      new RegExp(
        `^the local pipeline of ${join(cwd, '.local', 'resources.json')} is not running \\(its process ${ended} has ended\\) and no stack is named: .+; start the local pipeline with npm start, or name a deployed stack with --stack <name> --region <region>$`,
      ),
    );
  });

  it('says the recorded local pipeline is not running when its api does not answer, its pid alive or not', async () => {
    writeResources({ apiUrl: 'http://127.0.0.1:9', pid: process.pid, tableName: 'local-checks' });
    stackNotFound();
    await expect(resolveTarget(unnamed())).rejects.toThrow(
      'is not running (its api at http://127.0.0.1:9 does not answer) and no stack is named',
    );
  });

  it('says there is no local pipeline here and no stack is named', async () => {
    stackNotFound();
    await expect(resolveTarget(unnamed())).rejects.toThrow(
      `no local pipeline runs here (no .local/resources.json in ${cwd}) and no stack is named: `,
    );
  });
});
