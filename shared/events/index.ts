/**
 * The liveness event contract for subscribers, published as the package's `./events` entry:
 * the types, the detail-types, the strict and the lenient JSON Schema, the known reason names and
 * the deterministic event id. Free of CDK, AWS SDK and Node built-ins, so a browser or any Lambda
 * can import it (a test bundles it for the browser):
 *
 * `import { type LivenessEvent, DETAIL_TYPES, LIVENESS_EVENT_SCHEMA_LENIENT } from 'selfie-liveness-pipeline/events'`.
 *
 * The producer side (`buildEventDetail`, `toPublicOutcome`) lives in `build-event.ts` and is not
 * part of the contract.
 */
export * from './contract.js';
export * from './event-id.js';
export * from './reasons.js';
export * from './schema.js';
