import { FINAL_STATUSES } from '../../shared/check.js';

const FINAL: string[] = [...FINAL_STATUSES];

/**
 * Lambda event filter patterns (EventBridge pattern syntax) for the notifier's DynamoDB stream:
 * a record passes when any pattern matches. Only transitions into a final status pass: an INSERT
 * already final, or a MODIFY whose old status was not final. No-op rewrites of a final item and TTL
 * deletions (REMOVE) are dropped before the function is invoked; the notifier re-checks in code.
 * The patterns deliberately do not require `decidedAt`: a final status without it (no decider wrote
 * it) would be dropped here without a trace, while the notifier logs, counts and alarms on it.
 * The stack's event source and the local runtime's both apply them.
 */
export const NOTIFIER_STREAM_FILTERS: readonly Record<string, unknown>[] = [
  { eventName: ['INSERT'], dynamodb: { NewImage: { status: { S: FINAL } } } },
  {
    eventName: ['MODIFY'],
    dynamodb: {
      NewImage: { status: { S: FINAL } },
      OldImage: { status: { S: [{ 'anything-but': FINAL }] } },
    },
  },
];
