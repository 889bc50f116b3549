import { Duration, Names, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FINAL_STATUSES, type FinalStatus } from '../../shared/check.js';
import {
  FINAL_CHECK_METRICS,
  METRICS_NAMESPACE,
  REFRESH_TOKEN_REMAINING_METRIC,
  type ServiceMetric,
  SWEEPER_METRICS,
  UNATTESTED_FINAL_STATUS_METRIC,
  VENDOR_METRICS,
} from '../../shared/metric-names.js';
import type { PipelineFunctionName, PipelineSettings } from '../settings-model.js';

/** What the monitoring watches. */
export interface PipelineMonitoringProps {
  readonly settings: PipelineSettings;
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly selfieQueue: sqs.IQueue;
  readonly selfieDlq: sqs.IQueue;
  readonly notifierDlq: sqs.IQueue;
  readonly notifier: lambda.IFunction;
  readonly alarmTopic: sns.ITopic;
  /** The HTTP API: its 5xx rate and latency are alarmed. */
  readonly httpApi: apigw.IHttpApi;
  /** Each function's log group, by the function's name: the saved queries read them. */
  readonly logGroups: Readonly<Record<PipelineFunctionName, logs.ILogGroup>>;
}

const PERIOD = Duration.minutes(5);

/** `VendorCallsDaily` fires when the last day's vendor calls pass this share of `api.checksPerDay`. */
const VENDOR_BUDGET_ALARM_PERCENT = 80;

/** `VendorErrorRate` fires when more than this percentage of vendor calls fail, 3 periods of 5 minutes in a row. */
const VENDOR_ERROR_RATE_ALARM_PERCENT = 20;

/**
 * The pipeline's alarms (all notify the alarm topic, on alarm and on recovery), its dashboard and its
 * saved Logs Insights queries. Every alarm's description ends with a link to its own section of
 * docs/runbooks.md (`monitoring.runbookUrl`), headed by the alarm's construct id.
 */
