/**
 * The conditions check writes carry, one per guard, and the pieces of their update expressions.
 * `CheckRepository` is the only writer; this module says under which condition each write applies.
 */
import type { Device, FinalOutcome } from './check.js';

/** Who may make a check final, expressed as the condition the write carries. */
export type FinalizeGuard =
  /** The checker that holds the claim: only while it still holds it. */
  | { kind: 'lease'; leaseId: string }
  /**
   * A verdict that needs no vendor call (pre-check, object gone): the item may not exist yet, may be
   * awaiting its upload, or may be CHECKING under a lease that has run out.
   */
  | { kind: 'unclaimed' }
  /**
   * The checker giving up on a message's last receive: as `unclaimed`, or under the delivery's own
   * lease (live or not), so a failure is recorded whoever claimed first, but never over another
   * delivery's live lease (another message's, or an earlier receive of this one) or a final status.
   */
  | { kind: 'own-or-unclaimed'; leaseId: string }
  /**
   * The sweeper: still awaiting its upload, not known to have arrived, and the upload URL expired
   * before `cutoff` (ISO).
   */
  | { kind: 'upload-expired'; cutoff: string }
  /** The sweeper: the upload arrived in time, but no checker claimed the check before `cutoff` (ISO). */
  | { kind: 'upload-unclaimed'; cutoff: string }
  /** The sweeper: still CHECKING and the lease ran out before `cutoffMs`. */
  | { kind: 'lease-expired'; cutoffMs: number };

/** Fields a checker knows from the S3 object; used when the check did not come through the API. */
export interface ObjectFacts {
  bucket: string;
  objectKey: string;
  /** The size S3 reported when the checker read the object; unset when nothing was read (never a notification's). */
  objectSize?: number;
  device?: Device;
  reference?: string;
}

/**
 * The condition under which a check may be taken without a vendor call's lease: the item does not
 * exist yet, awaits its upload, or is CHECKING under a lease that ran out before `:nowMs`.
 */
const UNCLAIMED_CONDITION =
  'attribute_not_exists(#checkId) OR #status = :awaiting OR (#status = :checking AND #leaseExpiresAt < :nowMs)';

/**
 * A check the sweeper may expire, or leave to the checker once its selfie is found: awaiting its
 * upload (and not already found uploaded) with an upload URL that expired before `:cutoff`.
 */
export const UPLOAD_EXPIRED_CONDITION =
  '#status = :awaiting AND #sweepStatus = :awaiting AND #uploadExpiresAt < :cutoff';

/**
 * A claim that is still the one the sweeper saw: CHECKING under the same lease id and expiry (a
 * release or a new delivery's claim changes one of them).
 */
export const SAME_LEASE_CONDITION =
  '#status = :checking AND #leaseId = :leaseId AND #leaseExpiresAt = :lease';

/**
 * A claim also resumes a lease this caller (`:leaseId`) already holds (an SDK retry of a claim whose
 * answer was lost; lease ids are one delivery's own, decision 14); so may its last-receive failure.
 */
export const CLAIMABLE_CONDITION = `${UNCLAIMED_CONDITION} OR (#status = :checking AND #leaseId = :leaseId)`;

/**
 * The condition a final write carries for `guard`; adds the values it names to `values` (and drops
 * `:checking` where the condition does not use it, since DynamoDB refuses an unused value).
 */
export function guardCondition(guard: FinalizeGuard, now: Date, values: Record<string, unknown>): string {
  values[':checking'] = 'CHECKING';
  switch (guard.kind) {
    case 'lease':
      values[':leaseId'] = guard.leaseId;
      return '#status = :checking AND #leaseId = :leaseId';
    case 'unclaimed':
      values[':awaiting'] = 'AWAITING_UPLOAD';
      values[':nowMs'] = now.getTime();
      return UNCLAIMED_CONDITION;
    case 'own-or-unclaimed':
      values[':awaiting'] = 'AWAITING_UPLOAD';
      values[':nowMs'] = now.getTime();
      values[':leaseId'] = guard.leaseId;
      return CLAIMABLE_CONDITION;
    case 'upload-expired':
      delete values[':checking'];
      values[':awaiting'] = 'AWAITING_UPLOAD';
      values[':cutoff'] = guard.cutoff;
      return UPLOAD_EXPIRED_CONDITION;
    case 'upload-unclaimed':
      delete values[':checking'];
      values[':awaiting'] = 'AWAITING_UPLOAD';
      values[':uploaded'] = 'UPLOADED';
      values[':cutoff'] = guard.cutoff;
      return '#status = :awaiting AND #sweepStatus = :uploaded AND #sweepAt < :cutoff';
    case 'lease-expired':
      values[':cutoffMs'] = guard.cutoffMs;
      return '#status = :checking AND #leaseExpiresAt < :cutoffMs';
  }
}

/** Adds the object's facts to an update; the API's device and reference win over object metadata. */
export function setObjectFacts(object: ObjectFacts, sets: string[], values: Record<string, unknown>): void {
  sets.push('#bucket = :bucket', '#objectKey = :key');
  values[':bucket'] = object.bucket;
  values[':key'] = object.objectKey;
  if (object.objectSize !== undefined) {
    sets.push('#objectSize = :size');
    values[':size'] = object.objectSize;
  }
  if (object.device) {
    sets.push('#device = if_not_exists(#device, :device)');
    values[':device'] = object.device;
  }
  if (object.reference !== undefined) {
    sets.push('#reference = if_not_exists(#reference, :reference)');
    values[':reference'] = object.reference;
  }
}

/** Adds what a final outcome stores (the vendor's result, the rejection or the failure) to an update. */
export function setOutcome(outcome: FinalOutcome, sets: string[], values: Record<string, unknown>): void {
  if ('result' in outcome && outcome.result) {
    sets.push('#result = :result');
    values[':result'] = outcome.result;
  }
  if (outcome.status === 'REJECTED') {
    sets.push('#rejection = :rejection');
    values[':rejection'] = outcome.rejection;
  }
  if (outcome.status === 'FAILED') {
    sets.push('#failure = :failure');
    values[':failure'] = outcome.failure;
  }
}

/** Every `#name` placeholder in the expressions, mapped to its attribute: no reserved-word surprises. */
export function attributeNames(...expressions: (string | undefined)[]): Record<string, string> {
  const names: Record<string, string> = {};
  for (const expression of expressions) {
    for (const match of expression?.matchAll(/#(\w+)/g) ?? []) names[match[0]] = match[1] as string;
  }
  return names;
}
