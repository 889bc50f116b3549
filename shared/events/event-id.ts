import { uuidV5 } from '../uuid.js';
import type { LivenessEventStatus } from './contract.js';

/**
 * The UUID namespace of event ids. Never change it: subscribers deduplicate on `eventId`, and a
 * new namespace would make every republished event look new.
 */
export const EVENT_ID_NAMESPACE = '6f1d2c7e-3b8a-4f0e-9c55-2a4e8d1b7c90';

/**
 * The deterministic id of the event announcing that the check `checkId` created at `createdAt`
 * reached `status`: a UUID v5 (RFC 9562) of `<checkId>:<status>:<createdAt>` in
 * {@link EVENT_ID_NAMESPACE}. Every republication of the same transition carries the same id, so
 * subscribers drop duplicates by it; a later check under the same id (a direct upload's key reused
 * after its item expired) has another `createdAt` and so another event id.
 * See docs/decisions/0006-direct-upload-keys-are-single-use.md.
 *
 * Plain JavaScript (no `node:crypto`): it runs in browsers and any Lambda runtime.
 *
 * @param createdAt the check item's `createdAt`, as ISO 8601 in UTC with milliseconds
 */
export function eventIdFor(checkId: string, status: LivenessEventStatus, createdAt: string): string {
  return uuidV5(EVENT_ID_NAMESPACE, `${checkId}:${status}:${createdAt}`);
}
