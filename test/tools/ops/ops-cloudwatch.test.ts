import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
} from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  type FilterLogEventsCommandInput,
  type FilterLogEventsCommandOutput,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { serializeTokenSecret } from '../../../shared/apptenticate/token-secret.js';
import type { OpsClients } from '../../../tools/ops/clients.js';
import type { OpsContext } from '../../../tools/ops/context.js';
import { createOutput } from '../../../tools/ops/output.js';
import { checkCommand } from '../../../tools/ops/show-check.js';
import { statusCommand } from '../../../tools/ops/status.js';

/**
 * What `status` and `check` read from CloudWatch and CloudWatch Logs on a deployed stack, through
 * the SDK clients (mocked): every page of an answer, and the log groups that are not there.
 */
const cloudWatch = mockClient(CloudWatchClient);
const logs = mockClient(CloudWatchLogsClient);
const sqs = mockClient(SQSClient);
const secrets = mockClient(SecretsManagerClient);
const doc = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);
const NOW = new Date('2026-11-30T12:00:00Z');
const minutesAgo = (m: number) => NOW.getTime() - m * 60_000;

let lines: string[];
let ctx: OpsContext;

/**
 * Answers each call with the next page, keeping a copy of each input as it was sent (the SDK's
 * paginators reuse one input object for every page, so a recorded call shows only the last token).
 */
function inTurn<I, O>(pages: readonly O[]): { inputs: I[]; fake: (input: I) => O } {
  const inputs: I[] = [];
  const fake = (input: I): O => {
    inputs.push(structuredClone(input));
    const page = pages[inputs.length - 1];
    if (page === undefined) throw new Error(`no page ${inputs.length}`);
    return page;
  };
  return { inputs, fake };
}

function context(args: string[] = []): OpsContext {
  return {
    target: {
      description: 'stack S (eu-west-1)',
      local: false,
      names: {
        selfieQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/checks',
        selfieDeadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/checks-dlq',
        notifierDeadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/notifier-dlq',
        checkTableName: 'checks',
        tokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:token',
        tokenRefresherLogGroupName: '/aws/lambda/refresher',
        selfieBucketName: 'bucket',
        selfiePrefix: 'selfies/',
        checkerLogGroupName: '/aws/lambda/checker',
        notifierLogGroupName: '/aws/lambda/notifier',
      },
    },
    clients: {
      region: 'eu-west-1',
      dynamodb: new DynamoDBClient({ region: 'eu-west-1' }),
      sqs: new SQSClient({ region: 'eu-west-1' }),
      s3: new S3Client({ region: 'eu-west-1' }),
      secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }),
      cloudWatch: new CloudWatchClient({ region: 'eu-west-1' }),
      logs: new CloudWatchLogsClient({ region: 'eu-west-1' }),
    } as unknown as OpsClients,
    out: createOutput((line) => lines.push(line)),
    clock: { now: () => NOW, sleep: async () => {} },
    args,
    flags: {},
    env: {},
    readStdin: async () => '',
  };
}

beforeEach(() => {
  for (const mock of [cloudWatch, logs, sqs, secrets, doc, s3]) mock.reset();
  lines = [];
  sqs.on(GetQueueAttributesCommand).resolves({
    Attributes: {
      ApproximateNumberOfMessages: '3',
      ApproximateNumberOfMessagesNotVisible: '0',
      ApproximateNumberOfMessagesDelayed: '0',
    },
  });
  // Answered, so that a command reading the value would show it: none may (`status` is read-only).
  secrets.on(GetSecretValueCommand).resolves({
    VersionId: 'v1',
    SecretString: serializeTokenSecret({
      refresh: 'refresh-token-never-printed',
      refreshExpiresAt: NOW.getTime() / 1000 + 10 * 3600,
      updatedAt: new Date(minutesAgo(60)).toISOString(),
    }),
  });
  secrets.on(DescribeSecretCommand).resolves({
    ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:token',
    LastChangedDate: new Date(minutesAgo(90)),
    VersionIdsToStages: { v1: ['AWSCURRENT'] },
  });
});

