import { DEFAULT_CHECK_RETENTION_DAYS } from '../../shared/check.js';
import type { EnvDeclaration } from '../../shared/config.js';

/** The sweeper's environment: `config.ts` reads it, the stack sets it, the README documents it. */
export const SWEEPER_ENVIRONMENT = {
  TABLE_NAME: { type: 'string', required: true, doc: 'the check table' },
  UPLOAD_GRACE_SECONDS: {
    type: 'int',
    default: 300,
    min: 0,
    max: 86_400,
    unit: 'seconds',
    doc: 'how long after its upload form expired a missing upload becomes `EXPIRED`',
  },
  STALE_CHECK_GRACE_SECONDS: {
    type: 'int',
    default: 1800,
    min: 60,
    max: 7 * 86_400,
    unit: 'seconds',
    doc: "how long after its lease ran out a `CHECKING` check becomes `FAILED`; must exceed the queue's retry window",
  },
  MAX_SWEEP_ITEMS: {
    type: 'int',
    default: 500,
    min: 1,
    max: 10_000,
    unit: 'count',
    doc: 'the most checks one run settles; the next run picks up the rest',
  },
  CHECK_RETENTION_DAYS: {
    type: 'int',
    default: DEFAULT_CHECK_RETENTION_DAYS,
    min: 1,
    max: 3650,
    unit: 'days',
    doc: 'DynamoDB TTL of the check items it creates',
  },
} as const satisfies EnvDeclaration;
