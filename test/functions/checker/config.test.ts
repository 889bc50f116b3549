import { describe, expect, it } from 'vitest';
import { recordBudgetMs, recordStartMs, vendorCallMs } from '../../../functions/checker/budget.js';
import { readConfig } from '../../../functions/checker/config.js';

const required = {
  TABLE_NAME: 'checks',
  TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:tokens',
  SELFIE_BUCKET: 'selfie-bucket',
};

describe('readConfig', () => {
  it('applies the documented defaults and freezes the result', () => {
    const config = readConfig(required);
    expect(config).toEqual({
      tableName: 'checks',
      tokenSecretArn: required.TOKEN_SECRET_ARN,
      selfieBucket: 'selfie-bucket',
      selfiePrefix: 'selfies/',
      livenessApiUrl: 'https://api.apptenticate.com',
      maxObjectBytes: 2_097_152,
      minImageSidePx: 64,
      maxImageSidePx: 4096,
      maxReceiveCount: 3,
      leaseSeconds: 120,
      batchConcurrency: 5,
      retainSelfies: false,
      retentionSeconds: 30 * 86_400,
      vendorConnectTimeoutMs: 2000,
      vendorResponseTimeoutMs: 8000,
      tokenCacheSeconds: 300,
    });
    expect(Object.isFrozen(config)).toBe(true);
    // One call 10 s; a record 5 s of AWS + 4 calls = 45 s; 5 s more to write its outcome.
    expect(vendorCallMs(config)).toBe(10_000);
    expect(recordBudgetMs(config)).toBe(45_000);
    expect(recordStartMs(config)).toBe(50_000);
  });

  it('keeps the token-refresher name only when it is set', () => {
    expect(
      readConfig({ ...required, TOKEN_REFRESHER_FUNCTION_NAME: '' }).tokenRefresherFunctionName,
    ).toBeUndefined();
    expect(
      readConfig({ ...required, TOKEN_REFRESHER_FUNCTION_NAME: 'refresher' }).tokenRefresherFunctionName,
    ).toBe('refresher');
  });

  it.each([
    [{ TABLE_NAME: undefined }, 'TABLE_NAME is required but not set'],
    [{ TOKEN_SECRET_ARN: ' ' }, 'TOKEN_SECRET_ARN is required but not set'],
    [{ SELFIE_BUCKET: undefined }, 'SELFIE_BUCKET is required but not set'],
    [{ MAX_RECEIVE_COUNT: 'three' }, 'MAX_RECEIVE_COUNT must be an integer, got "three"'],
    [{ BATCH_CONCURRENCY: '0' }, 'BATCH_CONCURRENCY must be between 1 and 100, got 0'],
    [{ RETAIN_SELFIES: 'yes' }, 'RETAIN_SELFIES must be "true" or "false", got "yes"'],
    [{ LIVENESS_API_URL: 'ftp://vendor' }, 'LIVENESS_API_URL must be an http(s) URL, got "ftp://vendor"'],
  ])('fails with a message naming the variable for %j', (override, message) => {
    expect(() => readConfig({ ...required, ...override })).toThrow(message);
  });
});
