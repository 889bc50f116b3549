/**
 * The CloudWatch namespace of every metric the pipeline emits, and the metrics alarms and the ops
 * tool read. In a module of its own, free of Powertools: the CDK construct's alarms need it at
 * synth, and the construct must not load Powertools.
 */
import type { FinalStatus } from './check.js';

export const METRICS_NAMESPACE = 'SelfieLiveness';

/** A metric one function emits (Powertools adds the `service` dimension). */
export interface ServiceMetric {
  readonly service: string;
  readonly metricName: string;
}

/**
 * The metrics that count checks reaching each final status, by the function that decides them: the
 * checker records verdicts (and FAILED on a last receive), the sweeper expires and fails the rest.
 * Summed, they count every final check once; alarms and `npm run ops -- status` add them up.
 */
export const FINAL_CHECK_METRICS: Readonly<Record<FinalStatus, readonly ServiceMetric[]>> = {
  PASSED: [{ service: 'checker', metricName: 'ChecksPassed' }],
  REJECTED: [{ service: 'checker', metricName: 'ChecksRejected' }],
  FAILED: [
    { service: 'checker', metricName: 'ChecksFailed' },
    { service: 'sweeper', metricName: 'ChecksFailedStale' },
    { service: 'sweeper', metricName: 'ChecksFailedUnclaimed' },
  ],
  EXPIRED: [{ service: 'sweeper', metricName: 'ChecksExpired' }],
};

/** The token-refresher's metric: seconds the stored refresh token stays valid after a run. */
export const REFRESH_TOKEN_REMAINING_METRIC: ServiceMetric = {
  service: 'token-refresher',
  metricName: 'RefreshTokenRemainingSeconds',
};

/**
 * The notifier's metric: stream records of a check entering a final status without `decidedAt`,
 * which no decider of the pipeline wrote. They are not published; any is a security event.
 */
export const UNATTESTED_FINAL_STATUS_METRIC: ServiceMetric = {
  service: 'notifier',
  metricName: 'UnattestedFinalStatuses',
};
