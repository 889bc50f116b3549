import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { METRICS_NAMESPACE } from './metric-names.js';

export { METRICS_NAMESPACE };

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

/** What {@link handleInvocation} needs of a function's logger and (if it has one) metrics. */
export interface InvocationTools {
  logger: Pick<Logger, 'addContext'>;
  metrics?: Pick<Metrics, 'hasStoredMetrics' | 'publishStoredMetrics'>;
}

/**
 * The one way every handler runs its core: the Lambda context goes into every log line, and the
 * metrics stored during the invocation are flushed whatever happens. A run that stored no metric
 * publishes nothing (Powertools would warn about an empty flush). The local runtime may pass no context.
 */
export async function handleInvocation<T>(
  tools: InvocationTools,
  context: Context | undefined,
  work: () => Promise<T>,
): Promise<T> {
  if (context) tools.logger.addContext(context);
  try {
    return await work();
  } finally {
    if (tools.metrics?.hasStoredMetrics()) tools.metrics.publishStoredMetrics();
  }
}
