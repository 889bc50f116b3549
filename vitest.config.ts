import { defineConfig } from 'vitest/config';

/**
 * The two bad-day suites each run a 200-check pipeline against injected faults and count paid vendor
 * calls and events exactly. Beside other test files on two cores, the event loop they share with the
 * simulator fell behind: an ordinary vendor answer already in its socket was read after the checker's
 * response timeout and paid again, and the backlog outlived the run's budget (CI, 2026-11-30). They run
 * last, one at a time, with the machine to themselves.
 */
const BAD_DAY = [
  'test/e2e/faults.e2e.test.ts',
  'test/e2e/aws-faults.e2e.test.ts',
  // 200 checks with every function in Node 24 containers, checker containers killed and recycled.
  'test/e2e/crash.e2e.test.ts',
];

/** What every test run shares, the suite's projects and the mutation run's config alike. */
export const sharedTestOptions = {
  environment: 'node',
  testTimeout: 30_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
  setupFiles: ['test/support/setup.ts'],
  env: {
    TZ: 'UTC',
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  },
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...sharedTestOptions,
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: BAD_DAY,
          // Integration suites each start their own moto_server; two cores, so keep parallelism modest.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...sharedTestOptions,
          name: 'bad-day',
          include: BAD_DAY,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
