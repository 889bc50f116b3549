/**
 * Environment variables several functions read, declared once. Each function's `environment.ts`
 * takes these and adds its own doc line where what the variable means to it differs.
 */
import {
  DEFAULT_CHECK_RETENTION_DAYS,
  DEFAULT_MAX_OBJECT_BYTES,
  DEFAULT_SELFIE_PREFIX,
} from '../../shared/check.js';
import type { EnvVarSpec } from '../../shared/config.js';

/** `TABLE_NAME`: the check table. */
export const TABLE_NAME = {
  type: 'string',
  required: true,
  doc: 'the check table',
} as const satisfies EnvVarSpec;

/** `SELFIE_PREFIX` without its doc line: the key prefix of uploaded selfies. */
export const SELFIE_PREFIX = { type: 'string', default: DEFAULT_SELFIE_PREFIX } as const;

/** `MAX_OBJECT_BYTES` without its doc line: the largest selfie, enforced by the upload policy and the checker. */
export const MAX_OBJECT_BYTES = {
  type: 'int',
  default: DEFAULT_MAX_OBJECT_BYTES,
  min: 1024,
  max: 50 * 1024 * 1024,
  unit: 'bytes',
} as const;

/** `UPLOAD_URL_TTL_SECONDS` without its doc line: how long the api's upload forms work. */
export const UPLOAD_URL_TTL_SECONDS = {
  type: 'int',
  default: 300,
  min: 60,
  max: 3600,
  unit: 'seconds',
} as const;

/** `CHECK_RETENTION_DAYS` without its doc line: the DynamoDB TTL of check items. */
export const CHECK_RETENTION_DAYS = {
  type: 'int',
  default: DEFAULT_CHECK_RETENTION_DAYS,
  min: 1,
  max: 3650,
  unit: 'days',
} as const;

/** The levels Powertools Logger knows, quietest last. */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;

/**
 * `POWERTOOLS_LOG_LEVEL`: Powertools Logger reads it itself; every function declares it so the
 * stack sets it from one setting (`logLevel`) and a bad value fails the cold start by name.
 */
export const POWERTOOLS_LOG_LEVEL = {
  type: 'enum',
  default: 'INFO',
  values: LOG_LEVELS,
  doc: 'the least severe log level written (Powertools Logger); the same for every function',
} as const satisfies EnvVarSpec;
