/**
 * The check repository in memory, for unit tests of the functions that write checks: the same
 * transitions under the same conditions as `CheckRepository` on DynamoDB, which one contract suite
 * (`test/shared/check-repository.contract.test.ts`) holds both to. Tests seed items, inject the faults
 * DynamoDB can raise, and read the items and the calls back.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { CheckItem, Device, FinalOutcome, SweepStatus } from '../../shared/check.js';
import type {
  CheckRepository,
  FinalizeGuard,
  ObjectFacts,
  WriteResult,
} from '../../shared/check-repository.js';
import { classifyAwsError } from '../../shared/errors.js';

type Repository = Pick<
  CheckRepository,
  | 'get'
  | 'createAwaitingUpload'
  | 'claim'
  | 'release'
  | 'finalize'
  | 'awaitClaim'
  | 'followClaim'
  | 'listSweepable'
>;

/** A repository operation, as the fake records it and as faults name it. */
export type RepositoryOperation = keyof Repository;

/** One call the fake received: the operation and its input (`abortSignal` included). */
export interface RepositoryCall {
  op: RepositoryOperation;
  input: Record<string, unknown>;
}

interface Fault {
  op: RepositoryOperation;
  error: () => unknown;
  left: number;
  afterApplying: boolean;
}

/** The DynamoDB operation each repository operation is, as errors name it. */
const ACTION: Record<RepositoryOperation, string> = {
  get: 'DynamoDB GetItem',
  createAwaitingUpload: 'DynamoDB PutItem',
  claim: 'DynamoDB UpdateItem',
  release: 'DynamoDB UpdateItem',
  finalize: 'DynamoDB UpdateItem',
  awaitClaim: 'DynamoDB UpdateItem',
  followClaim: 'DynamoDB UpdateItem',
  listSweepable: 'DynamoDB Query',
};

/** The check table in memory, behind the repository's interface. */
export class InMemoryCheckRepository implements Repository {
  /** The items as stored, by check id. */
  readonly items = new Map<string, CheckItem>();
  /** Every call, in order, faulted ones included. */
  readonly calls: RepositoryCall[] = [];
  private faults: Fault[] = [];

  constructor(private readonly retentionSeconds = 86_400) {}

  /** Stores `item` as it is (a check some other writer left), replacing any item of its id. */
  put(item: CheckItem): void {
    this.items.set(item.checkId, stored(item));
  }

  /**
   * Makes the next `times` calls of `op` fail with `error()`, an AWS SDK error the repository turns
   * into its retryable or terminal kind as it does on DynamoDB. `afterApplying`: the write is made,
   * and only its answer is lost (a connection reset on the way back).
   */
  fail(
    op: RepositoryOperation,
    error: () => unknown,
    options: { times?: number; afterApplying?: boolean } = {},
  ): void {
    this.faults.push({
      op,
      error,
      left: options.times ?? Number.POSITIVE_INFINITY,
      afterApplying: options.afterApplying ?? false,
    });
  }

  /** Forgets every fault not used up yet. */
  heal(): void {
    this.faults = [];
  }

  /** The calls of `op`, in order. */
  callsOf(op: RepositoryOperation): Record<string, unknown>[] {
    return this.calls.filter((call) => call.op === op).map((call) => call.input);
  }

  async get(checkId: string): Promise<CheckItem | undefined> {
    return await this.run('get', { checkId }, () => {
      const item = this.items.get(checkId);
      return item ? copy(item) : undefined;
    });
  }

  async createAwaitingUpload(input: {
    checkId: string;
    now: Date;
    uploadExpiresAt: Date;
    device?: Device;
    reference?: string;
    contentType?: string;
    owner?: string;
  }): Promise<CheckItem> {
    return await this.run('createAwaitingUpload', input, () => {
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
      const existing = this.items.get(input.checkId);
      if (existing) {
        // A retry of this very creation, whose first answer was lost, is answered with it (decision 15).
        if (isSameCreation(existing, item)) return item;
        throw refusal();
      }
      this.items.set(item.checkId, stored(item));
      return copy(item);
    });
  }

