import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { recordStartMs } from '../../functions/checker/budget.js';
import { FUNCTION_ENVIRONMENTS, settingDeclarations } from '../../infra/environment.js';
import {
  DEFAULT_SETTINGS,
  FUNCTION_NAMES,
  FUNCTION_SETTINGS_KEYS,
  functionEnvironment,
  InvalidSettingsError,
  resolveSettings,
  SETTINGS_RULES,
  settingValue,
  visibilityTimeoutSeconds,
} from '../../infra/settings.js';

describe('resolveSettings', () => {
  it('returns the defaults when nothing is overridden', () => {
    expect(resolveSettings()).toEqual(DEFAULT_SETTINGS);
    expect(visibilityTimeoutSeconds(DEFAULT_SETTINGS)).toBe(360);
  });

  it('merges nested overrides and ignores undefined values', () => {
    const settings = resolveSettings({
      checker: { maxConcurrency: 20, timeoutSeconds: undefined },
      selfiePrefix: 'in/',
    });
    expect(settings.checker.maxConcurrency).toBe(20);
    expect(settings.checker.timeoutSeconds).toBe(60);
    expect(settings.selfiePrefix).toBe('in/');
  });

  it('rejects a lease that does not exceed the checker timeout, saying what to change', () => {
    expect(() => resolveSettings({ checker: { leaseSeconds: 60 } })).toThrow(
      /checker\.leaseSeconds \(60\) must exceed checker\.timeoutSeconds \(60\): raise the lease/,
    );
  });

  it('collects every problem in one error', () => {
    try {
      resolveSettings({
        selfiePrefix: 'no-slash',
        logRetentionDays: 2,
        tokenRefresher: { scheduleHours: 24 },
      });
      expect.fail('resolveSettings accepted invalid settings');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidSettingsError);
      const { problems } = error as InvalidSettingsError;
      expect(problems).toHaveLength(4);
      expect(problems.join('\n')).toMatch(/selfiePrefix must end with "\/"/);
      expect(problems.join('\n')).toMatch(/logRetentionDays must be one of 1, 3, 5/);
      expect(problems.join('\n')).toMatch(/well inside the refresh token lifetime/);
      expect(problems.join('\n')).toMatch(/refreshMarginSeconds \(46800\) must exceed the schedule interval/);
    }
  });

  it('rejects a plain http vendor URL beyond loopback, where the password, tokens and selfies would travel in clear', () => {
    expect(() => resolveSettings({ livenessApiUrl: 'http://api.apptenticate.com' })).toThrow(
      /livenessApiUrl must use https \(plain http only to 127\.0\.0\.1, localhost or \[::1\]\)/,
    );
    expect(() => resolveSettings({ livenessApiUrl: 'http://127.0.0.1:4010' })).not.toThrow();
    expect(() => resolveSettings({ livenessApiUrl: 'https://api.apptenticate.com' })).not.toThrow();
  });

  it('rejects SQS batches above 10 without a batching window and a maxConcurrency below 2', () => {
    expect(() => resolveSettings({ checker: { batchSize: 20 } })).toThrow(/maxBatchingWindowSeconds > 0/);
    expect(() => resolveSettings({ checker: { batchSize: 20, maxBatchingWindowSeconds: 5 } })).not.toThrow();
    expect(() => resolveSettings({ checker: { maxConcurrency: 1 } })).toThrow(
      /SQS event sources accept 2 to 1000/,
    );
  });

  it('rejects a checker timeout whose 6x visibility timeout exceeds 12 hours', () => {
    expect(() =>
      resolveSettings({
        checker: { timeoutSeconds: 900, leaseSeconds: 901 },
        // The retry window grows with the timeout: 5,400 s x 3 receives.
        sweeper: { staleCheckGraceSeconds: 16_201, claimWaitSeconds: 16_200 },
      }),
    ).not.toThrow();
    expect(() => resolveSettings({ checker: { timeoutSeconds: 7201 } })).toThrow(/exceeds SQS's 43200 s/);
  });
});

