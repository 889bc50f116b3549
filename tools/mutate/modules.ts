/**
 * The modules that decide money and data, each with the fast tests that guard it. Mutants run only
 * these tests: the end-to-end suites and most moto suites would take hours, and time out anyway.
 * Paths as they are on `main`: move an entry when its file moves.
 */
export interface MutationModule {
  /** Short name, used on the command line and for the report files. */
  name: string;
  /** Files to mutate. */
  mutate: string[];
  /** Test files run against each mutant (only the tests that cover the mutant run). */
  tests: string[];
}

export const MUTATION_MODULES: readonly MutationModule[] = [
  {
    name: 'check-repository',
    mutate: ['shared/check-repository.ts', 'shared/check-conditions.ts'],
    tests: [
      'test/shared/check-repository.test.ts',
      'test/shared/check-repository.contract.test.ts',
      'test/functions/sweeper/sweeper.moto.test.ts',
    ],
  },
  {
    name: 'checker',
    mutate: [
      'functions/checker/checker.ts',
      'functions/checker/context.ts',
      'functions/checker/check-object.ts',
      'functions/checker/decide.ts',
      'functions/checker/delivery.ts',
      'functions/checker/last-receive.ts',
      'functions/checker/selfie.ts',
      'functions/checker/verdict-metrics.ts',
      'functions/checker/write-retries.ts',
      'functions/checker/outcome-memory.ts',
      'functions/checker/budget.ts',
    ],
    tests: [
      'test/functions/checker/checker.test.ts',
      'test/functions/checker/check-object.test.ts',
      'test/functions/checker/last-receive.test.ts',
      'test/functions/checker/selfie.test.ts',
      'test/functions/checker/decide.test.ts',
      'test/functions/checker/delivery.test.ts',
      'test/functions/checker/budget.test.ts',
      'test/functions/checker/write-retries.test.ts',
      'test/functions/checker/verdict-metrics.test.ts',
      'test/functions/checker/outcome-memory.test.ts',
    ],
  },
  {
    name: 'token-secret',
    mutate: ['shared/apptenticate/token-secret.ts'],
    tests: [
      'test/shared/apptenticate/token-secret.test.ts',
      'test/functions/token-refresher/refresher.test.ts',
      'test/functions/token-refresher/refresher.moto.test.ts',
    ],
  },
  {
    name: 'access-token-provider',
    mutate: ['shared/apptenticate/access-token-provider.ts', 'shared/apptenticate/token-lifetime.ts'],
    tests: [
      'test/shared/apptenticate/access-token-provider.test.ts',
      'test/shared/apptenticate/token-lifetime.test.ts',
    ],
  },
  {
    name: 'authorized-liveness',
    mutate: ['shared/apptenticate/authorized-liveness.ts'],
    tests: [
      'test/shared/apptenticate/authorized-liveness.test.ts',
      'test/shared/apptenticate/token-lifetime.test.ts',
    ],
  },
  {
    name: 'parse',
    mutate: ['shared/apptenticate/parse.ts', 'shared/apptenticate/transport-errors.ts'],
    tests: ['test/shared/apptenticate/parse.test.ts', 'test/shared/apptenticate/client.test.ts'],
  },
  {
    name: 'notifier',
    mutate: [
      'functions/notifier/notifier.ts',
      'functions/notifier/put-events.ts',
      'functions/notifier/stream-record.ts',
    ],
    tests: ['test/functions/notifier/notifier.test.ts', 'test/functions/notifier/handler.test.ts'],
  },
  {
    name: 'presign',
    mutate: ['functions/api/presign.ts'],
    tests: ['test/functions/api/presign.test.ts'],
  },
  {
    name: 'sweeper',
    mutate: ['functions/sweeper/sweeper.ts', 'functions/sweeper/selfie-store.ts'],
    tests: ['test/functions/sweeper/sweeper.test.ts', 'test/functions/sweeper/selfie-store.test.ts'],
  },
];
