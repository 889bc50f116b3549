import type { EnvDeclaration } from '../../shared/config.js';
import { DEFAULT_EVENT_SOURCE } from '../../shared/events/contract.js';
import { POWERTOOLS_LOG_LEVEL } from '../commons/environment.js';

/** The notifier's environment: `config.ts` reads it, the stack sets it, docs/configuration.md shows it. */
export const NOTIFIER_ENVIRONMENT = {
  EVENT_BUS_NAME: {
    type: 'string',
    required: true,
    doc: 'name or ARN of the EventBridge bus the events are put on',
  },
  EVENT_SOURCE: {
    type: 'string',
    default: DEFAULT_EVENT_SOURCE,
    doc: 'the `source` of every event; at most 256 characters, not starting with `aws.`',
  },
  POWERTOOLS_LOG_LEVEL,
} as const satisfies EnvDeclaration;
