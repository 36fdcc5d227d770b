import { defineConfig } from 'vitest/config';

// `npm run test:integration`: the opt-in suite against two real accounts or an emulator. Kept out of
// `npm test` (whose config includes test/**/*.test.ts only) by its file names: *.integration.ts.
export default defineConfig({
  test: {
    include: ['test/integration/**/*.integration.ts'],
    globalSetup: ['test/integration/global-setup.ts'],
    // One deployment at a time: the suite creates real resources and must clean up each.
    fileParallelism: false,
    testTimeout: 60 * 60_000,
    hookTimeout: 10 * 60_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
