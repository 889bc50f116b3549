import { Annotations, Duration, Lazy, Names, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { NOTIFIER_STREAM_FILTERS } from '../../functions/notifier/stream-filters.js';
import { DETAIL_TYPES } from '../../shared/events/contract.js';
import { LIVENESS_EVENT_SCHEMA } from '../../shared/events/schema.js';
import { passThrough, passThroughProblems } from './pass-through.js';
import { allow, PipelineFunction, type PipelineFunctionOptions } from './pipeline-function.js';
import { throwIfInvalid } from './problems.js';
import {
  acknowledgeDeadLetterQueue,
  DEAD_LETTER_QUEUE_FIXED,
  QUEUE_SECURE_DEFAULTS,
} from './selfie-storage.js';

/** How the notifier reads the check table's stream. */
export interface NotifierStreamOptions {
  /** Records per invocation. */
  readonly batchSize: number;
  /** How long Lambda gathers records before invoking (whole seconds, at most 5 minutes). */
  readonly maxBatchingWindow: Duration;
  /** Retries of a failing batch (bisected on each error) before it goes to the dead-letter queue. */
  readonly retryAttempts: number;
  /** Records older than this go to the dead-letter queue unprocessed (whole seconds). */
  readonly maxRecordAge: Duration;
}

/** Props of {@link LivenessEvents}. */
export interface LivenessEventsProps {
  /**
   * An existing event bus to publish the liveness events on.
   * @default - a new event bus
   */
  readonly eventBus?: events.IEventBus;
  /**
   * The name of the bus this part creates (not with `eventBus`): `[A-Za-z0-9._/-]`, at most 256.
   * A bus's name is fixed: changing it replaces the bus.
   * @default - derived from the stack name and the construct path (`Names.uniqueResourceName`),
   * so two stacks, or two pipelines in one stack, never share it
   */
  readonly eventBusName?: string;
  /** The `source` of every liveness event. */
  readonly eventSource: string;
  /** How long the archive keeps the events for replay (whole days). */
  readonly archiveRetention: Duration;
  /**
   * Create an SQS queue that receives every liveness event through the example rule, so events can
   * be inspected.
   * @default true
   */
  readonly eventTap?: boolean;
  /** The check table whose stream (transitions into a final status) the notifier publishes. */
  readonly table: dynamodb.ITable;
  /** The notifier function. */
  readonly notifier: PipelineFunctionOptions;
  /** How the notifier reads the stream. */
  readonly stream: NotifierStreamOptions;
  /** How long the notifier's dead-letter queue keeps a failed batch (at most 14 days). */
  readonly deadLetterRetention: Duration;
  /**
   * AWS accounts allowed to manage their own rules on the bus for the liveness events.
   * @default - none
   */
  readonly subscriberAccounts?: string[];
  /**
   * Props passed through to the notifier's dead-letter queue, over its defaults; see
   * `LivenessPipelineProps.notifierDeadLetterQueueProps`.
   * @default - the defaults alone
   */
  readonly notifierDeadLetterQueueProps?: sqs.QueueProps;
}

/**
 * The event side: the event bus, its archive, the schema registry with the event schema, an
 * example rule (with an optional tap queue), and the notifier that turns check-table stream
 * records into events, with its dead-letter queue.
 *
 * A part of `LivenessPipeline`: it creates its resources directly in `scope` with fixed ids (see
 * the comment in infra/liveness-pipeline.ts), so a scope holds at most one.
 */
export class LivenessEvents {
  readonly eventBus: events.IEventBus;
  readonly eventArchive: events.Archive;
  readonly schemaRegistry: eventschemas.CfnRegistry;
  readonly eventSchema: eventschemas.CfnSchema;
  /** The example rule: every liveness event from this pipeline. */
  readonly exampleRule: events.Rule;
  /** The queue the example rule feeds, when `eventTap` is on. */
  readonly eventTapQueue?: sqs.Queue;
  readonly notifier: PipelineFunction;
  /** Stream batches the notifier could not publish. */
  readonly notifierDeadLetterQueue: sqs.Queue;
  /** The bus policy letting `subscriberAccounts` manage their own rules, when there are any. */
  readonly subscriberPolicy?: events.CfnEventBusPolicy;

  constructor(scope: Construct, props: LivenessEventsProps) {
    throwIfInvalid('LivenessEvents', [
      ...passThroughProblems(
        'notifierDeadLetterQueueProps',
        { retentionPeriod: props.deadLetterRetention },
        props.notifierDeadLetterQueueProps,
        DEAD_LETTER_QUEUE_FIXED,
      ),
    ]);
    this.notifierDeadLetterQueue = new sqs.Queue(
      scope,
      'NotifierDeadLetterQueue',
      passThrough(
        scope,
        'notifierDeadLetterQueueProps',
        {
          encryption: sqs.QueueEncryption.SQS_MANAGED,
          enforceSSL: true,
          retentionPeriod: props.deadLetterRetention,
        },
        props.notifierDeadLetterQueueProps,
        QUEUE_SECURE_DEFAULTS,
      ),
    );
    acknowledgeDeadLetterQueue(this.notifierDeadLetterQueue);

    throwIfInvalid('LivenessEvents', [
      ...eventsProblems(props),
      ...(props.eventBus ? busPlaceProblems(scope, props.eventBus) : []),
    ]);
    this.eventBus = props.eventBus ?? createEventBus(scope, props.eventBusName);
    this.eventArchive = new events.Archive(scope, 'EventArchive', {
      sourceEventBus: this.eventBus,
      description: 'Selfie liveness events, for replay',
      eventPattern: { source: [props.eventSource] },
      retention: props.archiveRetention,
    });
    this.schemaRegistry = new eventschemas.CfnRegistry(scope, 'SchemaRegistry', {
      description: 'Selfie liveness event schemas',
    });
    this.eventSchema = new eventschemas.CfnSchema(scope, 'EventSchema', {
      registryName: this.schemaRegistry.attrRegistryName,
      type: 'JSONSchemaDraft4',
      content: JSON.stringify(LIVENESS_EVENT_SCHEMA),
      description: 'A selfie liveness event (Liveness Check Passed|Rejected|Failed|Expired)',
    });
    if (props.subscriberAccounts && props.subscriberAccounts.length > 0) {
      this.subscriberPolicy = subscriberPolicy(
        scope,
        this.eventBus,
        props.eventSource,
        props.subscriberAccounts,
      );
      subscriberSourceRequired(scope, this.eventBus, props.subscriberAccounts);
    }
    this.exampleRule = new events.Rule(scope, 'ExampleRule', {
      eventBus: this.eventBus,
      description: 'Example subscription: every liveness event from this pipeline',
      eventPattern: { source: [props.eventSource], detailType: Object.values(DETAIL_TYPES) },
    });
    if (props.eventTap ?? true) {
      const tap = new sqs.Queue(scope, 'EventTapQueue', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(1),
      });
      Validations.of(tap).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'An inspection tap: its messages are copies of archived events and expire after a day.',
      });
      this.exampleRule.addTarget(new targets.SqsQueue(tap));
      this.eventTapQueue = tap;
    }

    this.notifier = new PipelineFunction(scope, 'Notifier', {
      name: 'notifier',
      description: 'Publishes final check statuses to EventBridge',
      ...props.notifier,
    });
    this.notifier.bind(
      'EVENT_BUS_NAME',
      this.eventBus.eventBusName,
      allow(['events:PutEvents'], [this.eventBus.eventBusArn]),
    );
    this.notifier.function.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: props.stream.batchSize,
        maxBatchingWindow: props.stream.maxBatchingWindow,
        bisectBatchOnError: true,
        retryAttempts: props.stream.retryAttempts,
        maxRecordAge: props.stream.maxRecordAge,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.notifierDeadLetterQueue),
        filters: NOTIFIER_STREAM_FILTERS.map((pattern) => lambda.FilterCriteria.filter(pattern)),
      }),
    );
    this.notifier.acknowledgeWildcard(
      '*',
      'dynamodb:ListStreams has no resource-level permissions; CDK grants it with the stream read permissions.',
    );
  }
}

