import { defineConfig } from 'tsup';

// One entry; every command module is reached through a dynamic import() so that
// `--help` never loads the AWS SDK. tsup splits those imports into their own chunks.
export default defineConfig({
  entry: { cli: 'src/cli.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  splitting: true,
  clean: true,
  sourcemap: true,
  // Dependencies stay in node_modules and are loaded by Node, not bundled.
  skipNodeModulesBundle: true,
});
