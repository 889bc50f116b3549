/**
 * AWS Signature Version 4 for the few AWS APIs the ops tool calls without an SDK client of its own
 * (CloudFormation, CloudWatch, CloudWatch Logs: their SDK packages are not dependencies of the
 * project). Header signing only, as the SDKs do for these services.
 */
import { createHash, createHmac } from 'node:crypto';

/** The credentials a request is signed with (the SDK's default chain resolves them). */
export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** What is signed. */
export interface SignInput {
  method: string;
  url: URL;
  /** Lower-case names. `host` and `x-amz-date` are added. */
  headers: Readonly<Record<string, string>>;
  body: string;
  service: string;
  region: string;
  credentials: SigningCredentials;
  now: Date;
}

/** The headers to send: the input's, plus `host`, `x-amz-date`, the session token and `authorization`. */
export function signRequest(input: SignInput): Record<string, string> {
  const amzDate = input.now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    ...input.headers,
    host: input.url.host,
    'x-amz-date': amzDate,
    ...(input.credentials.sessionToken ? { 'x-amz-security-token': input.credentials.sessionToken } : {}),
  };
  const { hash, signedHeaders } = canonicalRequest({ ...input, headers });
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, hash].join('\n');
  let key: Buffer = hmac(`AWS4${input.credentials.secretAccessKey}`, day);
  for (const part of [input.region, input.service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

/** The canonical request (exported for tests) and its SHA-256. */
export function canonicalRequest(input: Pick<SignInput, 'method' | 'url' | 'headers' | 'body'>): {
  request: string;
  hash: string;
  signedHeaders: string;
} {
  const names = Object.keys(input.headers)
    .map((name) => name.toLowerCase())
    .sort();
  const lower = Object.fromEntries(Object.entries(input.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const canonicalHeaders = names
    .map((name) => `${name}:${(lower[name] ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const signedHeaders = names.join(';');
  const query = [...input.url.searchParams.entries()]
    .map(([k, v]) => [encode(k), encode(v)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? compare(av, bv) : compare(a, b)))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const path = input.url.pathname
    .split('/')
    .map((segment) => encode(decodeURIComponent(segment)))
    .join('/');
  const request = [
    input.method.toUpperCase(),
    path || '/',
    query,
    canonicalHeaders,
    signedHeaders,
    sha256(input.body),
  ].join('\n');
  return { request, hash: sha256(request), signedHeaders };
}

/** RFC 3986 encoding, as SigV4 wants it: everything but unreserved characters. */
function encode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}
