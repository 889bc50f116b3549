import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

/**
 * Reads a table's stream from the start, the way Lambda's event source mapping does, and hands
 * out what arrived since the last read as a Lambda-shaped event. Single-shard tables only (what
 * moto creates).
 */
export class StreamReader {
  private iterator: string | undefined;

  constructor(
    private readonly client: DynamoDBStreamsClient,
    private readonly streamArn: string,
  ) {}

  /** The records written since the previous call, as Lambda would deliver them. */
  async nextEvent(): Promise<DynamoDBStreamEvent> {
    if (!this.iterator) {
      const { StreamDescription } = await this.client.send(
        new DescribeStreamCommand({ StreamArn: this.streamArn }),
      );
      const shardId = StreamDescription?.Shards?.[0]?.ShardId;
      if (!shardId) throw new Error(`stream ${this.streamArn} has no shard`);
      const { ShardIterator } = await this.client.send(
        new GetShardIteratorCommand({
          StreamArn: this.streamArn,
          ShardId: shardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      this.iterator = ShardIterator;
    }
    const { Records, NextShardIterator } = await this.client.send(
      new GetRecordsCommand({ ShardIterator: this.iterator }),
    );
    this.iterator = NextShardIterator;
    return { Records: (Records ?? []).map((record) => toLambdaRecord(record, this.streamArn)) };
  }
}

/** A DynamoDB Streams API record in the shape Lambda passes to a function (epoch seconds, source ARN). */
export function toLambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  const { dynamodb } = record;
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
        ? { ApproximateCreationDateTime: Math.floor(dynamodb.ApproximateCreationDateTime.getTime() / 1000) }
        : {}),
      // The Streams API and Lambda use the same attribute value JSON.
      Keys: dynamodb?.Keys as NonNullable<DynamoDBRecord['dynamodb']>['Keys'],
      ...(dynamodb?.NewImage
        ? { NewImage: dynamodb.NewImage as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'] }
        : {}),
      ...(dynamodb?.OldImage
        ? { OldImage: dynamodb.OldImage as NonNullable<DynamoDBRecord['dynamodb']>['OldImage'] }
        : {}),
      SequenceNumber: dynamodb?.SequenceNumber,
      SizeBytes: dynamodb?.SizeBytes,
      StreamViewType: dynamodb?.StreamViewType,
    },
  };
}
