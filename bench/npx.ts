/**
 * What a new user waits for: `npx kds-xacct --version` with an empty npm cache, paired in the same run with
 * `npx --package aws-cdk@2 cdk --version`, the CDK CLI, which also ships as one bundled package (issue 15).
 *
 * Our package comes from the tarball `npm pack` writes, as in the measurements: it is not published
 * from here, so its 0.6 MB download is left out, while aws-cdk's is in. Each run gets a fresh cache and an
 * empty working directory, and the two alternate which goes first, so a slow patch of network hits both.
 * aws-cdk needs the registry: when `npm ping` gets no answer, the whole comparison is skipped.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const RUNS = 3;
const PING_TIMEOUT_MS = 10_000;
const RUN_TIMEOUT_MS = 120_000;

export type NpxTimes = { skipped: string } | { oursMs: number[]; cdkMs: number[]; cdkVersion: string };

/** Runs npx with a fresh cache; returns the wall time and stdout, or throws with npm's output. */
function timedNpx(args: string[]): { ms: number; stdout: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'kds-xacct-npx-'));
  try {
    const start = process.hrtime.bigint();
    const result = spawnSync('npx', ['--yes', ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, npm_config_cache: path.join(dir, 'cache'), npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false' },
      timeout: RUN_TIMEOUT_MS,
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0) throw new Error(`npx ${args.join(' ')} exited ${result.status ?? result.signal}: ${result.stderr}`);
    return { ms, stdout: result.stdout.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** @param root the project, whose dist/ is built */
export function coldNpx(root: string): NpxTimes {
  const ping = spawnSync('npm', ['ping'], { encoding: 'utf8', timeout: PING_TIMEOUT_MS });
  if (ping.status !== 0) return { skipped: `the npm registry did not answer npm ping within ${PING_TIMEOUT_MS / 1000} s` };
  const packDir = mkdtempSync(path.join(tmpdir(), 'kds-xacct-pack-'));
  try {
    const pack = spawnSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], { cwd: root, encoding: 'utf8' });
    if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
    const [{ filename }] = JSON.parse(pack.stdout) as [{ filename: string }];
    return pairedRuns(path.join(packDir, filename));
  } finally {
    rmSync(packDir, { recursive: true, force: true });
  }
}

function pairedRuns(tarball: string): NpxTimes {
  const oursMs: number[] = [];
  const cdkMs: number[] = [];
  let cdkVersion = '';
  for (let run = 0; run < RUNS; run++) {
    const ours = () => oursMs.push(timedNpx(['--package', tarball, 'kds-xacct', '--version']).ms);
    const cdk = () => {
      const { ms, stdout } = timedNpx(['--package', 'aws-cdk@2', 'cdk', '--version']);
      cdkMs.push(ms);
      cdkVersion = stdout;
    };
    for (const measure of run % 2 === 0 ? [ours, cdk] : [cdk, ours]) measure();
  }
  return { oursMs, cdkMs, cdkVersion };
}
