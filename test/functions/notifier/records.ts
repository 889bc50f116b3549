import { readFileSync } from 'node:fs';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { CheckItem } from '../../../shared/check.js';

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
