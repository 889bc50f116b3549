import { readFileSync } from 'node:fs';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAppConfig } from '../../infra/context.js';
import type { LivenessPipeline } from '../../infra/liveness-pipeline.js';
import { LivenessPipelineStack } from '../../infra/liveness-pipeline-stack.js';
import { DEFAULT_SETTINGS } from '../../infra/settings.js';
import { createTestApp, logicalIdOf } from './support.js';

let template: Template;
let pipeline: LivenessPipeline;
let cleanup: () => void;

beforeAll(() => {
  const test = createTestApp();
  cleanup = test.cleanup;
  const stack = new LivenessPipelineStack(test.app, 'Ops');
  pipeline = stack.pipeline;
  template = Template.fromStack(stack);
});
afterAll(() => cleanup());

const ref = (construct: Parameters<typeof logicalIdOf>[0]) => ({ Ref: logicalIdOf(construct) });
const alarmNamed = (id: string) => {
  const alarm = pipeline.alarms.find((a) => a.node.id === id);
  if (!alarm) throw new Error(`no alarm ${id}`);
  return template.toJSON().Resources[logicalIdOf(alarm)].Properties as Record<string, unknown>;
};
const thresholdsFrom = (values: Record<string, string>) => {
  const { props } = readAppConfig((key) => values[key]);
  const test = createTestApp();
  try {
    const stack = new LivenessPipelineStack(test.app, 'Thresholds', props);
    const resources = Template.fromStack(stack).toJSON().Resources;
    return (id: string) => {
      const alarm = stack.pipeline.alarms.find((a) => a.node.id === id);
      return alarm ? resources[logicalIdOf(alarm)].Properties.Threshold : undefined;
    };
  } finally {
    test.cleanup();
  }
};

describe('stack outputs for operators and the ops tool', () => {
  it('names the selfie queue, the selfie prefix and every function log group', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.SelfieQueueUrl?.Value).toEqual(ref(pipeline.selfieQueue));
    expect(outputs.SelfiePrefix?.Value).toBe('selfies/');
    expect(outputs.TokenRefresherLogGroupName?.Value).toEqual(
      ref(pipeline.functions['token-refresher'].logGroup),
    );
    for (const [output, fn] of [
      ['CheckerLogGroupName', 'checker'],
      ['NotifierLogGroupName', 'notifier'],
      ['ApiLogGroupName', 'api'],
      ['SweeperLogGroupName', 'sweeper'],
    ] as const) {
      expect(outputs[output]?.Value, output).toEqual(ref(pipeline.functions[fn].logGroup));
    }
  });
});