/**
 * The bus, named after the stack name and its construct path. Before 0.2.0 CDK derived the name from
 * the construct path alone (`Names.uniqueId`), which leaves out the stack name: two stages deployed
 * from one app shape (one construct id, a stack name per stage) both wanted the same bus. The two are
 * equal for a top-level stack whose name is its construct id (the ready app), whose bus keeps its name.
 */
function createEventBus(scope: Construct, eventBusName: string | undefined): events.EventBus {
  const bus: events.EventBus = new events.EventBus(scope, 'EventBus', {
    eventBusName: eventBusName ?? Lazy.string({ produce: () => defaultBusName(bus) }),
  });
  const before = Names.uniqueId(bus);
  if (eventBusName === undefined && defaultBusName(bus) !== before) {
    Annotations.of(scope).addWarningV2(
      '@selfie-liveness/pipeline:eventBusRenamed',
      `The event bus is now named ${defaultBusName(bus)} (after the stack name); up to 0.1.0 it was named ${before} (after the construct path, which another stage's stack can share). If this stack was deployed before, deploying replaces its bus: subscriber rules and the archive stay with the old one. To keep it, set eventBusName: '${before}' (or -c eventBusName=${before}); otherwise acknowledge this warning (docs/deploy.md#upgrade).`,
    );
  }
  return bus;
}

