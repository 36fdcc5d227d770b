import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
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

describe('the binary of a checkout that is not built yet', () => {
  it('says in one line what to run, with no stack trace, and exits 1', () => {
    const checkout = mkdtempSync(path.join(tmpdir(), 'kds-xacct-checkout-'));
    mkdirSync(path.join(checkout, 'bin'));
    copyFileSync(bin, path.join(checkout, 'bin', 'kds-xacct.js'));
    const run = () => spawnSync(process.execPath, [path.join(checkout, 'bin', 'kds-xacct.js'), '--help'], { cwd: tmpdir(), encoding: 'utf8', timeout: 15_000 });
    const fresh = run();
    expect(fresh.status).toBe(1);
    expect(fresh.stdout).toBe('');
    expect(fresh.stderr).toBe(`kds-xacct is not built yet: run \`npm --prefix ${checkout} ci && npm --prefix ${checkout} run build\` first.\n`);
    mkdirSync(path.join(checkout, 'node_modules'));
    expect(run().stderr).toBe(`kds-xacct is not built yet: run \`npm --prefix ${checkout} run build\` first.\n`);
  });
});

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Whether minified JavaScript holds the property `key: value`, as esbuild prints a JSON object (keys quoted only where they must be). */
function holdsProperty(code: string, key: string, value: string): boolean {
  return new RegExp(`(?:"${escapeRegExp(key)}"|\\b${escapeRegExp(key)}):${escapeRegExp(JSON.stringify(value))}`).test(code);
}

describe('the bundle', () => {
  it("takes only the version from package.json: none of its dev dependencies or scripts", () => {
    const code = readdirSync(dist)
      .filter((file) => file.endsWith('.js'))
      .map((file) => readFileSync(path.join(dist, file), 'utf8'))
      .join('\n');
    const entries = [...Object.entries(pkg.devDependencies), ...Object.entries(pkg.scripts)];
    expect(entries.filter(([key, value]) => holdsProperty(code, key, value)).map(([key]) => key)).toEqual([]);
    expect(holdsProperty(code, 'version', pkg.version)).toBe(true);
  });
});

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

  it('rejects an unknown flag with exit 2, an `Error:` line and a pointer to the command\'s help', () => {
    const { code, stdout, stderr } = kdsXacct(['setup', '--bogus']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`Error: Unknown option '--bogus'.\nRun \`node ${bin} setup --help\` for its options.\n`);
  });

  it('rejects an unknown command with exit 2', () => {
    const { code, stderr } = kdsXacct(['deploy']);
    expect(code).toBe(2);
    expect(stderr).toBe(`Error: Unknown command 'deploy'.\nRun \`node ${bin} --help\` for the commands and options.\n`);
  });

  it('words every usage error commander finds as ours: `Error:` first, none of its own lines', () => {
    for (const args of [['setup', '--batch-size', '0'], ['status', '--name'], ['sandbox', 'reset', '--nope']]) {
      const { code, stderr } = kdsXacct(args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr, args.join(' ')).toMatch(/^Error: [A-Z]/);
      expect(stderr, args.join(' ')).not.toMatch(/^error:|add --help/m);
    }
    expect(kdsXacct(['setup', '--batch-size', '0']).stderr).toContain("Error: Option '--batch-size <n>' argument '0' is invalid. Expected a whole number from 1 to 10000.");
  });

  it('under --json, anywhere in the command line, a usage error is one JSON document on stdout and JSON lines on stderr', () => {
    for (const args of [
      ['--json', 'setup', '--batch-size', '0'],
      ['setup', '--bogus', '--json'],
      ['deploy', '--json'],
      ['status', '--json', '--name'],
      ['--json'],
    ]) {
      const { code, stdout, stderr } = kdsXacct(args);
      expect(code, args.join(' ')).toBe(2);
      expect(stdout.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      const document = JSON.parse(stdout) as { exitCode: number; error: { message: string; hint: string } };
      expect(document, args.join(' ')).toEqual({ exitCode: 2, error: { message: expect.any(String), hint: expect.stringContaining('--help') } });
      const lines = stderr.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines, args.join(' ')).toContainEqual({ type: 'log', level: 'error', ...document.error });
    }
    const unknown = JSON.parse(kdsXacct(['--json', 'setup', '--batch-size', '0']).stdout) as { error: { message: string } };
    expect(unknown.error.message).toBe("Option '--batch-size <n>' argument '0' is invalid. Expected a whole number from 1 to 10000.");
  });

  it('under --json, a failure is one document with its exit code and error, and a success one with exit code 0', () => {
    const missing = kdsXacct(['status', '--name', 'orders', '--producer-profile', 'prod', '--consumer-profile', 'analytics', '--json']);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ exitCode: 2, error: { message: expect.stringContaining('Profile "prod" was not found') } });
    for (const line of missing.stderr.trimEnd().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow();

    const neverDeployed = kdsXacct(['status', '--name', 'never', '--sandbox', '--json']);
    expect(neverDeployed.code).toBe(2);
    expect(neverDeployed.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(neverDeployed.stdout)).toMatchObject({ exitCode: 2, error: { message: expect.stringContaining('There is no deployment "never"') } });

    // --json asks no questions: a reset needs --yes, like teardown.
    const refused = kdsXacct(['sandbox', 'reset', '--json']);
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stdout)).toMatchObject({ exitCode: 2, error: { hint: 'Pass --yes to reset unattended.' } });
    const reset = kdsXacct(['sandbox', 'reset', '--json', '--yes']);
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.stdout)).toEqual({ exitCode: 0, outcome: 'reset', deployments: [] });
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
