import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from 'tsup';

type EsbuildPlugin = NonNullable<Options['esbuildPlugins']>[number];

const manifest = fileURLToPath(new URL('./package.json', import.meta.url));

/**
 * src/program.ts imports package.json to print `--version`: the bundle gets that field alone, read at build
 * time, not the scripts and the dev dependencies a user has no use for.
 */
const versionOnlyManifest: EsbuildPlugin = {
  name: 'version-only-manifest',
  setup(build) {
    build.onLoad({ filter: /[\\/]package\.json$/ }, (args) => {
      if (args.path !== manifest) return undefined;
      const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
      return { contents: JSON.stringify({ version }), loader: 'json' };
    });
  },
};

// One entry; every command module is reached through a dynamic import() so that
// `--help` never loads the AWS SDK. tsup splits those imports into their own chunks.
export default defineConfig({
  entry: { cli: 'src/cli.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  splitting: true,
  clean: true,
  // Kept for `node --enable-source-maps` in a checkout; package.json `files` leaves them out of the
  // package, where they would triple the download for a stack trace few users read.
  sourcemap: true,
  // 1.8 MB of JavaScript instead of 3.3 (the tarball 20% smaller); start-up time measured the same either
  // way, so this is for the download. --debug stack traces name minified functions, hence the maps above.
  minify: true,
  // Every dependency goes into dist/, so `npm install kds-xacct` fetches one tarball (DESIGN.md, Licences).
  noExternal: [/./],
  // scripts/third-party-notice.mjs reads which packages went into the bundle from here.
  metafile: true,
  esbuildPlugins: [versionOnlyManifest],
  banner: {
    // The SDK's CommonJS parts require() Node built-ins; an ESM bundle has no `require` of its own,
    // and esbuild's stand-in throws "Dynamic require of ... is not supported" without this one.
    js: "import { createRequire as __kdsCreateRequire } from 'node:module'; const require = __kdsCreateRequire(import.meta.url);",
  },
});
