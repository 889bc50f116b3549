import { describe, expect, it } from 'vitest';
import { readConfig } from '../../../functions/sweeper/config.js';

describe('readConfig', () => {
  it('applies the documented defaults', () => {
    expect(readConfig({ TABLE_NAME: 'checks' })).toEqual({
      tableName: 'checks',
      uploadGraceSeconds: 300,
      staleCheckGraceSeconds: 1800,
      maxSweepItems: 500,
      retentionSeconds: 30 * 86_400,
    });
  });

  it('reads every variable and returns a frozen object', () => {
    const config = readConfig({
      TABLE_NAME: 'checks',
      UPLOAD_GRACE_SECONDS: '0',
      STALE_CHECK_GRACE_SECONDS: '3600',
      MAX_SWEEP_ITEMS: '50',
      CHECK_RETENTION_DAYS: '2',
    });
    expect(config).toMatchObject({
      uploadGraceSeconds: 0,
      staleCheckGraceSeconds: 3600,
      maxSweepItems: 50,
      retentionSeconds: 2 * 86_400,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    [{}, /TABLE_NAME is required/],
    [{ TABLE_NAME: 't', UPLOAD_GRACE_SECONDS: '-1' }, /UPLOAD_GRACE_SECONDS must be between/],
    [{ TABLE_NAME: 't', STALE_CHECK_GRACE_SECONDS: '59' }, /STALE_CHECK_GRACE_SECONDS must be between/],
    [{ TABLE_NAME: 't', MAX_SWEEP_ITEMS: '0' }, /MAX_SWEEP_ITEMS must be between/],
    [{ TABLE_NAME: 't', MAX_SWEEP_ITEMS: 'lots' }, /MAX_SWEEP_ITEMS must be an integer/],
    [{ TABLE_NAME: 't', CHECK_RETENTION_DAYS: '3651' }, /CHECK_RETENTION_DAYS must be between/],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => readConfig(env)).toThrow(message);
  });
});
