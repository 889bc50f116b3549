import { afterEach, describe, expect, it, vi } from 'vitest';
import { MUTATION_MODULES } from '../../../tools/mutate/modules.js';

const tests = ['test/functions/checker/outcome-memory.test.ts', 'test/shared/check-repository.moto.test.ts'];

async function loadMutateConfig() {
  vi.resetModules();
  vi.stubEnv('MUTATE_TESTS', tests.join(','));
  const module = await import('../../../tools/mutate/vitest.config.js');
  return module.default;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the mutation run vitest config', () => {
  it("runs only the module's own test files, not the suite's projects", async () => {
    const config = await loadMutateConfig();
    expect(config.test?.include).toEqual(tests);
    // Projects would bring back the suite's own include: every test file, end-to-end suites too.
    expect(config.test?.projects).toBeUndefined();
  });

  it('keeps the suite setup and environment, with short timeouts and one file at a time', async () => {
    const config = await loadMutateConfig();
    expect(config.test?.setupFiles).toEqual(['test/support/setup.ts']);
    expect(config.test?.env).toMatchObject({ TZ: 'UTC', AWS_EC2_METADATA_DISABLED: 'true' });
    expect(config.test?.testTimeout).toBe(5_000);
    expect(config.test?.maxWorkers).toBe(1);
    expect(config.test?.globalSetup).toEqual(['tools/mutate/moto-global-setup.ts']);
  });
});

describe('the mutation modules', () => {
  it('name only test files that exist and never the end-to-end or bad-day suites', async () => {
    const { existsSync } = await import('node:fs');
    for (const module of MUTATION_MODULES) {
      for (const file of [...module.mutate, ...module.tests]) expect(existsSync(file), file).toBe(true);
      expect(module.tests.filter((file) => file.startsWith('test/e2e/'))).toEqual([]);
    }
  });
});
