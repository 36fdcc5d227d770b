/** What every renderer shares: the Reporter interface, output options and formatting. The factory lives in reporter.ts. */
import type { EngineEvent } from '../engine/types.js';
import type { ExitCode } from '../errors.js';

/** What a machine reading `--json` can act on besides the words: the AWS error code, and the step that failed. */
export interface ErrorDetails {
  code?: string;
  step?: string;
}

/** Where a command's output goes. Only the renderers know about colours, spinners and JSON. */
export interface Reporter {
  /** Step progress from the engine. */
  event(event: EngineEvent): void;
  /** Human text: a plan, a summary, a next step. On stderr under `--json`. */
  info(text: string): void;
  warn(text: string): void;
  /** A failure, already worded for the user, with an optional hint on what to do. */
  error(text: string, hint?: string, details?: ErrorDetails): void;
  /** Extra detail shown only under `--debug`. */
  debug(text: string): void;
  /**
   * Something the command waits for: on a terminal a live line with the time waited so far, gone when the
   * returned call ends the wait; elsewhere one line, as `info` writes it.
   */
  waiting(text: string): () => void;
  /** The command's machine-readable result: the body of the one JSON document on stdout under `--json`, ignored otherwise. */
  result(value: object): void;
  /** The run is over: stops spinners, and under `--json` writes the one document with the exit code. */
  close(exitCode: ExitCode): void;
}

export interface Writer {
  write(text: string): unknown;
}

/**
 * The terminal's keyboard, held while a live block of steps in flight is drawn. A key the terminal
 * echoes (Enter is a new line) moves the cursor below the block, and a Ctrl-C the terminal turns into a
 * signal also drops output it has not shown yet: either way the block is then erased by a wrong count
 * of lines, and a stale step line stays on screen.
 */
export interface Keyboard {
  /** Swallows keys, unechoed, until the returned release is called; Ctrl-C still interrupts. */
  hold(): () => void;
}

export interface OutputOptions {
  stdout: Writer;
  stderr: Writer;
  /** Given when stdin is a terminal. */
  keyboard?: Keyboard | undefined;
  /** Whether stdout is a terminal. */
  isTTY: boolean;
  json: boolean;
  /** False under `--no-color` or `NO_COLOR`. */
  color: boolean;
  debug: boolean;
  /**
   * The time on the run's clock (default: the wall clock). Under --sandbox that is the sandbox's faster
   * time, the time finished lines report, so that a step's live elapsed time does not jump when it ends.
   */
  now?: () => number;
}

/** Cuts a line to `width` characters, marking the cut with '…'. For text that holds no identifier. */
export function fitLine(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : chars.slice(0, Math.max(0, width - 1)).join('') + '…';
}

/**
 * Breaks one line at spaces into lines of at most `width` characters, continuations indented by `hanging`,
 * as gh and kubectl wrap: an identifier is never cut. Only a word wider than a whole line is broken, so
 * that a caller counting lines (the live block) can trust the count.
 */
export function wrapAt(text: string, width: number, hanging: string): string[] {
  const indent = hanging.length < width / 2 ? hanging : '';
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const joined = current === '' ? (lines.length === 0 ? '' : indent) + word : `${current} ${word}`;
    if (current !== '' && [...joined].length > width) {
      lines.push(current);
      current = indent + word;
    } else current = joined;
    while ([...current].length > width) {
      const chars = [...current];
      lines.push(chars.slice(0, width).join(''));
      current = indent + chars.slice(width).join('');
    }
  }
  return [...lines, current];
}

/** A line that starts kds-xacct in any of the ways src/commands/invocation.ts names it: `kds-xacct`, `npx [--package=…] kds-xacct`, `node <path>.js`, a path to the link. */
const PROGRAM_START = /^(?:npx (?:--package=\S+ )*|node \S*)?\S*kds-xacct(?:\.js)? /;

/**
 * Breaks lines at spaces so that none exceeds `width`. A continuation lines up under the line's second
 * column, which starts after a run of two spaces or more (a plan's titles, after actions of one or more
 * words), or else two columns in from its indent. A command to copy (an indented line that starts
 * kds-xacct, or a `backtick span` too wide for a line, set on lines of its own) ends each broken line
 * with a shell continuation, so that it still runs when pasted; the terminal would break it mid-word.
 * Only a single word longer than the width is left to the terminal.
 */
export function wrapWords(text: string, width: number): string {
  return text
    .split('\n')
    .flatMap((line) => wrapLine(line, width))
    .join('\n');
}

function wrapLine(line: string, width: number): string[] {
  if ([...line].length <= width) return [line];
  const indent = /^\s*/.exec(line)![0];
  const body = line.slice(indent.length).trimEnd();
  if (indent !== '' && PROGRAM_START.test(body)) return wrapCommand(body, indent, width);
  const column = /^\s*\S+(?: \S+)*\s{2,}/.exec(line)?.[0].length;
  const hanging = ' '.repeat(column !== undefined && column < width / 2 ? column : indent === '' ? 0 : indent.length + 2);
  const out: string[] = [];
  // Undefined at the start of a line that follows a command set apart.
  let current: string | undefined = indent;
  for (const word of splitWords(body)) {
    const command = [...word].length > width - hanging.length ? quotedCommand(word) : undefined;
    if (command !== undefined) {
      if (current?.trim()) out.push(current);
      out.push(...wrapCommand(command, `${hanging}  `, width));
      current = undefined;
    } else if (current === undefined) current = hanging + word;
    else if (current.trim() === '') current += word;
    // An empty word is a run of spaces that aligns columns: never a place to break.
    else if (word !== '' && [...`${current} ${word}`].length > width) {
      out.push(current);
      current = hanging + word;
    } else current = `${current} ${word}`;
  }
  if (current?.trim()) out.push(current);
  return out;
}

/**
 * A command on lines of its own, broken at spaces with a shell continuation. A `# comment` stays on one
 * line: a backslash inside a comment continues nothing, and the words after it would run as a command.
 */
function wrapCommand(command: string, indent: string, width: number): string[] {
  const words = command.split(' ');
  const comment = words.findIndex((word) => word.startsWith('#'));
  const [first = '', ...rest] = comment < 0 ? words : [...words.slice(0, comment), words.slice(comment).join(' ')];
  const out: string[] = [];
  let current = indent + first;
  for (const word of rest) {
    if (word !== '' && [...`${current} ${word}`].length > width - 2) {
      out.push(`${current} \\`);
      current = `${indent}  ${word}`;
    } else current = `${current} ${word}`;
  }
  return [...out, current];
}

/** The command a word quotes in backticks; punctuation after it ends the sentence, which a line of its own does not need. */
function quotedCommand(word: string): string | undefined {
  return /^`([^`]+)`[.,;:]?$/.exec(word)?.[1];
}

/** Splits at spaces, but not inside a `backtick span`: a command quoted in a sentence is copied whole. */
function splitWords(text: string): string[] {
  const words: string[] = [];
  for (const word of text.split(' ')) {
    const last = words.at(-1);
    // An odd number of backticks so far means the span is still open.
    if (last !== undefined && last.split('`').length % 2 === 0) words[words.length - 1] = `${last} ${word}`;
    else words.push(word);
  }
  return words;
}