function defaultBusName(bus: Construct): string {
  return Names.uniqueResourceName(bus, { maxLength: 256 });
}

/**
 * A brought bus must be in the stack's own account and region: the archive and the example rule are
 * created in the stack's account on a bus of that name, and the notifier's `EVENT_BUS_NAME` names a
 * bus of its own account. Unknown (an environment-agnostic stack) is not checked: docs/deploy.md.
 */
function busPlaceProblems(scope: Construct, bus: events.IEventBus): string[] {
  const stack = Stack.of(scope);
  const problems: string[] = [];
  const differs = (theirs: string, ours: string) =>
    !Token.isUnresolved(theirs) && !Token.isUnresolved(ours) && theirs !== ours;
  const where = Token.isUnresolved(bus.eventBusArn) ? bus.eventBusName : bus.eventBusArn;
  if (differs(bus.env.account, stack.account)) {
    problems.push(
      `eventBus ${where} is in account ${bus.env.account}, but the pipeline deploys to ${stack.account}: its archive, example rule and notifier would act on a bus of this account. Either deploy the pipeline in account ${bus.env.account}, or leave eventBus out (the pipeline creates its bus here) and forward the liveness events to it with a rule whose target is that bus (its owner allows events:PutEvents from ${stack.account}; docs/deploy.md)`,
    );
  }
  if (differs(bus.env.region, stack.region)) {
    problems.push(
      `eventBus ${where} is in region ${bus.env.region}, but the pipeline deploys to ${stack.region}: deploy the pipeline in ${bus.env.region}, or leave eventBus out and forward the events to it with a rule`,
    );
  }
  return problems;
}

// EventBridge's bus name pattern; `default` is the account's own bus, never ours.
const EVENT_BUS_NAME = /^[A-Za-z0-9._/-]{1,256}$/;

/** What is wrong with the event props, each with how to fix it. */
export function eventsProblems(
  props: Pick<LivenessEventsProps, 'subscriberAccounts' | 'eventBus' | 'eventBusName'>,
): string[] {
  const problems: string[] = [];
  const name = props.eventBusName;
  if (name !== undefined && props.eventBus) {
    problems.push(
      'eventBusName names a bus the pipeline creates: leave it out with eventBus (a brought bus keeps its own name)',
    );
  } else if (
    name !== undefined &&
    !Token.isUnresolved(name) &&
    (!EVENT_BUS_NAME.test(name) || name === 'default')
  ) {
    problems.push(`eventBusName must be 1-256 letters, digits or ._/- and not "default", got "${name}"`);
  }
  for (const account of props.subscriberAccounts ?? []) {
    if (!Token.isUnresolved(account) && !/^\d{12}$/.test(account)) {
      problems.push(`subscriberAccounts entries must be 12-digit AWS account ids, got "${account}"`);
    }
  }
  if (
    props.subscriberAccounts &&
    new Set(props.subscriberAccounts).size !== props.subscriberAccounts.length
  ) {
    problems.push('subscriberAccounts lists an account twice');
  }
  return problems;
}

