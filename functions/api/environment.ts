import {
  DEFAULT_CHECK_RETENTION_DAYS,
  DEFAULT_MAX_OBJECT_BYTES,
  DEFAULT_SELFIE_PREFIX,
} from '../../shared/check.js';
import type { EnvDeclaration } from '../../shared/config.js';

/** The api function's environment: `config.ts` reads it, the stack sets it, the README documents it. */
export const API_ENVIRONMENT = {
  TABLE_NAME: { type: 'string', required: true, doc: 'the check table' },
  SELFIE_BUCKET: { type: 'string', required: true, doc: 'where apps upload selfies' },
  SELFIE_PREFIX: {
    type: 'string',
    default: DEFAULT_SELFIE_PREFIX,
    doc: 'every upload key is this prefix plus the check id',
  },
  UPLOAD_URL_TTL_SECONDS: {
    type: 'int',
    default: 300,
    min: 60,
    max: 3600,
    unit: 'seconds',
    doc: 'how long an upload form works',
  },
  MAX_OBJECT_BYTES: {
    type: 'int',
    default: DEFAULT_MAX_OBJECT_BYTES,
    min: 1024,
    max: 50 * 1024 * 1024,
    unit: 'bytes',
    doc: 'the largest selfie the upload policy accepts',
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
