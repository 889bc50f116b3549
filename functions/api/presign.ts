import type { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { classifyAwsError } from '../../shared/errors.js';
import type { UploadContentType } from './validation.js';

/** What an app needs to upload one selfie with a browser-style multipart POST. */
export interface PresignedUpload {
  /** The form's action URL. A credential in effect: never log it. */
  url: string;
  /** Form fields to send before the file, unchanged and in any order. */
  fields: Record<string, string>;
}

/** Issues presigned POSTs for one selfie each. */
export interface UploadPresigner {
  presign(input: {
    key: string;
    contentType: UploadContentType;
    maxBytes: number;
    expiresInSeconds: number;
  }): Promise<PresignedUpload>;
}

/**
 * A presigner over S3 presigned POST. The policy pins the exact key (never a client file name), the
 * size range 1..maxBytes and the exact `Content-Type`; S3 refuses any upload that breaks it.
 */
export function createUploadPresigner(s3: S3Client, bucket: string): UploadPresigner {
  return {
    async presign({ key, contentType, maxBytes, expiresInSeconds }) {
      try {
        return await createPresignedPost(s3, {
          Bucket: bucket,
          Key: key,
          // Each field becomes an exact-match condition ({"Content-Type": "image/jpeg"}); the key is
          // pinned the same way by createPresignedPost itself.
          Fields: { 'Content-Type': contentType },
          Conditions: [['content-length-range', 1, maxBytes]],
          Expires: expiresInSeconds,
        });
      } catch (error) {
        throw classifyAwsError(error, 'S3 presigned POST');
      }
    },
  };
}
