import { spawnSync } from 'node:child_process';

/** The built-binary tests run dist/ as a user would, so build it once before any test runs. */
export default function setup(): void {
  const build = spawnSync('npm', ['run', 'build', '--silent'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
}
