import type { CheckItem, CheckStatus, Device } from '../../shared/check.js';
import { type PublicCheckOutcome, toPublicOutcome } from '../../shared/events/build-event.js';

/** A check as `GET /checks/{checkId}` shows it; optional fields are absent, never null. */
export interface CheckView extends PublicCheckOutcome {
  checkId: string;
  status: CheckStatus;
  reference?: string;
  device?: Device;
  createdAt: string;
  updatedAt: string;
  decidedAt?: string;
}

/**
 * The public view of a check item. Only documented fields leave: never the bucket, key, lease or
 * version. `result`, `rejection` and `failure` go through the event contract's own mapping, so the
 * API and the events always show an outcome the same way.
 */
export function toCheckView(item: CheckItem): CheckView {
  return {
    checkId: item.checkId,
    status: item.status,
    ...(item.reference !== undefined ? { reference: item.reference } : {}),
    ...(item.device !== undefined ? { device: item.device } : {}),
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    ...(item.decidedAt !== undefined ? { decidedAt: item.decidedAt } : {}),
    ...toPublicOutcome(item),
  };
}
