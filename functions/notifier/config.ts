import { type Env, readEnv } from '../../shared/config.js';
import { ConfigError } from '../../shared/errors.js';
import { NOTIFIER_ENVIRONMENT } from './environment.js';

/** The notifier's configuration, read once at cold start. */
export interface NotifierConfig {
  /** `EVENT_BUS_NAME` (required): name or ARN of the EventBridge bus the events are put on. */
  eventBusName: string;
  /**
   * `EVENT_SOURCE` (default `selfie-liveness`): the `source` of every event, which subscribers'
   * rules match on. Must not start with `aws.` (reserved by AWS).
   */
  eventSource: string;
}

/** Validates the notifier's environment; a missing or malformed value fails the cold start naming the variable. */
export function readConfig(env: Env = process.env): Readonly<NotifierConfig> {
  const { EVENT_BUS_NAME: eventBusName, EVENT_SOURCE: eventSource } = readEnv(env, NOTIFIER_ENVIRONMENT);
  if (eventBusName.length > 1600) {
    throw new ConfigError(`EVENT_BUS_NAME must be a bus name or ARN of at most 1600 characters`);
  }
  if (eventSource.length > 256 || eventSource.toLowerCase().startsWith('aws.')) {
    throw new ConfigError(
      `EVENT_SOURCE must have at most 256 characters and not start with "aws.", got "${eventSource}"`,
    );
  }
  return Object.freeze({ eventBusName, eventSource });
}
