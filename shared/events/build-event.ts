import { type CheckItem, isDevice, isFinalStatus, MAX_OWNER_LENGTH, referenceProblem } from '../check.js';
import { TerminalError } from '../errors.js';
import {
  type LivenessEventDetail,
  type LivenessEventFailure,
  type LivenessEventRejection,
  type LivenessEventResult,
  MESSAGE_MAX_LENGTH,
  SCHEMA_VERSION,
} from './contract.js';
import { eventIdFor } from './event-id.js';

const REASON = /^[A-Z][A-Z0-9_]*$/;
const REASON_MAX_LENGTH = 64;
const TRANSACTION_ID_MAX_LENGTH = 256;
const CHECK_ID_MAX_LENGTH = 256;

/** A check item that cannot become a valid event (a writer broke the item's invariants). */
export class InvalidCheckItemError extends TerminalError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidCheckItemError';
  }
}

/** The public view of a check's outcome, as events and `GET /checks/{checkId}` show it. */
export interface PublicCheckOutcome {
  result?: LivenessEventResult;
  rejection?: LivenessEventRejection;
  failure?: LivenessEventFailure;
}

/**
 * Maps a check item to the public view of its outcome: `result` for PASSED (and REJECTED when the
 * vendor gave a transaction id or scores), `rejection` for REJECTED, `failure` for FAILED, nothing
 * otherwise. Only documented fields are copied, malformed ones are dropped and messages are cut
 * to {@link MESSAGE_MAX_LENGTH}, so nothing the contract does not promise can leak. Never throws.
 */
export function toPublicOutcome(
  item: Pick<CheckItem, 'status' | 'result' | 'rejection' | 'failure'>,
): PublicCheckOutcome {
  const result = publicResult(item.result);
  switch (item.status) {
    case 'PASSED':
      return result ? { result } : {};
    case 'REJECTED': {
      const rejection = publicRejection(item.rejection);
      return { ...(rejection ? { rejection } : {}), ...(result ? { result } : {}) };
    }
    case 'FAILED': {
      const failure = publicFailure(item.failure);
      return failure ? { failure } : {};
    }
    default:
      return {};
  }
}

/**
 * Builds the `detail` of the event announcing a check's final status.
 *
 * @throws InvalidCheckItemError when the item is not final or misses what its status requires
 *   (a PASSED item without `result`, a REJECTED one without `rejection`, ...); such an item is a
 *   writer's bug, and publishing a detail that breaks the schema would only move the bug downstream.
 */
export function buildEventDetail(item: CheckItem): LivenessEventDetail {
  const status = item.status;
  if (!isFinalStatus(status)) throw new InvalidCheckItemError(`check status ${String(status)} is not final`);
  if (
    typeof item.checkId !== 'string' ||
    item.checkId.length === 0 ||
    item.checkId.length > CHECK_ID_MAX_LENGTH
  ) {
    throw new InvalidCheckItemError('check item has no valid checkId');
  }
  const createdAt = isoTimestamp(item.createdAt, 'createdAt');
  const base = {
    schemaVersion: SCHEMA_VERSION,
    eventId: eventIdFor(item.checkId, status, createdAt),
    checkId: item.checkId,
    // Listed here so that `status` comes right after `checkId` in the JSON.
    status,
    ...(isReference(item.reference) ? { reference: item.reference } : {}),
    ...(isOwner(item.owner) ? { owner: item.owner } : {}),
    ...(isDevice(item.device) ? { device: item.device } : {}),
    createdAt,
    decidedAt: isoTimestamp(item.decidedAt ?? item.updatedAt, 'decidedAt'),
    attempts: Number.isInteger(item.attempts) && item.attempts >= 0 ? item.attempts : 0,
  };
  const outcome = toPublicOutcome(item);
  switch (status) {
    case 'PASSED':
      if (!outcome.result) throw new InvalidCheckItemError('PASSED check item has no valid result');
      return { ...base, status, result: outcome.result };
    case 'REJECTED':
      if (!outcome.rejection) throw new InvalidCheckItemError('REJECTED check item has no valid rejection');
      return {
        ...base,
        status,
        rejection: outcome.rejection,
        ...(outcome.result ? { result: outcome.result } : {}),
      };
    case 'FAILED':
      if (!outcome.failure) throw new InvalidCheckItemError('FAILED check item has no valid failure');
      return { ...base, status, failure: outcome.failure };
    case 'EXPIRED':
      return { ...base, status };
  }
}

function publicResult(result: unknown): LivenessEventResult | undefined {
  if (!isRecord(result) || typeof result.valid !== 'boolean') return undefined;
  const view: LivenessEventResult = { valid: result.valid };
  if (
    typeof result.transactionId === 'string' &&
    result.transactionId.length > 0 &&
    result.transactionId.length <= TRANSACTION_ID_MAX_LENGTH
  ) {
    view.transactionId = result.transactionId;
  }
  for (const key of ['score', 'quality', 'liveness'] as const) {
    const value = result[key];
    if (typeof value === 'number' && Number.isFinite(value)) view[key] = value;
  }
  return view;
}

function publicRejection(rejection: unknown): LivenessEventRejection | undefined {
  if (!isRecord(rejection) || !isReason(rejection.reason)) return undefined;
  if (rejection.source !== 'apptenticate' && rejection.source !== 'precheck') return undefined;
  return {
    ...(typeof rejection.code === 'number' && Number.isInteger(rejection.code)
      ? { code: rejection.code }
      : {}),
    reason: rejection.reason,
    ...(typeof rejection.message === 'string' ? { message: cut(rejection.message) } : {}),
    source: rejection.source,
  };
}

function publicFailure(failure: unknown): LivenessEventFailure | undefined {
  if (!isRecord(failure) || !isReason(failure.reason)) return undefined;
  return { reason: failure.reason, message: typeof failure.message === 'string' ? cut(failure.message) : '' };
}

function isoTimestamp(value: unknown, field: string): string {
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) throw new InvalidCheckItemError(`check item has no valid ${field}`);
  return new Date(time).toISOString();
}

// A check stored before the reference rule narrowed may hold other characters: left out, as the schema says.
function isReference(value: unknown): value is string {
  return referenceProblem(value) === undefined;
}

function isOwner(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_OWNER_LENGTH;
}

function isReason(value: unknown): value is string {
  return typeof value === 'string' && value.length <= REASON_MAX_LENGTH && REASON.test(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Cuts a message to the contract's limit without splitting a surrogate pair. */
function cut(message: string): string {
  if (message.length <= MESSAGE_MAX_LENGTH) return message;
  const cutAt = /[\uD800-\uDBFF]/.test(message.charAt(MESSAGE_MAX_LENGTH - 1))
    ? MESSAGE_MAX_LENGTH - 1
    : MESSAGE_MAX_LENGTH;
  return message.slice(0, cutAt);
}
