import {
  type CheckItem,
  type CheckStatus,
  type Device,
  isDecidedFinal,
  isFinalStatus,
} from '../../shared/check.js';
import { type PublicCheckOutcome, toPublicOutcome } from '../../shared/events/build-event.js';
import type { Caller } from './caller.js';

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
 * The public view of a check item for `reader`. Only documented fields leave: never the bucket, key,
 * lease or version. `result`, `rejection` and `failure` go through the event contract's own mapping,
 * so the API and the events always show an outcome the same way; but a user (an end user, who may
 * be the one presenting a spoof) never sees the vendor's scores: with them each retake would tell
 * an attacker how close the last one came. Services and the events keep them.
 *
 * A final status that no decider wrote (no `decidedAt`: a `PutItem` by someone other than the
 * checker or the sweeper) is shown as `CHECKING`, without any outcome: the API, like the notifier,
 * never presents it as a verdict. The notifier counts it (`UnattestedFinalStatuses`, alarmed).
 */
export function toCheckView(item: CheckItem, reader: Pick<Caller, 'kind'>): CheckView {
  const base = {
    checkId: item.checkId,
    ...(item.reference !== undefined ? { reference: item.reference } : {}),
    ...(item.device !== undefined ? { device: item.device } : {}),
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
  };
  if (isFinalStatus(item.status) && !isDecidedFinal(item)) return { ...base, status: 'CHECKING' };
  const outcome = toPublicOutcome(item);
  return {
    ...base,
    status: item.status,
    ...(item.decidedAt !== undefined ? { decidedAt: item.decidedAt } : {}),
    ...(reader.kind === 'user' ? withoutScores(outcome) : outcome),
  };
}

function withoutScores(outcome: PublicCheckOutcome): PublicCheckOutcome {
  if (!outcome.result) return outcome;
  const { score: _score, quality: _quality, liveness: _liveness, ...result } = outcome.result;
  return { ...outcome, result };
}
