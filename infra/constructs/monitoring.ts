import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../shared/metrics-namespace.js';
import { type PipelineSettings, VENDOR_METRICS } from '../settings.js';

/** What the monitoring watches. */
export interface PipelineMonitoringProps {
  readonly settings: PipelineSettings;
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly selfieQueue: sqs.IQueue;
  readonly selfieDlq: sqs.IQueue;
  readonly notifierDlq: sqs.IQueue;
  readonly notifier: lambda.IFunction;
  readonly alarmTopic: sns.ITopic;
}

const PERIOD = Duration.minutes(5);

/** The pipeline's alarms (all notify the alarm topic, on alarm and on recovery) and its dashboard. */
export class PipelineMonitoring extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    const { settings } = props;
    const action = new actions.SnsAction(props.alarmTopic);
    const add = (alarmId: string, alarmProps: cloudwatch.AlarmProps) => {
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...alarmProps,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      this.alarms.push(alarm);
      return alarm;
    };

    add('SelfieDlqDepth', {
      alarmDescription:
        'Selfie notifications reached the DLQ: their checks were recorded FAILED; inspect and redrive.',
      metric: props.selfieDlq.metricApproximateNumberOfMessagesVisible({
        period: PERIOD,
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    add('NotifierDlqDepth', {
      alarmDescription: 'Stream batches the notifier could not publish reached its DLQ: events are missing.',
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
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: 'ChecksFailedUnclaimed',
        dimensionsMap: { service: 'sweeper' },
        period: PERIOD,
        statistic: 'Sum',
      }),
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

    const vendorCalls = vendorMetric(VENDOR_METRICS.calls);
    const vendorErrors = vendorMetric(VENDOR_METRICS.errors);
    const vendorErrorRate = new cloudwatch.MathExpression({
      expression: 'IF(calls > 0, 100 * errors / calls, 0)',
      usingMetrics: { errors: vendorErrors, calls: vendorCalls },
      label: 'Vendor error rate (%)',
      period: PERIOD,
    });
    add('VendorErrorRate', {
      alarmDescription: `More than ${VENDOR_METRICS.errorRateAlarmPercent}% of Apptenticate calls failed for 15 minutes.`,
      metric: vendorErrorRate,
      threshold: VENDOR_METRICS.errorRateAlarmPercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    const fns = Object.entries(props.functions);
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Verdicts',
        left: ['ChecksPassed', 'ChecksRejected', 'ChecksFailed', 'ChecksExpired'].map((name) =>
          vendorMetric(name),
        ),
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
        left: [vendorMetric(VENDOR_METRICS.latency, 'p90')],
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
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }),
    );
  }
}

function vendorMetric(metricName: string, statistic = 'Sum'): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { ...VENDOR_METRICS.dimensions },
    period: PERIOD,
    statistic,
  });
}
