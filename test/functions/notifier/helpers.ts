/** The notifier's test helpers: stream records and fixtures for unit tests, a stream reader for moto. */
import { readFileSync } from 'node:fs';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { CheckItem } from '../../../shared/check.js';
import { toLambdaRecord } from '../../../tools/local/stream-event-source.js';

/** A Lambda DynamoDB stream event fixture from `test/fixtures/dynamodb-stream/`. */
export function loadStreamFixture(name: string): DynamoDBStreamEvent {
  const url = new URL(`../../fixtures/dynamodb-stream/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as DynamoDBStreamEvent;
}

let sequence = 500_000_000_000_000_000_000n;

function nextSequenceNumber(): string {
  sequence += 100n;
  return String(sequence);
}

function image(item: Partial<CheckItem>): Record<string, AttributeValue> {
  return marshall(item, { removeUndefinedValues: true }) as Record<string, AttributeValue>;
}

/** A stream record as Lambda delivers it, built from check item images. */
export function streamRecord(
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  images: { old?: Partial<CheckItem>; new?: Partial<CheckItem> },
  sequenceNumber = nextSequenceNumber(),
): DynamoDBRecord {
  const checkId = images.new?.checkId ?? images.old?.checkId ?? 'unknown';
  return {
    eventID: `evt-${sequenceNumber}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    dynamodb: {
      ApproximateCreationDateTime: 1_795_600_807,
      Keys: { checkId: { S: checkId } },
      ...(images.new ? { NewImage: image(images.new) } : {}),
      ...(images.old ? { OldImage: image(images.old) } : {}),
      SequenceNumber: sequenceNumber,
      SizeBytes: 512,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN:
      'arn:aws:dynamodb:eu-west-1:123456789012:table/selfie-checks/stream/2026-11-25T09:00:00.000',
  };
}

/** The sequence numbers of records, for comparing with batch item failures. */
export function sequenceNumbersOf(records: readonly DynamoDBRecord[]): string[] {
  return records.map((record) => record.dynamodb?.SequenceNumber ?? '');
}

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
