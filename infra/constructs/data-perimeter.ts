/**
 * The pipeline's data perimeter: resource policies that refuse every principal of the account the
 * pipeline does not name, whatever its own IAM policies allow (`s3:*`, `dynamodb:*`, ... on `*`).
 * A verdict is a security decision, so who may write where is decided here and not left to the
 * account's IAM: see docs/security.md for the attacks each statement stops.
 *
 * Each statement is an explicit Deny for `Principal: *` unless `aws:PrincipalArn` is one of the
 * roles allowed that action (a role's sessions carry the role ARN there), and unless the caller is
 * an AWS service acting as itself (S3 publishing to the queue, CloudWatch to the alarm topic), which
 * the Allow statements beside these scope with `aws:SourceArn`.
 */
import { Annotations, Names } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { CHECK_TABLE } from '../../shared/check-table.js';

/** The attributes only a decider (the checker, the sweeper) writes: the api's role never may. */
export const VERDICT_ATTRIBUTES = ['decidedAt', 'result', 'rejection', 'failure'] as const;

/** Every DynamoDB action that writes an item. */
export const TABLE_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
] as const;

/** Every S3 action that writes an object or its bytes (uploads, copies, replicas, restores). */
export const OBJECT_WRITE_ACTIONS = ['s3:PutObject*', 's3:ReplicateObject', 's3:RestoreObject'] as const;

/** Every S3 action that reads an object. */
export const OBJECT_READ_ACTIONS = ['s3:GetObject*'] as const;

/** The roles the perimeter lets in, by what they do. ARNs of roles (not of their sessions). */
export interface PerimeterRoles {
  readonly checker: string;
  readonly sweeper: string;
  readonly api: string;
  readonly notifier: string;
  readonly tokenRefresher: string;
  /** The installation's operators (`npm run ops`): republish, redrive, credential rotation. */
  readonly operators: string[];
  /** The installation's backends that upload selfies directly (no `POST /checks`). */
  readonly uploaders: string[];
}

/** What the perimeter guards. Brought resources whose policy this stack cannot edit get a warning. */
export interface PerimeterResources {
  readonly bucket: s3.IBucket;
  readonly selfieQueue: sqs.Queue;
  readonly table: dynamodb.Table;
  readonly eventBus: events.IEventBus;
  /** Whether this stack created the bus (a brought bus's policy is the installation's to set). */
  readonly ownsEventBus: boolean;
  readonly eventSource: string;
  readonly tokenSecret: secretsmanager.ISecret;
  readonly credentialsSecret: secretsmanager.ISecret;
  readonly key: kms.IKey;
}

/** A Deny of `actions` on `resources` to every principal but `allowed` (and AWS services as themselves). */
export function denyAllBut(
  actions: readonly string[],
  resources: string[],
  allowed: string[],
  conditions: Record<string, Record<string, unknown>> = {},
): iam.PolicyStatement {
  return new iam.PolicyStatement({
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: [...actions],
    resources,
    conditions: {
      ...conditions,
      // No one allowed: the Deny is for everyone (IAM refuses an empty list in a condition).
      ...(allowed.length > 0 ? { ArnNotLike: { 'aws:PrincipalArn': allowed } } : {}),
      BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
    },
  });
}

