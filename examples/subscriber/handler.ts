/**
 * A subscriber a backend team can copy: a Lambda function as the target of one of the rules in
 * `patterns/`. It narrows the event on `detail.status`, drops duplicates by `detail.eventId`, and
 * ignores detail versions it does not know.
 *
 * In your own repository, import the contract from the package: `import ... from 'selfie-liveness-pipeline/events'`.
 */
import {
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

/** What this backend does with each outcome. */
export interface LivenessOutcomeHandlers {
  onPassed(checkId: string, reference: string | undefined, transactionId: string | undefined): Promise<void>;
  onRejected(checkId: string, reference: string | undefined, reason: string): Promise<void>;
  onNoVerdict(checkId: string, reference: string | undefined, why: 'FAILED' | 'EXPIRED'): Promise<void>;
}

/** Builds the Lambda handler. */
export function createLivenessSubscriber(processed: ProcessedEvents, handlers: LivenessOutcomeHandlers) {
  return async (event: LivenessEvent): Promise<void> => {
    const detail: LivenessEventDetail = event.detail;
    if (detail.schemaVersion !== SCHEMA_VERSION) {
      console.warn('ignoring a liveness event of an unknown schema version', { id: event.id });
      return;
    }
    if (event['detail-type'] !== DETAIL_TYPES[detail.status]) {
      console.warn('ignoring a liveness event whose detail-type and status disagree', { id: event.id });
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

/** The Lambda entry point: replace the handlers with your own. */
export const handler = createLivenessSubscriber(inMemoryProcessedEvents(), {
  onPassed: async (checkId, reference, transactionId) => {
    console.log('selfie passed', { checkId, reference, transactionId });
  },
  onRejected: async (checkId, reference, reason) => {
    console.log('selfie rejected', { checkId, reference, reason });
  },
  onNoVerdict: async (checkId, reference, why) => {
    console.log('no verdict for selfie', { checkId, reference, why });
  },
});
