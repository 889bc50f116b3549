import { describe, expect, it } from 'vitest';
import { loadNotifierConfig } from '../../../functions/notifier/config.js';
import { ConfigError } from '../../../shared/errors.js';

describe('loadNotifierConfig', () => {
  it('defaults the source to selfie-liveness and the log level to INFO', () => {
    expect(loadNotifierConfig({ EVENT_BUS_NAME: 'liveness-bus' })).toEqual({
      eventBusName: 'liveness-bus',
      eventSource: 'selfie-liveness',
      logLevel: 'INFO',
    });
  });

  it('takes a custom source, a bus ARN and a log level', () => {
    const config = loadNotifierConfig({
      EVENT_BUS_NAME: 'arn:aws:events:eu-west-1:123456789012:event-bus/shared',
      EVENT_SOURCE: 'com.example.kyc',
      LOG_LEVEL: 'debug',
    });
    expect(config).toEqual({
      eventBusName: 'arn:aws:events:eu-west-1:123456789012:event-bus/shared',
      eventSource: 'com.example.kyc',
      logLevel: 'DEBUG',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names EVENT_BUS_NAME when it is missing', () => {
    expect(() => loadNotifierConfig({})).toThrow(new ConfigError('EVENT_BUS_NAME is required but not set'));
  });

  it('refuses a source in the aws. namespace', () => {
    expect(() => loadNotifierConfig({ EVENT_BUS_NAME: 'bus', EVENT_SOURCE: 'aws.liveness' })).toThrow(
      /EVENT_SOURCE/,
    );
  });

  it('refuses an unknown log level', () => {
    expect(() => loadNotifierConfig({ EVENT_BUS_NAME: 'bus', LOG_LEVEL: 'LOUD' })).toThrow(/LOG_LEVEL/);
  });
});
