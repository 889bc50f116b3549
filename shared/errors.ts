/**
 * The pipeline's error hierarchy. Every error forwards its `cause` and sets `name` explicitly,
 * because minified bundles lose class names.
 */
export class PipelineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PipelineError';
  }
}

/** The work may succeed later: leave the message to SQS (or the record to the stream) to retry. */
export class RetryableError extends PipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryableError';
  }
}

/** The work will never succeed: record the outcome and acknowledge. */
export class TerminalError extends PipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/** A configuration value is missing or malformed; raised at cold start. */
export class ConfigError extends PipelineError {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const THROTTLING_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'LimitExceededException',
  'TransactionInProgressException',
]);

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'TimeoutError',
]);

/**
 * Whether an AWS SDK error is worth retrying: server faults, throttling and network failures are;
 * client faults (validation, access denied, missing resources) are not.
 */
export function isRetryableAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const sdk = error as Error & { $fault?: string; $retryable?: unknown; code?: string };
  if (THROTTLING_CODES.has(sdk.name)) return true;
  if (sdk.$retryable) return true;
  if (sdk.$fault === 'server') return true;
  if (sdk.code !== undefined && NETWORK_CODES.has(sdk.code)) return true;
  if (NETWORK_CODES.has(sdk.name)) return true;
  // No `$fault`: no service answered (a network failure, or an unknown one): worth another try.
  return sdk.$fault === undefined && !(error instanceof PipelineError);
}

/** Turns a foreign error into a `RetryableError` or a `TerminalError` with a message safe to log. */
export function classifyAwsError(error: unknown, action: string): RetryableError | TerminalError {
  if (error instanceof RetryableError || error instanceof TerminalError) return error;
  const name = error instanceof Error ? error.name : 'UnknownError';
  return isRetryableAwsError(error)
    ? new RetryableError(`${action} failed with ${name}`, { cause: error })
    : new TerminalError(`${action} failed with ${name}`, { cause: error });
}

/** A short, safe description of an error for logs: its name and message, never a body or a token. */
export function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'NonError', message: String(error) };
}
