import type { EnvDeclaration } from '../../shared/config.js';
import {
  CHECK_RETENTION_DAYS,
  MAX_OBJECT_BYTES,
  POWERTOOLS_LOG_LEVEL,
  SELFIE_PREFIX,
  TABLE_NAME,
  UPLOAD_URL_TTL_SECONDS,
} from '../commons/environment.js';

/** The api function's environment: `config.ts` reads it, the stack sets it, docs/configuration.md shows it. */
export const API_ENVIRONMENT = {
  TABLE_NAME,
  SELFIE_BUCKET: { type: 'string', required: true, doc: 'where apps upload selfies' },
  SELFIE_PREFIX: { ...SELFIE_PREFIX, doc: 'every upload key is this prefix plus the check id' },
  UPLOAD_URL_TTL_SECONDS: { ...UPLOAD_URL_TTL_SECONDS, doc: 'how long an upload form works' },
  MAX_OBJECT_BYTES: { ...MAX_OBJECT_BYTES, doc: 'the largest selfie the upload policy accepts' },
  CHECK_RETENTION_DAYS: { ...CHECK_RETENTION_DAYS, doc: 'DynamoDB TTL of the check items it creates' },
  USER_MAX_OPEN_CHECKS: {
    type: 'int',
    default: 3,
    min: 1,
    max: 20,
    unit: 'count',
    doc: 'checks a user (a JWT `sub`, a Cognito identity) may have not yet final at once; one more answers 429 `OPEN_CHECKS_LIMITED`',
  },
  USER_CHECKS_PER_MINUTE: {
    type: 'int',
    default: 10,
    min: 1,
    max: 1000,
    unit: 'count',
    doc: 'checks a user may create per clock minute; one more answers 429 `OWNER_RATE_LIMITED`',
  },
  SERVICE_CHECKS_PER_MINUTE: {
    type: 'int',
    default: 1200,
    min: 1,
    max: 100000,
    unit: 'count',
    doc: 'checks a service (an IAM principal, one per role) may create per clock minute; services have no open-check limit',
  },
  USER_CHECKS_PER_DAY: {
    type: 'int',
    default: 100,
    min: 1,
    max: 100000,
    unit: 'count',
    doc: 'checks a user may create per UTC day; one more answers 429 `OWNER_DAILY_LIMITED` until midnight UTC; services have no daily limit of their own',
  },
  CHECKS_PER_DAY: {
    type: 'int',
    default: 20000,
    min: 1,
    max: 10000000,
    unit: 'count',
    doc: 'checks the API creates per UTC day for all callers together (the vendor budget; direct uploads are not counted); one more answers 429 `CHECK_BUDGET_EXHAUSTED` until midnight UTC',
  },
  POWERTOOLS_LOG_LEVEL,
} as const satisfies EnvDeclaration;
