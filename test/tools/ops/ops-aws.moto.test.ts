import { randomUUID } from 'node:crypto';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveSettings } from '../../../infra/settings.js';
import { serializeTokenSecret } from '../../../shared/apptenticate/token-secret.js';
import { CheckRepository } from '../../../shared/check-repository.js';
import { systemClock } from '../../../shared/clock.js';
import {
  type LocalAwsClients,
  type LocalResources,
  localAwsClients,
  provisionLocalResources,
} from '../../../tools/local/provision.js';
import { runOps } from '../../../tools/ops/run.js';
import { awsClientConfig, type Moto, startMoto } from '../../support/moto.js';

/**
 * The paths a deployed stack takes (there is no such stack on npm start): names from CloudFormation
 * outputs, final-check counts and queue ages from CloudWatch metrics, the refresher's last run and a
 * check's log lines from CloudWatch Logs, all on moto, with the default credential chain and
 * AWS_ENDPOINT_URL as against AWS.
 */
let moto: Moto;
let clients: LocalAwsClients;
let resources: LocalResources;
let cloudWatch: CloudWatchClient;
let cloudWatchLogs: CloudWatchLogsClient;
const STACK = 'OpsTest';
const now = new Date();

async function ops(argv: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await runOps(argv, {
    write: (line) => lines.push(line),
    env: process.env,
    clock: systemClock,
    readStdin: async () => '',
  });
  return { code, text: lines.join('\n') };
}

async function logs(group: string, lines: { at: Date; message: string }[]): Promise<void> {
  await cloudWatchLogs.send(new CreateLogGroupCommand({ logGroupName: group }));
  await cloudWatchLogs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 's' }));
  await cloudWatchLogs.send(
    new PutLogEventsCommand({
      logGroupName: group,
      logStreamName: 's',
      logEvents: lines.map((l) => ({ timestamp: l.at.getTime(), message: l.message })),
    }),
  );
}

/** One datapoint, standing in for the EMF lines a function logs. */
async function putMetric(
  namespace: string,
  datum: { metricName: string; dimensions: Readonly<Record<string, string>>; value: number; timestamp: Date },
): Promise<void> {
  await cloudWatch.send(
    new PutMetricDataCommand({
      Namespace: namespace,
      MetricData: [
        {
          MetricName: datum.metricName,
          Dimensions: Object.entries(datum.dimensions).map(([Name, Value]) => ({ Name, Value })),
          Value: datum.value,
          Timestamp: datum.timestamp,
        },
      ],
    }),
  );
}

beforeAll(async () => {
  moto = await startMoto();
  const target = { endpoint: moto.endpoint, region: 'us-east-1' };
  clients = localAwsClients(target);
  resources = await provisionLocalResources(clients, target, resolveSettings(), {
    username: 'u',
    password: 'p-never-printed',
  });
  vi.stubEnv('AWS_ENDPOINT_URL', moto.endpoint);
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'testing');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'testing');
  cloudWatch = new CloudWatchClient(awsClientConfig(moto.endpoint));
  cloudWatchLogs = new CloudWatchLogsClient(awsClientConfig(moto.endpoint));
  const outputs: Record<string, string> = {
    CheckTableName: resources.tableName,
    SelfieBucketName: resources.bucketName,
    SelfiePrefix: 'selfies/',
    SelfieQueueUrl: resources.queueUrl,
    SelfieDeadLetterQueueUrl: resources.dlqUrl,
    NotifierDeadLetterQueueUrl: resources.notifierDlqUrl,
    EventBusName: resources.eventBusName,
    EventSource: 'selfie-liveness',
    CredentialsSecretArn: resources.credentialsSecretArn,
    TokenSecretArn: resources.tokenSecretArn,
    TokenRefresherFunctionName: 'refresher',
    CheckerLogGroupName: '/aws/lambda/checker',
    TokenRefresherLogGroupName: '/aws/lambda/refresher',
  };
  const template = {
    Resources: {
      Placeholder: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'ops-test-placeholder' } },
    },
    Outputs: Object.fromEntries(Object.entries(outputs).map(([key, value]) => [key, { Value: value }])),
  };
  await new CloudFormationClient(awsClientConfig(moto.endpoint)).send(
    new CreateStackCommand({ StackName: STACK, TemplateBody: JSON.stringify(template) }),
  );
}, 60_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await moto?.stop();
});

