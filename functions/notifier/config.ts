import { type Env, type EnvValues, readEnv } from '../../shared/config.js';
import { ConfigError } from '../../shared/errors.js';
import { NOTIFIER_ENVIRONMENT } from './environment.js';

type Vars = EnvValues<typeof NOTIFIER_ENVIRONMENT>;

/**
 * The notifier's configuration, read once at cold start. Each field is the variable of
 * `environment.ts` with the same name in upper snake case, where its default and meaning are declared.
 */
export interface NotifierConfig {
  eventBusName: Vars['EVENT_BUS_NAME'];
  eventSource: Vars['EVENT_SOURCE'];
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
