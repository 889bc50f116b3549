/** What the notifier is given: its collaborators and where its events go. Below every step. */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Clock } from '../../shared/clock.js';

/** The notifier's collaborators. */
export interface NotifierDeps {
  eventBridge: EventBridgeClient;
  logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  metrics: Pick<Metrics, 'addMetric'>;
  clock: Clock;
}

/** Where events go, and how hard to try within one invocation. */
export interface NotifierOptions {
  eventBusName: string;
  eventSource: string;
  /** PutEvents attempts per entry within one invocation (the SDK's own retries come on top). @default 3 */
  maxAttempts?: number;
  /** First backoff between attempts, doubled each time, with jitter. @default 100 */
  baseDelayMs?: number;
  /** Longest backoff between attempts. @default 1000 */
  maxDelayMs?: number;
  /**
   * The PutEvents size limit, per entry and per call. Only worth changing if AWS changes it (or in
   * tests: every field of a detail is bounded, so a real entry stays far below 256 KiB).
   * @default PUT_EVENTS_MAX_BYTES
   */
  maxRequestBytes?: number;
}