/**
 * A bus-policy statement id of this pipeline (at most 64 characters): a bus holds one statement per
 * id, and a brought bus may serve the pipelines of several stacks (stages) and of one stack.
 */
function statementId(prefix: string, scope: Construct): string {
  return `${prefix}${Names.uniqueResourceName(scope, { maxLength: 64 - prefix.length })}`;
}

/**
 * Lets other accounts create, change and delete rules on the bus, only their own (the rule's
 * creator account is the caller's) and only for the liveness events (their pattern names our
 * `source`), as AWS documents for a central bus. Their rules send the events to targets in their own
 * accounts. Sending events to the bus (`events:PutEvents`) is not granted.
 */
/**
 * Refuses the subscriber accounts a rule whose pattern names no `source`: it would match every event
 * on a shared bus, not only the liveness events (the Allow's ForAllValues lets an absent key through).
 */
function subscriberSourceRequired(
  scope: Construct,
  bus: events.IEventBus,
  accounts: string[],
): events.CfnEventBusPolicy {
  return new events.CfnEventBusPolicy(scope, 'EventBusSubscriberSourceRequired', {
    eventBusName: bus.eventBusName,
    statementId: statementId('LivenessSubscriberSource', scope),
    statement: new iam.PolicyStatement({
      effect: iam.Effect.DENY,
      principals: accounts.map((account) => new iam.AccountPrincipal(account)),
      actions: ['events:PutRule'],
      resources: ['*'],
      conditions: { Null: { 'events:source': 'true' } },
    }).toStatementJson(),
  });
}

function subscriberPolicy(
  scope: Construct,
  bus: events.IEventBus,
  eventSource: string,
  accounts: string[],
): events.CfnEventBusPolicy {
  // The L1: EventBusPolicy (aws-cdk-lib 2.276) puts the PolicyStatement object itself into the template.
  return new events.CfnEventBusPolicy(scope, 'EventBusSubscriberPolicy', {
    eventBusName: bus.eventBusName,
    statementId: statementId('LivenessSubscribers', scope),
    statement: new iam.PolicyStatement({
      sid: statementId('LivenessSubscribers', scope),
      principals: accounts.map((account) => new iam.AccountPrincipal(account)),
      actions: [
        'events:PutRule',
        'events:DeleteRule',
        'events:DescribeRule',
        'events:DisableRule',
        'events:EnableRule',
        'events:PutTargets',
        'events:RemoveTargets',
        'events:ListTargetsByRule',
      ],
      resources: [
        Stack.of(scope).formatArn({
          service: 'events',
          resource: 'rule',
          resourceName: `${bus.eventBusName}/*`,
          ...(bus.env.account ? { account: bus.env.account } : {}),
          ...(bus.env.region ? { region: bus.env.region } : {}),
        }),
      ],
      conditions: {
        StringEqualsIfExists: {
          // An IAM policy variable, resolved by EventBridge, not a template placeholder.
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal IAM policy variable
          'events:creatorAccount': '${aws:PrincipalAccount}',
        },
        // Every source a rule's pattern names must be ours. The rule actions that carry no pattern
        // (targets, describe, delete) have no `events:source`, which ForAllValues lets through; a
        // PutRule without a source is refused by `subscriberSourceRequired`'s Deny.
        'ForAllValues:StringEquals': { 'events:source': [eventSource] },
      },
    }).toStatementJson(),
  });
}