/** Adds the perimeter's statements to every resource policy this stack can edit; warns for the others. */
export function applyDataPerimeter(
  scope: Construct,
  roles: PerimeterRoles,
  resources: PerimeterResources,
): void {
  const warn = (what: string, advice: string) =>
    Annotations.of(scope).addWarningV2(
      `@selfie-liveness/pipeline:perimeter${what}`,
      `The ${what} is brought, so this construct cannot edit its policy: ${advice} (docs/security.md).`,
    );
  const { bucket, selfieQueue, table, key } = resources;
  if (roles.operators.length === 0) {
    Annotations.of(scope).addWarningV2(
      '@selfie-liveness/pipeline:noOperatorRoles',
      'No operator role is named (operatorRoles, or -c operatorRoleArns): nobody can put the Apptenticate credentials into the credentials secret, republish events or redrive the selfie DLQ. Name the roles your operators use (docs/deploy.md).',
    );
  }
  const objects = bucket.arnForObjects('*');

  // Selfies: only the api (whose role signs the presigned POST) and named uploaders write them, only
  // the checker reads them. Anyone else could get a paid check, or decide someone else's pending one.
  const bucketAdded = [
    bucket.addToResourcePolicy(denyAllBut(OBJECT_WRITE_ACTIONS, [objects], [roles.api, ...roles.uploaders])),
    bucket.addToResourcePolicy(denyAllBut(OBJECT_READ_ACTIONS, [objects], [roles.checker])),
  ];
  if (bucketAdded.some((r) => !r.statementAdded)) {
    warn(
      'Bucket',
      'deny s3:PutObject* to all but the api role and your uploaders, and s3:GetObject* to all but the checker role',
    );
  }

  // The selfie queue: S3 (its own Allow names the bucket) and operators redriving the DLQ send to it;
  // only the checker's event source receives. A forged notification could otherwise steer a check.
  selfieQueue.addToResourcePolicy(denyAllBut(['sqs:SendMessage'], [selfieQueue.queueArn], roles.operators));
  selfieQueue.addToResourcePolicy(
    denyAllBut(
      ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:PurgeQueue'],
      [selfieQueue.queueArn],
      [roles.checker],
    ),
  );

  // The check table: only the pipeline writes items; the api only creates checks and its counters,
  // never a verdict's attributes, so no item it writes is ever published (the notifier checks `decidedAt`).
  // A table's own policy cannot name the table's ARN (a circular reference): `*` is the table.
  table.addToResourcePolicy(
    denyAllBut(TABLE_WRITE_ACTIONS, ['*'], [roles.checker, roles.sweeper, roles.api]),
  );
  table.addToResourcePolicy(
    new iam.PolicyStatement({
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resources: ['*'],
      conditions: {
        ArnLike: { 'aws:PrincipalArn': [roles.api] },
        'ForAnyValue:StringEquals': { 'dynamodb:Attributes': [...VERDICT_ATTRIBUTES] },
      },
    }),
  );
  table.addToResourcePolicy(
    new iam.PolicyStatement({
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: TABLE_WRITE_ACTIONS.filter((a) => a !== 'dynamodb:PutItem'),
      resources: ['*'],
      conditions: {
        ArnLike: { 'aws:PrincipalArn': [roles.api] },
        'ForAnyValue:StringNotLike': { 'dynamodb:LeadingKeys': [`${CHECK_TABLE.limitKeyPrefix}*`] },
      },
    }),
  );

  // The bus: only the notifier (and operators republishing) put events with the pipeline's source.
  // `events:source` is a list (one value per entry): ForAnyValue matches an entry with our source.
  if (resources.ownsEventBus) {
    new events.CfnEventBusPolicy(scope, 'EventBusPublisherPolicy', {
      eventBusName: resources.eventBus.eventBusName,
      statementId: `OnlyPipelinePublishes${Names.uniqueId(scope)}`.slice(0, 64),
      statement: denyAllBut(
        ['events:PutEvents'],
        [resources.eventBus.eventBusArn],
        [roles.notifier, ...roles.operators],
        { 'ForAnyValue:StringEquals': { 'events:source': [resources.eventSource] } },
      ).toStatementJson(),
    });
  } else {
    warn(
      'EventBus',
      `deny events:PutEvents with events:source "${resources.eventSource}" on it to all but the notifier role and your operators, or anyone who can put events there can mint verdicts`,
    );
  }

  // Secrets: the token secret holds a live refresh token, the credentials secret the vendor password.
  const secretAdded = [
    resources.tokenSecret.addToResourcePolicy(
      denyAllBut(['secretsmanager:GetSecretValue'], ['*'], [roles.checker, roles.tokenRefresher]),
    ),
    resources.tokenSecret.addToResourcePolicy(
      denyAllBut(['secretsmanager:PutSecretValue'], ['*'], [roles.tokenRefresher]),
    ),
    resources.credentialsSecret.addToResourcePolicy(
      denyAllBut(['secretsmanager:GetSecretValue'], ['*'], [roles.tokenRefresher, ...roles.operators]),
    ),
    resources.credentialsSecret.addToResourcePolicy(
      denyAllBut(['secretsmanager:PutSecretValue'], ['*'], roles.operators),
    ),
  ];
  if (secretAdded.some((r) => !r.statementAdded)) {
    warn(
      'Secrets',
      'deny secretsmanager:GetSecretValue on the token secret to all but the checker and token-refresher roles, and on the credentials secret to all but the token-refresher and your operators',
    );
  }

  // The key: the account root keeps kms:* (its administration, and no lockout), but decrypting is
  // only for the roles that read selfies or secrets; AWS services acting as themselves are exempt.
  const keyAdded = key.addToResourcePolicy(
    denyAllBut(
      ['kms:Decrypt', 'kms:ReEncryptFrom'],
      ['*'],
      [roles.checker, roles.tokenRefresher, ...roles.operators],
    ),
  );
  if (!keyAdded.statementAdded) {
    warn('Key', 'deny kms:Decrypt to all but the checker and token-refresher roles and your operators');
  }
}