export class PipelineMonitoring extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;
  readonly queries: logs.QueryDefinition[] = [];

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    const { settings } = props;
    const { monitoring } = settings;
    const action = new actions.SnsAction(props.alarmTopic);
    const add = (alarmId: string, alarmProps: cloudwatch.AlarmProps) => {
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...alarmProps,
        alarmDescription: `${alarmProps.alarmDescription} Runbook: ${monitoring.runbookUrl}#${alarmId.toLowerCase()}`,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      this.alarms.push(alarm);
      return alarm;
    };

    add('SelfieDlqDepth', {
      alarmDescription:
        'Selfie notifications reached the DLQ after every receive: their checks were recorded FAILED (a redrive only acknowledges those); see which with ops dlq show selfie.',
      metric: props.selfieDlq.metricApproximateNumberOfMessagesVisible({
        period: PERIOD,
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    add('NotifierDlqDepth', {
      alarmDescription:
        'Stream batches the notifier could not publish reached its DLQ: events are missing; the DLQ holds stream positions, republish the window from the table.',
      metric: props.notifierDlq.metricApproximateNumberOfMessagesVisible({
        period: PERIOD,
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    add('SelfieQueueOldestMessage', {
      alarmDescription: 'Selfies wait too long for a check: the checker is failing, throttled or too slow.',
      metric: props.selfieQueue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum' }),
      threshold: settings.checker.oldestMessageAlarmSeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    add('StreamIteratorAge', {
      alarmDescription: 'The notifier lags behind the check table stream: events are late.',
      metric: props.notifier.metric('IteratorAge', { period: PERIOD, statistic: 'Maximum' }),
      threshold: settings.notifier.iteratorAgeAlarmSeconds * 1000,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    add('UnclaimedUploads', {
      alarmDescription:
        'The sweeper failed checks (INTERNAL_ERROR) whose selfie arrived in time but that no checker claimed within sweeper.claimWaitSeconds: a lost S3 notification or a queue backlog longer than that wait.',
      metric: serviceMetric(SWEEPER_METRICS.failedUnclaimed, 'Sum', PERIOD),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });

    // Only the checker and the sweeper may write decidedAt: a final status without it is a forged
    // verdict (or a writer bypassing CheckRepository.finalize), never load, so any one alarms.
    add('UnattestedFinalStatuses', {
      alarmDescription:
        'A check entered a final status without decidedAt: no decider of the pipeline wrote it (a forged verdict or a writer bypassing finalize). The notifier did not publish it. Treat as a security event.',
      metric: serviceMetric(UNATTESTED_FINAL_STATUS_METRIC, 'Sum', PERIOD),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });

    for (const [name, fn] of Object.entries(props.functions)) {
      add(`${name}Errors`, {
        alarmDescription: `The ${name} function failed invocations.`,
        metric: fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });
      add(`${name}Throttles`, {
        alarmDescription: `The ${name} function was throttled: raise the account's concurrency or lower the load.`,
        metric: fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });
    }

    const vendorCalls = serviceMetric(VENDOR_METRICS.calls, 'Sum', PERIOD);
    const vendorErrors = serviceMetric(VENDOR_METRICS.errors, 'Sum', PERIOD);
    const vendorErrorRate = new cloudwatch.MathExpression({
      expression: 'IF(calls > 0, 100 * errors / calls, 0)',
      usingMetrics: { errors: vendorErrors, calls: vendorCalls },
      label: 'Vendor error rate (%)',
      period: PERIOD,
    });
    add('VendorErrorRate', {
      alarmDescription: `More than ${VENDOR_ERROR_RATE_ALARM_PERCENT}% of Apptenticate calls failed for 15 minutes.`,
      metric: vendorErrorRate,
      threshold: VENDOR_ERROR_RATE_ALARM_PERCENT,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });

    // Every paid call counts, direct uploads' too: the API's daily budget bounds only the checks it issues.
    const budgetThreshold = (settings.api.checksPerDay * VENDOR_BUDGET_ALARM_PERCENT) / 100;
    add('VendorCallsDaily', {
      alarmDescription: `The checker made more than ${budgetThreshold} Apptenticate calls over one day: ${VENDOR_BUDGET_ALARM_PERCENT}% of the daily budget api.checksPerDay (${settings.api.checksPerDay}), beyond which POST /checks answers 429 CHECK_BUDGET_EXHAUSTED until midnight UTC (direct uploads are not stopped).`,
      metric: serviceMetric(VENDOR_METRICS.calls, 'Sum', Duration.days(1)),
      threshold: budgetThreshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });

    // API Gateway counts every request and every 5xx (the api's own 500/503 answers, Lambda errors,
    // timeouts and throttles alike); the api function catches its errors, so its Errors alarm misses them.
    const apiRequests = props.httpApi.metricCount({ period: PERIOD, statistic: 'Sum' });
    const apiServerErrors = props.httpApi.metricServerError({ period: PERIOD, statistic: 'Sum' });
    const apiServerErrorRate = new cloudwatch.MathExpression({
      expression: `IF(requests >= ${monitoring.minSampleCount}, 100 * errors / requests, 0)`,
      usingMetrics: { errors: apiServerErrors, requests: apiRequests },
      label: 'API 5xx rate (%)',
      period: PERIOD,
    });
    add('ApiServerErrorRate', {
      alarmDescription: `More than ${monitoring.apiServerErrorPercent}% of API requests answered 5xx for 15 minutes (with at least ${monitoring.minSampleCount} requests per 5 minutes).`,
      metric: apiServerErrorRate,
      threshold: monitoring.apiServerErrorPercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
    const apiLatencyP99 = props.httpApi.metricLatency({ period: PERIOD, statistic: 'p99' });
    add('ApiLatencyP99', {
      alarmDescription: `The API's p99 latency stayed above ${monitoring.apiLatencyP99Ms} ms for 15 minutes.`,
      metric: apiLatencyP99,
      threshold: monitoring.apiLatencyP99Ms,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });

    // Shares of final checks over the window: the checker's verdicts and the sweeper's decisions together.
    const window = Duration.minutes(monitoring.outcomeWindowMinutes);
    const finalCounts = finalCheckCounts(window);
    const total = FINAL_STATUSES.map((status) => finalCounts.sums[status]).join(' + ');
    const share = (status: FinalStatus, label: string) =>
      new cloudwatch.MathExpression({
        expression: `IF((${total}) >= ${monitoring.minSampleCount}, 100 * (${finalCounts.sums[status]}) / (${total}), 0)`,
        usingMetrics: finalCounts.metrics,
        label,
        period: window,
      });
    const windowText = `${monitoring.outcomeWindowMinutes} minutes`;
    add('ExpiredShare', {
      alarmDescription: `More than ${monitoring.expiredSharePercent}% of the checks that ended in the last ${windowText} EXPIRED (at least ${monitoring.minSampleCount} ended): uploads are not arriving (upload path, CORS, app release).`,
      metric: share('EXPIRED', 'EXPIRED share of final checks (%)'),
      threshold: monitoring.expiredSharePercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    add('FailedShare', {
      alarmDescription: `More than ${monitoring.failedSharePercent}% of the checks that ended in the last ${windowText} FAILED (at least ${monitoring.minSampleCount} ended): the vendor or AWS failed them past every retry.`,
      metric: share('FAILED', 'FAILED share of final checks (%)'),
      threshold: monitoring.failedSharePercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });

    // Every refresher run reports how long the stored refresh token stays valid. A period of two
    // schedule intervals holds at least one run wherever it falls, so a missing datapoint means no run.
    const refreshInterval = Duration.hours(settings.tokenRefresher.scheduleHours);
    add('RefreshTokenExpiring', {
      alarmDescription: `The refresh token in the token secret has less than one refresher interval (${settings.tokenRefresher.scheduleHours} h) left, or no refresher run reported it for ${2 * settings.tokenRefresher.scheduleHours} h: checkers stop calling the vendor when it lapses.`,
      metric: serviceMetric(
        REFRESH_TOKEN_REMAINING_METRIC,
        'Minimum',
        Duration.hours(2 * settings.tokenRefresher.scheduleHours),
      ),
      threshold: refreshInterval.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    this.addQueries(props.logGroups);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    const fns = Object.entries(props.functions);
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Final checks',
        left: FINAL_STATUSES.map((status) => finalCountExpression(status, PERIOD)),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Apptenticate calls',
        left: [vendorCalls, vendorErrors],
        right: [vendorErrorRate],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Selfie queue',
        left: [
          props.selfieQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD }),
          props.selfieDlq.metricApproximateNumberOfMessagesVisible({ period: PERIOD }),
          props.notifierDlq.metricApproximateNumberOfMessagesVisible({ period: PERIOD }),
        ],
        right: [props.selfieQueue.metricApproximateAgeOfOldestMessage({ period: PERIOD })],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Vendor latency (ms) and stream iterator age (ms)',
        left: [serviceMetric(VENDOR_METRICS.latency, 'p90', PERIOD)],
        right: [props.notifier.metric('IteratorAge', { period: PERIOD, statistic: 'Maximum' })],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Invocations',
        left: fns.map(([name, fn]) => fn.metricInvocations({ period: PERIOD, label: name })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Errors and throttles',
        left: fns.map(([name, fn]) => fn.metricErrors({ period: PERIOD, label: `${name} errors` })),
        right: fns.map(([name, fn]) => fn.metricThrottles({ period: PERIOD, label: `${name} throttles` })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Duration p90 (ms)',
        left: fns.map(([name, fn]) => fn.metricDuration({ period: PERIOD, statistic: 'p90', label: name })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'API requests, 5xx (%) and p99 latency (ms)',
        left: [apiRequests],
        right: [apiServerErrorRate, apiLatencyP99],
        width: 24,
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }),
    );
  }

  /**
   * Saved Logs Insights queries, named `<stack name>/<pipeline's path in the stack>/<query>` so that
   * each stack's and each pipeline's are told apart (the console shows the parts as folders).
   */
  private addQueries(logGroups: PipelineMonitoringProps['logGroups']): void {
    // Query names may not hold `:` or `*`; `/` separates folders.
    const path = this.node.scope
      ? Names.stackRelativeConstructPath(this.node.scope).replace(/[:*]/g, '')
      : '';
    const prefix = [Stack.of(this).stackName, path].filter(Boolean).join('/');
    const define = (id: string, name: string, groups: logs.ILogGroup[], queryString: logs.QueryString) =>
      this.queries.push(
        new logs.QueryDefinition(this, id, {
          queryDefinitionName: `${prefix}/${name}`,
          queryString,
          logGroups: groups,
        }),
      );
    define(
      'CheckStoryQuery',
      'check story by checkId',
      Object.values(logGroups),
      new logs.QueryString({
        fields: [
          '@timestamp',
          'service',
          'level',
          'message',
          'status',
          'reason',
          'receiveCount',
          'error.name',
        ],
        // Replace the placeholder with the check's id before running it.
        filterStatements: ['checkId = "00000000-0000-0000-0000-000000000000"'],
        sort: '@timestamp asc',
        limit: 500,
      }),
    );
    define(
      'VendorErrorsQuery',
      'vendor errors by code',
      [logGroups.checker],
      new logs.QueryString({
        filterStatements: ['message = "vendor call failed"'],
        statsStatements: ['count(*) as calls by outcome, reason, httpStatus, code'],
        sort: 'calls desc',
      }),
    );
    define(
      'SlowestChecksQuery',
      'slowest checks',
      [logGroups.checker],
      new logs.QueryString({
        fields: [
          '@timestamp',
          'checkId',
          'status',
          'reason',
          'attempts',
          'receiveCount',
          'checkMs',
          'totalMs',
        ],
        filterStatements: ['message = "verdict recorded"'],
        sort: 'checkMs desc',
        limit: 25,
      }),
    );
  }
}

/** The final-check count metrics, named for math expressions, and each status's sum over them. */
function finalCheckCounts(period: Duration): {
  metrics: Record<string, cloudwatch.IMetric>;
  sums: Record<FinalStatus, string>;
} {
  const metrics: Record<string, cloudwatch.IMetric> = {};
  const sums = {} as Record<FinalStatus, string>;
  for (const status of FINAL_STATUSES) {
    const names = FINAL_CHECK_METRICS[status].map((m) => {
      const name = `${m.service}${m.metricName}`
        .replace(/[^A-Za-z0-9]/g, '')
        .replace(/^./, (c) => c.toLowerCase());
      // FILL: a period in which a function decided nothing has no datapoint, which is 0, not unknown.
      metrics[name] = serviceMetric(m, 'Sum', period);
      return `FILL(${name}, 0)`;
    });
    sums[status] = names.join(' + ');
  }
  return { metrics, sums };
}

/** The number of checks that reached `status` per period, whichever function decided them. */
function finalCountExpression(status: FinalStatus, period: Duration): cloudwatch.MathExpression {
  const { metrics, sums } = finalCheckCounts(period);
  const used = Object.fromEntries(
    Object.entries(metrics).filter(([name]) => sums[status].includes(`(${name},`)),
  );
  return new cloudwatch.MathExpression({
    expression: sums[status],
    usingMetrics: used,
    label: status,
    period,
  });
}

function serviceMetric(metric: ServiceMetric, statistic: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: metric.metricName,
    dimensionsMap: { service: metric.service },
    period,
    statistic,
  });
}
