import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

/** The parts of the notifier's event source mapping the local runtime plays. */
export interface StreamSourceOptions {
  streamArn: string;
  batchSize: number;
  /** Retries of a failing batch before it is given up to `onFailure`. */
  retryAttempts: number;
  /** Lambda filter patterns: a record is delivered when any matches. */
  filters: readonly Record<string, unknown>[];
  /** Where a batch goes after its retries (with how many invocations it had), like the mapping's on-failure destination. */
  onFailure: (records: DynamoDBRecord[], attempts: number) => Promise<void>;
}

/**
 * Plays Lambda's DynamoDB stream event source mapping for a single-shard stream (what moto creates):
 * reads new records in order, drops those no filter matches, invokes the handler with at most
 * `batchSize` records, and, honouring `ReportBatchItemFailures`, retries from the first failed
 * sequence number, backing off, with the batch halved on each retry (bisect on error), until `retryAttempts` are
 * spent and the rest of that batch goes to `onFailure`.
 */
export class StreamEventSource {
  private iterator: string | undefined;
  private pending: DynamoDBRecord[] = [];
  private attempts = 0;
  private batchLimit: number;
  private retryAt = 0;

  constructor(
    private readonly client: DynamoDBStreamsClient,
    private readonly options: StreamSourceOptions,
    private readonly handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined>,
  ) {
    this.batchLimit = options.batchSize;
  }

  /** Reads what arrived and delivers one batch; returns how many records were delivered. */
  async pollOnce(): Promise<number> {
    await this.read();
    if (this.pending.length === 0 || Date.now() < this.retryAt) return 0;
    const batch = this.pending.slice(0, this.batchLimit);
    let failedFrom: number;
    try {
      const response = await this.handler({ Records: batch });
      const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      failedFrom = batch.findIndex(
        (r) => r.dynamodb?.SequenceNumber && failed.has(r.dynamodb.SequenceNumber),
      );
    } catch {
      failedFrom = 0;
    }
    if (failedFrom === -1) {
      this.pending.splice(0, batch.length);
      this.attempts = 0;
      this.retryAt = 0;
      this.batchLimit = this.options.batchSize;
      return batch.length;
    }
    // Lambda checkpoints before the first failure and retries from there.
    this.pending.splice(0, failedFrom);
    this.attempts++;
    if (this.attempts > this.options.retryAttempts) {
      const givenUp = this.pending.splice(0, Math.max(1, batch.length - failedFrom));
      await this.options.onFailure(givenUp, this.attempts);
      this.attempts = 0;
      this.batchLimit = this.options.batchSize;
    } else {
      this.batchLimit = Math.max(1, Math.ceil((batch.length - failedFrom) / 2));
      // Back off between retries, as the mapping does: 200 ms doubling, at most 5 s.
      this.retryAt = Date.now() + Math.min(200 * 2 ** (this.attempts - 1), 5000);
    }
    return batch.length;
  }

  private async read(): Promise<void> {
    if (!this.iterator) {
      const { StreamDescription } = await this.client.send(
        new DescribeStreamCommand({ StreamArn: this.options.streamArn }),
      );
      const shardId = StreamDescription?.Shards?.[0]?.ShardId;
      if (!shardId) throw new Error(`stream ${this.options.streamArn} has no shard`);
      const { ShardIterator } = await this.client.send(
        new GetShardIteratorCommand({
          StreamArn: this.options.streamArn,
          ShardId: shardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      this.iterator = ShardIterator;
    }
    const { Records = [], NextShardIterator } = await this.client.send(
      new GetRecordsCommand({ ShardIterator: this.iterator }),
    );
    this.iterator = NextShardIterator ?? this.iterator;
    for (const record of Records) {
      const lambdaRecord = toLambdaRecord(record, this.options.streamArn);
      if (this.options.filters.some((pattern) => matchesPattern(lambdaRecord, pattern)))
        this.pending.push(lambdaRecord);
    }
  }
}

/** A DynamoDB Streams API record in the shape Lambda passes to a function (epoch seconds, source ARN). */
export function toLambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  const { dynamodb } = record;
  type Image = NonNullable<DynamoDBRecord['dynamodb']>['NewImage'];
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: record.eventSource,
    awsRegion: record.awsRegion,
    eventSourceARN: streamArn,
    ...(record.userIdentity ? { userIdentity: record.userIdentity } : {}),
    dynamodb: {
      ...(dynamodb?.ApproximateCreationDateTime
        ? {
            ApproximateCreationDateTime: Math.floor(
              new Date(dynamodb.ApproximateCreationDateTime).getTime() / 1000,
            ),
          }
        : {}),
      // The Streams API and Lambda use the same attribute value JSON.
      Keys: dynamodb?.Keys as Image,
      ...(dynamodb?.NewImage ? { NewImage: dynamodb.NewImage as Image } : {}),
      ...(dynamodb?.OldImage ? { OldImage: dynamodb.OldImage as Image } : {}),
      SequenceNumber: dynamodb?.SequenceNumber,
      SizeBytes: dynamodb?.SizeBytes,
      StreamViewType: dynamodb?.StreamViewType,
    },
  };
}

/**
 * Whether a record matches a Lambda/EventBridge filter pattern, for the subset the stack uses: nested
 * objects, lists of exact string values, and `{"anything-but": [...]}`. A field the pattern names but the
 * record lacks does not match.
 */
export function matchesPattern(value: unknown, pattern: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((allowed) => {
      if (typeof allowed === 'object' && allowed !== null && 'anything-but' in allowed) {
        const excluded = (allowed as { 'anything-but': unknown[] })['anything-but'];
        return value !== undefined && !excluded.includes(value);
      }
      return value === allowed;
    });
  }
  if (typeof pattern === 'object' && pattern !== null) {
    if (typeof value !== 'object' || value === null) return false;
    return Object.entries(pattern).every(([key, sub]) =>
      matchesPattern((value as Record<string, unknown>)[key], sub),
    );
  }
  return false;
}
