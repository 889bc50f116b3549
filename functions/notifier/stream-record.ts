/** Reading a DynamoDB stream record: does it announce a transition into a final status? */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { type CheckItem, type FinalStatus, isDecidedFinal, isFinalStatus } from '../../shared/check.js';

/** Why a stream record is not published. */
export type SkipReason = 'REMOVE' | 'NO_NEW_IMAGE' | 'NOT_FINAL' | 'ALREADY_FINAL';

/** What to do with one stream record. */
export type RecordDecision =
  | { action: 'publish'; item: CheckItem; oldImageMissing: boolean }
  | { action: 'skip'; reason: SkipReason }
  | { action: 'unattested'; checkId: string; status: FinalStatus }
  | { action: 'unpublishable'; reason: 'IMAGE_UNREADABLE'; error: unknown };

/**
 * Decides whether a stream record announces a transition into a final status: the new image is
 * final and the old one is not (or there is none: an item created final). REMOVE records (TTL) and
 * records without a full new image (moto's keys-only INSERT, a KEYS_ONLY stream) are skipped.
 * A MODIFY without an old image (a NEW_IMAGE stream) is published anyway: a duplicate is harmless
 * (subscribers drop it by `eventId`), a lost event is not. A transition into a final status without
 * `decidedAt` is `unattested`: no decider wrote it ({@link isDecidedFinal}), so it is never published.
 */
export function decideRecord(record: DynamoDBRecord): RecordDecision {
  if (record.eventName === 'REMOVE') return { action: 'skip', reason: 'REMOVE' };
  const newImage = record.dynamodb?.NewImage;
  const oldImage = record.dynamodb?.OldImage;
  let item: Partial<CheckItem>;
  let old: Partial<CheckItem> | undefined;
  try {
    if (!newImage) return { action: 'skip', reason: 'NO_NEW_IMAGE' };
    item = unmarshall(newImage as Record<string, AttributeValue>) as Partial<CheckItem>;
    old = oldImage
      ? (unmarshall(oldImage as Record<string, AttributeValue>) as Partial<CheckItem>)
      : undefined;
  } catch (error) {
    return { action: 'unpublishable', reason: 'IMAGE_UNREADABLE', error };
  }
  if (typeof item.checkId !== 'string' || item.status === undefined)
    return { action: 'skip', reason: 'NO_NEW_IMAGE' };
  if (!isFinalStatus(item.status)) return { action: 'skip', reason: 'NOT_FINAL' };
  if (old && isFinalStatus(old.status)) return { action: 'skip', reason: 'ALREADY_FINAL' };
  if (!isDecidedFinal(item)) return { action: 'unattested', checkId: item.checkId, status: item.status };
  return {
    action: 'publish',
    item: item as CheckItem,
    oldImageMissing: record.eventName === 'MODIFY' && !old,
  };
}
