/**
 * Which AWS calls the fault proxy may fail, and how AWS answers them on a bad day: the operation
 * classes, the request classifier, and the throttle and server-error answers as the SDKs parse them.
 */

/** The operation classes faults apply to. */
export const FAULT_CLASSES = ['s3-object', 'dynamodb-item', 'secrets-read', 'put-events'] as const;
export type FaultClass = (typeof FAULT_CLASSES)[number];

/** The services an outage can be staged for. */
export const OUTAGE_SERVICES = ['s3', 'dynamodb', 'secretsmanager', 'events'] as const;
export type OutageService = (typeof OUTAGE_SERVICES)[number];

/** How an injected fault is answered: a throttle, a server error, or a staged outage (a server error). */
export type FaultKind = 'throttle' | 'error' | 'outage';

/** The service whose staged outage fails a class. */
export const SERVICE_OF_CLASS: Record<FaultClass, OutageService> = {
  's3-object': 's3',
  'dynamodb-item': 'dynamodb',
  'secrets-read': 'secretsmanager',
  'put-events': 'events',
};

// The data-plane item operations; control plane (CreateTable, DescribeTable...) passes.
const DYNAMODB_ITEM_OPERATIONS = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactGetItems',
  'TransactWriteItems',
  'ExecuteStatement',
  'BatchExecuteStatement',
  'ExecuteTransaction',
]);
const SECRETS_READ_OPERATIONS = new Set(['GetSecretValue', 'BatchGetSecretValue']);

/**
 * The fault class of a request, or `undefined` when it must pass untouched. JSON protocols name the
 * operation in `X-Amz-Target` (`DynamoDB_20120810.UpdateItem`, `secretsmanager.GetSecretValue`,
 * `AWSEvents.PutEvents`); S3 (REST) by method and path: an object call has a key after the bucket.
 */
export function classifyRequest(request: {
  method?: string | undefined;
  url?: string | undefined;
  headers: Record<string, string | string[] | undefined>;
}): FaultClass | undefined {
  const target = headerValue(request.headers['x-amz-target']);
  if (target) {
    const [service, operation = ''] = target.split('.', 2);
    // DynamoDBStreams_20120810.* (the stream poller) and AmazonSQS.* (the queue poller) never match.
    if (service === 'DynamoDB_20120810' && DYNAMODB_ITEM_OPERATIONS.has(operation)) return 'dynamodb-item';
    if (service === 'secretsmanager' && SECRETS_READ_OPERATIONS.has(operation)) return 'secrets-read';
    if (service === 'AWSEvents' && operation === 'PutEvents') return 'put-events';
    return undefined;
  }
  // Presigned requests (an app's POST form, presigned GET/PUT URLs) carry no Authorization header.
  if (!headerValue(request.headers.authorization)?.startsWith('AWS4-HMAC-SHA256')) return undefined;
  // Other JSON/query protocols (SQS with the query protocol, STS...) are not S3 object calls.
  if (request.headers['content-type']?.includes('x-www-form-urlencoded')) return undefined;
  const method = (request.method ?? 'GET').toUpperCase();
  if (!['GET', 'HEAD', 'PUT', 'DELETE'].includes(method)) return undefined;
  const path = new URL(request.url ?? '/', 'http://local').pathname;
  // Path style (the local clients use forcePathStyle): /bucket/key...
  const [, bucket, ...key] = path.split('/');
  if (!bucket || key.join('/') === '') return undefined;
  return 's3-object';
}

/** What AWS answers for each class and kind (as the SDKs parse it: the code names a throttle or a fault). */
export function faultAnswer(
  cls: FaultClass,
  kind: FaultKind,
): { status: number; contentType: string; body: string } {
  const throttle = kind === 'throttle';
  switch (cls) {
    case 's3-object':
      return throttle
        ? s3Error(503, 'SlowDown', 'Please reduce your request rate.')
        : kind === 'outage'
          ? s3Error(503, 'ServiceUnavailable', 'Service is unable to handle request.')
          : s3Error(500, 'InternalError', 'We encountered an internal error. Please try again.');
    case 'dynamodb-item':
      return throttle
        ? json10(
            400,
            'com.amazonaws.dynamodb.v20120810#ThrottlingException',
            'Rate of requests exceeds the allowed throughput.',
          )
        : json10(500, 'com.amazonaws.dynamodb.v20120810#InternalServerError', 'Internal server error');
    case 'secrets-read':
      return throttle
        ? json11(400, 'ThrottlingException', 'Rate exceeded')
        : json11(500, 'InternalServiceError', 'An error occurred on the server side.');
    case 'put-events':
      return throttle
        ? json11(400, 'ThrottlingException', 'Rate exceeded')
        : json11(500, 'InternalException', 'An internal error occurred.');
  }
}

function s3Error(status: number, code: string, message: string) {
  return {
    status,
    contentType: 'application/xml',
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault</RequestId></Error>`,
  };
}

function json10(status: number, type: string, message: string) {
  return {
    status,
    contentType: 'application/x-amz-json-1.0',
    body: JSON.stringify({ __type: type, message }),
  };
}

function json11(status: number, type: string, message: string) {
  return {
    status,
    contentType: 'application/x-amz-json-1.1',
    body: JSON.stringify({ __type: type, message }),
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
