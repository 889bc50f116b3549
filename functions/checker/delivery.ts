/** One receive of a message as its checks see it: its lease, whether it is the last, and its time. */
import { randomUUID } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import { deadlineIn } from '../../shared/deadline.js';
import { INVOCATION_END_RESERVE_MS, OUTCOME_WRITE_MARGIN_MS, recordBudgetMs } from './budget.js';
import type { CheckerConfig } from './config.js';
import type { CheckerDeps, Delivery, Invocation, RecordTime } from './context.js';

/** How many times SQS has delivered the message, this receive included. */
export function receiveCountOf(record: SQSRecord | undefined): number {
  return Number(record?.attributes.ApproximateReceiveCount) || 1;
}

/** The record's deadline: its budget, and never later than the invocation's end less the write margin. */
export function recordTime(remainingMs: number, deps: CheckerDeps): RecordTime {
  const timer = deps.deadlineSignal ?? ((ms: number) => AbortSignal.timeout(ms));
  const clock = () => deps.clock.now().getTime();
  const budget = Math.min(recordBudgetMs(deps.config), remainingMs - OUTCOME_WRITE_MARGIN_MS);
  const writesMs = remainingMs - INVOCATION_END_RESERVE_MS;
  return {
    deadline: deadlineIn(budget, clock, timer),
    writes: Number.isFinite(writesMs) ? timer(Math.max(0, writesMs)) : new AbortController().signal,
  };
}

/** The delivery a record stands for: its lease id, its receive count and whether it is the last. */
export function deliveryOf(
  record: SQSRecord,
  config: Readonly<CheckerConfig>,
  invocation: Invocation,
  time: RecordTime,
): Delivery {
  const receiveCount = receiveCountOf(record);
  return {
    messageId: record.messageId,
    leaseId: leaseIdFor(record.messageId),
    lastReceive: receiveCount >= config.maxReceiveCount,
    receiveCount,
    invocation,
    time,
  };
}

/**
 * A lease id for one delivery of a message: its message id and a nonce. SQS can hand one message to
 * two invocations at once, so a lease that named only the message would let both pay (decision 14).
 */
export function leaseIdFor(messageId: string): string {
  return `${messageId}/${randomUUID()}`;
}

/**
 * Whether `leaseId` is held by a delivery of `messageId` (this one or another copy of the message);
 * a bare message id is the lease of a claim an older version made.
 */
export function isLeaseOfMessage(leaseId: string | undefined, messageId: string): boolean {
  return leaseId === messageId || leaseId?.startsWith(`${messageId}/`) === true;
}
