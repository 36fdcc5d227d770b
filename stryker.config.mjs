// @ts-check
/**
 * Mutation testing (`npm run mutation`, README "Mutation testing"): how much of the product's logic the
 * suite would notice changed. Economical on a shared 2-core machine: one test runner, only the tests that
 * cover a mutant (perTest), and only the in-process tests (vitest.mutation.config.ts).
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  coverageAnalysis: 'perTest',
  concurrency: 1,
  mutate: ['src/pipeline/policies.ts', 'src/pipeline/steps/*.ts', 'src/pipeline/teardown.ts', 'src/pipeline/teardown-plan.ts', 'src/engine/*.ts'],
  // Committed: each session starts from a fresh work tree, and with this file a run re-tests only the
  // mutants of code or tests that changed since the last one (README, Mutation testing).
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  // The sandbox copy needs neither the fetched Node binaries nor a build.
  ignorePatterns: ['.cache', 'dist', 'coverage', '.kds-xacct'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
