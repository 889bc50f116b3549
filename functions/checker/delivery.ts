/** One receive of a message as its checks see it: its lease, whether it is the last, and its time. */
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
    // The claim belongs to the message: SQS keeps a message's id across its redeliveries, so a
    // redelivery resumes its own claim at once, while another message (a duplicate) finds it taken.
    leaseId: leaseIdFor(record.messageId),
    lastReceive: receiveCount >= config.maxReceiveCount,
    receiveCount,
    invocation,
    time,
  };
}

/** The lease id of a message's claims: its SQS message id, which its redeliveries keep. */
export function leaseIdFor(messageId: string): string {
  return messageId;
}
