import { DEFAULT_APPTENTICATE_URL } from '../../shared/apptenticate/endpoint.js';
import type { EnvDeclaration } from '../../shared/config.js';
import {
  CHECK_RETENTION_DAYS,
  MAX_OBJECT_BYTES,
  POWERTOOLS_LOG_LEVEL,
  SELFIE_PREFIX,
  TABLE_NAME,
} from '../commons/environment.js';

/** The checker's environment: `config.ts` reads it, the stack sets it, docs/configuration.md shows it. */
export const CHECKER_ENVIRONMENT = {
  TABLE_NAME,
  TOKEN_SECRET_ARN: {
    type: 'string',
    required: true,
    doc: 'the secret holding the cached Apptenticate tokens (the checker cannot read the credentials secret)',
  },
  TOKEN_REFRESHER_FUNCTION_NAME: {
    type: 'string',
    required: false,
    doc: 'invoked asynchronously (rate-guarded) when the refresh token is refused; unset: only logged',
  },
  SELFIE_BUCKET: {
    type: 'string',
    required: true,
    doc: 'where apps upload selfies: the only bucket the checker reads or decides on; a notification naming another is counted (`ForeignBucketNotifications`) and acknowledged',
  },
  SELFIE_PREFIX: { ...SELFIE_PREFIX, doc: 'only keys under it are checked' },
  LIVENESS_API_URL: { type: 'url', default: DEFAULT_APPTENTICATE_URL, doc: "the vendor's base URL" },
  MAX_OBJECT_BYTES: {
    ...MAX_OBJECT_BYTES,
    doc: 'larger objects are rejected (`OBJECT_TOO_LARGE`) without being downloaded',
  },
  MIN_IMAGE_SIDE_PX: {
    type: 'int',
    default: 64,
    min: 1,
    max: 4096,
    unit: 'px',
    doc: 'smaller images are rejected (`IMAGE_TOO_SMALL`) before any paid call',
  },
  // 4096 holds a 12 MP phone photo (4032x3024) and is triple what a face needs (the capture page
  // sends 1280); a 10000x10000 JPEG fits in 2 MiB only as a decompression bomb for the vendor.
  MAX_IMAGE_SIDE_PX: {
    type: 'int',
    default: 4096,
    min: 64,
    max: 100_000,
    unit: 'px',
    doc: 'images wider or taller are rejected (`IMAGE_DIMENSIONS_INVALID`) before any paid call',
  },
  MAX_RECEIVE_COUNT: {
    type: 'int',
    default: 3,
    min: 1,
    max: 1000,
    unit: 'count',
    doc: "must equal the queue's `maxReceiveCount`: the last receive records `FAILED`",
  },
  LEASE_SECONDS: {
    type: 'int',
    default: 120,
    min: 10,
    max: 43_200,
    unit: 'seconds',
    doc: 'how long a claim holds; longer than the function timeout, shorter than the visibility timeout',
  },
  BATCH_CONCURRENCY: {
    type: 'int',
    default: 5,
    min: 1,
    max: 100,
    unit: 'count',
    doc: 'selfies checked at once per invocation',
  },
  RETAIN_SELFIES: {
    type: 'bool',
    default: false,
    doc: 'keep selfies after the verdict (the bucket lifecycle still expires them)',
  },
  CHECK_RETENTION_DAYS: { ...CHECK_RETENTION_DAYS, doc: 'DynamoDB TTL of check items' },
  VENDOR_CONNECT_TIMEOUT_MS: {
    type: 'int',
    default: 2000,
    min: 100,
    max: 60_000,
    unit: 'ms',
    doc: 'vendor connect timeout',
  },
  VENDOR_RESPONSE_TIMEOUT_MS: {
    type: 'int',
    default: 8000,
    min: 100,
    max: 120_000,
    unit: 'ms',
    doc: 'longest one vendor call may take once connected, headers and body together; a record is not started unless 5 s + 4 x (connect + this) + 5 s remain in the invocation (`functions/checker/budget.ts`)',
  },
  TOKEN_CACHE_SECONDS: {
    type: 'int',
    default: 300,
    min: 0,
    max: 3600,
    unit: 'seconds',
    doc: 'how long the token secret is cached in memory',
  },
  POWERTOOLS_LOG_LEVEL,
} as const satisfies EnvDeclaration;
