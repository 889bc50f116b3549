import { describe, expect, it } from 'vitest';
import { checkIdForKey, decodeS3Key, parseNotification } from '../../../functions/checker/notification.js';
import notification from '../../fixtures/sqs/s3-notification.json' with { type: 'json' };
import testEvent from '../../fixtures/sqs/s3-test-event.json' with { type: 'json' };

const withKey = (key: string) => {
  const copy = structuredClone(notification);
  (copy.Records[0] as { s3: { object: { key: string } } }).s3.object.key = key;
  return JSON.stringify(copy);
};

describe('parseNotification', () => {
  it('reads bucket, decoded key and event time from an S3 notification, never its size', () => {
    expect(parseNotification(JSON.stringify(notification))).toEqual({
      kind: 'objects',
      objects: [
        {
          bucket: 'selfie-bucket',
          key: 'selfies/3f6c1e0a-2b4d-4c8e-9f1a-7b2c3d4e5f60',
          eventTime: '2026-11-25T10:00:00.000Z',
        },
      ],
      ignored: 0,
    });
  });

  it('recognises the s3:TestEvent S3 sends when notifications are configured', () => {
    expect(parseNotification(JSON.stringify(testEvent))).toEqual({ kind: 'test-event' });
  });

  it.each([
    ['not json', 'body is not JSON'],
    ['[1,2]', 'body is not a JSON object'],
    ['{"hello":"world"}', 'body has no Records array'],
    ['{"Records":[{"s3":{}}]}', 'a record has no eventName'],
    [
      '{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{}}}]}',
      'a record has no bucket name or object key',
    ],
  ])('calls %s malformed with a reason that quotes none of the body', (body, reason) => {
    expect(parseNotification(body)).toEqual({ kind: 'malformed', reason });
  });

  it('counts records that are not object creations as ignored', () => {
    const copy = structuredClone(notification);
    (copy.Records[0] as { eventName: string }).eventName = 'ObjectRemoved:Delete';
    expect(parseNotification(JSON.stringify(copy))).toEqual({ kind: 'objects', objects: [], ignored: 1 });
  });

  it('calls a key with broken percent-encoding malformed', () => {
    expect(parseNotification(withKey('selfies/%E0%A4%A'))).toMatchObject({ kind: 'malformed' });
  });
});

describe('decodeS3Key', () => {
  it.each([
    ['selfies/my+selfie.jpg', 'selfies/my selfie.jpg'],
    ['selfies/a%2Bb.jpg', 'selfies/a+b.jpg'],
    ['selfies/100%25.png', 'selfies/100%.png'],
    ['selfies/%C3%A9t%C3%A9+%F0%9F%98%80.jpg', 'selfies/été 😀.jpg'],
    ['selfies%2Fquoted-slash', 'selfies/quoted-slash'],
  ])('decodes %s to %s', (encoded, decoded) => {
    expect(decodeS3Key(encoded)).toBe(decoded);
  });
});

describe('checkIdForKey', () => {
  it('uses the UUID the API put in the key', () => {
    expect(checkIdForKey('selfies/3f6c1e0a-2b4d-4c8e-9f1a-7b2c3d4e5f60', 'selfies/')).toBe(
      '3f6c1e0a-2b4d-4c8e-9f1a-7b2c3d4e5f60',
    );
  });

  it('derives the same version-5 UUID for the same foreign key, and another for another key', () => {
    const a = checkIdForKey('selfies/user 1/photo.jpg', 'selfies/');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(checkIdForKey('selfies/user 1/photo.jpg', 'selfies/')).toBe(a);
    expect(checkIdForKey('selfies/user 2/photo.jpg', 'selfies/')).not.toBe(a);
  });
});
