import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentState } from '../../src/deployment/store.js';
import { ExitCode } from '../../src/errors.js';
import { answer, builtBin, CTRL_C, ENTER, ESCAPE, printedCommand, runInTerminal, sandboxDir } from '../support/terminal.js';

/** The ARNs of deployment demo's resources, as its state file records them. */
function recordedArns(home: string): string[] {
  const state = JSON.parse(readFileSync(path.join(sandboxDir(home), 'demo.json'), 'utf8')) as DeploymentState;
  const ids = Object.values(state.steps).flatMap((step) => Object.values(step.outputs ?? {}));
  return [...new Set(ids.filter((id): id is string => typeof id === 'string' && id.startsWith('arn:')))];
}

// One deployment for the whole file, made off a terminal (setup's own screen is terminal.test.ts's); every
// test here only reads it, or answers No.
let home: string;
beforeAll(() => {
  home = mkdtempSync(path.join(tmpdir(), 'kds-xacct-terminal-deployment-'));
  const setup = spawnSync(process.execPath, [builtBin, 'setup', '--sandbox', '--name', 'demo', '--yes', '--sandbox-speed', '200'], {
    cwd: home,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: home, AWS_CONFIG_FILE: path.join(home, 'none'), AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none') },
    timeout: 60_000,
  });
  expect(setup.status, setup.stdout + setup.stderr).toBe(ExitCode.Success);
}, 60_000);