describe('npm run ops against a stack (on moto)', () => {
  it('finds the pipeline by its stack outputs and counts final checks from the CloudWatch metrics', async () => {
    const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
    for (const [metricName, service, value] of [
      ['ChecksPassed', 'checker', 6],
      ['ChecksFailed', 'checker', 1],
      ['ChecksExpired', 'sweeper', 2],
      ['ChecksFailedUnclaimed', 'sweeper', 1],
    ] as const) {
      await putMetric('SelfieLiveness', {
        metricName,
        dimensions: { service },
        value,
        timestamp: minutesAgo(10),
      });
    }
    // Outside the hour: not counted.
    await putMetric('SelfieLiveness', {
      metricName: 'ChecksPassed',
      dimensions: { service: 'checker' },
      value: 50,
      timestamp: minutesAgo(90),
    });
    await putMetric('AWS/SQS', {
      metricName: 'ApproximateAgeOfOldestMessage',
      dimensions: { QueueName: 'selfie-liveness-checks' },
      value: 420,
      timestamp: minutesAgo(2),
    });
    await clients.secretsManager.send(
      new PutSecretValueCommand({
        SecretId: resources.tokenSecretArn,
        SecretString: serializeTokenSecret({
          refresh: 'eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.never-printed-refresh',
          refreshExpiresAt: Math.floor(now.getTime() / 1000) + 20 * 3600,
          updatedAt: minutesAgo(240).toISOString(),
        }),
      }),
    );
    await logs('/aws/lambda/refresher', [
      { at: minutesAgo(300), message: 'START RequestId: 1 Version: $LATEST' },
      {
        at: minutesAgo(240),
        message: JSON.stringify({
          level: 'INFO',
          message: 'token secret written',
          service: 'token-refresher',
          forced: true,
          // What the refresher logs of the token it wrote: its expiry, never the token.
          refreshExpiresAt: new Date(now.getTime() + 20 * 3600 * 1000).toISOString(),
        }),
      },
      {
        at: minutesAgo(30),
        message: JSON.stringify({
          level: 'INFO',
          message: 'token refresh skipped',
          service: 'token-refresher',
          reason: 'STILL_VALID',
        }),
      },
    ]);

    const { code, text } = await ops(['status', '--stack', STACK]);

    expect(code).toBe(0);
    expect(text).toMatch(/^status of stack OpsTest \(us-east-1\)/);
    // 420 s old, from CloudWatch (SQS itself does not tell without receiving).
    expect(text).toMatch(/selfie queue\s+\d+\s+0\s+0\s+7 min/);
    expect(text).toContain('final checks in the last hour (from CloudWatch metrics): 10');
    expect(text).toMatch(/PASSED\s+6\s+60\.0%/);
    expect(text).toMatch(/FAILED\s+2\s+20\.0%/);
    expect(text).toMatch(/EXPIRED\s+2\s+20\.0%/);
    // DescribeSecret only: moto stamps the write above as the secret's last change.
    expect(text).toMatch(/token secret: last changed \S+ \(\d+ s ago\)/);
    expect(text).toMatch(
      /refresh token valid until \S+ \((19 h 59 min|20 h 0 min) left, as the refresher last logged it\)/,
    );
    expect(text).toMatch(/token-refresher last run: \S+Z, skipped: STILL_VALID/);
    expect(text).not.toContain('never-printed');
  });

  it("shows a check's log lines from every function log group the stack names", async () => {
    const checkId = randomUUID();
    const repository = new CheckRepository(clients.dynamodb, resources.tableName, 86_400);
    await repository.createAwaitingUpload({
      checkId,
      now,
      uploadExpiresAt: new Date(now.getTime() + 300_000),
    });
    await repository.finalize({
      checkId,
      outcome: { status: 'EXPIRED' },
      guard: { kind: 'upload-expired', cutoff: new Date(now.getTime() + 600_000).toISOString() },
      now: new Date(now.getTime() + 600_000),
    });
    await logs('/aws/lambda/checker', [
      {
        at: new Date(now.getTime() + 1000),
        message: JSON.stringify({
          level: 'INFO',
          message: 'verdict recorded',
          checkId,
          service: 'checker',
          status: 'PASSED',
        }),
      },
      {
        at: new Date(now.getTime() + 2000),
        message: JSON.stringify({ level: 'INFO', message: 'verdict recorded', checkId: randomUUID() }),
      },
    ]);

    const { code, text } = await ops(['check', checkId, '--stack', STACK]);

    expect(code).toBe(0);
    expect(text).toContain(`check ${checkId}: EXPIRED`);
    expect(text).toContain('event: Liveness Check Expired');
    expect(text).toContain('logs (1 lines naming the check)');
    expect(text).toMatch(/Z {2}checker {2}INFO verdict recorded \{"status":"PASSED"\}/);
  });

  it('needs no stack when flags name every resource a command uses', async () => {
    const { code, text } = await ops([
      'dlq',
      'show',
      'notifier',
      '--notifier-dead-letter-queue-url',
      resources.notifierDlqUrl,
      '--check-table-name',
      resources.tableName,
      '--stack',
      'NoSuchStack',
    ]);
    expect(code).toBe(0);
    expect(text).toContain('notifier DLQ: 0 stream batches');
  });

  it('says how to name the pipeline when the stack is not there', async () => {
    const { code, text } = await ops(['status', '--stack', 'NoSuchStack']);
    expect(code).toBe(1);
    expect(text).toMatch(/ops status: stack NoSuchStack was not found in us-east-1: pass --stack <name>/);
  });
});
