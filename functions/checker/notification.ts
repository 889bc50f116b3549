import { uuidV5 } from '../../shared/uuid.js';

/**
 * One created object, as the checker needs it from an S3 event notification. Anyone allowed to send
 * to the queue can write one, so it names what to look at, never what is there: no size is taken
 * from it, and only an object read from the checker's own bucket decides a check.
 */
export interface CreatedObject {
  /** The bucket the notification names; the checker skips a record for any but its own. */
  bucket: string;
  /** The decoded key. */
  key: string;
  /** When S3 created the object (the record's `eventTime`, ISO 8601), when the notification says. */
  eventTime?: string;
}

/** What one SQS message body holds. */
export type ParsedNotification =
  | { kind: 'test-event' }
  | { kind: 'objects'; objects: CreatedObject[]; ignored: number }
  | { kind: 'malformed'; reason: string };

/**
 * Parses an S3 event notification delivered through SQS. Never throws: a body that is not an S3
 * notification comes back as `malformed` with a reason safe to log (no body content).
 */
export function parseNotification(body: string): ParsedNotification {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { kind: 'malformed', reason: 'body is not JSON' };
  }
  if (!isObject(parsed)) return { kind: 'malformed', reason: 'body is not a JSON object' };
  // S3 sends this once when a notification configuration is saved.
  if (parsed.Event === 's3:TestEvent') return { kind: 'test-event' };
  if (!Array.isArray(parsed.Records)) return { kind: 'malformed', reason: 'body has no Records array' };
  const objects: CreatedObject[] = [];
  let ignored = 0;
  for (const record of parsed.Records) {
    if (!isObject(record) || typeof record.eventName !== 'string') {
      return { kind: 'malformed', reason: 'a record has no eventName' };
    }
    if (!record.eventName.startsWith('ObjectCreated:')) {
      ignored++;
      continue;
    }
    const s3 = isObject(record.s3) ? record.s3 : undefined;
    const bucket = s3 && isObject(s3.bucket) ? s3.bucket.name : undefined;
    const object = s3 && isObject(s3.object) ? s3.object : undefined;
    if (typeof bucket !== 'string' || !object || typeof object.key !== 'string') {
      return { kind: 'malformed', reason: 'a record has no bucket name or object key' };
    }
    const key = decodeS3Key(object.key);
    if (key === undefined)
      return { kind: 'malformed', reason: 'an object key is not valid percent-encoding' };
    const eventTime = typeof record.eventTime === 'string' ? record.eventTime : undefined;
    objects.push({ bucket, key, ...(eventTime !== undefined ? { eventTime } : {}) });
  }
  return { kind: 'objects', objects, ignored };
}

/** S3 keys arrive URL-encoded with `+` for spaces: undo both, in that order. */
export function decodeS3Key(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// A fixed namespace for name-based ids of objects uploaded without POST /checks.
const KEY_NAMESPACE = '6f1c1b0e-5a3d-4c8f-9e2b-7a4d3c2b1a09';

/**
 * The check id for an object key under the selfie prefix: the key's own UUID when the API issued it,
 * otherwise a stable name-based UUID (RFC 9562 version 5) derived from the key, so every
 * notification for the same key maps to the same check.
 */
export function checkIdForKey(key: string, prefix: string): string {
  const suffix = key.slice(prefix.length);
  if (UUID.test(suffix)) return suffix;
  return uuidV5(KEY_NAMESPACE, key);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
