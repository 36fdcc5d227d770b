import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { userShell } from '../support/pasted-commands.js';
import { builtBin, printedCommand, runInTerminal } from '../support/terminal.js';

/** How the README starts the program: from the checkout, before any install. */
const program = 'node bin/kds-xacct.js';
const checkout = path.dirname(path.dirname(builtBin));

/** Every kds-xacct command on the screen, as a person copies it: a `quoted` one, or one set on lines of its own. */
function printedCommands(screen: { lines: string[]; logical: string[] }): string[] {
  const quoted = screen.logical.flatMap((line) => [...line.matchAll(/`(node bin\/kds-xacct\.js [^`]+)`/g)].map((match) => match[1]!));
  const apart = screen.lines.flatMap((line, i) => (line.startsWith(`  ${program} `) ? [printedCommand(screen.lines, i)] : []));
  return [...quoted, ...apart];
}

/** Without a terminal nothing is confirmed unasked: --yes is the one word a pasted command needs added. */
const unattended = (command: string) => (/^node \S+ (setup|teardown) /.test(command) ? `${command} --yes` : command);

describe.each([80, 130])('commands printed in a terminal of %i columns, run from the checkout as the README does', (cols) => {
  it("run when pasted: setup's Next lines, status's and teardown's hints", { timeout: 180_000 }, async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'kds-xacct-terminal-pasted-'));
    // A long state folder, which the hints must carry, makes them wider than 80 columns.
    const state = path.join(home, 'state-folder-with-a-long-name');
    const inTerminal = (...args: string[]) => runInTerminal(cols, [...args, '--sandbox', '--state-dir', state, '--sandbox-speed', '200'], undefined, home, { bin: 'bin/kds-xacct.js', cwd: checkout });
    const sh = userShell(checkout, { PATH: process.env.PATH, HOME: home, AWS_CONFIG_FILE: path.join(home, 'none'), AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none') });
    const paste = (command: string) => {
      const run = sh.run(unattended(command));
      expect(run.code, `${command}\n${run.out}`).toBe(ExitCode.Success);
      return run.out;
    };

    const setup = await inTerminal('setup', '--name', 'demo', '--yes');
    expect(setup.code, setup.screen).toBe(ExitCode.Success);
    expect(setup.wrapped, setup.screen).toEqual([]);
    const next = printedCommands(setup);
    expect(next.map((command) => command.split(' ')[2]), setup.screen).toEqual(['status', 'send-test-record', 'tail-logs'].slice(cols === 80 ? 0 : 1));
    for (const command of next.filter((c) => !c.includes(' tail-logs '))) expect(paste(command)).toMatch(/Verified: all 1 record|ARNs:/);
    const tailed = await sh.follow(next.find((c) => c.includes(' tail-logs '))!, 'Following /aws/lambda/demo-consumer');
    expect(tailed).not.toMatch(/: not found|Error:/);

    const status = await inTerminal('status', '--name', 'demo');
    expect(status.code, status.screen).toBe(ExitCode.Success);
    expect(status.wrapped, status.screen).toEqual([]);
    for (const command of printedCommands(status)) expect(paste(command)).toContain('arn:aws:kinesis:eu-west-1:111111111111:stream/demo-stream/consumer/');

    const teardown = await inTerminal('teardown', '--name', 'demo', '--yes', '--keep-key');
    expect(teardown.code, teardown.screen).toBe(ExitCode.Success);
    expect(teardown.wrapped, teardown.screen).toEqual([]);
    const afterwards = await inTerminal('status', '--name', 'demo');
    expect(afterwards.wrapped, afterwards.screen).toEqual([]);
    const hints = [...new Set([...printedCommands(teardown), ...printedCommands(afterwards)])];
    expect(hints.map((command) => command.split(' ')[2]).sort(), `${teardown.screen}\n${afterwards.screen}`).toEqual(['setup', 'teardown']);
    // The kept key's teardown first, then setting the deployment up again.
    expect(paste(hints.find((c) => c.includes(' teardown '))!)).toContain('Deployment "demo" is torn down.');
    expect(paste(hints.find((c) => c.includes(' setup '))!)).toContain('Deployment "demo" is set up.');
  });
});
