import { describe, expect, it } from 'vitest';
import { readConfig } from '../../../functions/token-refresher/config.js';
import { ConfigError } from '../../../shared/errors.js';

const required = {
  CREDENTIALS_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:credentials',
  TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:token',
};

describe('readConfig', () => {
  it('applies the documented defaults', () => {
    expect(readConfig(required)).toEqual({
      credentialsSecretArn: required.CREDENTIALS_SECRET_ARN,
      tokenSecretArn: required.TOKEN_SECRET_ARN,
      livenessApiUrl: 'https://api.apptenticate.com',
      minWriteIntervalSeconds: 600,
      refreshMarginSeconds: 46_800,
    });
  });

  it('reads overrides and strips a trailing slash from the URL', () => {
    const config = readConfig({
      ...required,
      LIVENESS_API_URL: 'http://127.0.0.1:4010/',
      MIN_WRITE_INTERVAL_SECONDS: '900',
      REFRESH_MARGIN_SECONDS: '3600',
    });
    expect(config).toMatchObject({
      livenessApiUrl: 'http://127.0.0.1:4010',
      minWriteIntervalSeconds: 900,
      refreshMarginSeconds: 3600,
    });
  });

  it('names the missing variable', () => {
    expect(() => readConfig({ TOKEN_SECRET_ARN: 'x' })).toThrow(
      new ConfigError('CREDENTIALS_SECRET_ARN is required but not set'),
    );
  });

  it('refuses a malformed interval', () => {
    expect(() => readConfig({ ...required, MIN_WRITE_INTERVAL_SECONDS: 'ten' })).toThrow(
      /MIN_WRITE_INTERVAL_SECONDS/,
    );
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(readConfig(required))).toBe(true);
  });
});
