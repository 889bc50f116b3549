/**
 * What the HTTP API's CORS allows, in one place: the stack's `corsPreflight` and the local API
 * (`tools/local/local-cors.ts`) both read it, so a browser meets the same answers on both.
 * Plain data only. Which origins are allowed is the `corsAllowedOrigins` prop (context key).
 */
export const API_CORS = {
  /** The methods of the two routes. */
  allowMethods: ['GET', 'POST'],
  /** A JWT (`authorization`), the JSON body, and what a SigV4 signer adds. */
  allowHeaders: [
    'authorization',
    'content-type',
    'x-amz-content-sha256',
    'x-amz-date',
    'x-amz-security-token',
  ],
  /** A browser shows scripts only the CORS-safelisted headers unless told: `retry-after` of a 429 or 503. */
  exposeHeaders: ['retry-after'],
  /** How long a browser may cache a preflight answer. */
  maxAgeSeconds: 3600,
} as const;

/** What the selfie bucket's CORS allows: the presigned POST of the upload form from the same origins. */
export const BUCKET_CORS = {
  allowMethods: ['POST'],
  allowHeaders: ['*'],
  maxAgeSeconds: 3000,
} as const;
