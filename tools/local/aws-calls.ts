/**
 * Which AWS call a request is, as IAM names it, and which function made it: what the call recorder
 * of the AWS proxy (`aws-fault-proxy.ts`, `recordCalls`) writes down for each call it sees.
 *
 * The service is the SigV4 credential scope's (`Credential=<key>/<date>/<region>/<service>/aws4_request`),
 * which is the IAM prefix for every service the pipeline uses (DynamoDB Streams signs as `dynamodb`,
 * as IAM names its actions). The operation: `X-Amz-Target` for the JSON protocols, the path for
 * Lambda's Invoke, the method and path for S3 (REST). The function: the user agent each function's
 * clients carry (`selfie-liveness/<function>`, `functions/commons/aws-clients.ts`).
 */
import { USER_AGENT_PRODUCT } from '../../functions/commons/aws-clients.js';

/** One call a recorder saw. */
export interface ObservedCall {
  /**
   * The function whose client made it (from its user agent); `presigned-post` for an upload form
   * posted to S3 (signed by the api's credentials, sent by the app); `undefined` when no function's
   * user agent names it (the local runtime's own pollers and provisioning).
   */
  fn: string | undefined;
  /** The IAM action, `service:Operation`; `<service>:?` when the request's shape is not known here. */
  action: string;
  /** For an action not known here: the method and path, to say what was seen. */
  request?: string;
}

/** The request parts the classification reads (a Node `IncomingMessage` has them). */
export interface CallRequest {
  method?: string | undefined;
  url?: string | undefined;
  headers: Record<string, string | string[] | undefined>;
}

/** What a presigned POST form upload is recorded as coming from (the app sends it, the api signed it). */
export const PRESIGNED_POST = 'presigned-post';

const CREDENTIAL_SCOPE = /Credential=[^/,\s]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/;
const FUNCTION_USER_AGENT = new RegExp(`(?:^|\\s)${USER_AGENT_PRODUCT}/([^\\s/]+)`);
const LAMBDA_INVOKE = /^\/2015-03-31\/functions\/[^/]+\/invocations$/;
// ListObjectsV2 (`list-type=2`) and its parameters; ListObjects (v1) is the same action.
const LISTING_PARAMETERS = new Set([
  'list-type',
  'prefix',
  'max-keys',
  'continuation-token',
  'delimiter',
  'start-after',
  'encoding-type',
]);

/** The call a request is, and who made it. */
export function observeCall(request: CallRequest): ObservedCall {
  const method = (request.method ?? 'GET').toUpperCase();
  const url = new URL(request.url ?? '/', 'http://local');
  const authorization = headerValue(request.headers.authorization);
  const target = headerValue(request.headers['x-amz-target']);
  const fn = functionOf(request.headers);

  if (!authorization) {
    // The app's upload form: policy, credential and signature are form fields, not headers.
    const contentType = headerValue(request.headers['content-type']) ?? '';
    if (method === 'POST' && contentType.startsWith('multipart/form-data') && isBucketPath(url.pathname)) {
      return { fn: PRESIGNED_POST, action: 's3:PutObject' };
    }
  }
  const service =
    CREDENTIAL_SCOPE.exec(authorization ?? '')?.[1] ??
    CREDENTIAL_SCOPE.exec(`Credential=${url.searchParams.get('X-Amz-Credential') ?? ''}`)?.[1];
  if (target) {
    // `DynamoDB_20120810.UpdateItem`, `secretsmanager.GetSecretValue`, `AWSEvents.PutEvents`, `AmazonSQS.SendMessage`.
    const operation = target.slice(target.lastIndexOf('.') + 1);
    return { fn, action: `${service ?? 'unknown'}:${operation}` };
  }
  if (service === 'lambda' && method === 'POST' && LAMBDA_INVOKE.test(url.pathname)) {
    return { fn, action: 'lambda:InvokeFunction' };
  }
  if (service === 's3') {
    const action = s3Action(method, url);
    if (action) return { fn, action };
  }
  return { fn, action: `${service ?? 'unknown'}:?`, request: `${method} ${request.url ?? '/'}` };
}

/**
 * S3's REST calls the functions make, path style (`/bucket/key`: the SDK uses it for an IP
 * endpoint). A HEAD of an object is `s3:GetObject` to IAM. Subresources (`?cors`, `?acl`...) are
 * other actions, unknown here.
 */
function s3Action(method: string, url: URL): string | undefined {
  const [, bucket, ...key] = url.pathname.split('/');
  if (!bucket) return undefined;
  const query = [...url.searchParams.keys()].filter((name) => name !== 'x-id' && !name.startsWith('X-Amz-'));
  if (key.join('/') !== '') {
    if (query.length > 0) return undefined;
    if (method === 'GET' || method === 'HEAD') return 's3:GetObject';
    if (method === 'PUT') return 's3:PutObject';
    if (method === 'DELETE') return 's3:DeleteObject';
    return undefined;
  }
  if (method === 'GET' && query.every((name) => LISTING_PARAMETERS.has(name))) return 's3:ListBucket';
  return undefined;
}

function isBucketPath(pathname: string): boolean {
  return /^\/[^/]+\/?$/.test(pathname);
}

/** The function named by the request's user agent (`x-amz-user-agent` first: browsers may not set `User-Agent`). */
function functionOf(headers: CallRequest['headers']): string | undefined {
  for (const header of ['x-amz-user-agent', 'user-agent']) {
    const name = FUNCTION_USER_AGENT.exec(headerValue(headers[header]) ?? '')?.[1];
    if (name) return name;
  }
  return undefined;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
