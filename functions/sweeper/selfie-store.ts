import { DeleteObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { classifyAwsError } from '../../shared/errors.js';

/** The sweeper's view of the selfie bucket: whether a selfie is there, and removing one. */
export interface SelfieStore {
  /** Whether an object is stored under exactly this key. */
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
}

/**
 * A selfie store over S3. It lists the key instead of `HeadObject`: listing needs only
 * `s3:ListBucket` on the prefix (never the right to read a selfie), and answers "absent" without the
 * 403 a HEAD of a missing key gets from a role that lacks `s3:ListBucket`. No KMS call either way.
 */
export function createSelfieStore(s3: S3Client, bucket: string): SelfieStore {
  return {
    async exists(key) {
      try {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
        // The prefix also matches longer keys (`<key>-other`); only the exact key is the selfie.
        return (page.Contents ?? []).some((object) => object.Key === key);
      } catch (error) {
        throw classifyAwsError(error, 'S3 ListObjectsV2');
      }
    },
    async delete(key) {
      try {
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        throw classifyAwsError(error, 'S3 DeleteObject');
      }
    },
  };
}
