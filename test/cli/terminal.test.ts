import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeploymentState } from '../../src/deployment/store.js';
import { ExitCode } from '../../src/errors.js';
import { answer, BACKSPACE, CTRL_C, DOWN, ENTER, finishedLines, runInTerminal, sandboxDir, sandboxResources } from '../support/terminal.js';

/** Every step a new deployment runs, as its finished line starts. */
const steps = [
  'KMS key alias/kds-xacct/demo [producer]',
  'stream demo-stream [producer]',
  'SSE-KMS encryption of demo-stream [producer]',
  'EFO consumer demo-222222222222-efo [producer]',
  'stream policy: read access for role kds-xacct-demo-consumer [producer]',
  'consumer policy: read access for role kds-xacct-demo-consumer [producer]',
  'KMS grant kds-xacct-demo-222222222222 [producer]',
  'role kds-xacct-demo-consumer [consumer]',
  'inline policy kds-xacct-demo [consumer]',
  'log group /aws/lambda/demo-consumer [consumer]',
  'failure queue demo-failed-batches [consumer]',
  'function demo-consumer [consumer]',
  'event source mapping demo-consumer ← demo-222222222222-efo [consumer]',
];

describe.each([80, 130])('setup in a terminal of %i columns, as a person sees it', (cols) => {
  it('shows every step finished exactly once with its result, nothing wrapped by the terminal or cut, and the resources by name', { timeout: 20_000 }, async () => {
    const { code, lines, wrapped, screen } = await runInTerminal(cols, ['setup', '--sandbox', '--name', 'demo', '--yes', '--sandbox-speed', '100']);
    expect(code, screen).toBe(ExitCode.Success);
    // The banner is one line, and the old banner's indented lines are gone.
    expect(lines[0], screen).toBe("SANDBOX: simulated accounts, nothing reaches AWS; AWS's waits 100x shorter");
    expect(lines[1], screen).not.toMatch(/^ {2}\S/);
    const finished = finishedLines(lines);
    expect(finished, screen).toHaveLength(steps.length);
    for (const step of steps) expect(finished.filter((line) => line.startsWith(`✔ ${step}`)), `${step}\n${screen}`).toHaveLength(1);
    for (const line of finished) expect(line).toMatch(/: created \d+(ms|\.\ds)$/);
    // The live block of steps in flight is gone once the run is over.
    expect(lines.filter((line) => /^[\u2800-\u28ff] /.test(line)), screen).toEqual([]);
    expect(wrapped, screen).toEqual([]);
    const plan = lines.findIndex((line) => line.startsWith('Plan for deployment'));
    expect(lines.slice(plan).filter((line) => line.includes('…')), screen).toEqual([]);

    const producer = lines.indexOf('Producer account 111111111111 (eu-west-1):', plan + steps.length);
    expect(lines.slice(producer, producer + 4), screen).toEqual([
      'Producer account 111111111111 (eu-west-1):',
      '  origin   resource',
      '  created  KMS key alias/kds-xacct/demo',
      '  created  stream demo-stream',
    ]);
    expect(lines, screen).toContain('  created  event source mapping demo-consumer ← demo-222222222222-efo');
    const streamArn = '  arn:aws:kinesis:eu-west-1:111111111111:stream/demo-stream';
    if (cols === 130) expect(lines.slice(lines.indexOf('ARNs:')), screen).toContain(streamArn);
    else {
      expect(lines, screen).not.toContain('ARNs:');
      // Quoted in the sentence, or on lines of its own where the checkout's path makes it too wide.
      expect(screen.replace(/ \\\n/g, ' ').replace(/\s+/g, ' ')).toMatch(/Full ARNs: (`[^`]* status --name demo --sandbox --arns`,|node \S+ status --name demo --sandbox --arns) or --json\./);
    }
  });
});

describe.each([80, 130])('send-test-record --verify in a terminal of %i columns', (cols) => {
  it('shows that it waits, with the time so far on a live line, gone once the record has arrived', { timeout: 30_000 }, async () => {
    const setup = await runInTerminal(cols, ['setup', '--sandbox', '--name', 'demo', '--yes', '--sandbox-speed', '100']);
    expect(setup.code, setup.screen).toBe(ExitCode.Success);
    let live = '';
    const { code, lines, wrapped, screen } = await runInTerminal(cols, ['send-test-record', '--sandbox', '--name', 'demo', '--verify', '--sandbox-speed', '100'], async ({ waitFor, screen: now }) => {
      await waitFor('Waiting for the record in /aws/lambda/demo-consumer (up to 2m00s)…');
      live = now();
    }, setup.home);
    expect(code, screen).toBe(ExitCode.Success);
    expect(live.split('\n'), live).toContainEqual(expect.stringMatching(/^[\u2800-\u28ff] Waiting for the record in \/aws\/lambda\/demo-consumer \(up to 2m00s\)… \d+(ms|\.\ds|m\d\ds)$/));
    expect(lines.filter((line) => /^[\u2800-\u28ff] /.test(line) || line.includes('Waiting for')), screen).toEqual([]);
    expect(lines, screen).toContain('Verified: all 1 record(s) reached the consumer function.');
    expect(wrapped, screen).toEqual([]);
  });
});

describe.each([80, 130])('the help of every command in a terminal of %i columns', (cols) => {
  it.each([[], ['setup'], ['teardown'], ['send-test-record'], ['tail-logs'], ['status'], ['sandbox', 'reset']])('%s --help fits: no line wider than the terminal, no word split', { timeout: 20_000 }, async (...command) => {
    const { code, lines, wrapped, screen } = await runInTerminal(cols, [...command, '--help']);
    expect(code, screen).toBe(ExitCode.Success);
    expect(screen).toContain('Usage: kds-xacct');
    expect(wrapped, screen).toEqual([]);
    expect(lines.filter((line) => line.length > cols)).toEqual([]);
    // A line that continues a command ends in a backslash, so the example still runs when pasted.
    const examples = lines.slice(lines.indexOf('Examples:') + 1).filter((line) => line.startsWith('  $ ') || line.startsWith('      '));
    for (const [i, line] of examples.entries()) if (examples[i + 1]?.startsWith('      ')) expect(line, screen).toMatch(/ \\$/);
  });
});

describe('the setup wizard in a terminal of 80 columns, answered at the keyboard', () => {
  // Under --sandbox the profiles and the region are the sandbox's own, so the wizard starts at the name; its
  // empty accounts leave "create new" as the only stream and function, which are then not asked about.
  const customised: Array<[question: string, keys: string]> = [
    ['Deployment name', `demo${ENTER}`],
    ['Customise names, capacity and mapping settings?', `y${ENTER}`],
    ['New stream name:', ENTER],
    ['Capacity mode:', DOWN + ENTER],
    ['Shard count:', `2${ENTER}`],
    ['Function name:', ENTER],
    ['Runtime:', DOWN + ENTER],
    ["Days to keep the function's logs", `7${ENTER}`],
    ['EFO consumer name:', ENTER],
    ['Batch size:', `abc${ENTER}`],
    ['> The batch size "abc" is not a whole number.', `${BACKSPACE.repeat(3)}50${ENTER}`],
    ['Starting position:', ENTER],
    ['Maximum retry attempts:', ENTER],
    ['Maximum record age', ENTER],
    ['Where should the mapping report', ENTER],
    ['Apply 13 change(s) in accounts 111111111111 and 222222222222?', `y${ENTER}`],
  ];

  it('asks its questions in order, takes arrow keys and typed answers, and sets the pipeline up', { timeout: 90_000 }, async () => {
    const seen: string[] = [];
    const { code, home, lines, screen } = await runInTerminal(80, ['setup', '--sandbox', '--sandbox-speed', '100'], answer(customised, seen));
    expect(code, screen).toBe(ExitCode.Success);
    // A validation message wraps at a space, with no line of it starting with one.
    const invalid = seen[customised.findIndex(([question]) => question.startsWith('> '))]!.split('\n');
    const message = invalid.slice(invalid.findIndex((line) => line.startsWith('> The batch size')));
    expect(message.slice(0, 2), invalid.join('\n')).toEqual(['> The batch size "abc" is not a whole number. Use a whole number from 1 to', '10000 (the Kinesis event source limit).']);
    const questions = customised.filter(([question]) => !question.startsWith('> '));
    const answered = questions.map(([question]) => lines.findIndex((line) => line.startsWith(`✔ ${question}`)));
    expect(answered.every((row, i) => row > (answered[i - 1] ?? -1)), screen).toBe(true);
    expect(lines.slice(answered[0]! + 1, answered[1])).toEqual([
      'Stream: new, demo-stream (the producer account has none yet).',
      'Consumer function: bundled, demo-consumer (the consumer account has none yet).',
    ]);
    // The answer as chosen, not the choice's description.
    expect(lines[answered[3]!]).toBe('✔ Capacity mode: Provisioned');
    expect(lines[answered[6]!]).toBe('✔ Runtime: nodejs24.x');
    expect(lines[answered[10]!]).toBe('✔ Starting position: Automatic');
    // The plan that the last question confirms shows the values chosen.
    expect(lines).toContain('  create  stream demo-stream (provisioned, 2 shard(s))');
    expect(lines).toContain('  create  log group /aws/lambda/demo-consumer (logs kept 7 days)');
    // The mapping's line wraps at 80 columns at a space, under its title.
    expect(screen).toContain('  create  event source mapping demo-consumer ← demo-222222222222-efo (batch\n          size 50)');
    expect(screen).toContain('Deployment "demo" is set up.');
    const state = JSON.parse(readFileSync(path.join(sandboxDir(home), 'demo.json'), 'utf8')) as DeploymentState;
    expect(state.inputs).toMatchObject({ streamName: 'demo-stream', capacityMode: 'provisioned', shards: 2, runtime: 'nodejs24.x', logRetentionDays: 7, batchSize: 50 });
    expect(Object.values(state.steps).every((step) => step.origin === 'created')).toBe(true);
  });

  it('stops at Ctrl-C during a question with exit 130, says nothing was changed, and leaves both accounts as they were', { timeout: 60_000 }, async () => {
    const { code, home, lines, screen } = await runInTerminal(80, ['setup', '--sandbox'], answer([['Deployment name', `demo${ENTER}`], ['Customise names', CTRL_C]]));
    expect(code, screen).toBe(ExitCode.Interrupted);
    expect(lines.filter((line) => line.startsWith('Error: ')), screen).toEqual([]);
    expect(lines, screen).toContain('Cancelled at a prompt. Nothing was changed.');
    expect(screen).not.toMatch(/ExitPromptError|^\s+at /m);
    // Not even a folder: the wizard's reads of an unused sandbox leave nothing behind.
    expect(readdirSync(home)).toEqual([]);
    expect(await sandboxResources(sandboxDir(home))).toEqual(await sandboxResources(mkdtempSync(path.join(tmpdir(), 'kds-xacct-fresh-'))));
  });
});

describe('keys pressed while setup runs, in a terminal of 80 columns', () => {
  it('echo nothing that would leave a stale line of the steps in flight, and Ctrl-C still stops the run', { timeout: 60_000 }, async () => {
    const { code, lines, screen } = await runInTerminal(80, ['setup', '--sandbox', '--name', 'demo', '--yes', '--sandbox-speed', '20'], async ({ waitFor, press }) => {
      await waitFor('stream is CREATING');
      // A cooked terminal would echo the new line under the live block, which then erases one line short.
      press(`x${ENTER}`);
      press(CTRL_C);
    });
    expect(code, screen).toBe(ExitCode.Interrupted);
    expect(lines.filter((line) => /^[\u2800-\u28ff] /.test(line)), screen).toEqual([]);
    for (const mark of ['✔', '↺']) {
      const shown = lines.filter((line) => line.startsWith(`${mark} `)).map((line) => line.slice(0, line.indexOf(':')));
      expect(shown.length, screen).toBeGreaterThan(0);
      expect(new Set(shown).size, screen).toBe(shown.length);
    }
    expect(lines.filter((line) => line.startsWith('Error: ')), screen).toEqual(['Error: Interrupted. What this run created was rolled back.']);
  });
});

describe.each([80, 130])('sandbox reset in a terminal of %i columns', (cols) => {
  it('says what it will discard and asks, defaulting to No; a No changes nothing', { timeout: 30_000 }, async () => {
    const { code, lines, screen } = await runInTerminal(cols, ['sandbox', 'reset'], answer([['Reset the sandbox?', ENTER]]));
    expect(code, screen).toBe(ExitCode.Success);
    // Wrapped at 80 columns, at a space.
    expect(screen.replace(/\n/g, ' ')).toContain("Reset empties the sandbox's accounts and forgets no deployments. Real AWS accounts and real deployments are not touched.");
    expect(lines.some((line) => line.startsWith('✔ Reset the sandbox? No')), screen).toBe(true);
    expect(lines).toContain('Nothing was changed.');
  });
});
