import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };

const bin = path.resolve(import.meta.dirname, '../../bin/kds-xacct.js');
const dist = path.resolve(import.meta.dirname, '../../dist');

/** Runs the built binary in a subprocess with piped (non-TTY) output, as CI or a pipe would. */
function kdsXacct(args: string[], env: NodeJS.ProcessEnv = {}) {
  const cwd = mkdtempSync(path.join(tmpdir(), 'kds-xacct-bin-'));
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: cwd, AWS_CONFIG_FILE: path.join(cwd, 'none'), AWS_SHARED_CREDENTIALS_FILE: path.join(cwd, 'none'), ...env },
    timeout: 15_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const ansi = /\u001b\[/;

describe('the built binary', () => {
  it('prints help with every command and exits 0', () => {
    const { code, stdout } = kdsXacct(['--help']);
    expect(code).toBe(0);
    for (const command of ['setup', 'teardown', 'send-test-record', 'tail-logs', 'status']) expect(stdout).toContain(command);
    expect(stdout).toContain('--producer-profile <name>');
    expect(stdout).toContain('Exit codes');
    expect(stdout).not.toMatch(ansi);
  });

  it('prints command help with examples', () => {
    const { code, stdout } = kdsXacct(['setup', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('--dry-run');
    expect(stdout).toContain('Examples:');
  });

  it('prints the package version', () => {
    const { code, stdout } = kdsXacct(['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(pkg.version);
  });

  it('rejects an unknown flag with exit 2 and a pointer to help', () => {
    const { code, stderr } = kdsXacct(['setup', '--bogus']);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option '--bogus'");
    expect(stderr).toContain('--help');
  });

  it('rejects an unknown command with exit 2', () => {
    const { code, stderr } = kdsXacct(['deploy']);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown command 'deploy'");
  });

  it('rejects an invalid flag value with exit 2', () => {
    const { code, stderr } = kdsXacct(['setup', '--capacity-mode', 'huge']);
    expect(code).toBe(2);
    expect(stderr).toContain('on-demand, provisioned');
  });

  it('writes no ANSI codes when piped, even with FORCE_COLOR unset and errors printed', () => {
    const { code, stdout, stderr } = kdsXacct(['setup', '--yes']);
    expect(code).toBe(2);
    expect(stdout + stderr).not.toMatch(ansi);
    expect(stderr).toContain('--producer-profile');
  });

  it('loads neither the AWS SDK nor the sandbox for --help', () => {
    const loads = path.join(mkdtempSync(path.join(tmpdir(), 'kds-xacct-loads-')), 'loads.txt');
    const result = spawnSync(process.execPath, ['--import', path.resolve(import.meta.dirname, 'record-loads.mjs'), bin, 'setup', '--help'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, KDS_XACCT_LOADS: loads },
      timeout: 15_000,
    });
    expect(result.status).toBe(0);
    // dist/ bundles its dependencies into chunks with hashed names: esbuild's metafile says what each holds.
    const metafile = JSON.parse(readFileSync(path.join(dist, 'metafile-esm.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> };
    const chunks = readFileSync(loads, 'utf8')
      .split('\n')
      .filter((url) => url.startsWith(pathToFileURL(dist).href))
      .map((url) => `dist/${path.basename(fileURLToPath(url))}`);
    const inputs = chunks.flatMap((chunk) => Object.entries(metafile.outputs[chunk]!.inputs).filter(([, { bytesInOutput }]) => bytesInOutput > 0).map(([input]) => input));
    expect(chunks).toContain('dist/cli.js');
    expect(inputs.some((input) => input.includes('node_modules/commander/'))).toBe(true);
    expect(inputs.filter((input) => /node_modules\/(@aws-sdk|@smithy)\/|^src\/(sandbox|aws)\//.test(input))).toEqual([]);
  });
});