describe('alarms an operator acts on', () => {
  it('alarms when more than 5% of API requests answer 5xx for 15 minutes, given enough requests', () => {
    const alarm = alarmNamed('ApiServerErrorRate');
    expect(alarm).toMatchObject({
      Threshold: DEFAULT_SETTINGS.monitoring.apiServerErrorPercent,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    const names = (alarm.Metrics as { MetricStat?: { Metric: { Namespace: string; MetricName: string } } }[])
      .filter((m) => m.MetricStat)
      .map((m) => `${m.MetricStat?.Metric.Namespace}:${m.MetricStat?.Metric.MetricName}`);
    expect(names.sort()).toEqual(['AWS/ApiGateway:5xx', 'AWS/ApiGateway:Count']);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: {
              Namespace: 'AWS/ApiGateway',
              MetricName: '5xx',
              Dimensions: [{ Name: 'ApiId', Value: ref(pipeline.httpApi) }],
            },
          }),
        }),
      ]),
    });
    const expression = (alarm.Metrics as { Expression?: string }[]).find((m) => m.Expression)?.Expression;
    expect(expression).toContain(`>= ${DEFAULT_SETTINGS.monitoring.minSampleCount}`);
  });

  it('alarms when the API p99 latency exceeds its threshold for 15 minutes', () => {
    expect(alarmNamed('ApiLatencyP99')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: 'Latency',
      ExtendedStatistic: 'p99',
      Dimensions: [{ Name: 'ApiId', Value: ref(pipeline.httpApi) }],
      Threshold: DEFAULT_SETTINGS.monitoring.apiLatencyP99Ms,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
    });
  });

  it('alarms on the share of EXPIRED among final checks over the window, from every function that decides', () => {
    const alarm = alarmNamed('ExpiredShare');
    const window = DEFAULT_SETTINGS.monitoring.outcomeWindowMinutes * 60;
    expect(alarm).toMatchObject({
      Threshold: DEFAULT_SETTINGS.monitoring.expiredSharePercent,
      EvaluationPeriods: 1,
    });
    const metrics = alarm.Metrics as {
      Expression?: string;
      MetricStat?: { Period: number; Metric: { MetricName: string; Dimensions: { Value: string }[] } };
    }[];
    const stats = metrics.filter((m) => m.MetricStat);
    expect(
      stats
        .map((m) => `${m.MetricStat?.Metric.Dimensions[0]?.Value}:${m.MetricStat?.Metric.MetricName}`)
        .sort(),
    ).toEqual([
      'checker:ChecksFailed',
      'checker:ChecksPassed',
      'checker:ChecksRejected',
      'sweeper:ChecksExpired',
      'sweeper:ChecksFailedStale',
      'sweeper:ChecksFailedUnclaimed',
    ]);
    for (const m of stats) expect(m.MetricStat?.Period).toBe(window);
    expect(metrics.find((m) => m.Expression)?.Expression).toMatch(/ChecksExpired|expired/);
  });

  it('alarms on the share of FAILED among final checks over the window', () => {
    const alarm = alarmNamed('FailedShare');
    expect(alarm).toMatchObject({
      Threshold: DEFAULT_SETTINGS.monitoring.failedSharePercent,
      EvaluationPeriods: 1,
    });
    const expression =
      (alarm.Metrics as { Expression?: string }[]).find((m) => m.Expression)?.Expression ?? '';
    expect(expression).toContain(`>= ${DEFAULT_SETTINGS.monitoring.minSampleCount}`);
  });

  it('takes the share thresholds and the window from context', () => {
    const threshold = thresholdsFrom({
      'monitoring.expiredSharePercent': '40',
      'monitoring.failedSharePercent': '2',
      'monitoring.apiServerErrorPercent': '10',
      'monitoring.apiLatencyP99Ms': '5000',
    });
    expect(threshold('ExpiredShare')).toBe(40);
    expect(threshold('FailedShare')).toBe(2);
    expect(threshold('ApiServerErrorRate')).toBe(10);
    expect(threshold('ApiLatencyP99')).toBe(5000);
  });

  it('alarms when the refresh token has less than one refresher interval left, or no run reported it', () => {
    const interval = DEFAULT_SETTINGS.tokenRefresher.scheduleHours * 3600;
    expect(alarmNamed('RefreshTokenExpiring')).toMatchObject({
      Namespace: 'SelfieLiveness',
      MetricName: 'RefreshTokenRemainingSeconds',
      Dimensions: [{ Name: 'service', Value: 'token-refresher' }],
      Statistic: 'Minimum',
      Period: 2 * interval,
      Threshold: interval,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('alarms on any final status no decider wrote, within 5 minutes', () => {
    expect(alarmNamed('UnattestedFinalStatuses')).toMatchObject({
      Namespace: 'SelfieLiveness',
      MetricName: 'UnattestedFinalStatuses',
      Dimensions: [{ Name: 'service', Value: 'notifier' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it("alarms when the checker's vendor calls of one day pass 80% of the API's daily budget", () => {
    expect(alarmNamed('VendorCallsDaily')).toMatchObject({
      Namespace: 'SelfieLiveness',
      MetricName: 'VendorCalls',
      Dimensions: [{ Name: 'service', Value: 'checker' }],
      Statistic: 'Sum',
      Period: 86_400,
      Threshold: 16_000,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(thresholdsFrom({ 'api.checksPerDay': '5000' })('VendorCallsDaily')).toBe(4000);
  });

  it('links each alarm to its own section of docs/runbooks.md', () => {
    const runbooks = readFileSync(new URL('../../docs/runbooks.md', import.meta.url), 'utf8');
    const sections = [...runbooks.matchAll(/^## (\w+)$/gm)].map((m) => m[1]);
    const ids = pipeline.alarms.map((a) => a.node.id);
    expect(ids).toHaveLength(23);
    expect([...sections].sort()).toEqual([...ids].sort());
    for (const alarm of pipeline.alarms) {
      const { AlarmDescription } = template.toJSON().Resources[logicalIdOf(alarm)].Properties;
      expect(AlarmDescription, alarm.node.id).toContain(
        `Runbook: docs/runbooks.md#${alarm.node.id.toLowerCase()}`,
      );
      expect((AlarmDescription as string).length).toBeLessThanOrEqual(1024);
    }
  });

  it('points the runbook links at the URL given by context', () => {
    const { props } = readAppConfig((key) =>
      key === 'monitoring.runbookUrl' ? 'https://git.example.com/ops/runbooks.md' : undefined,
    );
    const test = createTestApp();
    try {
      const stack = new LivenessPipelineStack(test.app, 'Links', props);
      const resources = Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm');
      for (const alarm of Object.values(resources)) {
        expect(alarm.Properties.AlarmDescription).toMatch(
          /Runbook: https:\/\/git\.example\.com\/ops\/runbooks\.md#\w+$/,
        );
      }
    } finally {
      test.cleanup();
    }
  });
});

describe('saved Logs Insights queries', () => {
  const queries = () =>
    Object.values(template.findResources('AWS::Logs::QueryDefinition')).map(
      (q) => q.Properties as { Name: string; QueryString: string; LogGroupNames: unknown[] },
    );
  const named = (suffix: string) => {
    const query = queries().find((q) => q.Name.endsWith(suffix));
    if (!query) throw new Error(`no query ending in ${suffix}`);
    return query;
  };

  it("tells one check's whole story by checkId across every function, oldest first", () => {
    const story = named('/check story by checkId');
    expect(story.QueryString).toMatch(/filter checkId = "/);
    expect(story.QueryString).toMatch(/sort @timestamp asc/);
    expect(story.LogGroupNames).toHaveLength(5);
  });

  it('counts vendor errors by outcome, reason, HTTP status and code in the checker log', () => {
    const errors = named('/vendor errors by code');
    expect(errors.QueryString).toMatch(/filter message = "vendor call failed"/);
    expect(errors.QueryString).toMatch(/stats count\(\*\) as calls by outcome, reason, httpStatus, code/);
    expect(errors.LogGroupNames).toEqual([ref(pipeline.functions.checker.logGroup)]);
  });

  it('lists the slowest checks from upload to verdict', () => {
    const slowest = named('/slowest checks');
    expect(slowest.QueryString).toMatch(/filter message = "verdict recorded"/);
    expect(slowest.QueryString).toMatch(/sort checkMs desc/);
    expect(slowest.LogGroupNames).toEqual([ref(pipeline.functions.checker.logGroup)]);
  });
});
