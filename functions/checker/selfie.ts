/** The selfie in S3: read within the size limit, with its metadata, and deleted after its verdict. */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DeleteObjectCommand, GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import { type Device, isDevice, referenceProblem } from '../../shared/check.js';
import { classifyAwsError, describeError } from '../../shared/errors.js';
import type { CheckerDeps } from './context.js';
import type { CreatedObject } from './notification.js';

/** A selfie read from S3: its bytes, or only its size when it is too large, or nothing. */
export type SelfieRead =
  | { kind: 'ok'; bytes: Uint8Array; size: number; metadata: ObjectMetadata }
  | { kind: 'oversize'; size: number; metadata: ObjectMetadata }
  | { kind: 'missing' };

/** What an upload's `x-amz-meta-*` may say about its check. */
export interface ObjectMetadata {
  device?: Device;
  reference?: string;
}

/** Reads a selfie from the checker's own bucket, never more than `maxObjectBytes` of it; `missing` when it is not there. */
export async function readSelfie(
  object: CreatedObject,
  deps: CheckerDeps,
  abortSignal: AbortSignal,
): Promise<SelfieRead> {
  try {
    const response = await deps.s3.send(
      new GetObjectCommand({ Bucket: deps.config.selfieBucket, Key: object.key }),
      { abortSignal },
    );
    const metadata = metadataOf(response.Metadata, deps);
    const declared = response.ContentLength ?? 0;
    if (declared > deps.config.maxObjectBytes) {
      // S3's size decides, never the notification's (a forged message can say anything): never
      // buffer more than the limit.
      await response.Body?.transformToWebStream().cancel();
      return { kind: 'oversize', size: declared, metadata };
    }
    const bytes = (await response.Body?.transformToByteArray()) ?? new Uint8Array();
    return { kind: 'ok', bytes, size: bytes.length, metadata };
  } catch (error) {
    if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey')
      return { kind: 'missing' };
    throw classifyAwsError(error, 'S3 GetObject');
  }
}

/** Device and reference from `x-amz-meta-*`, for uploads that did not come through the API. */
function metadataOf(metadata: Record<string, string> | undefined, deps: CheckerDeps): ObjectMetadata {
  const result: ObjectMetadata = {};
  const device = metadata?.device?.toUpperCase();
  if (device !== undefined) {
    if (isDevice(device)) result.device = device;
    else deps.logger.warn('ignoring unknown device in object metadata', {});
  }
  const reference = metadata?.reference;
  if (reference !== undefined) {
    if (referenceProblem(reference) === undefined) result.reference = reference;
    else deps.logger.warn('ignoring invalid reference in object metadata', {});
  }
  return result;
}

/** Deletes a selfie (unless selfies are retained); `false` when the delete failed, which is logged and counted. */
export async function deleteSelfie(
  object: CreatedObject,
  checkId: string,
  deps: CheckerDeps,
  abortSignal: AbortSignal,
  options: { evenIfRetained?: boolean } = {},
): Promise<boolean> {
  if (deps.config.retainSelfies && !options.evenIfRetained) return true;
  try {
    await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.config.selfieBucket, Key: object.key }), {
      abortSignal,
    });
    return true;
  } catch (error) {
    // Retrying the message finds the check decided and deletes again; the lifecycle rule is the backstop.
    deps.logger.error('selfie delete failed', { checkId, error: describeError(error) });
    deps.metrics.addMetric('SelfieDeleteFailures', MetricUnit.Count, 1);
    return false;
  }
}
