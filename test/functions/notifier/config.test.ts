import { describe, expect, it } from 'vitest';
import { readConfig } from '../../../functions/notifier/config.js';
import { ConfigError } from '../../../shared/errors.js';

describe('readConfig', () => {
  it('defaults the source to selfie-liveness', () => {
    expect(readConfig({ EVENT_BUS_NAME: 'liveness-bus' })).toEqual({
      eventBusName: 'liveness-bus',
      eventSource: 'selfie-liveness',
    });
  });

  it('takes a custom source and a bus ARN', () => {
    const config = readConfig({
      EVENT_BUS_NAME: 'arn:aws:events:eu-west-1:123456789012:event-bus/shared',
      EVENT_SOURCE: 'com.example.kyc',
    });
    expect(config).toEqual({
      eventBusName: 'arn:aws:events:eu-west-1:123456789012:event-bus/shared',
      eventSource: 'com.example.kyc',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names EVENT_BUS_NAME when it is missing', () => {
    expect(() => readConfig({})).toThrow(new ConfigError('EVENT_BUS_NAME is required but not set'));
  });

  it('refuses a source in the aws. namespace', () => {
    expect(() => readConfig({ EVENT_BUS_NAME: 'bus', EVENT_SOURCE: 'aws.liveness' })).toThrow(/EVENT_SOURCE/);
  });
});
