import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { toLambdaRecord } from '../../../tools/local/stream-event-source.js';

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