describe.each([80, 130])('a deployment in a terminal of %i columns', (cols) => {
  it('status shows each resource by name under its account, nothing cut and nothing wrapped by the terminal', { timeout: 20_000 }, async () => {
    const { code, lines, wrapped, screen } = await runInTerminal(cols, ['status', '--sandbox', '--name', 'demo'], undefined, home);
    expect(code, screen).toBe(ExitCode.Success);
    expect(wrapped, screen).toEqual([]);
    expect(lines.filter((line) => line.includes('…')), screen).toEqual([]);
    expect(lines, screen).toContain('Producer account 111111111111 (eu-west-1):');
    expect(lines, screen).toContain('  created  ACTIVE   ok     stream demo-stream');
    expect(lines, screen).toContain('Healthy.');
    // Where an ARN does not fit, the command that lists them is given, whole and runnable.
    const consumerArn = recordedArns(home).find((arn) => arn.includes('/consumer/'))!;
    if (cols === 130) expect(lines, screen).toContain(`  ${consumerArn}`);
    else expect(lines.filter((line) => line.includes(' status --name demo --sandbox --arns')), screen).toHaveLength(1);
  });

  it('status --arns lists every ARN whole, one per line, where a copy takes it whole', { timeout: 20_000 }, async () => {
    const { code, logical, wrapped, screen } = await runInTerminal(cols, ['status', '--sandbox', '--name', 'demo', '--arns'], undefined, home);
    expect(code, screen).toBe(ExitCode.Success);
    const listed = logical.slice(logical.indexOf('ARNs:') + 1);
    const arns = recordedArns(home);
    for (const arn of arns) expect(listed, screen).toContain(`  ${arn}`);
    // Only an ARN wider than the terminal runs on, unbroken, into the next row.
    expect(wrapped.map((row) => row!.trim()), screen).toEqual(arns.filter((arn) => arn.length + 2 > cols).map((arn) => arn.slice(0, cols - 2)));
  });

  it("teardown's question says what will happen, its aws command runs on whole, and No changes nothing", { timeout: 20_000 }, async () => {
    const question = 'Delete 11 resource(s) and schedule the KMS key for deletion in 30 days';
    const arns = recordedArns(home);
    const { code, lines, wrapped, screen } = await runInTerminal(cols, ['teardown', '--sandbox', '--name', 'demo'], answer([[question, ENTER]]), home);
    expect(code, screen).toBe(ExitCode.Success);
    expect(wrapped, screen).toEqual([]);
    expect(screen.replace(/\s+/g, ' ')).toContain('The KMS key will be scheduled for deletion with a 30-day waiting period (--key-pending-days).');
    // The AWS CLI's command, marked as AWS's, on lines of its own: wider than the terminal, it would be broken mid-word.
    const restore = printedCommand(lines, lines.findIndex((line) => line.startsWith('  aws kms cancel-key-deletion')));
    expect(restore.replace(/ \\\n\s*/g, ' '), screen).toMatch(/^aws kms cancel-key-deletion --key-id [\w-]+ --profile <producer-profile> --region eu-west-1 # on AWS, not the sandbox$/);
    expect(screen.replace(/\s+/g, ' ')).toContain(`✔ ${question} in accounts 111111111111 and 222222222222? No Nothing was deleted.`);
    expect(recordedArns(home)).toEqual(arns);
  });

  it('teardown --name with a misspelt name finds nothing, exits 0, and names the deployments there are', { timeout: 20_000 }, async () => {
    const { code, wrapped, screen } = await runInTerminal(cols, ['teardown', '--sandbox', '--name', 'dmeo', '--yes'], undefined, home);
    expect(code, screen).toBe(ExitCode.Success);
    expect(wrapped, screen).toEqual([]);
    expect(screen.replace(/\s+/g, ' ')).toContain('The deployments in .kds-xacct/sandbox are "demo": check --name.');
  });

  it("the wizard's existing stream says which deployment made it, a new one's answer says what was chosen, and Ctrl-C is no error", { timeout: 30_000 }, async () => {
    const seen: string[] = [];
    const dialogue = answer(
      [
        ['Deployment name', `other${ENTER}`],
        ['Stream:', ENTER],
        ['Consumer function:', ENTER],
        ['Customise names', CTRL_C],
      ],
      seen,
    );
    const { code, lines, wrapped, screen } = await runInTerminal(cols, ['setup', '--sandbox'], dialogue, home);
    expect(code, screen).toBe(ExitCode.Interrupted);
    expect(wrapped, screen).toEqual([]);
    expect(seen[1]!.split('\n'), seen[1]).toContain('  Use existing: demo-stream (made by deployment "demo"; its key comes too)');
    // The answer as chosen, not the choice's description.
    expect(lines, screen).toContain('✔ Stream: new, other-stream');
    expect(lines, screen).toContain('✔ Consumer function: bundled, other-consumer');
    expect(lines, screen).toContain('Cancelled at a prompt. Nothing was changed.');
    expect(lines.filter((line) => line.startsWith('Error')), screen).toEqual([]);
  });

  it('Escape at a question cancels as Ctrl-C does, with no error', { timeout: 30_000 }, async () => {
    const arns = recordedArns(home);
    const { code, lines, screen } = await runInTerminal(cols, ['teardown', '--sandbox', '--name', 'demo'], answer([['Delete 11 resource(s)', ESCAPE]]), home);
    expect(code, screen).toBe(ExitCode.Interrupted);
    expect(lines, screen).toContain('Cancelled at a prompt. Nothing was changed.');
    expect(lines.filter((line) => line.startsWith('Error')), screen).toEqual([]);
    expect(recordedArns(home)).toEqual(arns);
  });

  it('tail-logs --sandbox follows the logs with no warning that Live Tail is unavailable', { timeout: 30_000 }, async () => {
    const { lines, screen } = await runInTerminal(cols, ['tail-logs', '--sandbox', '--name', 'demo'], async ({ waitFor, press }) => {
      await waitFor('Following /aws/lambda/demo-consumer');
      press(CTRL_C);
    }, home);
    expect(screen.replace(/\s+/g, ' ')).toContain('Following /aws/lambda/demo-consumer in account 222222222222 (eu-west-1). Ctrl-C to stop.');
    expect(lines.filter((line) => /Warning|Live Tail/.test(line)), screen).toEqual([]);
  });
});
