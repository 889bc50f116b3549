/**
 * The liveness event contract for subscribers: types, detail-types, the JSON Schema, and the
 * deterministic event id. `import { type LivenessEvent, DETAIL_TYPES } from '<pkg>/shared/events/index.js'`.
 */
export * from './build-event.js';
export * from './contract.js';
export * from './schema.js';
