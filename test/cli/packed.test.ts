import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { ExitCode } from '../../src/errors.js';
import { expectNextLinesRun, userShell } from '../support/pasted-commands.js';

const root = path.resolve(import.meta.dirname, '../..');
const noNetwork = path.resolve(import.meta.dirname, 'no-network.mjs');

/** Runs npm with its cache in `dir`, so the test neither reads nor fills the machine's. */
function npm(args: string[], cwd: string, dir: string) {
  const result = spawnSync('npm', [...args, '--no-audit', '--no-fund', '--no-update-notifier'], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_cache: path.join(dir, 'npm-cache') },
    timeout: 120_000,
  });
  if (result.status !== 0) throw new Error(`npm ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/**
 * The tarball `npm publish` would upload (from the dist/ that the global setup built), installed as a user
 * installs it: into an empty directory, without dev dependencies, and offline, which works only because
 * the package has no dependencies left to fetch.
 */
describe('the packed package, installed into an empty directory', () => {
  let dir: string;
  let project: string;
  let installed: string;
  let home: string;
  let tarball: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kds-xacct-packed-'));
    const [packed] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dir], root, dir)) as Array<{ filename: string }>;
    project = path.join(dir, 'project');
    home = path.join(dir, 'home');
    mkdirSync(project);
    mkdirSync(home);
    tarball = path.join(dir, packed!.filename);
    npm(['install', '--omit=dev', '--offline', tarball], project, dir);
    installed = path.join(project, 'node_modules', pkg.name);
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A user's machine: an empty HOME, no AWS configuration, and no way to open a socket. */
  const run = (command: string[], ...args: string[]) => {
    const result = spawnSync(command[0]!, [...command.slice(1), ...args], {
      cwd: home,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: home, AWS_CONFIG_FILE: path.join(home, 'none'), AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none') },
      timeout: 60_000,
    });
    return { code: result.status, out: result.stdout + result.stderr, stdout: result.stdout };
  };
  const viaBinLink = () => [path.join(project, 'node_modules', '.bin', pkg.name)];
  const offline = () => [process.execPath, '--import', noNetwork, path.join(installed, 'bin', `${pkg.name}.js`)];

  it('is one package, with the notice and licence and without source maps or the metafile', () => {
    expect(readdirSync(path.join(project, 'node_modules')).filter((name) => !name.startsWith('.'))).toEqual([pkg.name]);
    expect(existsSync(path.join(installed, 'node_modules'))).toBe(false);
    expect(existsSync(path.join(installed, 'dist', 'THIRD-PARTY-LICENSES.txt'))).toBe(true);
    expect(existsSync(path.join(installed, 'LICENSE'))).toBe(true);
    expect(readdirSync(path.join(installed, 'dist')).filter((file) => file.endsWith('.map') || file.startsWith('metafile'))).toEqual([]);
  });

  it('prints help and its version through the bin link', () => {
    const help = run(viaBinLink(), '--help');
    expect(help.code, help.out).toBe(0);
    expect(help.stdout).toContain('send-test-record');
    const version = run(viaBinLink(), '--version');
    expect(version.code, version.out).toBe(0);
    expect(version.stdout.trim()).toBe(pkg.version);
  });

  it('sets up and tears down in the sandbox, with no network', () => {
    const setup = run(offline(), 'setup', '--sandbox', '--name', 'demo', '--yes', '--sandbox-speed', '200');
    expect(setup.code, setup.out).toBe(ExitCode.Success);
    // Node was given the installed script: hints name it so.
    expect(setup.out).toContain(`node ${path.join(installed, 'bin', `${pkg.name}.js`)} send-test-record --name demo --sandbox`);
    const teardown = run(offline(), 'teardown', '--sandbox', '--name', 'demo', '--yes');
    expect(teardown.code, teardown.out).toBe(ExitCode.Success);
    expect(teardown.out).toContain('is torn down');
  }, 120_000);

  /** A shell on a user's machine: nothing on PATH but `extraPath` and the system's, npm offline with the test's cache, and no network. */
  const shell = (cwd: string, extraPath: string[] = []) =>
    userShell(cwd, {
      PATH: [...extraPath, process.env.PATH].join(path.delimiter),
      HOME: home,
      AWS_CONFIG_FILE: path.join(home, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none'),
      npm_config_cache: path.join(dir, 'npm-cache'),
      npm_config_offline: 'true',
      npm_config_update_notifier: 'false',
    });

  it.each([
    ['installed into a prefix on PATH', 'kds-xacct'],
    ['run through npx with the tarball', 'npx --package=<tarball> kds-xacct'],
  ])('when %s, every "Next:" line after a sandbox setup runs as printed', async (_how, start) => {
    const cwd = mkdtempSync(path.join(dir, 'user-'));
    const prefix = path.join(dir, 'prefix');
    if (start === 'kds-xacct') npm(['install', '--global', '--prefix', prefix, '--offline', tarball], dir, dir);
    const sh = shell(cwd, start === 'kds-xacct' ? [path.join(prefix, 'bin')] : []);
    const program = start.replace('<tarball>', tarball);
    const setup = sh.run(`${program} setup --sandbox --name demo --yes --sandbox-speed 200`);
    expect(setup.code, setup.out).toBe(ExitCode.Success);
    await expectNextLinesRun(setup.out, program, sh);
  }, 180_000);
});
