import { EventEmitter } from 'node:events';
import xterm from '@xterm/headless';
import { describe, expect, it } from 'vitest';
import { StepState, type EngineEvent } from '../../src/engine/types.js';
import { ExitCode } from '../../src/errors.js';
import { terminalKeyboard } from '../../src/render/keyboard.js';
import { createReporter } from '../../src/render/reporter.js';
import { formatDuration } from '../../src/engine/clock.js';
import { wrapAt, wrapWords, type OutputOptions } from '../../src/render/types.js';
import { Output } from '../support/command-harness.js';

const events: EngineEvent[] = [
  { type: 'step:started', stepId: 'stream', title: 'stream orders-stream', account: 'producer' },
  { type: 'step:checked', stepId: 'stream', result: 'missing' },
  { type: 'step:applied', stepId: 'stream', outputs: { streamArn: 'arn:aws:kinesis:eu-west-1:111111111111:stream/orders-stream' } },
  { type: 'step:waiting', stepId: 'stream', detail: 'stream is CREATING' },
  { type: 'step:done', stepId: 'stream', state: StepState.Created, elapsedMs: 21_300 },
  { type: 'step:failed', stepId: 'stream', phase: 'wait', error: Object.assign(new Error('Rate exceeded'), { name: 'LimitExceededException', $metadata: {} }), elapsedMs: 1200 },
];

function render(overrides: Partial<OutputOptions>) {
  const stdout = new Output();
  const stderr = new Output();
  return { stdout, stderr, reporter: createReporter({ stdout, stderr, isTTY: false, json: false, color: true, debug: false, ...overrides }) };
}

