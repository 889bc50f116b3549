/**
 * The check table's shape, in one place: the CDK stack and the local runtime both build the table
 * from these constants, so the two cannot drift.
 */
export const CHECK_TABLE = {
  partitionKey: 'checkId',
  /** DynamoDB TTL attribute (epoch seconds). */
  ttlAttribute: 'expiresAt',
  sweepIndex: {
    name: 'bySweep',
    partitionKey: 'sweepStatus',
    sortKey: 'sweepAt',
    /** The sweeper reads only keys and `status`/`uploadExpiresAt`/`leaseExpiresAt`; it re-checks on write. */
    projection: 'KEYS_ONLY',
  },
  streamViewType: 'NEW_AND_OLD_IMAGES',
  /**
   * The api's per-owner limit counters live in the same table under keys starting with this
   * (never a UUID, so never a check id; no `status`, so never in the notifier's stream filter or the
   * sweep index). The api's `UpdateItem` is allowed only on these keys. See decision 8.
   */
  limitKeyPrefix: 'owner#',
} as const;
