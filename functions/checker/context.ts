/**
 * What the checker's steps are given: the deps (once per container), one receive of a message (its
 * lease and time), and one object of it. Below every step, so no step imports its caller.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import type { LivenessChecker } from '../../shared/apptenticate/outcome.js';
import type { CheckRepository, ObjectFacts } from '../../shared/check-repository.js';
import type { Clock } from '../../shared/clock.js';
import type { Deadline } from '../../shared/deadline.js';
import type { CheckerConfig } from './config.js';
import type { CreatedObject } from './notification.js';
import type { OutcomeMemory } from './outcome-memory.js';

/** Everything the checker talks to, injected so tests can swap any of it. */
export interface CheckerDeps {
  config: Readonly<CheckerConfig>;
  s3: S3Client;
  /** The transitions the checker makes; tests pass an in-memory fake. */
  repository: Pick<CheckRepository, 'claim' | 'release' | 'finalize'>;
  liveness: LivenessChecker;
  logger: Logger;
  metrics: Metrics;
  /** Its `sleep` waits between retries of a final write; tests pass one that does not wait. */
  clock: Clock;
  /** Vendor answers paid for and not yet written, for a redelivery of the same message on this container. */
  outcomeMemory: OutcomeMemory;
  /** A signal that aborts after `ms`; tests pass a controlled one. @default `AbortSignal.timeout` */
  deadlineSignal?: (ms: number) => AbortSignal;
}

/** Per invocation: how much time is left (Lambda's `context.getRemainingTimeInMillis`). */
export interface Invocation {
  remainingMs: () => number;
}

/** What became of one message: acknowledged (deleted from the queue) or left for SQS to deliver again. */
export type Disposition = 'ack' | 'retry';

/**
 * One record's time. `deadline` bounds everything before the outcome write (the selfie read, the
 * claim, every vendor call); `writes` bounds the outcome write (verdict, delete or release), which
 * has at least `OUTCOME_WRITE_MARGIN_MS` after the deadline and at most until the invocation ends.
 */
export interface RecordTime {
  deadline: Deadline;
  writes: AbortSignal;
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

/** The logger a step writes with: every line carries the keys of the object it is about. */
export type StepLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

/** One object of a message, as each step that checks it sees it. */
export interface ObjectContext {
  object: CreatedObject;
  checkId: string;
  /** What the checker knows of the object from S3, stored when a write creates the item. */
  facts: ObjectFacts;
  delivery: Delivery;
  /** Logs with the object's `checkId` and the message's `receiveCount`. */
  logger: StepLogger;
  deps: CheckerDeps;
}

/** The context of one object of `delivery`; its facts start with what the key says (nothing read yet). */
export function objectContext(
  object: CreatedObject,
  checkId: string,
  delivery: Delivery,
  deps: CheckerDeps,
): ObjectContext {
  return {
    object,
    checkId,
    facts: { bucket: deps.config.selfieBucket, objectKey: object.key },
    delivery,
    logger: withKeys(deps.logger, { checkId, receiveCount: delivery.receiveCount }),
    deps,
  };
}

/**
 * A logger whose lines carry `keys` before their own data, the same lines `logger` would write
 * with the keys spelled out in each call (a Powertools child logger would also copy its state).
 */
export function withKeys(logger: StepLogger, keys: Record<string, unknown>): StepLogger {
  return {
    info: (message: string, data?: Record<string, unknown>) => logger.info(message, { ...keys, ...data }),
    warn: (message: string, data?: Record<string, unknown>) => logger.warn(message, { ...keys, ...data }),
    error: (message: string, data?: Record<string, unknown>) => logger.error(message, { ...keys, ...data }),
  } as StepLogger;
}