describe('renderers', () => {
  it('plain: one readable line per event worth a line, no ANSI codes', async () => {
    const { stdout, stderr, reporter } = render({});
    const r = await reporter;
    for (const e of events) r.event(e);
    r.error('it failed', 'do this');
    expect(stdout.lines).toEqual([
      '… stream orders-stream [producer]: stream is CREATING',
      '✔ stream orders-stream [producer]: created 21.3s',
      '✖ stream orders-stream [producer]: failed during wait after 1.2s: Rate exceeded',
    ]);
    expect(stderr.text).toBe('Error: it failed\ndo this\n');
    expect(stdout.text + stderr.text).not.toMatch(/\u001b\[/);
  });

  it("plain: a rollback's undone step is removed; a teardown's removal, titled by what it does, is done", async () => {
    const { stdout, reporter } = render({});
    const r = await reporter;
    r.event({ type: 'step:undoing', stepId: 'stream', title: 'stream orders-stream', account: 'producer' });
    r.event({ type: 'step:undone', stepId: 'stream', elapsedMs: 900 });
    r.event({ type: 'step:started', stepId: 'remove:kms-key', title: 'schedule deletion of KMS key alias/kds-xacct/orders', account: 'producer' });
    r.event({ type: 'step:undone', stepId: 'remove:kms-key', elapsedMs: 200 });
    expect(stdout.lines).toEqual([
      '↺ stream orders-stream [producer]: undoing',
      '↺ stream orders-stream [producer]: removed 900ms',
      '↺ schedule deletion of KMS key alias/kds-xacct/orders [producer]: done 200ms',
    ]);
  });

  it('plain is chosen for a terminal when colour is off (NO_COLOR or --no-color)', async () => {
    const { stdout, reporter } = render({ isTTY: true, color: false });
    (await reporter).event(events[4]!);
    expect(stdout.text).not.toMatch(/\u001b\[/);
    expect(stdout.lines).toHaveLength(1);
  });

  it('json: events and logs as JSON lines on stderr, only the result and the exit code on stdout, at close', async () => {
    const { stdout, stderr, reporter } = render({ json: true, debug: true });
    const r = await reporter;
    for (const e of events) r.event(e);
    r.info('hello');
    r.debug('request id abc');
    r.result({ ok: true });
    const lines = stderr.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.type)).toEqual(['step:started', 'step:checked', 'step:applied', 'step:waiting', 'step:done', 'step:failed', 'log', 'log']);
    expect(lines[5]).toMatchObject({ error: { message: 'Rate exceeded', code: 'LimitExceededException' } });
    expect(stdout.text).toBe('');
    r.close(ExitCode.Success);
    expect(stdout.lines).toHaveLength(1);
    expect(JSON.parse(stdout.text)).toEqual({ exitCode: 0, ok: true });
  });

  it('json: a result followed by a failure is one document, its error carrying the failed step and its AWS code', async () => {
    const { stdout, stderr, reporter } = render({ json: true });
    const r = await reporter;
    for (const e of events) r.event(e);
    r.result({ outcome: 'rolled-back' });
    r.error('stream failed.', 'Run `kds-xacct setup` again.');
    r.error('a consequence');
    r.close(ExitCode.Failed);
    // A second Ctrl-C may close the run while the command closes it too.
    r.close(ExitCode.Interrupted);
    expect(JSON.parse(stdout.text)).toEqual({
      exitCode: 1,
      outcome: 'rolled-back',
      error: { message: 'stream failed.', hint: 'Run `kds-xacct setup` again.', code: 'LimitExceededException', step: 'stream' },
    });
    expect(stderr.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 'error')).toHaveLength(2);
  });

  it('json: an error without a result is a document of its own, indented at a terminal', async () => {
    const { stdout, reporter } = render({ json: true, isTTY: true });
    const r = await reporter;
    r.error('Unknown option.', 'Run `kds-xacct --help`.', { code: 'ExpiredToken' });
    r.close(ExitCode.Usage);
    expect(stdout.text).toBe(JSON.stringify({ exitCode: 2, error: { message: 'Unknown option.', hint: 'Run `kds-xacct --help`.', code: 'ExpiredToken' } }, null, 2) + '\n');
  });

  it('formats durations for people', () => {
    expect([formatDuration(250), formatDuration(21_340), formatDuration(125_000)]).toEqual(['250ms', '21.3s', '2m05s']);
  });

  it('tty: each step in flight on its own lines, wrapped to the width, and the block erased by the lines it drew', async () => {
    const stdout = Object.assign(new Output(), { columns: 40, rows: 30 });
    const r = await createReporter({ stdout, stderr: new Output(), isTTY: true, json: false, color: true, debug: false });
    r.event({ type: 'step:started', stepId: 'a', title: 'stream orders-stream-with-a-long-name', account: 'producer' });
    r.event({ type: 'step:started', stepId: 'b', title: 'role', account: 'consumer' });
    r.event({ type: 'step:waiting', stepId: 'a', detail: 'stream is CREATING' });
    const drawn = stdout.text.slice(stdout.text.lastIndexOf('\u001b[J') + 3);
    // eslint-disable-next-line no-control-regex
    const visible = drawn.replace(/\u001b\[[0-9;]*m/g, '').split('\n').filter(Boolean);
    expect(visible).toHaveLength(3);
    expect(visible[0]).toMatch(/^\S stream orders-stream-with-a-long-name$/);
    expect(visible[1]).toMatch(/^ {2}\[producer\] – stream is CREATING \d+ms$/);
    expect(visible[2]).toMatch(/^\S role \[consumer\] \d+ms$/);
    for (const line of visible) expect([...line].length).toBeLessThan(40);
    r.event({ type: 'step:done', stepId: 'b', state: StepState.Created, elapsedMs: 1200 });
    expect(stdout.text).toContain('\u001b[3A\r\u001b[J');
    r.close(ExitCode.Success);
    expect(stdout.text.endsWith('\u001b[2A\r\u001b[J')).toBe(true);
  });

  it("tty: a step's live elapsed time runs on the run's clock (the sandbox's faster time), as its finished line does", async () => {
    const stdout = Object.assign(new Output(), { columns: 80, rows: 30 });
    let now = 1_000_000;
    const r = await createReporter({ stdout, stderr: new Output(), isTTY: true, json: false, color: true, debug: false, now: () => now });
    r.event({ type: 'step:started', stepId: 'a', title: 'stream orders-stream', account: 'producer' });
    now += 20_400;
    r.event({ type: 'step:waiting', stepId: 'a', detail: 'stream is CREATING' });
    // eslint-disable-next-line no-control-regex
    const drawn = stdout.text.slice(stdout.text.lastIndexOf('\u001b[J') + 3).replace(/\u001b\[[0-9;]*m/g, '');
    expect(drawn).toMatch(/stream is CREATING 20\.4s\n$/);
    r.close(ExitCode.Success);
  });

  it('tty: a finished line too wide wraps at a space and indents, so no name in it is cut', async () => {
    const stdout = Object.assign(new Output(), { columns: 50 });
    const r = await createReporter({ stdout, stderr: new Output(), isTTY: true, json: false, color: true, debug: false });
    r.event({ type: 'step:started', stepId: 'm', title: 'event source mapping demo-consumer ← demo-222222222222-efo', account: 'consumer' });
    r.event({ type: 'step:done', stepId: 'm', state: StepState.Created, elapsedMs: 36_400 });
    r.close(ExitCode.Success);
    // eslint-disable-next-line no-control-regex
    const lines = stdout.text.replace(/\u001b\[[0-9;]*[mAJ]|\r/g, '').split('\n').filter(Boolean);
    expect(lines.slice(lines.findIndex((line) => line.startsWith('✔')))).toEqual(['✔ event source mapping demo-consumer ←', '  demo-222222222222-efo [consumer]: created 36.4s']);
  });

  it('tty: a step in flight with a long detail continues on indented lines, every one within the terminal, and the block is erased whole', async () => {
    let output = '';
    const stdout = { columns: 80, rows: 20, write: (text: string) => (output += text) };
    let now = 0;
    const r = await createReporter({ stdout, stderr: new Output(), isTTY: true, json: false, color: true, debug: false, now: () => now });
    const detail = 'waiting for the grant: PROBLEM: KMSAccessDeniedException: User arn:aws:iam::222222222222:role/kds-xacct-orders-consumer is not authorized to decrypt records in stream arn:aws:kinesis:eu-west-1:111111111111:stream/orders-stream.';
    r.event({ type: 'step:started', stepId: 'esm', title: 'event source mapping orders-consumer ← orders-222222222222-efo', account: 'consumer' });
    now = 125_000;
    r.event({ type: 'step:waiting', stepId: 'esm', detail });
    const terminal = new xterm.Terminal({ cols: 80, rows: 20, allowProposedApi: true });
    const screen = async () => {
      await new Promise<void>((resolve) => terminal.write(output.replace(/\n/g, '\r\n'), resolve));
      output = '';
      const buffer = terminal.buffer.active;
      return Array.from({ length: buffer.length }, (_, i) => buffer.getLine(i)!).filter((line) => line.translateToString(true) !== '');
    };
    const live = await screen();
    expect(live.some((line) => line.isWrapped)).toBe(false);
    const text = live.map((line) => line.translateToString(true));
    expect(text.slice(1).every((line) => line.startsWith('  '))).toBe(true);
    expect(text.join(' ').replace(/\s+/g, ' ')).toContain(`– ${detail} 2m05s`);
    r.event({ type: 'step:done', stepId: 'esm', state: StepState.Created, elapsedMs: 130_000 });
    r.close(ExitCode.Success);
    expect((await screen()).map((line) => line.translateToString(true))).toEqual([
      '✔ event source mapping orders-consumer ← orders-222222222222-efo [consumer]:',
      '  created 2m10s',
    ]);
  });

  it('wrapAt breaks at spaces with a hanging indent, and breaks only a word wider than the line', () => {
    expect(wrapAt('stream policy: read access for role kds-xacct-orders-consumer', 32, '  ')).toEqual(['stream policy: read access for', '  role kds-xacct-orders-consumer']);
    expect(wrapAt('key arn:aws:kms:eu-west-1:111111111111:key/abc', 20, '  ')).toEqual(['key', '  arn:aws:kms:eu-wes', '  t-1:111111111111:k', '  ey/abc']);
  });

  it('wraps prose at spaces, a plan line under its title column, and a command with shell continuations', () => {
    expect(wrapWords('one two three four', 9)).toBe('one two\nthree\nfour');
    expect(wrapWords('  create   consumer policy statement', 24)).toBe('  create   consumer\n           policy\n           statement');
    expect(wrapWords('  already done  stream policy statement KdsXacctDemo', 34)).toBe('  already done  stream policy\n                statement\n                KdsXacctDemo');
    expect(wrapWords('  adopt (kept on teardown)  stream clickstream (encrypted with its own key)', 60)).toBe(
      '  adopt (kept on teardown)  stream clickstream (encrypted\n                            with its own key)',
    );
    expect(wrapWords('  kds-xacct tail-logs --name demo --sandbox', 30)).toBe('  kds-xacct tail-logs --name \\\n    demo --sandbox');
  });

  it('never breaks inside a backtick span, and sets a span wider than the line apart as a command that runs when pasted', () => {
    expect(wrapWords('Run `kds-xacct status --name orders` to see it.', 30)).toBe('Run\n  kds-xacct status --name \\\n    orders\nto see it.');
    // The sentence's comma goes with the backticks; the rest of it carries on under the command.
    expect(wrapWords('Full ARNs: `node bin/kds-xacct.js status --name demo --arns`, or --json.', 40)).toBe(
      'Full ARNs:\n  node bin/kds-xacct.js status --name \\\n    demo --arns\nor --json.',
    );
    // A backslash inside a comment continues nothing: the comment stays whole, on a line of its own if need be.
    expect(wrapWords('restored with `aws kms cancel-key-deletion --key-id k1 --region eu-west-1 # on AWS, not the sandbox`;', 44)).toBe(
      'restored with\n  aws kms cancel-key-deletion --key-id k1 \\\n    --region eu-west-1 \\\n    # on AWS, not the sandbox',
    );
    expect(wrapWords('Run `kds-xacct status` now, then `kds-xacct teardown --yes`.', 24)).toBe('Run `kds-xacct status`\nnow, then\n  kds-xacct teardown \\\n    --yes');
  });

  it('tty: an error and its hint are wrapped to the terminal, the words in one colour after a red "Error:"', async () => {
    const stderr = new Output();
    const stdout = Object.assign(new Output(), { columns: 40 });
    const r = await createReporter({ stdout, stderr, isTTY: true, json: false, color: true, debug: false });
    r.error('The stream orders-stream is encrypted with the AWS managed key.', 'Run `kds-xacct setup --name orders` again to use a key of your own.');
    // eslint-disable-next-line no-control-regex
    const visible = stderr.text.replace(/\u001b\[[0-9;]*m/g, '').split('\n').filter(Boolean);
    expect(visible).toEqual([
      'Error: The stream orders-stream is',
      'encrypted with the AWS managed key.',
      'Run `kds-xacct setup --name orders`',
      'again to use a key of your own.',
    ]);
    expect(stderr.text.startsWith('\u001b[31m\u001b[1mError:\u001b[22m\u001b[39m The stream')).toBe(true);
  });

  it('tty: holds the keyboard while steps are in flight, so a key pressed then leaves no stale line, and passes Ctrl-C on', async () => {
    // A cooked terminal echoes what is typed where the cursor is; a raw one hands the keys to the program.
    let output = '';
    const input = Object.assign(new EventEmitter(), { raw: false, setRawMode: (raw: boolean) => (input.raw = raw), resume() {}, pause() {} });
    const type = (keys: string) => (input.raw ? input.emit('data', Buffer.from(keys)) : (output += keys.replace(/\r/g, '\r\n')));
    let interrupts = 0;
    const stdout = { columns: 60, rows: 20, write: (text: string) => (output += text) };
    const r = await createReporter({ stdout, stderr: new Output(), keyboard: terminalKeyboard(input, () => interrupts++), isTTY: true, json: false, color: true, debug: false });
    r.event({ type: 'step:started', stepId: 'stream', title: 'stream orders-stream', account: 'producer' });
    r.event({ type: 'step:waiting', stepId: 'stream', detail: 'stream is CREATING' });
    type('x\r');
    type('\x03');
    r.event({ type: 'step:done', stepId: 'stream', state: StepState.Created, elapsedMs: 21_300 });
    expect(input.raw).toBe(false);
    r.close(ExitCode.Interrupted);
    expect(interrupts).toBe(1);
    const terminal = new xterm.Terminal({ cols: 60, rows: 20, allowProposedApi: true });
    await new Promise<void>((resolve) => terminal.write(output.replace(/\n/g, '\r\n'), resolve));
    const buffer = terminal.buffer.active;
    const screen = Array.from({ length: buffer.length }, (_, i) => buffer.getLine(i)!.translateToString(true)).filter(Boolean);
    expect(screen).toEqual(['✔ stream orders-stream [producer]: created 21.3s']);
  });
});
