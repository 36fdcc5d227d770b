import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import xterm from '@xterm/headless';
import { describe, expect, it } from 'vitest';
import type { DeploymentState } from '../../src/engine/state.js';
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
  'stream policy statem',
  'consumer policy stat',
  'KMS grant kds-xacct-demo-222222222222 [producer]',
  'role kds-xacct-demo-consumer [consumer]',
  'inline policy kds-xacct-demo [consumer]',
  'log group /aws/lambda/demo-consumer [consumer]',
  'failure queue demo-failed-batches [consumer]',
  'function demo-consumer [consumer]',
  'event source mapping',
];

/** What a test does at the keyboard of the terminal. */
interface Keyboard {
  /** Resolves once the screen shows `text`: a person reads the question before answering it. */
  waitFor(text: string): Promise<void>;
  /** Keys as the terminal sends them: typed text, `\r` for Enter, `\x1b[B` for the down arrow, `\x03` for Ctrl-C. */
  press(keys: string): void;
}

/** How long a question may take to appear: generous, since the sandbox answers the wizard's reads from a file. */
const QUESTION_TIMEOUT_MS = 15_000;

/**
 * Runs the built binary on a pseudo-terminal of `cols` columns (util-linux `script`; `stty` sets the
 * window size the program reads) and plays what it wrote into a terminal emulator of the same size.
 * `script` passes its stdin to the pseudo-terminal, so `type` answers the program's questions.
 */
async function runInTerminal(cols: number, args: string[], type?: (keyboard: Keyboard) => Promise<void>) {
  const home = mkdtempSync(path.join(tmpdir(), 'kds-xacct-terminal-'));
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
    await type?.({ waitFor, press: (keys) => child.stdin.write(keys) });
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

describe.each([80, 130])('setup in a terminal of %i columns, as a person sees it', (cols) => {
  it('shows every step finished exactly once with its result, nothing wrapped, and a table that fits', { timeout: 20_000 }, async () => {
    const { code, lines, wrapped, screen } = await runInTerminal(cols, ['setup', '--sandbox', '--name', 'demo', '--yes', '--sandbox-speed', '100']);
    expect(code, screen).toBe(ExitCode.Success);
    const finished = lines.filter((line) => line.startsWith('✔ '));
    expect(finished, screen).toHaveLength(steps.length);
    for (const step of steps) expect(finished.filter((line) => line.startsWith(`✔ ${step}`)), `${step}\n${screen}`).toHaveLength(1);
    for (const line of finished) expect(line).toMatch(/: created \d+(ms|\.\ds)$/);
    // The live block of steps in flight is gone once the run is over.
    expect(lines.filter((line) => /^[\u2800-\u28ff] /.test(line)), screen).toEqual([]);
    expect(wrapped, screen).toEqual([]);

    const header = lines.findIndex((line) => line.startsWith('account   resource'));
    const table = lines.slice(header + 2, header + 2 + steps.length);
    expect(table.every((row) => /^(producer|consumer) {2}/.test(row)), screen).toBe(true);
    expect(table.some((row) => row.includes('…'))).toBe(true);
    if (cols === 130) expect(screen).toContain('arn:aws:kinesis:eu-west-1:111111111111:stream/demo-stream\n');
  });
});

const ENTER = '\r';
const DOWN = '\x1b[B';
const CTRL_C = '\x03';

/** Answers each question, in order, once it is on the screen. */
function answer(dialogue: Array<[question: string, keys: string]>) {
  return async ({ waitFor, press }: Keyboard) => {
    for (const [question, keys] of dialogue) {
      await waitFor(`? ${question}`);
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
    ['Batch size:', `50${ENTER}`],
    ['Starting position:', ENTER],
    ['Maximum retry attempts:', ENTER],
    ['Maximum record age', ENTER],
    ['Where should the mapping report', ENTER],
    ['Apply 13 change(s) in accounts 111111111111 and 222222222222?', `y${ENTER}`],
  ];

  it('asks its questions in order, takes arrow keys and typed answers, and sets the pipeline up', { timeout: 90_000 }, async () => {
    const { code, home, lines, screen } = await runInTerminal(80, ['setup', '--sandbox', '--sandbox-speed', '100'], answer(customised));
    expect(code, screen).toBe(ExitCode.Success);
    const answered = customised.map(([question]) => lines.findIndex((line) => line.startsWith(`✔ ${question}`)));
    expect(answered.every((row, i) => row > (answered[i - 1] ?? -1)), screen).toBe(true);
    expect(lines.slice(answered[0]! + 1, answered[1])).toEqual([
      'Stream: new, demo-stream (the producer account has none yet).',
      'Consumer function: bundled, demo-consumer (the consumer account has none yet).',
    ]);
    expect(lines[answered[3]!]).toBe('✔ Capacity mode: Provisioned (fixed shards, billed per shard hour)');
    expect(lines[answered[6]!]).toBe('✔ Runtime: nodejs24.x');
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
    expect(lines.filter((line) => line.startsWith('Error: ')), screen).toEqual(['Error: Cancelled at a prompt. Nothing was changed.']);
    expect(screen).not.toMatch(/ExitPromptError|^\s+at /m);
    expect(readdirSync(sandboxDir(home)).filter((file) => file.endsWith('.json'))).toEqual([]);
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
