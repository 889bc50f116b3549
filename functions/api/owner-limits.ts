import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { type CheckItem, isFinalStatus } from '../../shared/check.js';
import type { CheckRepository } from '../../shared/check-repository.js';
import { CHECK_TABLE } from '../../shared/check-table.js';
import { classifyAwsError } from '../../shared/errors.js';
import type { Caller } from './caller.js';

/** The limits per owner; see docs/decisions/0008-per-owner-limits-in-the-check-table.md. */
export interface OwnerLimitSettings {
  /** A user's checks not yet final at once. */
  userMaxOpenChecks: number;
  /** Checks a user may create per clock minute. */
  userChecksPerMinute: number;
  /** Checks a service (an IAM principal) may create per clock minute; services have no open-check limit. */
  serviceChecksPerMinute: number;
  /** Checks a user may create per UTC day; services have no daily limit of their own. */
  userChecksPerDay: number;
  /** Checks the API creates per UTC day for everyone together: the vendor budget. */
  checksPerDay: number;
}

/** A limit that refused a creation: the answer's error code. */
export type LimitCode =
  | 'OWNER_RATE_LIMITED'
  | 'OPEN_CHECKS_LIMITED'
  | 'OWNER_DAILY_LIMITED'
  | 'CHECK_BUDGET_EXHAUSTED';

/** Whether a creation may go ahead, and if not, which limit stopped it and when to try again. */
export type Admission = { admitted: true } | { admitted: false; code: LimitCode; retryAfterSeconds: number };

/** What a request to create `checkId` for `caller` at `now` is. */
export interface CreationRequest {
  caller: Caller;
  checkId: string;
  now: Date;
}

/**
 * A reservation whose check item is not (yet) in the table is the creation in flight between the
 * reservation and its write; after this long it is a creation that failed and its slot is free.
 */
export const RESERVATION_GRACE_MS = 120_000;

/**
 * What `retry-after` says when a user has too many open checks: a hint, since a check ends when its
 * selfie is checked (seconds) or when the sweeper expires it (minutes after its upload form).
 */
export const OPEN_CHECKS_RETRY_AFTER_SECONDS = 30;

/** How long a minute's counter outlives its minute before DynamoDB's TTL may remove it. */
const MINUTE_COUNTER_TTL_SECONDS = 3600;

/** How long a day's counter outlives its day: yesterday's count stays readable for operators. */
const DAY_COUNTER_TTL_SECONDS = 86_400;

/**
 * The key of the installation's daily budget counter, before the day. Under the owner-counter prefix
 * (the only keys the api may update); `*` is no base64url character, so no owner's hash can be it.
 */
export const BUDGET_KEY_PREFIX = `${CHECK_TABLE.limitKeyPrefix}*budget*#`;

/**
 * Per-owner limits and the installation's daily budget, kept in the check table as conditional
 * counters (decision 8):
 *
 * - checks per minute: one item per owner and clock minute, `ADD count` under the condition that it
 *   is below the limit; a fixed window, so a burst across a minute boundary can reach twice it;
 * - a user's checks per UTC day, and everyone's checks per UTC day (the vendor budget,
 *   `owner#*budget*#<yyyy-mm-dd>`): the same kind of counter per day. A creation counts toward a
 *   limit only once every limit before it admitted it (minute, open checks, the user's day, the
 *   budget), so a caller refused by its own limits never spends the shared budget; one refused
 *   later gives its open-check slot back, while the counts it spent stay spent;
 * - a user's open checks: one item per owner holding the set of its open checks' reservations
 *   (`<reservedAtMs>:<checkId>`), `ADD` under the condition that the set is smaller than the limit.
 *   Nothing removes a reservation when its check ends; when the set is full, the reservations are
 *   compared with the checks themselves (strongly consistent reads) and those of final or vanished
 *   checks are deleted from it before one more try. So the set is never trusted beyond the items it
 *   names, and no other function writes to it.
 *
 * Each condition is evaluated atomically by DynamoDB, so concurrent creations never exceed a limit.
 */
