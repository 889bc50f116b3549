import { describe, expect, it } from 'vitest';
import { readConfig } from '../../../functions/sweeper/config.js';

describe('readConfig', () => {
  it('applies the documented defaults', () => {
    expect(readConfig({ TABLE_NAME: 'checks', SELFIE_BUCKET: 'selfies' })).toEqual({
      tableName: 'checks',
      selfieBucket: 'selfies',
      selfiePrefix: 'selfies/',
      retainSelfies: false,
      uploadUrlTtlSeconds: 300,
      uploadGraceSeconds: 300,
      staleCheckGraceSeconds: 1800,
      claimWaitSeconds: 3600,
      maxSweepItems: 500,
      retentionSeconds: 30 * 86_400,
    });
  });

  it('reads every variable and returns a frozen object', () => {
    const config = readConfig({
      TABLE_NAME: 'checks',
      SELFIE_BUCKET: 'selfies',
      SELFIE_PREFIX: 'uploads/',
      RETAIN_SELFIES: 'true',
      CLAIM_WAIT_SECONDS: '7200',
      UPLOAD_URL_TTL_SECONDS: '900',
      UPLOAD_GRACE_SECONDS: '0',
      STALE_CHECK_GRACE_SECONDS: '3600',
      MAX_SWEEP_ITEMS: '50',
      CHECK_RETENTION_DAYS: '2',
    });
    expect(config).toMatchObject({
      selfiePrefix: 'uploads/',
      retainSelfies: true,
      claimWaitSeconds: 7200,
      uploadUrlTtlSeconds: 900,
      uploadGraceSeconds: 0,
      staleCheckGraceSeconds: 3600,
      maxSweepItems: 50,
      retentionSeconds: 2 * 86_400,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    [{ SELFIE_BUCKET: 'b' }, /TABLE_NAME is required/],
    [{ TABLE_NAME: 't' }, /SELFIE_BUCKET is required/],
    [{ TABLE_NAME: 't', SELFIE_BUCKET: 'b', CLAIM_WAIT_SECONDS: '59' }, /CLAIM_WAIT_SECONDS must be between/],
    [
      { TABLE_NAME: 't', SELFIE_BUCKET: 'b', UPLOAD_GRACE_SECONDS: '-1' },
      /UPLOAD_GRACE_SECONDS must be between/,
    ],
    [
      { TABLE_NAME: 't', SELFIE_BUCKET: 'b', STALE_CHECK_GRACE_SECONDS: '59' },
      /STALE_CHECK_GRACE_SECONDS must be between/,
    ],
    [{ TABLE_NAME: 't', SELFIE_BUCKET: 'b', MAX_SWEEP_ITEMS: '0' }, /MAX_SWEEP_ITEMS must be between/],
    [{ TABLE_NAME: 't', SELFIE_BUCKET: 'b', MAX_SWEEP_ITEMS: 'lots' }, /MAX_SWEEP_ITEMS must be an integer/],
    [
      { TABLE_NAME: 't', SELFIE_BUCKET: 'b', CHECK_RETENTION_DAYS: '3651' },
      /CHECK_RETENTION_DAYS must be between/,
    ],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => readConfig(env)).toThrow(message);
  });
});
