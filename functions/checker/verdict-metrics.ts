/** The checker's metrics and log line for vendor calls and recorded verdicts. */
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { TRANSIENT_REJECTION_CODES } from '../../shared/apptenticate/codes.js';
import type { LivenessOutcome } from '../../shared/apptenticate/outcome.js';
import { type CheckItem, isFinalStatus } from '../../shared/check.js';
import type { CheckerDeps } from './checker.js';

/** Counts a vendor call, its latency and whether it failed (the vendor error-rate alarm divides these). */
export function recordVendorMetrics(outcome: LivenessOutcome, latencyMs: number, metrics: Metrics): void {
  metrics.addMetric('VendorCalls', MetricUnit.Count, 1);
  metrics.addMetric('VendorLatency', MetricUnit.Milliseconds, Math.round(latencyMs));
  const vendorError =
    outcome.kind === 'retryable' ||
    outcome.kind === 'terminal' ||
    outcome.kind === 'auth-refused' ||
    (outcome.kind === 'rejected' && TRANSIENT_REJECTION_CODES.has(outcome.code));
  if (vendorError) metrics.addMetric('VendorErrors', MetricUnit.Count, 1);
}

/** Counts and logs a recorded verdict (never the selfie, a token or a vendor body). */
export function logVerdict(item: CheckItem, log: Record<string, unknown>, deps: CheckerDeps): void {
  const metric = {
    PASSED: 'ChecksPassed',
    REJECTED: 'ChecksRejected',
    FAILED: 'ChecksFailed',
    EXPIRED: 'ChecksExpired',
  } as const;
  if (isFinalStatus(item.status)) deps.metrics.addMetric(metric[item.status], MetricUnit.Count, 1);
  deps.logger.info('verdict recorded', {
    ...log,
    status: item.status,
    attempts: item.attempts,
    transactionId: item.result?.transactionId,
    reason: item.rejection?.reason ?? item.failure?.reason,
  });
}
