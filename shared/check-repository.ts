import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { CheckItem, Device, FinalOutcome, SweepStatus } from './check.js';
import {
  attributeNames,
  CLAIMABLE_CONDITION,
  type FinalizeGuard,
  guardCondition,
  type ObjectFacts,
  SAME_LEASE_CONDITION,
  setObjectFacts,
  setOutcome,
  UPLOAD_EXPIRED_CONDITION,
} from './check-conditions.js';
import { CHECK_TABLE } from './check-table.js';
import { classifyAwsError } from './errors.js';

export type { FinalizeGuard, ObjectFacts } from './check-conditions.js';

/** The sparse global secondary index the sweeper queries: `sweepStatus` (hash) + `sweepAt` (range). */
export const SWEEP_INDEX_NAME = CHECK_TABLE.sweepIndex.name;

/** The result of a conditional write: either it was applied, or here is what stopped it. */
export type WriteResult = { written: true; item: CheckItem } | { written: false; current?: CheckItem };

/** The check item store. Every transition is one conditional write; the item is the idempotency lock. */
export class CheckRepository {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    /** How long check items live before DynamoDB TTL removes them. */
    private readonly retentionSeconds: number,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  /** Reads a check with a strongly consistent read. */
  async get(checkId: string): Promise<CheckItem | undefined> {
    try {
      const { Item } = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: { checkId }, ConsistentRead: true }),
      );
      return Item as CheckItem | undefined;
    } catch (error) {
      throw classifyAwsError(error, 'DynamoDB GetItem');
    }
  }

  /** Creates a check awaiting its upload; refuses to overwrite an existing id. */
  async createAwaitingUpload(input: {
    checkId: string;
    now: Date;
    uploadExpiresAt: Date;
    device?: Device;
    reference?: string;
    contentType?: string;
    /** Who asked for the check: only they may read it. */
    owner?: string;
  }): Promise<CheckItem> {
    const now = input.now.toISOString();
    const item: CheckItem = {
      checkId: input.checkId,
      status: 'AWAITING_UPLOAD',
      version: 1,
      createdAt: now,
      updatedAt: now,
      attempts: 0,
      uploadExpiresAt: input.uploadExpiresAt.toISOString(),
      sweepStatus: 'AWAITING_UPLOAD',
      sweepAt: input.uploadExpiresAt.toISOString(),
      expiresAt: this.ttlFrom(input.now),
      ...(input.device ? { device: input.device } : {}),
      ...(input.reference !== undefined ? { reference: input.reference } : {}),
      ...(input.contentType ? { contentType: input.contentType } : {}),
      ...(input.owner !== undefined ? { owner: input.owner } : {}),
    };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#checkId)',
          ExpressionAttributeNames: { '#checkId': 'checkId' },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return item;
    } catch (error) {
      // An SDK retry of a put applied with its answer lost finds this very creation (decision 15).
      if (
        error instanceof ConditionalCheckFailedException &&
        error.Item &&
        isSameCreation(unmarshall(error.Item), item)
      ) {
        return item;
      }
      throw classifyAwsError(error, 'DynamoDB PutItem');
    }
  }

  /**
   * Claims a check for one vendor call: creates it if the object arrived without `POST /checks`, or
   * moves it to CHECKING if it awaits its upload, its previous lease ran out, or the lease is already
   * `leaseId`'s own (a retried claim whose first answer was lost, with a fresh expiry). The checker
   * gives each delivery a lease of its own, so a live lease is never resumed by another (decision 14).
   * Anything else (final, or CHECKING under another live lease) is not claimed and comes back as
   * `current`.
   */
  async claim(input: {
    checkId: string;
    object: ObjectFacts;
    leaseId: string;
    leaseMs: number;
    now: Date;
    /** Abandons the write (the record's deadline); it may or may not have been applied. */
    abortSignal?: AbortSignal;
  }): Promise<WriteResult> {
    const nowMs = input.now.getTime();
    const leaseExpiresAt = nowMs + input.leaseMs;
    const values: Record<string, unknown> = {
      ':checking': 'CHECKING',
      ':awaiting': 'AWAITING_UPLOAD',
      ':nowMs': nowMs,
      ':lease': leaseExpiresAt,
      ':leaseId': input.leaseId,
      ':now': input.now.toISOString(),
      ':zero': 0,
      ':one': 1,
      ':ttl': this.ttlFrom(input.now),
    };
    const sets = [
      '#status = :checking',
      '#leaseExpiresAt = :lease',
      '#leaseId = :leaseId',
      // Only a claim that creates the item (a direct upload) puts it in the sweep index; a claim of an
      // existing check leaves its index entry as it is, which costs the index no write (decision 13).
      '#sweepStatus = if_not_exists(#sweepStatus, :checking)',
      '#sweepAt = if_not_exists(#sweepAt, :now)',
      '#updatedAt = :now',
      '#createdAt = if_not_exists(#createdAt, :now)',
      '#version = if_not_exists(#version, :zero) + :one',
      '#attempts = if_not_exists(#attempts, :zero) + :one',
      '#expiresAt = if_not_exists(#expiresAt, :ttl)',
    ];
    setObjectFacts(input.object, sets, values);
    return await this.update(
      {
        TableName: this.tableName,
        Key: { checkId: input.checkId },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: CLAIMABLE_CONDITION,
        ExpressionAttributeValues: values,
      },
      input.abortSignal,
    );
  }

  /**
   * Gives a claim back after a retryable failure, so the next delivery of the message can claim the
   * check at once instead of waiting for the lease to run out.
   */
  async release(input: {
    checkId: string;
    leaseId: string;
    now: Date;
    abortSignal?: AbortSignal;
  }): Promise<WriteResult> {
    return await this.update(
      {
        TableName: this.tableName,
        Key: { checkId: input.checkId },
        UpdateExpression: 'SET #leaseExpiresAt = :nowMs, #updatedAt = :now, #version = #version + :one',
        ConditionExpression: '#status = :checking AND #leaseId = :leaseId',
        ExpressionAttributeValues: {
          ':nowMs': input.now.getTime(),
          ':now': input.now.toISOString(),
          ':one': 1,
          ':checking': 'CHECKING',
          ':leaseId': input.leaseId,
        },
      },
      input.abortSignal,
    );
  }

  /**
   * Makes a check final, if the guard allows it. A refused write means another writer decided first;
   * `current` then holds what it decided.
   */
  async finalize(input: {
    checkId: string;
    outcome: FinalOutcome;
    guard: FinalizeGuard;
    now: Date;
    /** Facts to store when the write creates the item (an object that arrived without the API). */
    object?: ObjectFacts;
    abortSignal?: AbortSignal;
  }): Promise<WriteResult> {
    const now = input.now.toISOString();
    const values: Record<string, unknown> = {
      ':final': input.outcome.status,
      ':now': now,
      ':zero': 0,
      ':one': 1,
      ':ttl': this.ttlFrom(input.now),
    };
    const sets = [
      '#status = :final',
      '#decidedAt = :now',
      '#updatedAt = :now',
      '#createdAt = if_not_exists(#createdAt, :now)',
      '#version = if_not_exists(#version, :zero) + :one',
      '#attempts = if_not_exists(#attempts, :zero)',
      '#expiresAt = if_not_exists(#expiresAt, :ttl)',
    ];
    setOutcome(input.outcome, sets, values);
    if (input.object) setObjectFacts(input.object, sets, values);
    const condition = guardCondition(input.guard, input.now, values);
    return await this.update(
      {
        TableName: this.tableName,
        Key: { checkId: input.checkId },
        UpdateExpression: `SET ${sets.join(', ')} REMOVE #leaseId, #leaseExpiresAt, #sweepStatus, #sweepAt`,
        ConditionExpression: condition,
        ExpressionAttributeValues: values,
      },
      input.abortSignal,
    );
  }

  /**
   * Records that a check's selfie arrived in time although no checker has claimed it yet (its
   * notification waits in a queue backlog, or its first delivery failed): the check stays
   * `AWAITING_UPLOAD` for the checker, out of the sweeper's way until `until`. Only while it still
   * awaits its upload and the upload URL expired before `cutoff` (ISO), as the sweeper listed it.
   */
  async awaitClaim(input: { checkId: string; cutoff: string; until: Date; now: Date }): Promise<WriteResult> {
    return await this.update({
      TableName: this.tableName,
      Key: { checkId: input.checkId },
      UpdateExpression:
        'SET #sweepStatus = :uploaded, #sweepAt = :until, #updatedAt = :now, #version = #version + :one',
      ConditionExpression: UPLOAD_EXPIRED_CONDITION,
      ExpressionAttributeValues: {
        ':uploaded': 'UPLOADED',
        ':until': input.until.toISOString(),
        ':now': input.now.toISOString(),
        ':one': 1,
        ':awaiting': 'AWAITING_UPLOAD',
        ':cutoff': input.cutoff,
      },
    });
  }

  /**
   * Moves the sweep index entry of a live claim to `CHECKING` at `sweepAt`, so the sweeper stops
   * listing it where the claim left it (decision 13); only while the claim is still the one seen
   * (`leaseId`, `leaseExpiresAt`), so a release or a new claim made since is never deferred.
   */
  async followClaim(input: {
    checkId: string;
    leaseId: string;
    leaseExpiresAt: number;
    sweepAt: Date;
    now: Date;
  }): Promise<WriteResult> {
    return await this.update({
      TableName: this.tableName,
      Key: { checkId: input.checkId },
      UpdateExpression:
        'SET #sweepStatus = :checking, #sweepAt = :sweepAt, #updatedAt = :now, #version = #version + :one',
      ConditionExpression: SAME_LEASE_CONDITION,
      ExpressionAttributeValues: {
        ':checking': 'CHECKING',
        ':sweepAt': input.sweepAt.toISOString(),
        ':now': input.now.toISOString(),
        ':one': 1,
        ':leaseId': input.leaseId,
        ':lease': input.leaseExpiresAt,
      },
    });
  }

  /**
   * Lists live checks the sweeper may have to settle: those with `sweepStatus` and a `sweepAt`
   * before `cutoff`, a page at a time.
   */
  async listSweepable(input: {
    status: SweepStatus;
    cutoff: Date;
    limit: number;
    startKey?: Record<string, unknown>;
  }): Promise<{ items: CheckItem[]; nextKey?: Record<string, unknown> }> {
    try {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: SWEEP_INDEX_NAME,
          KeyConditionExpression: 'sweepStatus = :status AND sweepAt < :cutoff',
          ExpressionAttributeValues: { ':status': input.status, ':cutoff': input.cutoff.toISOString() },
          Limit: input.limit,
          ...(input.startKey ? { ExclusiveStartKey: input.startKey } : {}),
        }),
      );
      return {
        items: (page.Items ?? []) as CheckItem[],
        ...(page.LastEvaluatedKey ? { nextKey: page.LastEvaluatedKey } : {}),
      };
    } catch (error) {
      throw classifyAwsError(error, 'DynamoDB Query');
    }
  }

  private async update(command: UpdateCommandInput, abortSignal?: AbortSignal): Promise<WriteResult> {
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          ...command,
          ExpressionAttributeNames: attributeNames(command.UpdateExpression, command.ConditionExpression),
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        abortSignal ? { abortSignal } : {},
      );
      return { written: true, item: Attributes as CheckItem };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        // The document client does not unmarshall the item that came back with the failure.
        const current = error.Item ? (unmarshall(error.Item) as CheckItem) : undefined;
        return current ? { written: false, current } : { written: false };
      }
      throw classifyAwsError(error, 'DynamoDB UpdateItem');
    }
  }

  private ttlFrom(now: Date): number {
    return Math.floor(now.getTime() / 1000) + this.retentionSeconds;
  }
}

/** Whether a stored check is the one `created` wrote: same creation time, upload expiry and owner. */
function isSameCreation(stored: Record<string, unknown>, created: CheckItem): boolean {
  return (
    stored.createdAt === created.createdAt &&
    stored.uploadExpiresAt === created.uploadExpiresAt &&
    stored.owner === created.owner
  );
}
