import { describe, expect, it } from 'vitest';
import { type EnvDeclaration, readEnv } from '../../shared/config.js';
import { ConfigError } from '../../shared/errors.js';

const DECLARATION = {
  NAME: { type: 'string', required: true, doc: 'a name' },
  MAYBE: { type: 'string', required: false, doc: 'optional' },
  PREFIX: { type: 'string', default: 'p/', doc: 'a prefix' },
  URL: { type: 'url', default: 'https://vendor.example.com', doc: 'a URL' },
  FLAG: { type: 'bool', default: false, doc: 'a flag' },
  COUNT: { type: 'int', default: 3, min: 1, max: 10, unit: 'count', doc: 'a count' },
} as const satisfies EnvDeclaration;

describe('readEnv', () => {
  it('applies the declared defaults and types', () => {
    const values = readEnv({ NAME: ' n ' }, DECLARATION);
    expect(values).toEqual({
      NAME: 'n',
      MAYBE: undefined,
      PREFIX: 'p/',
      URL: 'https://vendor.example.com',
      FLAG: false,
      COUNT: 3,
    });
  });

  it('reads set values, strips a trailing slash from URLs and reads a blank optional as unset', () => {
    expect(
      readEnv(
        { NAME: 'n', MAYBE: ' ', PREFIX: 'q/', URL: 'http://127.0.0.1:1/', FLAG: 'true', COUNT: '10' },
        DECLARATION,
      ),
    ).toEqual({
      NAME: 'n',
      MAYBE: undefined,
      PREFIX: 'q/',
      URL: 'http://127.0.0.1:1',
      FLAG: true,
      COUNT: 10,
    });
  });

  it.each([
    [{}, 'NAME is required but not set'],
    [{ NAME: 'n', COUNT: '11' }, 'COUNT must be between 1 and 10, got 11'],
    [{ NAME: 'n', FLAG: 'yes' }, 'FLAG must be "true" or "false", got "yes"'],
    [{ NAME: 'n', URL: 'vendor' }, 'URL must be an absolute URL, got "vendor"'],
    [
      { NAME: 'n', URL: 'http://vendor.example.com' },
      'URL must use https (plain http only to 127.0.0.1, localhost or [::1]), got "http://vendor.example.com"',
    ],
    [
      { NAME: 'n', URL: 'http://127.0.0.1.example.com' },
      'URL must use https (plain http only to 127.0.0.1, localhost or [::1]), got "http://127.0.0.1.example.com"',
    ],
  ])('fails with a ConfigError naming the variable for %j', (env, message) => {
    expect(() => readEnv(env, DECLARATION)).toThrow(new ConfigError(message));
  });

  it.each([
    'http://127.0.0.1:4010',
    'http://localhost:4010/',
    'http://[::1]:4010',
    'https://vendor.example.com',
  ])('accepts %s as a URL', (url) => {
    expect(readEnv({ NAME: 'n', URL: url }, DECLARATION).URL).toBe(url.replace(/\/$/, ''));
  });

  it('reads a choice case-insensitively and refuses a value outside its choices, naming them', () => {
    const declaration = {
      LEVEL: { type: 'enum', default: 'INFO', values: ['DEBUG', 'INFO'], doc: 'a level' },
    } as const satisfies EnvDeclaration;
    expect(readEnv({}, declaration).LEVEL).toBe('INFO');
    expect(readEnv({ LEVEL: ' debug ' }, declaration).LEVEL).toBe('DEBUG');
    expect(() => readEnv({ LEVEL: 'LOUD' }, declaration)).toThrow(
      new ConfigError('LEVEL must be one of DEBUG, INFO, got "LOUD"'),
    );
  });
});
