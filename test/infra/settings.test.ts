import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  FUNCTION_NAMES,
  functionEnvironment,
  InvalidSettingsError,
  NOTIFIER_STREAM_FILTERS,
  resolveSettings,
  visibilityTimeoutSeconds,
} from '../../infra/settings.js';
import { matchesPattern } from '../../tools/local/stream-event-source.js';

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
      expect(problems).toHaveLength(3);
      expect(problems.join('\n')).toMatch(/selfiePrefix must end with "\/"/);
      expect(problems.join('\n')).toMatch(/logRetentionDays must be one of 1, 3, 5/);
      expect(problems.join('\n')).toMatch(/well inside the refresh token lifetime/);
    }
  });

  it('rejects SQS batches above 10 without a batching window and a maxConcurrency below 2', () => {
    expect(() => resolveSettings({ checker: { batchSize: 20 } })).toThrow(/maxBatchingWindowSeconds > 0/);
    expect(() => resolveSettings({ checker: { batchSize: 20, maxBatchingWindowSeconds: 5 } })).not.toThrow();
    expect(() => resolveSettings({ checker: { maxConcurrency: 1 } })).toThrow(
      /SQS event sources accept 2 to 1000/,
    );
  });

  it('rejects a checker timeout whose 6x visibility timeout exceeds 12 hours', () => {
    expect(() => resolveSettings({ checker: { timeoutSeconds: 900, leaseSeconds: 901 } })).not.toThrow();
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
    });
    expect(functionEnvironment('sweeper', DEFAULT_SETTINGS, names)).toEqual({
      TABLE_NAME: 'checks',
      UPLOAD_GRACE_SECONDS: '300',
      STALE_CHECK_GRACE_SECONDS: '1800',
      MAX_SWEEP_ITEMS: '500',
      CHECK_RETENTION_DAYS: '30',
    });
    expect(functionEnvironment('notifier', DEFAULT_SETTINGS, names)).toEqual({
      EVENT_BUS_NAME: 'bus',
      EVENT_SOURCE: 'selfie-liveness',
    });
    expect(functionEnvironment('token-refresher', DEFAULT_SETTINGS, names)).toEqual({
      CREDENTIALS_SECRET_ARN: 'arn:credentials',
      TOKEN_SECRET_ARN: 'arn:token',
      LIVENESS_API_URL: 'https://api.apptenticate.com',
      MIN_WRITE_INTERVAL_SECONDS: '600',
    });
  });
});

const passes = (record: unknown) =>
  NOTIFIER_STREAM_FILTERS.some((pattern) => matchesPattern(record, pattern));
const image = (status: string) => ({ checkId: { S: 'c-1' }, status: { S: status } });

describe('NOTIFIER_STREAM_FILTERS', () => {
  it('passes a MODIFY from CHECKING or AWAITING_UPLOAD into each final status', () => {
    for (const status of ['PASSED', 'REJECTED', 'FAILED']) {
      expect(
        passes({ eventName: 'MODIFY', dynamodb: { OldImage: image('CHECKING'), NewImage: image(status) } }),
      ).toBe(true);
    }
    expect(
      passes({
        eventName: 'MODIFY',
        dynamodb: { OldImage: image('AWAITING_UPLOAD'), NewImage: image('EXPIRED') },
      }),
    ).toBe(true);
  });

  it('passes an INSERT that is already final', () => {
    expect(passes({ eventName: 'INSERT', dynamodb: { NewImage: image('REJECTED') } })).toBe(true);
  });

  it('drops non-final transitions, rewrites of a final item, non-final inserts and TTL removals', () => {
    expect(
      passes({
        eventName: 'MODIFY',
        dynamodb: { OldImage: image('AWAITING_UPLOAD'), NewImage: image('CHECKING') },
      }),
    ).toBe(false);
    expect(
      passes({ eventName: 'MODIFY', dynamodb: { OldImage: image('PASSED'), NewImage: image('PASSED') } }),
    ).toBe(false);
    expect(
      passes({ eventName: 'MODIFY', dynamodb: { OldImage: image('FAILED'), NewImage: image('REJECTED') } }),
    ).toBe(false);
    expect(passes({ eventName: 'INSERT', dynamodb: { NewImage: image('AWAITING_UPLOAD') } })).toBe(false);
    expect(passes({ eventName: 'REMOVE', dynamodb: { OldImage: image('PASSED') } })).toBe(false);
    // moto's keys-only first INSERT of an UpdateItem that creates an item (DESIGN.md section 9).
    expect(passes({ eventName: 'INSERT', dynamodb: { NewImage: { checkId: { S: 'c-1' } } } })).toBe(false);
  });
});