export class OwnerLimits {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly checks: Pick<CheckRepository, 'get'>,
    private readonly settings: OwnerLimitSettings,
    /** How long an owner's set of open checks lives after its last change: the checks' own retention. */
    private readonly retentionSeconds: number,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /** Counts the creation against the caller's limits and the budget, or says which limit it would break. */
  async admit(request: CreationRequest): Promise<Admission> {
    const perMinute = await this.countMinute(request);
    if (!perMinute.admitted) return perMinute;
    if (request.caller.kind === 'user') {
      const open = await this.reserveOpenCheck(request);
      if (!open.admitted) return open;
      const perDay = await this.countDay(request, {
        key: `${ownerKey(request.caller)}#day#`,
        limit: this.settings.userChecksPerDay,
        code: 'OWNER_DAILY_LIMITED',
      });
      if (!perDay.admitted) return await this.refuseAfterReservation(request, perDay);
    }
    const budget = await this.countDay(request, {
      key: BUDGET_KEY_PREFIX,
      limit: this.settings.checksPerDay,
      code: 'CHECK_BUDGET_EXHAUSTED',
    });
    return budget.admitted ? budget : await this.refuseAfterReservation(request, budget);
  }

  /**
   * Gives back the open-check slot of a creation that failed after it was admitted (the minute's
   * count stays spent). Without it the slot frees itself after {@link RESERVATION_GRACE_MS}.
   */
  async release(request: CreationRequest): Promise<void> {
    if (request.caller.kind === 'service') return;
    await this.removeReservations(request.caller, [reservation(request)]);
  }

  private async countMinute({ caller, now }: CreationRequest): Promise<Admission> {
    const minute = Math.floor(now.getTime() / 60_000);
    const limit =
      caller.kind === 'user' ? this.settings.userChecksPerMinute : this.settings.serviceChecksPerMinute;
    const counted = await this.conditionalUpdate({
      Key: { checkId: `${ownerKey(caller)}#minute#${minute}` },
      UpdateExpression: 'ADD #count :one SET #expiresAt = :ttl',
      ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
      ExpressionAttributeNames: { '#count': 'count', '#expiresAt': CHECK_TABLE.ttlAttribute },
      ExpressionAttributeValues: {
        ':one': 1,
        ':limit': limit,
        ':ttl': (minute + 1) * 60 + MINUTE_COUNTER_TTL_SECONDS,
      },
    });
    if (counted.written) return { admitted: true };
    const msLeft = (minute + 1) * 60_000 - now.getTime();
    return {
      admitted: false,
      code: 'OWNER_RATE_LIMITED',
      retryAfterSeconds: Math.max(1, Math.ceil(msLeft / 1000)),
    };
  }

  /**
   * One more creation in the UTC day's counter under `key`, while it is below `limit`. Like the
   * minute's, a count spent by a creation that fails later is not given back.
   */
  private async countDay(
    { now }: CreationRequest,
    counter: { key: string; limit: number; code: LimitCode },
  ): Promise<Admission> {
    const day = now.toISOString().slice(0, 10);
    const dayEnd = Date.parse(`${day}T00:00:00.000Z`) + 86_400_000;
    const counted = await this.conditionalUpdate({
      Key: { checkId: `${counter.key}${day}` },
      UpdateExpression: 'ADD #count :one SET #expiresAt = :ttl',
      ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
      ExpressionAttributeNames: { '#count': 'count', '#expiresAt': CHECK_TABLE.ttlAttribute },
      ExpressionAttributeValues: {
        ':one': 1,
        ':limit': counter.limit,
        ':ttl': dayEnd / 1000 + DAY_COUNTER_TTL_SECONDS,
      },
    });
    if (counted.written) return { admitted: true };
    return {
      admitted: false,
      code: counter.code,
      retryAfterSeconds: Math.max(1, Math.ceil((dayEnd - now.getTime()) / 1000)),
    };
  }

