import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEYS, RENAMED_CONTEXT_KEYS, readAppConfig } from '../../infra/context.js';
import { environmentTable } from '../../infra/environment.js';
import { LivenessPipeline } from '../../infra/liveness-pipeline.js';
import type { LivenessPipelineProps } from '../../infra/liveness-pipeline-props.js';
import { LivenessPipelineStack } from '../../infra/liveness-pipeline-stack.js';
import { FUNCTION_NAMES, SETTING_PATHS } from '../../infra/settings.js';
import { EXISTING_RESOURCES } from './fixtures.js';
import { createTestApp } from './support.js';

const context = (values: Record<string, unknown>) => (key: string) => values[key];

describe('readAppConfig', () => {
  it('defaults to the SelfieLiveness stack with IAM auth and every resource created', () => {
    const { stackName, props } = readAppConfig(context({}));
    expect(stackName).toBe('SelfieLiveness');
    expect(props.apiAuth).toBe('iam');
    expect(props.existing).toEqual({});
    expect(props.destroyOnDelete).toBeUndefined();
  });

  it('reads strings from -c and JSON values from cdk.json alike', () => {
    const { props } = readAppConfig(
      context({
        'checker.maxConcurrency': '10',
        'tokenRefresher.scheduleHours': 4,
        retainSelfies: 'true',
        destroyOnDelete: true,
        corsAllowedOrigins: 'https://a.example.com, https://b.example.com',
        alarmEmail: ['ops@example.com'],
        settings: '{"checker":{"batchSize":5},"api":{"throttleRateLimit":10}}',
        existingBucketName: 'acme-selfies',
      }),
    );
    expect(props.settings?.checker).toEqual({ batchSize: 5, maxConcurrency: 10 });
    expect(props.settings?.tokenRefresher).toEqual({ scheduleHours: 4 });
    expect(props.settings?.api).toEqual({ throttleRateLimit: 10 });
    expect(props.settings?.retainSelfies).toBe(true);
    expect(props.destroyOnDelete).toBe(true);
    expect(props.corsAllowedOrigins).toEqual(['https://a.example.com', 'https://b.example.com']);
    expect(props.alarmEmails).toEqual(['ops@example.com']);
    expect(props.existing).toEqual({ bucketName: 'acme-selfies' });
  });

  it('reserves the token-refresher one run at a time from the tokenRefresher.reserveConcurrency key', () => {
    const { props } = readAppConfig(context({ 'tokenRefresher.reserveConcurrency': 'true' }));
    expect(props.settings?.tokenRefresher).toEqual({ reserveConcurrency: true });
    expect(() => readAppConfig(context({ 'tokenRefresher.reserveConcurrency': '1' }))).toThrow(
      /context tokenRefresher\.reserveConcurrency must be true or false/,
    );
  });

  it('reads any setting by its path, documented or not, and lets a key win over the settings JSON', () => {
    const { props } = readAppConfig(
      context({
        'api.throttleRateLimit': '10',
        'sweeper.maxSweepItems': 100,
        'monitoring.runbookUrl': 'https://git.example.com/runbooks.md',
        dlqRetentionDays: '7',
        settings: { api: { throttleRateLimit: 99, throttleBurstLimit: 20 } },
      }),
    );
    expect(props.settings?.api).toEqual({ throttleRateLimit: 10, throttleBurstLimit: 20 });
    expect(props.settings?.sweeper).toEqual({ maxSweepItems: 100 });
    expect(props.settings?.monitoring).toEqual({ runbookUrl: 'https://git.example.com/runbooks.md' });
    expect(props.settings?.dlqRetentionDays).toBe(7);
  });

  it.each(Object.entries(RENAMED_CONTEXT_KEYS))(
    'refuses the old key %s, naming its new key %s',
    (old, path) => {
      expect(() => readAppConfig(context({ [old]: '7' }))).toThrow(
        `context ${old} was renamed to ${path}, the setting's own name: use -c ${path}=7`,
      );
      expect(SETTING_PATHS).toContain(path);
    },
  );

  it('keeps no old key as a key of its own', () => {
    for (const old of Object.keys(RENAMED_CONTEXT_KEYS)) {
      expect(Object.keys(CONTEXT_KEYS)).not.toContain(old);
      expect(SETTING_PATHS as readonly string[]).not.toContain(old);
    }
  });

  it('sets one log level for every function from the logLevel key', () => {
    const { props } = readAppConfig(context({ logLevel: 'DEBUG' }));
    expect(props.settings?.logLevel).toBe('DEBUG');
    const { app, cleanup } = createTestApp();
    try {
      const template = Template.fromStack(new LivenessPipelineStack(app, 'Logs', props));
      const fns = template.findResources('AWS::Lambda::Function', {
        Properties: { Runtime: 'nodejs24.x' },
      });
      expect(Object.keys(fns)).toHaveLength(FUNCTION_NAMES.length);
      for (const fn of Object.values(fns)) {
        expect(fn.Properties.Environment.Variables.POWERTOOLS_LOG_LEVEL).toBe('DEBUG');
      }
    } finally {
      cleanup();
    }
  });

  it('reads the escape hatches a clone can set: tracing, subscriber accounts, per-function overrides', () => {
    const { props } = readAppConfig(
      context({
        tracing: 'true',
        subscriberAccounts: '444455556666, 777788889999',
        functions:
          '{"checker":{"reservedConcurrentExecutions":10,"logLevel":"DEBUG"},"api":{"tracing":false}}',
      }),
    );
    expect(props.tracing).toBe(true);
    expect(props.subscriberAccounts).toEqual(['444455556666', '777788889999']);
    expect(props.functions).toEqual({
      checker: { reservedConcurrentExecutions: 10, logLevel: 'DEBUG' },
      api: { tracing: false },
    });
    const { props: fromJson } = readAppConfig(context({ functions: { sweeper: { logLevel: 'WARN' } } }));
    expect(fromJson.functions).toEqual({ sweeper: { logLevel: 'WARN' } });
  });

  it('refuses function overrides that are not JSON', () => {
    expect(() => readAppConfig(context({ functions: '{checker' }))).toThrow(
      /context functions must be a JSON object, e\.g\. -c functions='\{"checker":\{"reservedConcurrentExecutions":10\}\}'/,
    );
  });

  it('reads memory in the functions key as MiB, its one place, and refuses a memory setting', () => {
    const { props } = readAppConfig(
      context({ functions: '{"checker":{"memorySize":1024,"reservedConcurrentExecutions":10}}' }),
    );
    expect(props.functions?.checker?.memorySize?.toMebibytes()).toBe(1024);
    expect(props.functions?.checker?.reservedConcurrentExecutions).toBe(10);
    const { app, cleanup } = createTestApp();
    try {
      const template = Template.fromStack(new LivenessPipelineStack(app, 'Memory', props));
      const sized = template.findResources('AWS::Lambda::Function', { Properties: { MemorySize: 1024 } });
      expect(Object.keys(sized)).toEqual([expect.stringMatching(/Checker/)]);
    } finally {
      cleanup();
    }
    expect(() => readAppConfig(context({ functions: '{"checker":{"memorySize":"1GB"}}' }))).toThrow(
      /context functions\.checker\.memorySize must be a whole number of MiB, e\.g\. -c functions='\{"checker":\{"memorySize":1024\}\}'/,
    );
    expect(() => readAppConfig(context({ 'checker.memoryMb': '1024' }))).toThrow(
      /context checker\.memoryMb is no longer a setting: set memory with -c functions='\{"checker":\{"memorySize":1024\}\}'/,
    );
  });

  it('builds a JWT authorizer config from jwtIssuer and jwtAudience', () => {
    const { props } = readAppConfig(
      context({ apiAuth: 'jwt', jwtIssuer: 'https://issuer.example.com', jwtAudience: 'a,b' }),
    );
    expect(props.apiAuth).toEqual({ jwt: { issuer: 'https://issuer.example.com', audience: ['a', 'b'] } });
  });

  it('reports every malformed key with how to fix it', () => {
    let message = '';
    try {
      readAppConfig(
        context({ 'checker.maxConcurrency': 'lots', eventTap: 'yes', apiAuth: 'jwt', settings: '{oops' }),
      );
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(
      /checker\.maxConcurrency must be a whole number, e\.g\. -c checker\.maxConcurrency=5/,
    );
    expect(message).toMatch(/eventTap must be true or false/);
    expect(message).toMatch(/settings must be a JSON object/);
    expect(message).toMatch(/apiAuth=jwt needs -c jwtIssuer/);
  });
});

describe('prop validation', () => {
  const build = (props: LivenessPipelineProps) => {
    const { app, cleanup } = createTestApp();
    try {
      new LivenessPipeline(new Stack(app, 'S'), 'P', props);
    } finally {
      cleanup();
    }
  };

  it('rejects a JWT issuer that is not an https URL and an empty audience', () => {
    expect(() => build({ apiAuth: { jwt: { issuer: 'issuer', audience: [] } } })).toThrow(
      /apiAuth\.jwt\.issuer must be the https URL[\s\S]*apiAuth\.jwt\.audience must list at least one/,
    );
  });

  it('rejects the same secret for credentials and tokens', () => {
    expect(() => {
      const { app, cleanup } = createTestApp();
      try {
        const stack = new Stack(app, 'S');
        const secret = secretsmanager.Secret.fromSecretCompleteArn(
          stack,
          'S',
          EXISTING_RESOURCES.tokenSecretArn ?? '',
        );
        new LivenessPipeline(stack, 'P', { credentialsSecret: secret, tokenSecret: secret });
      } finally {
        cleanup();
      }
    }).toThrow(/must be different secrets: the checker may read the token secret but never the credentials/);
  });

  it('rejects server access logs for a bucket it does not create', () => {
    expect(() => {
      const { app, cleanup } = createTestApp();
      try {
        const stack = new Stack(app, 'S');
        const bucket = s3.Bucket.fromBucketName(stack, 'B', 'acme');
        new LivenessPipeline(stack, 'P', { bucket, serverAccessLogsBucket: bucket });
      } finally {
        cleanup();
      }
    }).toThrow(/configure access logs on your own bucket/);
  });

  it('rejects invalid settings and CORS origins with paths', () => {
    expect(() => build({ settings: { checker: { leaseSeconds: 30 } } })).toThrow(
      /must exceed checker\.timeoutSeconds/,
    );
    expect(() => build({ corsAllowedOrigins: ['https://app.example.com/upload'] })).toThrow(/no path/);
  });

  it.each([
    ['any origin', '*'],
    ['a plain-http origin', 'http://app.example.com'],
    ['a plain-http LAN address', 'http://192.168.1.20:5173'],
    ['a wildcard subdomain', 'https://*.example.com'],
    ['a path', 'https://app.example.com/upload'],
    ['a trailing slash', 'https://app.example.com/'],
    ['a query', 'https://app.example.com?x=1'],
    ['credentials', 'https://user@app.example.com'],
    ['upper-case letters (browsers send the host in lower case)', 'https://App.Example.com'],
    ['the default port spelled out', 'https://app.example.com:443'],
    ['another scheme', 'ftp://app.example.com'],
    ['no scheme', 'app.example.com'],
    ['localhost under another name', 'http://localhost.example.com'],
  ])('refuses %s in corsAllowedOrigins, saying what to pass', (_label, origin) => {
    expect(() => build({ corsAllowedOrigins: [origin] })).toThrow(
      `corsAllowedOrigins entries must be https origins such as https://app.example.com (scheme, host and optional port: no path, no "*"), or http://localhost[:port] or http://127.0.0.1[:port] for development; got "${origin}"`,
    );
  });

  it.each([
    ['an https origin', 'https://app.example.com'],
    ['an https origin with a port', 'https://app.example.com:8443'],
    ['an https IP address', 'https://203.0.113.7'],
    ['localhost', 'http://localhost'],
    ['localhost with a port', 'http://localhost:5173'],
    ['the loopback address with a port', 'http://127.0.0.1:3000'],
    ['localhost over https', 'https://localhost:8443'],
  ])('accepts %s in corsAllowedOrigins', (_label, origin) => {
    expect(() => build({ corsAllowedOrigins: [origin] })).not.toThrow();
  });

  it('rejects a partial secret ARN in the stack, asking for the complete one', () => {
    const { app, cleanup } = createTestApp();
    try {
      expect(
        () =>
          new LivenessPipelineStack(app, 'S', {
            existing: { tokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:acme/token' },
          }),
      ).toThrow(/tokenSecretArn must be the complete secret ARN/);
    } finally {
      cleanup();
    }
  });
});

describe('destroyOnDelete', () => {
  it('deletes the data with the stack and empties the bucket first', () => {
    const { app, cleanup } = createTestApp();
    try {
      const template = Template.fromStack(new LivenessPipelineStack(app, 'Dev', { destroyOnDelete: true }));
      for (const type of [
        'AWS::S3::Bucket',
        'AWS::DynamoDB::Table',
        'AWS::KMS::Key',
        'AWS::SecretsManager::Secret',
      ]) {
        for (const resource of Object.values(template.findResources(type)))
          expect(resource.DeletionPolicy, type).toBe('Delete');
      }
      template.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
      template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
    } finally {
      cleanup();
    }
  });
});

describe('docs/configuration.md context keys', () => {
  const contextKeysSection = async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    return doc.slice(doc.indexOf('## Context keys'), doc.indexOf('## Environment of each function'));
  };

  it('documents every context key the app reads, with its default', async () => {
    const { CONTEXT_KEYS } = await import('../../infra/context.js');
    const section = await contextKeysSection();
    const documented = [...section.matchAll(/^\| `([\w.]+)` \| ([^|]+) \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(CONTEXT_KEYS).sort());
  });

  it('documents the default of every context key that sets a setting as the setting declares it', async () => {
    const { CONTEXT_KEYS } = await import('../../infra/context.js');
    const section = await contextKeysSection();
    const defaults = Object.fromEntries(
      [...section.matchAll(/^\| `([\w.]+)` \| ([^|]+) \|/gm)].map((m) => [m[1], m[2]?.trim()]),
    );
    for (const [key, entry] of Object.entries(CONTEXT_KEYS)) {
      if ('setting' in entry) {
        // A setting's key is its path: one name from the command line to the settings.
        expect(entry.setting, key).toBe(key);
        expect(defaults[key], key).toBe(`\`${entry.default}\``);
      }
    }
  });
});

describe('the context keys the documentation shows', () => {
  it('names, in every -c key=value of the README and docs/, a key the app reads', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const docs = readdirSync(new URL('../../docs/', import.meta.url)).filter((name) => name.endsWith('.md'));
    const known = new Set<string>([...Object.keys(CONTEXT_KEYS), ...SETTING_PATHS, 'key']);
    const shown = ['README.md', ...docs.map((name) => `docs/${name}`)].flatMap((file) =>
      [...readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8').matchAll(/-c ([\w.]+)=/g)].map(
        (m) => `${file}: ${m[1]}`,
      ),
    );
    expect(shown.length).toBeGreaterThan(10);
    expect(shown.filter((entry) => !known.has(entry.split(': ')[1] ?? ''))).toEqual([]);
  });
});

describe('docs/configuration.md environment tables', () => {
  it.each(FUNCTION_NAMES)('shows the declared environment of the %s', async (fn) => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Environment of each function'));
    // On failure, paste the expected table (rendered from functions/<name>/environment.ts) into docs/configuration.md.
    expect(section).toContain(`\n${environmentTable(fn)}\n`);
  });
});
