import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import { CHECK_TABLE } from '../../shared/check-table.js';
import { passThrough, passThroughProblems, type SecureDefault } from './pass-through.js';
import { allow, PipelineFunction, type PipelineFunctionOptions } from './pipeline-function.js';
import { throwIfInvalid } from './problems.js';

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
  /**
   * Props passed through to the table, over its defaults; see `LivenessPipelineProps.tableProps`.
   * @default - the defaults alone
   */
  readonly tableProps?: dynamodb.TableProps;
}

/** The table's key, as `TableProps` must name it. */
const PARTITION_KEY: dynamodb.Attribute = {
  name: CHECK_TABLE.partitionKey,
  type: dynamodb.AttributeType.STRING,
};

/** What the table's defaults keep safe; a pass-through that changes one is warned about at synth. */
const TABLE_SECURE_DEFAULTS = {
  pointInTimeRecoverySpecification: {
    why: 'the checks and verdicts can be restored to any second of the last 35 days',
  },
  encryption: {
    why: 'the AWS managed key shows every use of the table key in CloudTrail (an AWS owned key does not)',
  },
  deletionProtection: { why: 'destroyOnDelete decides whether the checks can be deleted with the table' },
  removalPolicy: { why: 'destroyOnDelete decides whether the checks outlive the stack' },
} satisfies Partial<Record<keyof dynamodb.TableProps, SecureDefault>>;

/** What the pipeline decides on its table itself, with how to get what was meant. */
const TABLE_FIXED = {
  partitionKey: `the pipeline's items are keyed by ${CHECK_TABLE.partitionKey} (a string): give { name: '${CHECK_TABLE.partitionKey}', type: AttributeType.STRING }`,
  sortKey: `the pipeline's items are keyed by ${CHECK_TABLE.partitionKey} alone`,
  stream: `the notifier reads the stream with ${CHECK_TABLE.streamViewType}`,
  timeToLiveAttribute: `the pipeline expires items by ${CHECK_TABLE.ttlAttribute}`,
  pointInTimeRecovery: 'it is deprecated: use pointInTimeRecoverySpecification',
  encryptionKey:
    "a customer managed key for the table is not supported yet: the functions' table grants carry no KMS permissions (docs/deploy.md#passing-props-through)",
} satisfies Partial<Record<keyof dynamodb.TableProps, string>>;

/** What is wrong with the table's pass-through props, each with how to fix it. */
export function tablePassThroughProblems(props: Pick<CheckTableProps, 'tableProps'>): string[] {
  const problems = passThroughProblems('tableProps', TABLE_KEYS, props.tableProps, TABLE_FIXED);
  if (props.tableProps?.encryption === dynamodb.TableEncryption.CUSTOMER_MANAGED) {
    problems.push(
      `tableProps.encryption cannot be passed through as CUSTOMER_MANAGED: ${TABLE_FIXED.encryptionKey}`,
    );
  }
  return problems;
}

/** The values of the fixed fields that a pass-through may repeat. */
const TABLE_KEYS: Partial<dynamodb.TableProps> = {
  partitionKey: PARTITION_KEY,
  stream: dynamodb.StreamViewType[CHECK_TABLE.streamViewType],
  timeToLiveAttribute: CHECK_TABLE.ttlAttribute,
};

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
    throwIfInvalid('CheckTable', tablePassThroughProblems(props));
    this.table = new dynamodb.Table(
      scope,
      'CheckTable',
      passThrough(
        scope,
        'tableProps',
        {
          partitionKey: PARTITION_KEY,
          billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
          pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
          // Verdicts and ids only, no biometric data: the AWS managed key (no key fee; DynamoDB caches table keys).
          encryption: dynamodb.TableEncryption.AWS_MANAGED,
          timeToLiveAttribute: CHECK_TABLE.ttlAttribute,
          stream: dynamodb.StreamViewType[CHECK_TABLE.streamViewType],
          deletionProtection: removalPolicy !== RemovalPolicy.DESTROY,
          removalPolicy,
        },
        props.tableProps,
        TABLE_SECURE_DEFAULTS,
      ),
    );
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