  /** A refusal after the open-check slot was reserved: the slot goes back before the answer. */
  private async refuseAfterReservation(request: CreationRequest, refusal: Admission): Promise<Admission> {
    await this.release(request);
    return refusal;
  }

  private async reserveOpenCheck(request: CreationRequest): Promise<Admission> {
    const { caller, now } = request;
    for (let attempt = 0; ; attempt++) {
      const reserved = await this.conditionalUpdate({
        Key: { checkId: `${ownerKey(caller)}#open` },
        UpdateExpression: 'ADD #open :reservation SET #owner = :owner, #expiresAt = :ttl',
        ConditionExpression: 'attribute_not_exists(#open) OR size(#open) < :limit',
        ExpressionAttributeNames: {
          '#open': 'open',
          '#owner': 'owner',
          '#expiresAt': CHECK_TABLE.ttlAttribute,
        },
        ExpressionAttributeValues: {
          ':reservation': new Set([reservation(request)]),
          ':owner': caller.owner,
          ':limit': this.settings.userMaxOpenChecks,
          ':ttl': Math.floor(now.getTime() / 1000) + this.retentionSeconds,
        },
      });
      if (reserved.written) return { admitted: true };
      const stale = attempt === 0 ? await this.staleReservations(reserved.current?.open, now) : [];
      if (stale.length === 0) {
        return {
          admitted: false,
          code: 'OPEN_CHECKS_LIMITED',
          retryAfterSeconds: OPEN_CHECKS_RETRY_AFTER_SECONDS,
        };
      }
      await this.removeReservations(caller, stale);
    }
  }

  /** The reservations whose checks are final, or were never written and are past the grace. */
  private async staleReservations(open: unknown, now: Date): Promise<string[]> {
    const entries = open instanceof Set ? [...open].filter((e): e is string => typeof e === 'string') : [];
    const checked = await Promise.all(
      entries.map(async (entry) => {
        const [reservedAt = '', checkId = ''] = entry.split(':');
        const item: CheckItem | undefined = await this.checks.get(checkId);
        const stale = item
          ? isFinalStatus(item.status)
          : now.getTime() - Number(reservedAt) > RESERVATION_GRACE_MS;
        return stale ? [entry] : [];
      }),
    );
    return checked.flat();
  }

  private async removeReservations(caller: Caller, entries: string[]): Promise<void> {
    try {
      // Deleting an element a set does not hold is a no-op: removals never need a condition.
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { checkId: `${ownerKey(caller)}#open` },
          UpdateExpression: 'DELETE #open :entries',
          ExpressionAttributeNames: { '#open': 'open' },
          ExpressionAttributeValues: { ':entries': new Set(entries) },
        }),
      );
    } catch (error) {
      throw classifyAwsError(error, 'DynamoDB UpdateItem');
    }
  }

  private async conditionalUpdate(
    input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>,
  ): Promise<{ written: true } | { written: false; current?: Record<string, unknown> }> {
    try {
      await this.doc.send(
        new UpdateCommand({
          ...input,
          TableName: this.tableName,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { written: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        return error.Item ? { written: false, current: unmarshall(error.Item) } : { written: false };
      }
      throw classifyAwsError(error, 'DynamoDB UpdateItem');
    }
  }
}

/**
 * The key prefix of an owner's counters: a hash of who they are, so any id fits a key and the key
 * itself names nobody (the open-checks item keeps the owner in an attribute, for operators).
 */
function ownerKey(caller: Caller): string {
  const digest = createHash('sha256').update(`${caller.kind}:${caller.owner}`).digest('base64url');
  return `${CHECK_TABLE.limitKeyPrefix}${digest}`;
}

function reservation({ checkId, now }: CreationRequest): string {
  return `${now.getTime()}:${checkId}`;
}
