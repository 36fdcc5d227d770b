import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { SANDBOX_PROFILES } from '../../src/sandbox/environment.js';
import { Sandbox } from '../../src/sandbox/sandbox.js';
import { builtBin, finishedLines, runInTerminal, sandboxDir } from '../support/terminal.js';

const freshHome = () => mkdtempSync(path.join(tmpdir(), 'kds-xacct-terminal-mistake-'));

describe.each([80, 130])('mistakes and failures in a terminal of %i columns', (cols) => {
  it("a rolled-back setup says its new key is scheduled for deletion in 7 days, not that it was removed", { timeout: 30_000 }, async () => {
    const home = freshHome();
    const sandbox = new Sandbox({ file: path.join(sandboxDir(home), 'accounts.sandbox'), accounts: Object.values(SANDBOX_PROFILES).map((p) => p.accountId) });
    await sandbox.transaction(async (cloud) => cloud.failOn({ command: 'CreateEventSourceMapping' }, { code: 'AccessDeniedException', message: 'Not authorized to perform: lambda:CreateEventSourceMapping.' }));
    const { code, lines, screen } = await runInTerminal(cols, ['setup', '--sandbox', '--name', 'demo', '--yes', '--sandbox-speed', '200'], undefined, home);
    const undone = finishedLines(lines, '↺');
    expect(code, screen).toBe(ExitCode.Failed);
    const key = undone.filter((line) => line.startsWith('↺ KMS key alias/kds-xacct/demo [producer]: '));
    expect(key, screen).toHaveLength(1);
    expect(key[0]).toMatch(/: scheduled for deletion in 7 days \d+(ms|\.\ds)$/);
    expect(undone.filter((line) => line.includes(': removed ')).length, screen).toBeGreaterThan(0);
  });

  it('--region mars-1 is refused before any network call, saying what a region looks like, and leaves nothing behind', { timeout: 20_000 }, async () => {
    const home = freshHome();
    // Profiles that exist, so that the region is what is refused.
    const config = path.join(home, 'config');
    writeFileSync(config, ['[profile p]', 'aws_access_key_id = AKIAEXAMPLE', 'aws_secret_access_key = secret', '[profile c]', 'aws_access_key_id = AKIAEXAMPLE', 'aws_secret_access_key = secret', ''].join('\n'));
    const env = { AWS_CONFIG_FILE: config };
    const profiles = ['--producer-profile', 'p', '--consumer-profile', 'c', '--region', 'mars-1'];
    const setup = await runInTerminal(cols, ['setup', '--name', 'demo', '--yes', ...profiles], undefined, home, { env });
    expect(setup.code, setup.screen).toBe(ExitCode.Usage);
    expect(setup.wrapped, setup.screen).toEqual([]);
    expect(setup.screen.replace(/\s+/g, ' ')).toContain('Error: --region: "mars-1" is not an AWS region name. Use a region code such as us-east-1, eu-central-2 or us-gov-west-1.');
    const status = await runInTerminal(cols, ['status', '--name', 'demo', ...profiles], undefined, home, { env });
    expect(status.code, status.screen).toBe(ExitCode.Usage);
    expect(status.wrapped, status.screen).toEqual([]);
    expect(status.screen.replace(/\s+/g, ' ')).toContain('Error: --region: "mars-1" is not an AWS region name. Use a region code such as us-east-1, eu-central-2 or us-gov-west-1.');
    // A call would have failed at name resolution, which the test's preload refuses with its own words.
    expect(setup.screen + status.screen).not.toMatch(/ENOTFOUND|network/);
    expect(readdirSync(home)).toEqual(['config']);
  });

  it('a read-only status --sandbox of an unused sandbox says there is nothing, and creates no folder', { timeout: 20_000 }, async () => {
    const home = freshHome();
    const { code, wrapped, screen } = await runInTerminal(cols, ['status', '--sandbox', '--name', 'demo'], undefined, home);
    expect(code, screen).toBe(ExitCode.Usage);
    expect(wrapped, screen).toEqual([]);
    expect(screen.replace(/\s+/g, ' ')).toMatch(/There is no deployment "demo".* run `node \S+ setup --name demo --sandbox` to create it/);
    expect(readdirSync(home)).toEqual([]);
  });

  it('the CLI of a checkout before `npm run build` says so in one line, with no stack trace', { timeout: 20_000 }, async () => {
    const checkout = mkdtempSync(path.join(tmpdir(), 'kds-xacct-checkout-'));
    mkdirSync(path.join(checkout, 'bin'));
    copyFileSync(builtBin, path.join(checkout, 'bin', 'kds-xacct.js'));
    const { code, logical, screen } = await runInTerminal(cols, ['setup', '--sandbox'], undefined, freshHome(), { bin: path.join(checkout, 'bin', 'kds-xacct.js') });
    expect(code, screen).toBe(1);
    // One line, which a terminal narrower than it runs on into the next row, unbroken.
    expect(logical.filter((line) => line !== ''), screen).toEqual([`kds-xacct is not built yet: run \`npm --prefix ${checkout} ci && npm --prefix ${checkout} run build\` first.`]);
  });
});
