/**
 * A subscriber a backend team can copy: a Lambda function as the target of one of the rules in
 * `patterns/`. It narrows the event on `detail.status`, checks that the event comes from the
 * pipeline and that the check belongs to the user this backend expects (`detail.owner`), drops
 * duplicates by `detail.eventId`, and ignores detail versions it does not know. Why each check
 * matters: docs/events.md, "What a subscriber must check and why".
 *
 * In your own repository, import the contract from the package: `import ... from 'selfie-liveness-pipeline/events'`.
 */
import {
  DEFAULT_EVENT_SOURCE,
  DETAIL_TYPES,
  type LivenessEvent,
  type LivenessEventDetail,
  SCHEMA_VERSION,
} from '../../shared/events/index.js';

/**
 * Remembers which events were handled. EventBridge delivers at least once and the pipeline may
 * publish a transition again, so handle each `eventId` once. In production, use a conditional
 * write (`PutItem` with `attribute_not_exists(eventId)` in a table with a TTL), not memory.
 */
export interface ProcessedEvents {
  /** Records the id; answers `false` when it was already recorded. */
  markFirstSeen(eventId: string): Promise<boolean>;
}

/**
 * Who this backend expects each check to belong to, from its own records, never from the event: the
 * pipeline's `owner` of the user the `reference` stands for (with `apiAuth=jwt`, the user's `sub`:
 * the app chose the `reference`, so it proves nothing on its own), or, when the backend created the
 * check itself (IAM auth), its own principal for a `checkId` it recorded.
 */
export interface ExpectedOwners {
  /** The `owner` expected for this check, or `undefined` when this backend expects no such check. */
  ownerOf(check: { checkId: string; reference: string | undefined }): Promise<string | undefined>;
}

/** What this backend does with each outcome. */
export interface LivenessOutcomeHandlers {
  onPassed(checkId: string, reference: string | undefined, transactionId: string | undefined): Promise<void>;
  onRejected(checkId: string, reference: string | undefined, reason: string): Promise<void>;
  onNoVerdict(checkId: string, reference: string | undefined, why: 'FAILED' | 'EXPIRED'): Promise<void>;
}

/** The subscriber's collaborators. */
export interface LivenessSubscriberDeps {
  processed: ProcessedEvents;
  owners: ExpectedOwners;
  handlers: LivenessOutcomeHandlers;
  /** The installation's event `source`. @default DEFAULT_EVENT_SOURCE */
  source?: string;
}

/** Builds the Lambda handler. */
export function createLivenessSubscriber({
  processed,
  owners,
  handlers,
  source = DEFAULT_EVENT_SOURCE,
}: LivenessSubscriberDeps) {
  return async (event: LivenessEvent): Promise<void> => {
    const detail: LivenessEventDetail = event.detail;
    if (event.source !== source) {
      console.warn('ignoring an event from another source', { id: event.id });
      return;
    }
    if (detail.schemaVersion !== SCHEMA_VERSION) {
      console.warn('ignoring a liveness event of an unknown schema version', { id: event.id });
      return;
    }
    if (event['detail-type'] !== DETAIL_TYPES[detail.status]) {
      console.warn('ignoring a liveness event whose detail-type and status disagree', { id: event.id });
      return;
    }
    // Before the dedupe: an event ignored here is not recorded as handled, and a failed lookup
    // throws, so Lambda retries the event instead of dropping it as seen.
    const expected = await owners.ownerOf({ checkId: detail.checkId, reference: detail.reference });
    if (expected === undefined || detail.owner !== expected) {
      // The owners themselves are personal data (a JWT `sub`): log the ids only.
      console.warn('ignoring a liveness event whose owner is not the expected one', {
        id: event.id,
        eventId: detail.eventId,
        checkId: detail.checkId,
      });
      return;
    }
    if (!(await processed.markFirstSeen(detail.eventId))) return;
    switch (detail.status) {
      case 'PASSED':
        return handlers.onPassed(detail.checkId, detail.reference, detail.result.transactionId);
      case 'REJECTED':
        // Branch on the stable reason, never on the message.
        return handlers.onRejected(detail.checkId, detail.reference, detail.rejection.reason);
      case 'FAILED':
      case 'EXPIRED':
        return handlers.onNoVerdict(detail.checkId, detail.reference, detail.status);
    }
  };
}

/** Good enough for a demo; see {@link ProcessedEvents} for production. */
export function inMemoryProcessedEvents(): ProcessedEvents {
  const seen = new Set<string>();
  return {
    markFirstSeen: async (eventId) => {
      if (seen.has(eventId)) return false;
      seen.add(eventId);
      return true;
    },
  };
}

/** The Lambda entry point: replace the lookup and the handlers with your own. */
export const handler = createLivenessSubscriber({
  processed: inMemoryProcessedEvents(),
  // Replace with a read of your own records (the user an order belongs to, the checks you created):
  // until then, this subscriber credits nothing.
  owners: { ownerOf: async () => undefined },
  handlers: {
    onPassed: async (checkId, reference, transactionId) => {
      console.log('selfie passed', { checkId, reference, transactionId });
    },
    onRejected: async (checkId, reference, reason) => {
      console.log('selfie rejected', { checkId, reference, reason });
    },
    onNoVerdict: async (checkId, reference, why) => {
      console.log('no verdict for selfie', { checkId, reference, why });
    },
  },
});
