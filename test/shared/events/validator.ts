import { Ajv, type ValidateFunction } from 'ajv';
import {
  LIVENESS_EVENT_DETAIL_SCHEMA,
  LIVENESS_EVENT_DETAIL_SCHEMA_LENIENT,
  LIVENESS_EVENT_SCHEMA,
  LIVENESS_EVENT_SCHEMA_LENIENT,
} from '../../../shared/events/index.js';

/**
 * Ajv 8 has no draft-04 meta-schema, so the `$schema` marker is dropped before compiling; the
 * schema uses only keywords that mean the same in draft-04 and draft-07 (a test checks that).
 */
function compile(schema: object): ValidateFunction {
  const { $schema: _ignored, ...rest } = schema as Record<string, unknown>;
  return new Ajv({ strict: true, allErrors: true }).compile(rest);
}

/** Validates a `detail` against the published JSON Schema. */
export const validateDetail = compile(LIVENESS_EVENT_DETAIL_SCHEMA);

/** Validates a whole EventBridge event against the published JSON Schema. */
export const validateEvent = compile(LIVENESS_EVENT_SCHEMA);

/** Validates a whole event against the lenient schema subscribers are told to use. */
export const validateEventLeniently = compile(LIVENESS_EVENT_SCHEMA_LENIENT);

/** Validates a `detail` against the lenient schema. */
export const validateDetailLeniently = compile(LIVENESS_EVENT_DETAIL_SCHEMA_LENIENT);

/** Ajv's errors as one readable string, for assertion messages. */
export function errorsOf(validate: ValidateFunction): string {
  return JSON.stringify(validate.errors ?? [], null, 2);
}
