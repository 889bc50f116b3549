/** The checker's metrics and log line for vendor calls and recorded verdicts. */
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { TRANSIENT_REJECTION_CODES } from '../../shared/apptenticate/codes.js';
import type { LivenessOutcome } from '../../shared/apptenticate/outcome.js';
import { type CheckItem, isFinalStatus } from '../../shared/check.js';
import { CHECKER_VERDICT_METRICS, VENDOR_METRICS } from '../../shared/metric-names.js';
import type { StepLogger } from './context.js';

/** Whether a vendor answer is the vendor failing (not a verdict on the selfie). */
function isVendorError(outcome: LivenessOutcome): boolean {
  return (
    outcome.kind === 'retryable' ||
    outcome.kind === 'terminal' ||
    outcome.kind === 'auth-refused' ||
    (outcome.kind === 'rejected' && TRANSIENT_REJECTION_CODES.has(outcome.code))
  );
}

/** Counts a vendor call, its latency and whether it failed (the vendor error-rate alarm divides these). */
export function recordVendorMetrics(outcome: LivenessOutcome, latencyMs: number, metrics: Metrics): void {
  metrics.addMetric(VENDOR_METRICS.calls.metricName, MetricUnit.Count, 1);
  metrics.addMetric(VENDOR_METRICS.latency.metricName, MetricUnit.Milliseconds, Math.round(latencyMs));
  if (isVendorError(outcome)) metrics.addMetric(VENDOR_METRICS.errors.metricName, MetricUnit.Count, 1);
}

/**
 * Logs a vendor call that failed, one line each, with what the saved "vendor errors by code" query
 * counts by: the outcome, its reason, the HTTP status and the rejection code (never the body).
 */
export function logVendorFailure(outcome: LivenessOutcome, latencyMs: number, logger: StepLogger): void {
  if (!isVendorError(outcome)) return;
  logger.warn('vendor call failed', {
    outcome: outcome.kind,
    reason: 'reason' in outcome ? outcome.reason : 'AUTH_REFUSED',
    httpStatus: 'httpStatus' in outcome ? outcome.httpStatus : undefined,
    code: outcome.kind === 'rejected' ? outcome.code : undefined,
    latencyMs: Math.round(latencyMs),
  });
}

/**
 * Counts and logs a recorded verdict (never the selfie, a token or a vendor body), with the time
 * from the upload (`checkMs`, when S3 said when; the saved "slowest checks" query sorts by it) and
 * from the check's creation (`totalMs`) to the decision.
 */
export function logVerdict(
  item: CheckItem,
  logger: StepLogger,
  metrics: Pick<Metrics, 'addMetric'>,
  uploadedAt?: string,
): void {
  if (isFinalStatus(item.status)) {
    metrics.addMetric(CHECKER_VERDICT_METRICS[item.status].metricName, MetricUnit.Count, 1);
  }
  logger.info('verdict recorded', {
    status: item.status,
    attempts: item.attempts,
    transactionId: item.result?.transactionId,
    reason: item.rejection?.reason ?? item.failure?.reason,
    checkMs: millisBetween(uploadedAt, item.decidedAt),
    totalMs: millisBetween(item.createdAt, item.decidedAt),
  });
}

function millisBetween(from: string | undefined, to: string | undefined): number | undefined {
  const ms = Date.parse(to ?? '') - Date.parse(from ?? '');
  return Number.isNaN(ms) ? undefined : ms;
}
