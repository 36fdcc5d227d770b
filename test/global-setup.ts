import { execFileSync } from 'node:child_process';

/** The built-binary tests run dist/ as a user would, so build it once before any test runs. */
export default function setup(): void {
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
}
