import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import { CHECK_TABLE } from '../../shared/check-table.js';
import { allow, PipelineFunction, type PipelineFunctionOptions } from './pipeline-function.js';

/** Props of {@link CheckTable}. */
export interface CheckTableProps {
  /** The sweeper function: expires never-uploaded checks and fails stale ones. */
  readonly sweeper: PipelineFunctionOptions;
  /** How often the sweeper runs (whole minutes). */
  readonly sweepInterval: Duration;
  /**
   * `DESTROY` also turns off the table's deletion protection.
   * @default RemovalPolicy.RETAIN (with deletion protection)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The check table, one item per check (state machine and idempotency lock; its stream feeds the
 * notifier), with the sweep index and the scheduled sweeper that uses it.
 *
 * A part of `LivenessPipeline`: it creates its resources directly in `scope` with fixed ids (see
 * the comment in infra/liveness-pipeline.ts), so a scope holds at most one.
 */
export class CheckTable {
  readonly table: dynamodb.Table;
  readonly sweeper: PipelineFunction;
  readonly sweeperSchedule: events.Rule;

  constructor(scope: Construct, props: CheckTableProps) {
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const { sweepIndex } = CHECK_TABLE;
    this.table = new dynamodb.Table(scope, 'CheckTable', {
      partitionKey: { name: CHECK_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Verdicts and ids only, no biometric data: the AWS managed key (no key fee; DynamoDB caches table keys).
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: CHECK_TABLE.ttlAttribute,
      stream: dynamodb.StreamViewType[CHECK_TABLE.streamViewType],
      deletionProtection: removalPolicy !== RemovalPolicy.DESTROY,
      removalPolicy,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: sweepIndex.name,
      partitionKey: { name: sweepIndex.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: sweepIndex.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType[sweepIndex.projection],
    });

    this.sweeper = new PipelineFunction(scope, 'Sweeper', {
      name: 'sweeper',
      description: 'Expires never-uploaded checks and fails stale ones',
      ...props.sweeper,
    });
    this.sweeper.bind(
      'TABLE_NAME',
      this.table.tableName,
      allow(['dynamodb:Query'], [`${this.table.tableArn}/index/${sweepIndex.name}`]),
      // GetItem: an index entry a claim may have joined is read before its own deadline (decision 13).
      allow(['dynamodb:GetItem', 'dynamodb:UpdateItem'], [this.table.tableArn]),
    );
    this.sweeperSchedule = new events.Rule(scope, 'SweeperSchedule', {
      description: 'Runs the selfie liveness sweeper',
      schedule: events.Schedule.rate(props.sweepInterval),
      targets: [new targets.LambdaFunction(this.sweeper.function, { retryAttempts: 0 })],
    });
  }

  /**
   * Allows a function to update the per-owner limit counters (keys under `owner#`) and no other
   * item: IAM checks the item's partition key (`dynamodb:LeadingKeys`), so a check stays out of reach.
   */
  grantLimitCounters(fn: PipelineFunction): void {
    fn.grant(
      allow(['dynamodb:UpdateItem'], [this.table.tableArn], {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${CHECK_TABLE.limitKeyPrefix}*`] },
      }),
    );
  }

  /** Sets `TABLE_NAME` on a function and allows it exactly these actions on the table. */
  bindTable(fn: PipelineFunction, actions: string[]): void {
    fn.bind('TABLE_NAME', this.table.tableName, allow(actions, [this.table.tableArn]));
  }
}
