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

/**
 * How long a counter remembers a creation it counted: an SDK retry of a count whose answer was lost
 * finds its creation there and is not counted again. Every write of one creation, retries included,
 * ends within the api's invocation, at most 29 s after the creation's `now` (`api.timeoutSeconds`,
 * which API Gateway caps): a creation is remembered from its slot of 30 s until the first count in
 * the slot after next (between 30 and 60 s), and a late write never forgets a slot still in use.
 */
export const COUNTED_SLOT_MS = 30_000;

/** The slots a counter's memory turns through: the current one, the one before, the next, and the one it forgets. */
const COUNTED_SLOTS = 4;

/** A count that is not one of this creation's own retries: its mark is not in the slot it was made in. */
const NOT_COUNTED_YET = 'NOT contains(#counted, :creation)';
/** A count that keeps the counter within its limit. */
const BELOW_LIMIT = '(attribute_not_exists(#count) OR #count < :limit)';
/** A reservation the set has room for, or that is already in it (a retry whose first answer was lost). */
const ROOM_OR_RESERVED = 'attribute_not_exists(#open) OR size(#open) < :limit OR contains(#open, :entry)';

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
 *
 * Every write is idempotent per creation, so an SDK retry of a write DynamoDB applied but whose answer
 * was lost never counts a creation twice (decision 15): a counter remembers the creations it counted
 * for {@link COUNTED_SLOT_MS} or more and takes a retry of one as counted; adding a reservation the set
 * holds already is admitted and changes nothing.
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

  /**
   * Counts the creation against the caller's limits and the budget, or says which limit it would
   * break. One that throws may have reserved an open-check slot: give it back with {@link release}.
   */
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
   * Gives back the open-check slot of a creation whose check will never be written: its admission or
   * presign failed (the counts it spent stay spent). Never after the check's write was sent: it may
   * have been applied (decision 15). Without it the slot frees itself after {@link RESERVATION_GRACE_MS}.
   */
  async release(request: CreationRequest): Promise<void> {
    if (request.caller.kind === 'service') return;
    await this.removeReservations(request.caller, [reservation(request)]);
  }

  private async countMinute(request: CreationRequest): Promise<Admission> {
    const { caller, now } = request;
    const minute = Math.floor(now.getTime() / 60_000);
    const limit =
      caller.kind === 'user' ? this.settings.userChecksPerMinute : this.settings.serviceChecksPerMinute;
    const counted = await this.countOnce(request, {
      key: `${ownerKey(caller)}#minute#${minute}`,
      limit,
      ttl: (minute + 1) * 60 + MINUTE_COUNTER_TTL_SECONDS,
    });
    if (counted) return { admitted: true };
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
    request: CreationRequest,
    counter: { key: string; limit: number; code: LimitCode },
  ): Promise<Admission> {
    const { now } = request;
    const day = now.toISOString().slice(0, 10);
    const dayEnd = Date.parse(`${day}T00:00:00.000Z`) + 86_400_000;
    const counted = await this.countOnce(request, {
      key: `${counter.key}${day}`,
      limit: counter.limit,
      ttl: dayEnd / 1000 + DAY_COUNTER_TTL_SECONDS,
    });
    if (counted) return { admitted: true };
    return {
      admitted: false,
      code: counter.code,
      retryAfterSeconds: Math.max(1, Math.ceil((dayEnd - now.getTime()) / 1000)),
    };
  }

  /**
   * Counts the creation in the counter under `key` while it is below `limit`, once: the creation's
   * mark goes into the memory slot of its time, and a write that finds its mark there already (a
   * retry of a count whose answer was lost) is refused and taken as counted. Each count also forgets
   * the slot two ahead of its own, which holds creations of 60 s and more before. Says whether the
   * creation is counted.
   */
  private async countOnce(
    { checkId, now }: CreationRequest,
    counter: { key: string; limit: number; ttl: number },
  ): Promise<boolean> {
    const slot = Math.floor(now.getTime() / COUNTED_SLOT_MS);
    const mark = creationMark(checkId);
    const countedIn = countedAttribute(slot);
    const result = await this.conditionalUpdate({
      Key: { checkId: counter.key },
      UpdateExpression: 'ADD #count :one, #counted :marks SET #expiresAt = :ttl REMOVE #forgotten',
      ConditionExpression: `${NOT_COUNTED_YET} AND ${BELOW_LIMIT}`,
      ExpressionAttributeNames: {
        '#count': 'count',
        '#counted': countedIn,
        '#forgotten': countedAttribute(slot + 2),
        '#expiresAt': CHECK_TABLE.ttlAttribute,
      },
      ExpressionAttributeValues: {
        ':one': 1,
        ':marks': new Set([mark]),
        ':creation': mark,
        ':limit': counter.limit,
        ':ttl': counter.ttl,
      },
    });
    if (result.written) return true;
    const remembered = result.current?.[countedIn];
    return remembered instanceof Set && remembered.has(mark);
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
        ConditionExpression: ROOM_OR_RESERVED,
        ExpressionAttributeNames: {
          '#open': 'open',
          '#owner': 'owner',
          '#expiresAt': CHECK_TABLE.ttlAttribute,
        },
        ExpressionAttributeValues: {
          ':reservation': new Set([reservation(request)]),
          ':entry': reservation(request),
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

/**
 * What a counter remembers of a creation: 48 bits of a hash of its check id, 8 characters, so a slot
 * of a few hundred creations stays within a write unit or two; two creations share a mark once in
 * about 10^14.
 */
function creationMark(checkId: string): string {
  return createHash('sha256').update(checkId).digest('base64url').slice(0, 8);
}

/** The attribute of a counter that remembers the creations counted in `slot`. */
function countedAttribute(slot: number): string {
  return `counted${slot % COUNTED_SLOTS}`;
}

function reservation({ checkId, now }: CreationRequest): string {
  return `${now.getTime()}:${checkId}`;
}
