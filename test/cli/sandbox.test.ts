import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { Sandbox } from '../../src/sandbox/sandbox.js';
import { SANDBOX_PROFILES } from '../../src/sandbox/environment.js';
import { expectNextLinesRun, userShell } from '../support/pasted-commands.js';

const bin = path.resolve(import.meta.dirname, '../../bin/kds-xacct.js');
const noNetwork = path.resolve(import.meta.dirname, 'no-network.mjs');

/** A fresh machine: an empty HOME, no AWS configuration, and no way to open a socket. */
function freshMachine() {
  const home = mkdtempSync(path.join(tmpdir(), 'kds-xacct-sandbox-bin-'));
  const run = (...args: string[]) => {
    const result = spawnSync(process.execPath, ['--import', noNetwork, bin, ...args, '--sandbox-speed', '200'], {
      cwd: home,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: home, AWS_CONFIG_FILE: path.join(home, 'none'), AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none') },
      timeout: 60_000,
    });
    return { code: result.status, out: result.stdout + result.stderr };
  };
  const env = { PATH: process.env.PATH, HOME: home, AWS_CONFIG_FILE: path.join(home, 'none'), AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none') };
  /** A command left running, such as tail-logs following the logs; its output so far, and a way to stop it. */
  const start = (...args: string[]) => {
    const child = spawn(process.execPath, ['--import', noNetwork, bin, ...args], { cwd: home, env });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    return { output: () => out, stop: () => child.kill('SIGINT') };
  };
  return { home, run, start };
}

/** The command a message told the user to run, as a shell would split it, without the program's name. */
function pastedHint(output: string, pattern: RegExp): string[] {
  const command = pattern.exec(output)?.[1];
  expect(command, output).toBeDefined();
  const words = command!.split(' ');
  // Node was given the script by its path: the hint says so, from any folder.
  expect(words.slice(0, 2)).toEqual(['node', bin]);
  return words.slice(2);
}

/** Waits, in real time, for what another process prints. */
async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the other process');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('kds-xacct --sandbox, as a new user runs it', () => {
  it('sets up, verifies a record, tails it, reports healthy and tears down, in separate processes with no network', () => {
    const { run } = freshMachine();
    const setup = run('setup', '--sandbox', '--name', 'demo', '--yes');
    expect(setup.out.split('\n')[0]).toBe("SANDBOX: simulated accounts, nothing reaches AWS; AWS's waits 200x shorter");
    expect(setup.code, setup.out).toBe(ExitCode.Success);
    expect(setup.out).toContain(`node ${bin} send-test-record --name demo --sandbox --verify`);
    // Off a terminal nothing is wrapped: a paragraph stays one line, for grep and for a log viewer that wraps it itself.
    expect(setup.out).toMatch(/^Deployment "demo" is set up\. Its KMS grant is new: .* reports them to arn:aws:sqs:\S+\.$/m);

    const sent = run('send-test-record', '--sandbox', '--name', 'demo', '--verify');
    expect(sent.code, sent.out).toBe(ExitCode.Success);
    expect(sent.out).toMatch(/sequence \d+: \d+(ms|\.\ds)/);
    const sequence = /sequence (\d+)/.exec(sent.out)![1]!;

    const tail = run('tail-logs', '--sandbox', '--name', 'demo', '--no-follow', '--since', '1h');
    expect(tail.code, tail.out).toBe(ExitCode.Success);
    expect(tail.out).toContain(`seq=${sequence}`);

    const status = run('status', '--sandbox', '--name', 'demo');
    expect(status.code, status.out).toBe(ExitCode.Success);
    expect(status.out).toContain('Healthy.');

    const teardown = run('teardown', '--sandbox', '--name', 'demo', '--yes');
    expect(teardown.code, teardown.out).toBe(ExitCode.Success);
    // The AWS CLI cannot reach the sandbox: a command for it is what would be run on AWS, and says so.
    expect(teardown.out).toMatch(/`aws kms cancel-key-deletion --key-id \S+ --profile <producer-profile> --region eu-west-1 # on AWS, not the sandbox`/);
    const again = run('teardown', '--sandbox', '--name', 'demo', '--yes');
    expect(again.code, again.out).toBe(ExitCode.Success);
    expect(again.out).toContain('Nothing left of deployment "demo": no resource tagged for it');

    // The banner no longer asks to add --sandbox: every command a message prints carries it already.
    const unknown = run('status', '--sandbox', '--name', 'nothing-here');
    expect(unknown.code, unknown.out).toBe(ExitCode.Usage);
    const outputs = [setup, sent, tail, status, teardown, again, unknown].map((r) => r.out).join('\n');
    expect(outputs).not.toContain('Add --sandbox');
    expect(outputs).not.toMatch(/aws [^`\n]*--profile sandbox-/);
    const printed = [...outputs.matchAll(/kds-xacct\.js (?:setup|teardown|status|send-test-record|tail-logs) [^`\n]*/g)].map((m) => m[0]);
    expect(printed.length).toBeGreaterThan(2);
    for (const command of printed) expect(command).toContain(' --sandbox');
  }, 180_000);

  it('keeps the wall clock: a log event and a torn-down record carry the real time, and --since counts real time', () => {
    const { home, run } = freshMachine();
    expect(run('setup', '--sandbox', '--name', 'demo', '--yes').code).toBe(ExitCode.Success);
    const sentFrom = Date.now();
    const sent = run('send-test-record', '--sandbox', '--name', 'demo', '--verify');
    expect(sent.code, sent.out).toBe(ExitCode.Success);
    const verifiedAt = Date.now();
    const tail = run('tail-logs', '--sandbox', '--name', 'demo', '--no-follow', '--since', '1m', '--json');
    expect(tail.code, tail.out).toBe(ExitCode.Success);
    const recordLine = tail.out.split('\n').find((line) => line.includes('kds-xacct send-test-record'));
    expect(recordLine, tail.out).toBeDefined();
    const loggedAt = Date.parse((JSON.parse(recordLine!) as { timestamp: string }).timestamp);
    expect(loggedAt).toBeGreaterThanOrEqual(sentFrom);
    expect(loggedAt).toBeLessThanOrEqual(verifiedAt);

    const tornDownFrom = Date.now();
    expect(run('teardown', '--sandbox', '--name', 'demo', '--yes').code).toBe(ExitCode.Success);
    const record = JSON.parse(readFileSync(path.join(home, '.kds-xacct', 'sandbox', 'demo.torn-down'), 'utf8')) as { tornDownAt: string };
    expect(Date.parse(record.tornDownAt)).toBeGreaterThanOrEqual(tornDownFrom);
    expect(Date.parse(record.tornDownAt)).toBeLessThanOrEqual(Date.now());
  }, 120_000);

  it('only looks, leaving no folder or file behind, for status and a dry run of a sandbox nobody has used yet', () => {
    const { home, run } = freshMachine();
    const status = run('status', '--sandbox', '--name', 'demo');
    expect(status.code, status.out).toBe(ExitCode.Usage);
    expect(status.out).toContain('There is no deployment "demo"');
    const plan = run('setup', '--sandbox', '--name', 'demo', '--dry-run');
    expect(plan.code, plan.out).toBe(ExitCode.Success);
    expect(readdirSync(home)).toEqual([]);
    expect(run('setup', '--sandbox', '--name', 'demo', '--yes').code).toBe(ExitCode.Success);
    expect(readdirSync(path.join(home, '.kds-xacct', 'sandbox')).sort()).toEqual(['accounts.sandbox', 'demo.json']);
  }, 60_000);

  it('tail-logs follows the records that another process sends, and polls without a warning: the sandbox has no Live Tail', async () => {
    const { run, start } = freshMachine();
    expect(run('setup', '--sandbox', '--name', 'demo', '--yes').code).toBe(ExitCode.Success);
    const tail = start('tail-logs', '--sandbox', '--name', 'demo');
    try {
      await until(() => tail.output().includes('Ctrl-C to stop'));
      const sent = run('send-test-record', '--sandbox', '--name', 'demo');
      expect(sent.code, sent.out).toBe(ExitCode.Success);
      const sequence = /sequence (\d+)/.exec(sent.out)![1]!;
      await until(() => tail.output().includes(`seq=${sequence}`));
      expect(tail.output()).not.toMatch(/Warning|Live Tail/);
    } finally {
      tail.stop();
    }
  }, 120_000);

  it('rolls back a setup that fails in the sandbox as it would on AWS, and leaves the accounts empty', async () => {
    const { home, run } = freshMachine();
    // Another process arms a fault in the same sandbox file: the command under test sees it on its calls.
    const sandbox = new Sandbox({ file: path.join(home, '.kds-xacct', 'sandbox', 'accounts.sandbox'), accounts: Object.values(SANDBOX_PROFILES).map((p) => p.accountId) });
    await sandbox.transaction(async (cloud) => cloud.failOn({ command: 'CreateEventSourceMapping' }, { code: 'AccessDeniedException', message: 'Not authorized to perform: lambda:CreateEventSourceMapping.' }));

    const setup = run('setup', '--sandbox', '--name', 'demo', '--yes');
    expect(setup.code, setup.out).toBe(ExitCode.Failed);
    expect(setup.out).toMatch(/event source mapping .* failed in the consumer account 222222222222 during apply: AccessDeniedException: Not authorized to perform: lambda:CreateEventSourceMapping\./);
    expect(setup.out).toContain('What this run created was rolled back.');
    const left = await sandbox.transaction(async (cloud) => {
      const regions = [...cloud.accounts.values()].flatMap((a) => [...a.regions.values()]);
      return { roles: [...cloud.accounts.values()].flatMap((a) => [...a.roles.keys()]), streams: regions.flatMap((r) => [...r.streams.keys()]), functions: regions.flatMap((r) => [...r.functions.keys()]) };
    });
    expect(left).toEqual({ roles: [], streams: [], functions: [] });
  }, 120_000);

  it('the commands that recovery hints print work when pasted: after a rollback, and for a state file that cannot be read', async () => {
    const { home, run } = freshMachine();
    // A state folder of its own: the hints must carry it, and --sandbox, for the pasted command to find the deployment.
    const sandbox = new Sandbox({ file: path.join(home, 'state', 'sandbox', 'accounts.sandbox'), accounts: Object.values(SANDBOX_PROFILES).map((p) => p.accountId) });
    await sandbox.transaction(async (cloud) => cloud.failOn({ command: 'CreateEventSourceMapping' }, { code: 'AccessDeniedException', message: 'Not authorized to perform: lambda:CreateEventSourceMapping.' }));
    const failed = run('setup', '--sandbox', '--state-dir', 'state', '--name', 'demo', '--yes');
    expect(failed.code, failed.out).toBe(ExitCode.Failed);
    const retry = pastedHint(failed.out, /Run `(node \S+ [^`]+)` again to retry\./);
    expect(retry).toEqual(['setup', '--name', 'demo', '--sandbox', '--state-dir', 'state']);
    // Without a terminal nothing is confirmed unasked: --yes is the one word a script adds.
    const retried = run(...retry, '--yes');
    expect(retried.code, retried.out).toBe(ExitCode.Success);

    writeFileSync(path.join(home, 'state', 'sandbox', 'demo.json'), '{ "version": 1, "na');
    const refused = run('status', '--sandbox', '--state-dir', 'state', '--name', 'demo');
    expect(refused.code, refused.out).toBe(ExitCode.Usage);
    const teardown = pastedHint(refused.out, /move it aside and run `(node \S+ [^`]+)`/);
    renameSync(path.join(home, 'state', 'sandbox', 'demo.json'), path.join(home, 'demo.json.broken'));
    const tornDown = run(...teardown, '--yes');
    expect(tornDown.code, tornDown.out).toBe(ExitCode.Success);
    expect(tornDown.out).toContain('Deployment "demo" is torn down.');
  }, 120_000);

  it('from the checkout, as the README starts it: every "Next:" line after setup runs as printed', async () => {
    const { home } = freshMachine();
    const checkout = path.dirname(path.dirname(bin));
    const sh = userShell(checkout, { PATH: process.env.PATH, HOME: home, AWS_CONFIG_FILE: path.join(home, 'none'), AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none') });
    const state = path.join(home, 'state');
    const setup = sh.run(`node bin/kds-xacct.js setup --sandbox --name demo --yes --state-dir ${state} --sandbox-speed 200`);
    expect(setup.code, setup.out).toBe(ExitCode.Success);
    await expectNextLinesRun(setup.out, 'node bin/kds-xacct.js', sh);
  }, 120_000);

  it('exports a sandbox deployment as Terraform and CloudFormation, so a new user sees the output without an AWS account', () => {
    const { home, run } = freshMachine();
    expect(run('setup', '--sandbox', '--name', 'demo', '--yes').code).toBe(ExitCode.Success);
    const tf = run('export', '--sandbox', '--name', 'demo', '--format', 'terraform', '--out', 'demo-tf', '--json');
    expect(tf.code, tf.out).toBe(ExitCode.Success);
    expect(readdirSync(path.join(home, 'demo-tf')).sort()).toEqual(['README.md', 'consumer.tf', 'function.zip', 'imports.tf', 'producer.tf', 'providers.tf']);
    const cfn = run('export', '--sandbox', '--name', 'demo', '--format', 'cloudformation', '--out', 'demo-cfn');
    expect(cfn.code, cfn.out).toBe(ExitCode.Success);
    // A command for the AWS CLI is what would be run on AWS, with the profile to fill in.
    expect(readFileSync(path.join(home, 'demo-cfn', 'README.md'), 'utf8')).toContain('--profile <producer-profile> --region eu-west-1 # on AWS, not the sandbox');
  }, 120_000);

  it('refuses options that would reach AWS, before anything is written', () => {
    const { run } = freshMachine();
    const profile = run('setup', '--sandbox', '--producer-profile', 'prod', '--name', 'demo', '--yes');
    expect(profile.code).toBe(ExitCode.Usage);
    expect(profile.out).toContain('--producer-profile prod cannot be used with --sandbox');
    const region = run('status', '--sandbox', '--region', 'us-east-1', '--name', 'demo');
    expect(region.code).toBe(ExitCode.Usage);
    expect(region.out).toContain('--region us-east-1 cannot be used with --sandbox');
  });

  it('sandbox reset empties the accounts and forgets the deployments', () => {
    const { run } = freshMachine();
    expect(run('setup', '--sandbox', '--name', 'demo', '--yes').code).toBe(ExitCode.Success);
    // Without a terminal, nothing is discarded unasked: the refusal names what --yes would discard.
    const refused = run('sandbox', 'reset');
    expect(refused.code, refused.out).toBe(ExitCode.Usage);
    expect(refused.out).toContain('forgets its 1 deployment(s), "demo"');
    expect(run('status', '--sandbox', '--name', 'demo').code).toBe(ExitCode.Success);
    const reset = run('sandbox', 'reset', '--yes');
    expect(reset.code, reset.out).toBe(ExitCode.Success);
    const status = run('status', '--sandbox', '--name', 'demo');
    expect(status.out).toContain('There is no deployment "demo"');
    // The command it suggests works when pasted: the sandbox's deployments are found again with --sandbox.
    expect(status.out).toContain(`run \`node ${bin} setup --name demo --sandbox\` to create it`);
    expect(status.code).toBe(ExitCode.Usage);
    const teardown = run('teardown', '--sandbox', '--name', 'demo', '--yes');
    expect(teardown.out).toContain('Nothing to tear down');
  }, 120_000);
});
