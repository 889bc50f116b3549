import { describe, expect, it } from 'vitest';
import { readConfig } from '../../../functions/api/config.js';

const required = { TABLE_NAME: 'checks', SELFIE_BUCKET: 'selfie-bucket' };

describe('readConfig', () => {
  it('applies the documented defaults', () => {
    expect(readConfig(required)).toEqual({
      tableName: 'checks',
      selfieBucket: 'selfie-bucket',
      selfiePrefix: 'selfies/',
      uploadUrlTtlSeconds: 300,
      maxObjectBytes: 2_097_152,
      retentionSeconds: 30 * 86_400,
      limits: {
        userMaxOpenChecks: 3,
        userChecksPerMinute: 10,
        serviceChecksPerMinute: 1200,
        userChecksPerDay: 100,
        checksPerDay: 20_000,
      },
    });
  });

  it('reads every variable and returns a frozen object', () => {
    const config = readConfig({
      ...required,
      SELFIE_PREFIX: 'uploads/selfies/',
      UPLOAD_URL_TTL_SECONDS: '600',
      MAX_OBJECT_BYTES: '1048576',
      CHECK_RETENTION_DAYS: '7',
      USER_MAX_OPEN_CHECKS: '1',
      USER_CHECKS_PER_MINUTE: '5',
      SERVICE_CHECKS_PER_MINUTE: '60',
      USER_CHECKS_PER_DAY: '20',
      CHECKS_PER_DAY: '500',
    });
    expect(config).toMatchObject({
      limits: {
        userMaxOpenChecks: 1,
        userChecksPerMinute: 5,
        serviceChecksPerMinute: 60,
        userChecksPerDay: 20,
        checksPerDay: 500,
      },
      selfiePrefix: 'uploads/selfies/',
      uploadUrlTtlSeconds: 600,
      maxObjectBytes: 1_048_576,
      retentionSeconds: 7 * 86_400,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    [{ SELFIE_BUCKET: 'b' }, /TABLE_NAME is required/],
    [{ TABLE_NAME: 't' }, /SELFIE_BUCKET is required/],
    [{ ...required, UPLOAD_URL_TTL_SECONDS: '59' }, /UPLOAD_URL_TTL_SECONDS must be between 60 and 3600/],
    [{ ...required, UPLOAD_URL_TTL_SECONDS: '3601' }, /UPLOAD_URL_TTL_SECONDS must be between 60 and 3600/],
    [{ ...required, UPLOAD_URL_TTL_SECONDS: '5m' }, /UPLOAD_URL_TTL_SECONDS must be an integer/],
    [{ ...required, MAX_OBJECT_BYTES: '0' }, /MAX_OBJECT_BYTES must be between/],
    [{ ...required, CHECK_RETENTION_DAYS: '0' }, /CHECK_RETENTION_DAYS must be between/],
    [{ ...required, USER_MAX_OPEN_CHECKS: '21' }, /USER_MAX_OPEN_CHECKS must be between 1 and 20/],
    [{ ...required, USER_CHECKS_PER_MINUTE: '0' }, /USER_CHECKS_PER_MINUTE must be between 1 and 1000/],
    [{ ...required, SERVICE_CHECKS_PER_MINUTE: 'many' }, /SERVICE_CHECKS_PER_MINUTE must be an integer/],
    [{ ...required, USER_CHECKS_PER_DAY: '0' }, /USER_CHECKS_PER_DAY must be between 1 and 100000/],
    [{ ...required, CHECKS_PER_DAY: '0' }, /CHECKS_PER_DAY must be between 1 and 10000000/],
    [{ ...required, SELFIE_PREFIX: 'selfies' }, /SELFIE_PREFIX must end with "\/"/],
    [{ ...required, SELFIE_PREFIX: '/selfies/' }, /SELFIE_PREFIX/],
    [{ ...required, SELFIE_PREFIX: 'my selfies/' }, /SELFIE_PREFIX/],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => readConfig(env)).toThrow(message);
  });
});
