import type { EnvDeclaration } from '../../shared/config.js';
import {
  CHECK_RETENTION_DAYS,
  POWERTOOLS_LOG_LEVEL,
  SELFIE_PREFIX,
  TABLE_NAME,
  UPLOAD_URL_TTL_SECONDS,
} from '../commons/environment.js';

/** The sweeper's environment: `config.ts` reads it, the stack sets it, docs/configuration.md shows it. */
export const SWEEPER_ENVIRONMENT = {
  TABLE_NAME,
  SELFIE_BUCKET: {
    type: 'string',
    required: true,
    doc: 'where apps upload selfies: the sweeper looks for an upload (by listing its key) before expiring a check, and deletes the selfie of a check it fails',
  },
  SELFIE_PREFIX: {
    ...SELFIE_PREFIX,
    doc: 'a check awaiting its upload has its selfie at this prefix plus the check id',
  },
  RETAIN_SELFIES: {
    type: 'bool',
    default: false,
    doc: 'keep the selfie of a check the sweeper fails (the bucket lifecycle still expires it)',
  },
  // A check the API created stays under its upload's index entry (`sweepAt` = its upload expiry) when
  // a checker claims it, so the sweeper looks at those entries from this long before a claim made at
  // creation could be stale (decision 13).
  UPLOAD_URL_TTL_SECONDS: {
    ...UPLOAD_URL_TTL_SECONDS,
    doc: "how long the api's upload forms work (the api's own setting): a check claimed since it was created is found under its upload's index entry, so the sweeper looks there as early as the claim's lease can have run out",
  },
  // S3 refuses a POST after its policy expired, so a selfie under the key means the upload was in time.
  UPLOAD_GRACE_SECONDS: {
    type: 'int',
    default: 300,
    min: 0,
    max: 86_400,
    unit: 'seconds',
    doc: 'how long after its upload form expired a check whose selfie is not in the bucket becomes `EXPIRED`',
  },
  // Its notification waits in a backlog, or its first deliveries failed. At least the queue's retry
  // window (visibility timeout x max receives), so every delivery of the notification had its turn.
  CLAIM_WAIT_SECONDS: {
    type: 'int',
    default: 3600,
    min: 60,
    max: 7 * 86_400,
    unit: 'seconds',
    doc: "how long a check whose selfie arrived in time, found unclaimed after its upload grace (a queue backlog), waits for the checker before it becomes `FAILED` (`INTERNAL_ERROR`); at least the queue's retry window",
  },
  // A checker that hits a retryable error releases its lease and waits for SQS to redeliver the
  // message: the sweeper must not fail the check while that redelivery is still due.
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
  CHECK_RETENTION_DAYS: { ...CHECK_RETENTION_DAYS, doc: 'DynamoDB TTL of the check items it creates' },
  POWERTOOLS_LOG_LEVEL,
} as const satisfies EnvDeclaration;
