import { defineConfig } from 'vitest/config';

/**
 * The tests `npm run mutation` runs against each mutant: those that exercise the mutated files in process
 * (policies, steps, teardown planning, the engine). The built-binary, pseudo-terminal and packed-tarball
 * tests spawn processes against dist/, which Stryker does not mutate, so they could kill nothing and would
 * cost minutes per run; hence no build either (no globalSetup).
 */
export default defineConfig({
  test: {
    include: ['test/pipeline/**/*.test.ts', 'test/engine/**/*.test.ts', 'test/commands/**/*.test.ts', 'test/records/**/*.test.ts'],
    testTimeout: 20_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
