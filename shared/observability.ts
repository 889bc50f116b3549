import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** The CloudWatch namespace of every metric the pipeline emits. */
export const METRICS_NAMESPACE = 'SelfieLiveness';

/**
 * The structured JSON logger for one function. Messages are constant lowercase strings; data goes
 * in the second argument. Never pass tokens, secret values, presigned URLs or image bytes.
 */
export function createLogger(serviceName: string, logLevel?: string): Logger {
  return new Logger({
    serviceName,
    ...(logLevel ? { logLevel: logLevel as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' } : {}),
  });
}

/** EMF metrics for one function. */
export function createMetrics(serviceName: string): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
}
