/** One receive of a message as its checks see it: its lease, whether it is the last, and its time. */
import { randomUUID } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import { type Deadline, deadlineIn } from '../../shared/deadline.js';
import { INVOCATION_END_RESERVE_MS, OUTCOME_WRITE_MARGIN_MS, recordBudgetMs } from './budget.js';
import type { CheckerDeps, Invocation } from './checker.js';
import type { CheckerConfig } from './config.js';

/**
 * One record's time. `deadline` bounds everything before the outcome write (the selfie read, the
 * claim, every vendor call); `writes` bounds the outcome write (verdict, delete or release), which
 * has at least `OUTCOME_WRITE_MARGIN_MS` after the deadline and at most until the invocation ends.
 */
export interface RecordTime {
  deadline: Deadline;
  writes: AbortSignal;
}

/** What became of one message: acknowledged (deleted from the queue) or left for SQS to deliver again. */
export type Disposition = 'ack' | 'retry';

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

/** One receive of a message, as every check it names sees it. */
export interface Delivery {
  /** The SQS message id, which the message's redeliveries keep: what kept answers are found by. */
  messageId: string;
  /** This delivery's own: no other delivery, not even one of the same message, ever holds it. */
  leaseId: string;
  lastReceive: boolean;
  receiveCount: number;
  invocation: Invocation;
  time: RecordTime;
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
