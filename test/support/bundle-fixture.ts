import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface FixturePackage {
  /** Where it sits below the build directory, e.g. node_modules/a/node_modules/@s/b. */
  dir: string;
  manifest: { name: string; version: string; license?: string };
  /** File name to text, written beside its package.json. */
  files?: Record<string, string>;
  /** Bytes its code takes in the bundle: 0 when tree-shaking dropped all of it. */
  bytesInOutput?: number;
}

/**
 * A build directory as `npm run build` leaves it, for the scripts that read esbuild's metafile: installed
 * packages under node_modules and dist/metafile-esm.json with one output chunk that holds one file of each
 * (plus one of our own). Returns the metafile's path; the caller removes `path.dirname(dirname(...))`.
 */
export function bundleFixture(packages: FixturePackage[]): string {
  const root = mkdtempSync(path.join(tmpdir(), 'kds-xacct-bundle-'));
  const inputs: Record<string, { bytesInOutput: number }> = { 'src/cli.ts': { bytesInOutput: 100 } };
  for (const pkg of packages) {
    mkdirSync(path.join(root, pkg.dir), { recursive: true });
    writeFileSync(path.join(root, pkg.dir, 'package.json'), JSON.stringify(pkg.manifest));
    for (const [file, text] of Object.entries(pkg.files ?? {})) writeFileSync(path.join(root, pkg.dir, file), text);
    inputs[`${pkg.dir}/lib/index.js`] = { bytesInOutput: pkg.bytesInOutput ?? 10 };
  }
  mkdirSync(path.join(root, 'dist'));
  const metafile = path.join(root, 'dist', 'metafile-esm.json');
  writeFileSync(metafile, JSON.stringify({ inputs: {}, outputs: { 'dist/cli.js': { inputs } } }));
  return metafile;
}