describe('status on a stack', () => {
  let metricCalls: GetMetricDataCommandInput[];

  beforeEach(() => {
    ctx = context();
    // Queue ages (q0..q2) are one call; final-check counts (m0..) another, answered in two pages.
    const answer = inTurn<GetMetricDataCommandInput, Partial<GetMetricDataCommandOutput>>([
      {
        MetricDataResults: [
          { Id: 'q0', Values: [120, 420] },
          { Id: 'q1', Values: [] },
        ],
      },
      {
        MetricDataResults: [
          { Id: 'm0', Values: [4, 1] },
          { Id: 'm2', Values: [1] },
        ],
        NextToken: 'page-2',
      },
      {
        MetricDataResults: [
          { Id: 'm0', Values: [1] },
          { Id: 'm5', Values: [3] },
        ],
      },
    ]);
    metricCalls = answer.inputs;
    cloudWatch.on(GetMetricDataCommand).callsFake(answer.fake);
  });

  it('sums final-check counts over every page of GetMetricData, and takes queue ages from it', async () => {
    logs.on(FilterLogEventsCommand).resolves({ events: [] });

    expect(await statusCommand.run(ctx)).toBe(0);

    const calls = metricCalls;
    expect(calls).toHaveLength(3);
    expect(calls[0]?.MetricDataQueries?.[0]).toEqual({
      Id: 'q0',
      MetricStat: {
        Metric: {
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateAgeOfOldestMessage',
          Dimensions: [{ Name: 'QueueName', Value: 'checks' }],
        },
        Period: 60,
        Stat: 'Maximum',
      },
    });
    expect(calls[1]).toMatchObject({ StartTime: new Date(minutesAgo(60)), EndTime: NOW });
    expect(calls[1]?.NextToken).toBeUndefined();
    expect(calls[2]?.NextToken).toBe('page-2');
    const text = lines.join('\n');
    expect(text).toMatch(/selfie queue\s+3\s+0\s+0\s+7 min/);
    // m0 PASSED 4+1+1, m2 FAILED (checker) 1, m5 EXPIRED 3.
    expect(text).toContain('final checks in the last hour (from CloudWatch metrics): 10');
    expect(text).toMatch(/PASSED\s+6\s+60\.0%/);
    expect(text).toMatch(/FAILED\s+1\s+10\.0%/);
    expect(text).toMatch(/EXPIRED\s+3\s+30\.0%/);
  });

  it("finds the refresher's last run on a later page of FilterLogEvents", async () => {
    const answer = inTurn<FilterLogEventsCommandInput, Partial<FilterLogEventsCommandOutput>>([
      {
        events: [
          {
            timestamp: minutesAgo(200),
            message: JSON.stringify({ level: 'INFO', message: 'token secret written', forced: false }),
          },
        ],
        nextToken: 'more',
      },
      {
        events: [
          {
            timestamp: minutesAgo(20),
            message: JSON.stringify({
              level: 'INFO',
              message: 'token refresh skipped',
              reason: 'STILL_VALID',
            }),
          },
        ],
      },
    ]);
    logs.on(FilterLogEventsCommand).callsFake(answer.fake);

    expect(await statusCommand.run(ctx)).toBe(0);

    expect(answer.inputs).toEqual([
      { logGroupName: '/aws/lambda/refresher', startTime: minutesAgo(24 * 60), endTime: NOW.getTime() },
      {
        logGroupName: '/aws/lambda/refresher',
        startTime: minutesAgo(24 * 60),
        endTime: NOW.getTime(),
        nextToken: 'more',
      },
    ]);
    expect(lines.join('\n')).toContain(
      'token-refresher last run: 2026-11-30T11:40:00.000Z, skipped: STILL_VALID',
    );
    expect(lines.join('\n')).not.toContain('never-printed');
  });

  it('reads the token secret with DescribeSecret only, never its value', async () => {
    logs.on(FilterLogEventsCommand).resolves({ events: [] });

    expect(await statusCommand.run(ctx)).toBe(0);

    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(secrets.commandCalls(DescribeSecretCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:token' },
    ]);
    expect(lines).toContain('token secret: last changed 2026-11-30T10:30:00.000Z (90 min ago)');
  });

  it('says the token secret has no value yet when no version is current', async () => {
    logs.on(FilterLogEventsCommand).resolves({ events: [] });
    secrets.on(DescribeSecretCommand).resolves({ LastChangedDate: new Date(minutesAgo(5)) });

    expect(await statusCommand.run(ctx)).toBe(0);

    expect(lines).toContain(
      'token secret: no value yet: run the token-refresher (npm run ops -- rotate-credentials --keep-password)',
    );
  });

  it.each([
    ['a write', { message: 'token secret written', forced: false }, 'logged in and wrote the token secret'],
    ['a skip', { message: 'token refresh skipped', reason: 'STILL_VALID' }, 'skipped: STILL_VALID'],
  ])(
    "takes the refresh token's expiry from the refresher's last run line (%s)",
    async (_label, line, done) => {
      logs.on(FilterLogEventsCommand).resolves({
        events: [
          {
            timestamp: minutesAgo(20),
            message: JSON.stringify({ level: 'INFO', ...line, refreshExpiresAt: '2026-11-30T22:00:00.000Z' }),
          },
        ],
      });

      expect(await statusCommand.run(ctx)).toBe(0);

      expect(lines).toContain(`token-refresher last run: 2026-11-30T11:40:00.000Z, ${done}`);
      expect(lines).toContain(
        '  refresh token valid until 2026-11-30T22:00:00.000Z (10 h 0 min left, as the refresher last logged it)',
      );
    },
  );

  it('takes the expiry from the last run that logged one when the last run failed, and flags an expired token', async () => {
    logs.on(FilterLogEventsCommand).resolves({
      events: [
        {
          timestamp: minutesAgo(300),
          message: JSON.stringify({
            level: 'INFO',
            message: 'token secret written',
            refreshExpiresAt: '2026-11-30T11:00:00.000Z',
          }),
        },
        { timestamp: minutesAgo(10), message: '{"level":"ERROR","errorType":"VendorAuthError"}' },
      ],
    });

    expect(await statusCommand.run(ctx)).toBe(0);

    expect(lines).toContain(
      'token-refresher last run: 2026-11-30T11:50:00.000Z, FAILED with VendorAuthError (see its log group /aws/lambda/refresher)',
    );
    expect(lines).toContain(
      '  refresh token valid until 2026-11-30T11:00:00.000Z (EXPIRED: checkers cannot get access tokens)',
    );
  });

  it("says the refresh token's expiry is not known when no run line of the last day gives it", async () => {
    logs.on(FilterLogEventsCommand).resolves({
      events: [
        {
          timestamp: minutesAgo(20),
          message: JSON.stringify({ level: 'INFO', message: 'token secret written' }),
        },
      ],
    });

    expect(await statusCommand.run(ctx)).toBe(0);

    expect(lines).toContain('  refresh token expiry: not known (no refresher run of the last day logged it)');
  });

  it("says when the refresher's log group is not there", async () => {
    logs
      .on(FilterLogEventsCommand)
      .rejects(
        new ResourceNotFoundException({ message: 'The specified log group does not exist.', $metadata: {} }),
      );

    expect(await statusCommand.run(ctx)).toBe(0);

    expect(lines.join('\n')).toContain(
      'token-refresher last run: its log group /aws/lambda/refresher does not exist',
    );
  });
});

