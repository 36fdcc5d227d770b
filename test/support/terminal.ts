import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import xterm from '@xterm/headless';
import { SANDBOX_PROFILES } from '../../src/sandbox/environment.js';
import { Sandbox } from '../../src/sandbox/sandbox.js';

/** The built binary, as the package's `bin` starts it. */
export const builtBin = path.resolve(import.meta.dirname, '../../bin/kds-xacct.js');
const noNetwork = path.resolve(import.meta.dirname, '../cli/no-network.mjs');

export interface TerminalOptions {
  /** Another copy of bin/kds-xacct.js, such as a checkout's before it is built. */
  bin?: string;
  /** More environment, such as an AWS_CONFIG_FILE with profiles in it. */
  env?: Record<string, string>;
  /** The working folder, when it is not `home`: a checkout, to start the program as `node bin/kds-xacct.js`. */
  cwd?: string;
}

/** What a test does at the keyboard of the terminal. */
export interface Keyboard {
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
 * HOME, and the working folder unless `cwd` says another: another run's, to carry on from what it left.
 */
export async function runInTerminal(
  cols: number,
  args: string[],
  type?: (keyboard: Keyboard) => Promise<void>,
  home = mkdtempSync(path.join(tmpdir(), 'kds-xacct-terminal-')),
  { bin = builtBin, env = {}, cwd = home }: TerminalOptions = {},
) {
  const terminal = new xterm.Terminal({ cols, rows: 50, scrollback: 5000, allowProposedApi: true });
  // Paths travel in the environment, so the shell command needs no quoting of them.
  const command = `stty cols ${cols} rows 50 && exec "$NODE" --import "$NO_NETWORK" "$BIN" ${args.join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd,
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
      ...env,
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
  // A row the terminal wrapped continues the one above: a person who copies the line gets both as one.
  const logical = lines.reduce<string[]>((joined, line, i) => (final[i]!.isWrapped ? [...joined.slice(0, -1), joined.at(-1)! + line] : [...joined, line]), []);
  return { code, home, lines, logical, wrapped: final.flatMap((row, i) => (row.isWrapped ? [lines[i - 1]] : [])), screen: lines.join('\n') };
}

export const ENTER = '\r';
export const DOWN = '\x1b[B';
export const CTRL_C = '\x03';
export const BACKSPACE = '\x7f';
export const ESCAPE = '\x1b';

/** Answers each question, in order, once it is on the screen; a `> ` line is a validation message to answer. */
export function answer(dialogue: Array<[question: string, keys: string]>, seen: string[] = []) {
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
export const sandboxDir = (home: string) => path.join(home, '.kds-xacct', 'sandbox');

/** The simulated accounts' resources, as the sandbox file in `dir` holds them (a fresh sandbox if there is none). */
export function sandboxResources(dir: string) {
  const sandbox = new Sandbox({ file: path.join(dir, 'accounts.sandbox'), accounts: Object.values(SANDBOX_PROFILES).map((p) => p.accountId) });
  return sandbox.transaction(async (cloud) => cloud.snapshot());
}

/** A command printed on lines of its own, from row `start` on: its rows joined where each ends in a shell continuation. */
export function printedCommand(lines: string[], start: number): string {
  const rows = [lines[start]!];
  while (rows.at(-1)!.endsWith(' \\')) rows.push(lines[start + rows.length]!);
  return rows.map((row, i) => (i === 0 ? row.trim() : row.trimStart())).join('\n');
}

/** The lines of finished (`✔`) or undone (`↺`) steps as a person reads them: each with the indented lines it continues on, as one line. */
export function finishedLines(lines: string[], mark: '✔' | '↺' = '✔'): string[] {
  return lines.flatMap((line, i) => {
    if (!line.startsWith(`${mark} `)) return [];
    const rest = lines.slice(i + 1);
    const end = rest.findIndex((next) => !/^ {2}\S/.test(next));
    return [[line, ...rest.slice(0, end)].map((part) => part.trim()).join(' ')];
  });
}