  async claim(input: {
    checkId: string;
    object: ObjectFacts;
    leaseId: string;
    leaseMs: number;
    now: Date;
    abortSignal?: AbortSignal;
  }): Promise<WriteResult> {
    return await this.run('claim', input, () =>
      this.update(input.checkId, claimable(input.now.getTime(), input.leaseId), (item) => {
        const now = input.now.toISOString();
        item.status = 'CHECKING';
        item.leaseExpiresAt = input.now.getTime() + input.leaseMs;
        item.leaseId = input.leaseId;
        // A claim of an existing check leaves its sweep index entry as it is (decision 13).
        item.sweepStatus ??= 'CHECKING';
        item.sweepAt ??= now;
        item.updatedAt = now;
        item.createdAt ??= now;
        item.version = (item.version ?? 0) + 1;
        item.attempts = (item.attempts ?? 0) + 1;
        item.expiresAt ??= this.ttlFrom(input.now);
        setObjectFacts(item, input.object);
      }),
    );
  }

  async release(input: {
    checkId: string;
    leaseId: string;
    now: Date;
    abortSignal?: AbortSignal;
  }): Promise<WriteResult> {
    return await this.run('release', input, () =>
      this.update(
        input.checkId,
        (item) => item?.status === 'CHECKING' && item.leaseId === input.leaseId,
        (item) => {
          item.leaseExpiresAt = input.now.getTime();
          item.updatedAt = input.now.toISOString();
          item.version += 1;
        },
      ),
    );
  }

  async finalize(input: {
    checkId: string;
    outcome: FinalOutcome;
    guard: FinalizeGuard;
    now: Date;
    object?: ObjectFacts;
    abortSignal?: AbortSignal;
  }): Promise<WriteResult> {
    return await this.run('finalize', input, () =>
      this.update(input.checkId, guardAllows(input.guard, input.now), (item) => {
        const now = input.now.toISOString();
        item.status = input.outcome.status;
        item.decidedAt = now;
        item.updatedAt = now;
        item.createdAt ??= now;
        item.version = (item.version ?? 0) + 1;
        item.attempts ??= 0;
        item.expiresAt ??= this.ttlFrom(input.now);
        const outcome = input.outcome;
        if ('result' in outcome && outcome.result) item.result = outcome.result;
        if (outcome.status === 'REJECTED') item.rejection = outcome.rejection;
        if (outcome.status === 'FAILED') item.failure = outcome.failure;
        if (input.object) setObjectFacts(item, input.object);
        delete item.leaseId;
        delete item.leaseExpiresAt;
        delete item.sweepStatus;
        delete item.sweepAt;
      }),
    );
  }

  async awaitClaim(input: { checkId: string; cutoff: string; until: Date; now: Date }): Promise<WriteResult> {
    return await this.run('awaitClaim', input, () =>
      this.update(input.checkId, uploadExpired(input.cutoff), (item) => {
        item.sweepStatus = 'UPLOADED';
        item.sweepAt = input.until.toISOString();
        item.updatedAt = input.now.toISOString();
        item.version += 1;
      }),
    );
  }

  async followClaim(input: {
    checkId: string;
    leaseId: string;
    leaseExpiresAt: number;
    sweepAt: Date;
    now: Date;
  }): Promise<WriteResult> {
    return await this.run('followClaim', input, () =>
      this.update(
        input.checkId,
        (item) =>
          item?.status === 'CHECKING' &&
          item.leaseId === input.leaseId &&
          item.leaseExpiresAt === input.leaseExpiresAt,
        (item) => {
          item.sweepStatus = 'CHECKING';
          item.sweepAt = input.sweepAt.toISOString();
          item.updatedAt = input.now.toISOString();
          item.version += 1;
        },
      ),
    );
  }

  async listSweepable(input: {
    status: SweepStatus;
    cutoff: Date;
    limit: number;
    startKey?: Record<string, unknown>;
  }): Promise<{ items: CheckItem[]; nextKey?: Record<string, unknown> }> {
    return await this.run('listSweepable', input, () => {
      const cutoff = input.cutoff.toISOString();
      // The index in its order: by sweepAt, then (for ties) by check id.
      const entries = [...this.items.values()]
        .filter((item) => item.sweepStatus === input.status && lessThan(item.sweepAt, cutoff))
        .sort((a, b) => order(a.sweepAt, b.sweepAt) || order(a.checkId, b.checkId));
      const start = input.startKey
        ? entries.findIndex((item) => item.checkId === input.startKey?.checkId) + 1
        : 0;
      const items = entries.slice(start, start + input.limit);
      const last = items.at(-1);
      // As DynamoDB: a full page says where it stopped, even when nothing follows.
      const nextKey =
        items.length === input.limit && last
          ? { checkId: last.checkId, sweepStatus: last.sweepStatus, sweepAt: last.sweepAt }
          : undefined;
      return { items: items.map(copy), ...(nextKey ? { nextKey } : {}) };
    });
  }