describe('check on a stack', () => {
  it("shows the check's lines from each log group, filtered by its id, skipping a group that is not there", async () => {
    ctx = context(['c-1']);
    doc.on(GetCommand).resolves({
      Item: {
        checkId: 'c-1',
        status: 'PASSED',
        version: 3,
        attempts: 1,
        createdAt: '2026-11-30T10:00:00.000Z',
        updatedAt: '2026-11-30T10:01:00.000Z',
        decidedAt: '2026-11-30T10:01:00.000Z',
        result: { valid: true, transactionId: 't' },
      },
    });
    s3.on(ListObjectsV2Command).resolves({ KeyCount: 0 });
    logs
      .on(FilterLogEventsCommand, { logGroupName: '/aws/lambda/checker' })
      .resolvesOnce({
        events: [
          {
            timestamp: Date.parse('2026-11-30T10:00:50Z'),
            message: JSON.stringify({
              level: 'INFO',
              message: 'verdict recorded',
              checkId: 'c-1',
              status: 'PASSED',
            }),
          },
        ],
        nextToken: 'more',
      })
      .resolvesOnce({
        events: [
          {
            timestamp: Date.parse('2026-11-30T10:00:10Z'),
            message: JSON.stringify({ level: 'INFO', message: 'selfie received', checkId: 'c-1' }),
          },
        ],
      })
      .on(FilterLogEventsCommand, { logGroupName: '/aws/lambda/notifier' })
      .rejects(
        new ResourceNotFoundException({ message: 'The specified log group does not exist.', $metadata: {} }),
      );

    expect(await checkCommand.run(ctx)).toBe(0);

    expect(logs).toHaveReceivedCommandWith(FilterLogEventsCommand, {
      logGroupName: '/aws/lambda/checker',
      filterPattern: '"c-1"',
      startTime: Date.parse('2026-11-30T09:55:00Z'),
      endTime: Date.parse('2026-11-30T11:01:00Z'),
    });
    const text = lines.join('\n');
    expect(text).toContain('logs (2 lines naming the check)');
    // Oldest first, across pages.
    expect(text).toMatch(
      /10:00:10\.000Z {2}checker {2}INFO selfie received\n.*10:00:50\.000Z {2}checker {2}INFO verdict recorded \{"status":"PASSED"\}/,
    );
  });
});
