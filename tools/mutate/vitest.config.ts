import { defineConfig } from 'vitest/config';
import { sharedTestOptions } from '../../vitest.config.js';

// Used by `npm run mutate` only: the run passes each module's test files in MUTATE_TESTS.
const tests = (process.env.MUTATE_TESTS ?? '').split(',').filter(Boolean);
if (tests.length === 0) throw new Error('MUTATE_TESTS is empty: run this through `npm run mutate`');

export default defineConfig({
  test: {
    // The suite's shared options, not its config: its projects would bring back their own include
    // (every test file, the end-to-end suites too) whatever this one says.
    ...sharedTestOptions,
    include: tests,
    // Only moto suites need it; starting it once per worker saves seconds per mutant.
    globalSetup: tests.some((file) => file.includes('.moto.')) ? ['tools/mutate/moto-global-setup.ts'] : [],
    // One file at a time: moto suites share the worker's moto and reset it when they start.
    fileParallelism: false,
    maxWorkers: 1,
    // A mutant that hangs a test should fail it fast rather than wait out the usual 30 s.
    testTimeout: 5_000,
    hookTimeout: 20_000,
  },
});
