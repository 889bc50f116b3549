/**
 * The CloudWatch namespace of the pipeline's metrics, and the name of every metric that something
 * besides its emitter reads (the alarms, the dashboard, `npm run ops -- status`): the functions emit
 * them by these names and `infra/constructs/monitoring.ts` alarms on the same ones. A metric only its
 * emitter names stays a literal there. In a module of its own, free of Powertools: the CDK construct
 * needs it at synth, and the construct must not load Powertools.
 */
import type { FinalStatus } from './check.js';

export const METRICS_NAMESPACE = 'SelfieLiveness';

/** A metric one function emits (Powertools adds the `service` dimension: the function's name). */
export interface ServiceMetric {
  readonly service: string;
  readonly metricName: string;
}

/** The checker's metrics of its vendor calls: the error-rate and daily-budget alarms divide and sum them. */
export const VENDOR_METRICS = {
  calls: { service: 'checker', metricName: 'VendorCalls' },
  errors: { service: 'checker', metricName: 'VendorErrors' },
  latency: { service: 'checker', metricName: 'VendorLatency' },
} as const satisfies Record<string, ServiceMetric>;

/** The checker's count of the verdicts it records, by final status. */
export const CHECKER_VERDICT_METRICS = {
  PASSED: { service: 'checker', metricName: 'ChecksPassed' },
  REJECTED: { service: 'checker', metricName: 'ChecksRejected' },
  FAILED: { service: 'checker', metricName: 'ChecksFailed' },
  EXPIRED: { service: 'checker', metricName: 'ChecksExpired' },
} as const satisfies Record<FinalStatus, ServiceMetric>;

/** The sweeper's counts of the checks one run settles. */
export const SWEEPER_METRICS = {
  expired: { service: 'sweeper', metricName: 'ChecksExpired' },
  failedStale: { service: 'sweeper', metricName: 'ChecksFailedStale' },
  /** Uploaded in time, never claimed within `sweeper.claimWaitSeconds`: the `UnclaimedUploads` alarm. */
  failedUnclaimed: { service: 'sweeper', metricName: 'ChecksFailedUnclaimed' },
} as const satisfies Record<string, ServiceMetric>;

/**
 * The metrics that count checks reaching each final status, by the function that decides them: the
 * checker records verdicts (and FAILED on a last receive), the sweeper expires and fails the rest.
 * Summed, they count every final check once; alarms and `npm run ops -- status` add them up.
 */
export const FINAL_CHECK_METRICS: Readonly<Record<FinalStatus, readonly ServiceMetric[]>> = {
  PASSED: [CHECKER_VERDICT_METRICS.PASSED],
  REJECTED: [CHECKER_VERDICT_METRICS.REJECTED],
  FAILED: [CHECKER_VERDICT_METRICS.FAILED, SWEEPER_METRICS.failedStale, SWEEPER_METRICS.failedUnclaimed],
  EXPIRED: [SWEEPER_METRICS.expired],
};

/** The token-refresher's metric: seconds the stored refresh token stays valid after a run. */
export const REFRESH_TOKEN_REMAINING_METRIC = {
  service: 'token-refresher',
  metricName: 'RefreshTokenRemainingSeconds',
} as const satisfies ServiceMetric;

/**
 * The notifier's metric: stream records of a check entering a final status without `decidedAt`,
 * which no decider of the pipeline wrote. They are not published; any is a security event.
 */
export const UNATTESTED_FINAL_STATUS_METRIC = {
  service: 'notifier',
  metricName: 'UnattestedFinalStatuses',
} as const satisfies ServiceMetric;