  /** One conditional write: applied to a copy when `allows` the item as it stands, else refused with it. */
  private update(
    checkId: string,
    allows: (item: CheckItem | undefined) => boolean,
    apply: (item: CheckItem) => void,
  ): WriteResult {
    const current = this.items.get(checkId);
    if (!allows(current)) return current ? { written: false, current: copy(current) } : { written: false };
    const item = (current ? copy(current) : { checkId }) as CheckItem;
    apply(item);
    this.items.set(checkId, stored(item));
    return { written: true, item: copy(item) };
  }

  private async run<T>(op: RepositoryOperation, input: object, operation: () => T): Promise<T> {
    this.calls.push({ op, input: { ...input } });
    const fault = this.faults.find((f) => f.op === op && f.left > 0);
    if (fault) fault.left -= 1;
    try {
      if (fault && !fault.afterApplying) throw fault.error();
      const result = operation();
      if (fault) throw fault.error();
      return result;
    } catch (error) {
      throw classifyAwsError(error, ACTION[op]);
    }
  }

  private ttlFrom(now: Date): number {
    return Math.floor(now.getTime() / 1000) + this.retentionSeconds;
  }
}

/** A claim's condition: no item yet, awaiting its upload, a lease that ran out, or the caller's own lease. */
function claimable(nowMs: number, leaseId: string) {
  return (item: CheckItem | undefined) =>
    unclaimed(nowMs)(item) || (item?.status === 'CHECKING' && item.leaseId === leaseId);
}

function unclaimed(nowMs: number) {
  return (item: CheckItem | undefined) =>
    item === undefined ||
    item.status === 'AWAITING_UPLOAD' ||
    (item.status === 'CHECKING' && lessThan(item.leaseExpiresAt, nowMs));
}

function uploadExpired(cutoff: string) {
  return (item: CheckItem | undefined) =>
    item?.status === 'AWAITING_UPLOAD' &&
    item.sweepStatus === 'AWAITING_UPLOAD' &&
    lessThan(item.uploadExpiresAt, cutoff);
}

function guardAllows(guard: FinalizeGuard, now: Date): (item: CheckItem | undefined) => boolean {
  switch (guard.kind) {
    case 'lease':
      return (item) => item?.status === 'CHECKING' && item.leaseId === guard.leaseId;
    case 'unclaimed':
      return unclaimed(now.getTime());
    case 'own-or-unclaimed':
      return claimable(now.getTime(), guard.leaseId);
    case 'upload-expired':
      return uploadExpired(guard.cutoff);
    case 'upload-unclaimed':
      return (item) =>
        item?.status === 'AWAITING_UPLOAD' &&
        item.sweepStatus === 'UPLOADED' &&
        lessThan(item.sweepAt, guard.cutoff);
    case 'lease-expired':
      return (item) => item?.status === 'CHECKING' && lessThan(item.leaseExpiresAt, guard.cutoffMs);
  }
}

/** The object's facts on an item; the API's device and reference win over object metadata. */
function setObjectFacts(item: CheckItem, object: ObjectFacts): void {
  item.bucket = object.bucket;
  item.objectKey = object.objectKey;
  if (object.objectSize !== undefined) item.objectSize = object.objectSize;
  if (object.device) item.device ??= object.device;
  if (object.reference !== undefined) item.reference ??= object.reference;
}

/** DynamoDB's `<`: false when the attribute is missing or of another type. */
function lessThan(value: unknown, than: number | string): boolean {
  return typeof value === typeof than && (value as number | string) < than;
}

function order(a: string | undefined, b: string | undefined): number {
  return (a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0;
}

/** Whether a stored check is the one `created` wrote: same creation time, upload expiry and owner. */
function isSameCreation(existing: CheckItem, created: CheckItem): boolean {
  return (
    existing.createdAt === created.createdAt &&
    existing.uploadExpiresAt === created.uploadExpiresAt &&
    existing.owner === created.owner
  );
}

/** DynamoDB's refusal of a conditional write, as the SDK throws it. */
function refusal(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

/** As the document client stores it (`removeUndefinedValues`): no undefined value, at any depth. */
function stored(item: CheckItem): CheckItem {
  return JSON.parse(JSON.stringify(item)) as CheckItem;
}

function copy(item: CheckItem): CheckItem {
  return structuredClone(item);
}
