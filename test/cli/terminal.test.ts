import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import xterm from '@xterm/headless';
import { describe, expect, it } from 'vitest';
import type { DeploymentState } from '../../src/deployment/store.js';
import { ExitCode } from '../../src/errors.js';
import { SANDBOX_PROFILES } from '../../src/sandbox/environment.js';
import { Sandbox } from '../../src/sandbox/sandbox.js';

const bin = path.resolve(import.meta.dirname, '../../bin/kds-xacct.js');
const noNetwork = path.resolve(import.meta.dirname, 'no-network.mjs');

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

/** What a test does at the keyboard of the terminal. */
interface Keyboard {
  /** Resolves once the screen shows `text`: a person reads the question before answering it. */
  waitFor(text: string): Promise<void>;
  /** Keys as the terminal sends them: typed text, `\r` for Enter, `\x1b[B` for the down arrow, `\x03` for Ctrl-C. */
  press(keys: string): void;
  /** The screen as it is now. */
  screen(): string;
}

/** How long a question may take to appear: generous, since the sandbox answers the wizard's reads from a file. */
const QUESTION_TIMEOUT_MS = 15_000;

/**
 * Runs the built binary on a pseudo-terminal of `cols` columns (util-linux `script`; `stty` sets the
 * window size the program reads) and plays what it wrote into a terminal emulator of the same size.
 * `script` passes its stdin to the pseudo-terminal, so `type` answers the program's questions. `home` is
 * the working folder and HOME: another run's, to carry on from what it left.
 */