describe('functionEnvironment', () => {
  const names = {
    tableName: 'checks',
    bucketName: 'selfies-bucket',
    eventBusName: 'bus',
    credentialsSecretArn: 'arn:credentials',
    tokenSecretArn: 'arn:token',
    tokenRefresherFunctionName: 'refresher',
  };

  it('gives the checker everything its config reads, with MAX_RECEIVE_COUNT equal to the queue setting', () => {
    expect(functionEnvironment('checker', DEFAULT_SETTINGS, names)).toEqual({
      TABLE_NAME: 'checks',
      SELFIE_BUCKET: 'selfies-bucket',
      SELFIE_PREFIX: 'selfies/',
      TOKEN_SECRET_ARN: 'arn:token',
      TOKEN_REFRESHER_FUNCTION_NAME: 'refresher',
      LIVENESS_API_URL: 'https://api.apptenticate.com',
      MAX_OBJECT_BYTES: '2097152',
      MAX_RECEIVE_COUNT: '3',
      LEASE_SECONDS: '120',
      BATCH_CONCURRENCY: '5',
      RETAIN_SELFIES: 'false',
      CHECK_RETENTION_DAYS: '30',
      MIN_IMAGE_SIDE_PX: '64',
      MAX_IMAGE_SIDE_PX: '4096',
      VENDOR_CONNECT_TIMEOUT_MS: '2000',
      VENDOR_RESPONSE_TIMEOUT_MS: '8000',
      TOKEN_CACHE_SECONDS: '300',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
  });

  it('never hands the credentials secret to any function but the token-refresher', () => {
    for (const fn of FUNCTION_NAMES) {
      const env = functionEnvironment(fn, DEFAULT_SETTINGS, names);
      expect(Object.values(env).includes('arn:credentials'), fn).toBe(fn === 'token-refresher');
    }
  });

  it('gives the api, sweeper, notifier and token-refresher their variables', () => {
    expect(functionEnvironment('api', DEFAULT_SETTINGS, names)).toEqual({
      TABLE_NAME: 'checks',
      SELFIE_BUCKET: 'selfies-bucket',
      SELFIE_PREFIX: 'selfies/',
      UPLOAD_URL_TTL_SECONDS: '300',
      MAX_OBJECT_BYTES: '2097152',
      CHECK_RETENTION_DAYS: '30',
      USER_MAX_OPEN_CHECKS: '3',
      USER_CHECKS_PER_MINUTE: '10',
      SERVICE_CHECKS_PER_MINUTE: '1200',
      USER_CHECKS_PER_DAY: '100',
      CHECKS_PER_DAY: '20000',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    expect(functionEnvironment('sweeper', DEFAULT_SETTINGS, names)).toEqual({
      TABLE_NAME: 'checks',
      SELFIE_BUCKET: 'selfies-bucket',
      SELFIE_PREFIX: 'selfies/',
      RETAIN_SELFIES: 'false',
      CLAIM_WAIT_SECONDS: '3600',
      UPLOAD_URL_TTL_SECONDS: '300',
      UPLOAD_GRACE_SECONDS: '300',
      STALE_CHECK_GRACE_SECONDS: '1800',
      MAX_SWEEP_ITEMS: '500',
      CHECK_RETENTION_DAYS: '30',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    expect(functionEnvironment('notifier', DEFAULT_SETTINGS, names)).toEqual({
      EVENT_BUS_NAME: 'bus',
      EVENT_SOURCE: 'selfie-liveness',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    expect(functionEnvironment('token-refresher', DEFAULT_SETTINGS, names)).toEqual({
      CREDENTIALS_SECRET_ARN: 'arn:credentials',
      TOKEN_SECRET_ARN: 'arn:token',
      LIVENESS_API_URL: 'https://api.apptenticate.com',
      MIN_WRITE_INTERVAL_SECONDS: '600',
      REFRESH_MARGIN_SECONDS: '46800',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
  });

  it('gives every function the one log level setting', () => {
    const settings = resolveSettings({ logLevel: 'DEBUG' });
    for (const fn of FUNCTION_NAMES) {
      expect(functionEnvironment(fn, settings, names).POWERTOOLS_LOG_LEVEL, fn).toBe('DEBUG');
    }
  });

  it('rejects a log level Powertools does not know, listing those it does', () => {
    expect(() => resolveSettings({ logLevel: 'LOUD' })).toThrow(
      /logLevel must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT, got "LOUD"/,
    );
  });
});

describe('the declared function environments', () => {
  const names = {
    tableName: 't',
    bucketName: 'b',
    eventBusName: 'e',
    credentialsSecretArn: 'c',
    tokenSecretArn: 's',
    tokenRefresherFunctionName: 'r',
  };

  it.each(FUNCTION_NAMES)('sets every variable the %s declares, and nothing else', (fn) => {
    expect(Object.keys(functionEnvironment(fn, DEFAULT_SETTINGS, names)).sort()).toEqual(
      Object.keys(FUNCTION_ENVIRONMENTS[fn]).sort(),
    );
  });

  it('takes the default of every setting that feeds a variable from its declaration', () => {
    for (const { path, spec } of settingDeclarations()) {
      expect(settingValue(DEFAULT_SETTINGS, path), path).toBe('default' in spec ? spec.default : undefined);
    }
  });

  it('hands every function its declared defaults when nothing is overridden', () => {
    for (const fn of FUNCTION_NAMES) {
      const env = functionEnvironment(fn, DEFAULT_SETTINGS, names);
      for (const [name, spec] of Object.entries(FUNCTION_ENVIRONMENTS[fn])) {
        if ('default' in spec) expect(env[name], `${fn} ${name}`).toBe(String(spec.default));
      }
    }
  });

  it('reserves no concurrency for the token-refresher unless tokenRefresher.reserveConcurrency is true', () => {
    expect(DEFAULT_SETTINGS.tokenRefresher.reserveConcurrency).toBe(false);
    expect(() =>
      resolveSettings({ tokenRefresher: { reserveConcurrency: 1 as unknown as boolean } }),
    ).toThrow(/tokenRefresher\.reserveConcurrency must be true or false, got 1/);
  });

  it('rejects a setting outside the range its variable declares, naming the setting', () => {
    expect(() => resolveSettings({ checker: { vendorConnectTimeoutMs: 50 } })).toThrow(
      /checker\.vendorConnectTimeoutMs must be an integer from 100 to 60000, got 50/,
    );
    expect(() => resolveSettings({ tokenRefresher: { refreshMarginSeconds: -1 } })).toThrow(
      /tokenRefresher\.refreshMarginSeconds must be an integer from 0 to 2592000/,
    );
  });

  it('refuses a refresher margin not above its schedule interval, saying how to fix it', () => {
    expect(() =>
      resolveSettings({ tokenRefresher: { scheduleHours: 6, refreshMarginSeconds: 6 * 3600 } }),
    ).toThrow(
      /tokenRefresher\.refreshMarginSeconds \(21600\) must exceed the schedule interval \(tokenRefresher\.scheduleHours 6 = 21600 s\).*raise tokenRefresher\.refreshMarginSeconds.*or lower tokenRefresher\.scheduleHours/,
    );
    expect(() =>
      resolveSettings({ tokenRefresher: { scheduleHours: 1, refreshMarginSeconds: 3601 } }),
    ).not.toThrow();
  });

  it('refuses a claim wait shorter than the queue retry window, saying how to fix it', () => {
    // checker.timeoutSeconds 250: visibility 1500 s x 3 receives = 4500 s, above the 3600 s default wait.
    expect(() => resolveSettings({ checker: { timeoutSeconds: 250, leaseSeconds: 300 } })).toThrow(
      /sweeper\.claimWaitSeconds \(3600\) must be at least the queue's retry window \(visibility timeout 1500 s x checker\.maxReceiveCount 3 = 4500 s\).*raise sweeper\.claimWaitSeconds/,
    );
    expect(() =>
      resolveSettings({
        checker: { timeoutSeconds: 250, leaseSeconds: 300 },
        sweeper: { claimWaitSeconds: 4500, staleCheckGraceSeconds: 4501 },
      }),
    ).not.toThrow();
  });

  it('renews the refresh token before it lapses even when one scheduled run fails, by default', () => {
    const t = DEFAULT_SETTINGS.tokenRefresher;
    // The first run that logs in finds more than margin - interval left: still positive after
    // one more interval (a failed run) only if the margin is at least twice the interval.
    expect(t.refreshMarginSeconds).toBeGreaterThanOrEqual(2 * t.scheduleHours * 3600);
    // ...and below the vendor's refresh-token lifetime (1 day), or every run would log in.
    expect(t.refreshMarginSeconds).toBeLessThan(86_400 - t.scheduleHours * 3600);
  });

  it('checks every rule across settings, each with a message saying what to change', () => {
    expect(SETTINGS_RULES.map((rule) => rule.id)).toEqual([
      'lease-exceeds-timeout',
      'visibility-within-sqs-limit',
      'refresh-margin-exceeds-schedule',
      'checker-timeout-fits-a-record',
      'stale-grace-exceeds-retry-window',
      'claim-wait-covers-retry-window',
    ]);
    for (const rule of SETTINGS_RULES) expect(rule.check(DEFAULT_SETTINGS), rule.id).toBeUndefined();
  });

  it('rejects a checker timeout no record could start in, saying what it must reach', () => {
    // Defaults: 5 s of AWS + 4 vendor calls of (2,000 + 8,000) ms + a 5 s write margin = 50 s.
    expect(recordStartMs(DEFAULT_SETTINGS.checker)).toBe(50_000);
    expect(() => resolveSettings({ checker: { timeoutSeconds: 50 } })).toThrow(
      /checker\.timeoutSeconds \(50\) must exceed the 50 s one record needs.*raise checker\.timeoutSeconds to at least 51 or lower checker\.vendorConnectTimeoutMs \/ checker\.vendorResponseTimeoutMs/,
    );
    expect(() => resolveSettings({ checker: { timeoutSeconds: 51 } })).not.toThrow();
    expect(() =>
      resolveSettings({
        checker: { timeoutSeconds: 80, leaseSeconds: 160, vendorResponseTimeoutMs: 20_000 },
      }),
    ).toThrow(/checker\.timeoutSeconds \(80\) must exceed the 98 s one record needs/);
  });

  it('rejects a stale-check grace inside the queue retry window, saying what to change', () => {
    // checker.timeoutSeconds=120: visibility 720 s x 3 receives = 2,160 s against an 1,800 s grace.
    expect(() => resolveSettings({ checker: { timeoutSeconds: 120, leaseSeconds: 180 } })).toThrow(
      /sweeper\.staleCheckGraceSeconds \(1800\) must exceed the queue's retry window \(visibility timeout 720 s x checker\.maxReceiveCount 3 = 2160 s\): raise it to at least 2161/,
    );
    expect(() =>
      resolveSettings({
        checker: { timeoutSeconds: 120, leaseSeconds: 180 },
        sweeper: { staleCheckGraceSeconds: 2161 },
      }),
    ).not.toThrow();
    expect(() => resolveSettings({ checker: { maxReceiveCount: 6 } })).toThrow(
      /visibility timeout 360 s x checker\.maxReceiveCount 6 = 2160 s/,
    );
  });
});

describe('function names', () => {
  it('spell each function kebab-case as a folder and camelCase as a settings and overrides key', () => {
    const groups = Object.entries(DEFAULT_SETTINGS)
      .filter(([, value]) => typeof value === 'object' && 'timeoutSeconds' in value)
      .map(([key]) => key);
    expect(Object.values(FUNCTION_SETTINGS_KEYS).sort()).toEqual(groups.sort());
    for (const fn of FUNCTION_NAMES) {
      expect(existsSync(new URL(`../../functions/${fn}/handler.ts`, import.meta.url)), fn).toBe(true);
      expect(FUNCTION_SETTINGS_KEYS[fn]).toBe(fn.replace(/-(\w)/g, (_, c: string) => c.toUpperCase()));
    }
  });
});
