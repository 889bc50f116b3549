import type { SQSEvent, SQSRecord } from 'aws-lambda';
import sqsEvent from '../../fixtures/sqs/event.json' with { type: 'json' };
import notification from '../../fixtures/sqs/s3-notification.json' with { type: 'json' };

/** An S3 ObjectCreated notification body for one key (encoded the way S3 encodes keys). */
export function notificationBody(key: string, size: number, bucket = 'selfie-bucket'): string {
  const copy = structuredClone(notification);
  const record = copy.Records[0] as {
    s3: { bucket: { name: string }; object: { key: string; size: number } };
  };
  record.s3.bucket.name = bucket;
  record.s3.object.key = encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
  record.s3.object.size = size;
  return JSON.stringify(copy);
}

/** A Lambda SQS event with one record per body. */
export function sqsEventOf(bodies: string[], receiveCount = 1): SQSEvent {
  const template = sqsEvent.Records[0] as SQSRecord;
  return {
    Records: bodies.map((body, i) => ({
      ...structuredClone(template),
      messageId: `message-${i}`,
      body,
      attributes: { ...template.attributes, ApproximateReceiveCount: String(receiveCount) },
    })),
  };
}