async function runInTerminal(cols: number, args: string[], type?: (keyboard: Keyboard) => Promise<void>, home = mkdtempSync(path.join(tmpdir(), 'kds-xacct-terminal-'))) {
  const terminal = new xterm.Terminal({ cols, rows: 50, scrollback: 5000, allowProposedApi: true });
  // Paths travel in the environment, so the shell command needs no quoting of them.
  const command = `stty cols ${cols} rows 50 && exec "$NODE" --import "$NO_NETWORK" "$BIN" ${args.join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: home,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: {
      PATH: process.env.PATH,
      HOME: home,
      SHELL: '/bin/sh',
      TERM: 'xterm-256color',
      AWS_CONFIG_FILE: path.join(home, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none'),
      NODE: process.execPath,
      NO_NETWORK: noNetwork,
      BIN: bin,
    },
  });
  const rows = () => {
    const buffer = terminal.buffer.active;
    return Array.from({ length: buffer.length }, (_, i) => buffer.getLine(i)!);
  };
  const screen = () => rows().map((row) => row.translateToString(true)).join('\n');
  // Each waiter looks at the screen again whenever the emulator has taken in more output.
  const waiters = new Set<() => boolean>();
  const written: Promise<void>[] = [];
  child.stdout.on('data', (chunk: Buffer) =>
    written.push(
      new Promise((resolve) =>
        terminal.write(chunk, () => {
          for (const waiter of waiters) waiter();
          resolve();
        }),
      ),
    ),
  );
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve)).then(async (code) => {
    await Promise.all(written);
    return code;
  });
  const waitFor = (text: string) =>
    new Promise<void>((resolve, reject) => {
      // Settles once: the first of shown, timed out and ended.
      const stop = (error?: Error) => {
        if (!waiters.delete(shown)) return;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      const shown = () => {
        if (!screen().includes(text)) return false;
        stop();
        return true;
      };
      const missing = (when: string) => () => stop(new Error(`"${text}" did not appear on the screen ${when}:\n${screen()}`));
      const timer = setTimeout(missing(`within ${QUESTION_TIMEOUT_MS} ms`), QUESTION_TIMEOUT_MS);
      waiters.add(shown);
      if (!shown()) void closed.then(() => shown() || missing('before the program ended')());
    });
  try {
    await type?.({ waitFor, press: (keys) => child.stdin.write(keys), screen });
  } catch (error) {
    // A question that never came: the program may be waiting for another one, so end it.
    child.kill();
    throw error;
  }
  const code = await closed;
  const final = rows();
  const lines = final.map((row) => row.translateToString(true));
  return { code, home, lines, wrapped: final.flatMap((row, i) => (row.isWrapped ? [lines[i - 1]] : [])), screen: lines.join('\n') };
}

/** A finished step as a person reads it: its line, and the indented lines it continues on, as one line. */
function finishedSteps(lines: string[]): string[] {
  return lines.flatMap((line, i) => {
    if (!line.startsWith('✔ ')) return [];
    const rest = lines.slice(i + 1);
    const end = rest.findIndex((next) => !/^ {2}\S/.test(next));
    return [[line, ...rest.slice(0, end)].map((part) => part.trim()).join(' ')];
  });
}

describe.each([80, 130])('setup in a terminal of %i columns, as a person sees it', (cols) => {
  it('shows every step finished exactly once with its result, nothing wrapped by the terminal or cut, and the resources by name', { timeout: 20_000 }, async () => {
    const { code, lines, wrapped, screen } = await runInTerminal(cols, ['setup', '--sandbox', '--name', 'demo', '--yes', '--sandbox-speed', '100']);
    expect(code, screen).toBe(ExitCode.Success);
    // The banner is one line, and the old banner's indented lines are gone.
    expect(lines[0], screen).toBe("SANDBOX: simulated accounts, nothing reaches AWS; AWS's waits 100x shorter");
    expect(lines[1], screen).not.toMatch(/^ {2}\S/);
    const finished = finishedSteps(lines);
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
      expect(screen.replace(/\s+/g, ' ')).toMatch(/Full ARNs: `[^`]* status --name demo --sandbox --arns`, or --json\./);
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

describe('the help of every command in a terminal of 80 columns', () => {
  it.each([[], ['setup'], ['teardown'], ['send-test-record'], ['tail-logs'], ['status'], ['sandbox', 'reset']])('%s --help fits: no line wider than the terminal, no word split', { timeout: 20_000 }, async (...command) => {
    const { code, lines, wrapped, screen } = await runInTerminal(80, [...command, '--help']);
    expect(code, screen).toBe(ExitCode.Success);
    expect(screen).toContain('Usage: kds-xacct');
    expect(wrapped, screen).toEqual([]);
    expect(lines.filter((line) => line.length > 80)).toEqual([]);
    // A line that continues a command ends in a backslash, so the example still runs when pasted.
    const examples = lines.slice(lines.indexOf('Examples:') + 1).filter((line) => line.startsWith('  $ ') || line.startsWith('      '));
    for (const [i, line] of examples.entries()) if (examples[i + 1]?.startsWith('      ')) expect(line, screen).toMatch(/ \\$/);
  });
});

const ENTER = '\r';
const DOWN = '\x1b[B';
const CTRL_C = '\x03';
const BACKSPACE = '\x7f';

/** Answers each question, in order, once it is on the screen; a `> ` line is a validation message to answer. */
function answer(dialogue: Array<[question: string, keys: string]>, seen: string[] = []) {
  return async ({ waitFor, press, screen }: Keyboard) => {
    for (const [question, keys] of dialogue) {
      // At the start of a line, as the screen's lines are joined.
      await waitFor(question.startsWith('> ') ? `\n${question}` : `? ${question}`);
      seen.push(screen());
      press(keys);
    }
  };
}

/** Where `--sandbox` keeps its deployments' state files and the simulated accounts. */
const sandboxDir = (home: string) => path.join(home, '.kds-xacct', 'sandbox');

/** The simulated accounts' resources, as the sandbox file in `dir` holds them (a fresh sandbox if there is none). */
function sandboxResources(dir: string) {
  const sandbox = new Sandbox({ file: path.join(dir, 'accounts.sandbox'), accounts: Object.values(SANDBOX_PROFILES).map((p) => p.accountId) });
  return sandbox.transaction(async (cloud) => cloud.snapshot());
}

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
