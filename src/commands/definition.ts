/**
 * What every command definition shares. A definition module must never import its command's run
 * module statically: it loads it inside the action, so that `--help` never loads the AWS SDK.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { CommandContext } from '../context.js';
import type { ExitCode } from '../errors.js';

/** A command's run function, given its own flags (`F`, declared with the command's definition) as commander parsed them. */
export type Runner<F> = (ctx: CommandContext, flags: F) => Promise<ExitCode>;

/** The program's action wrapper: normalises the global flags, then loads and awaits the runner. */
export type CommandAction = <F>(load: () => Promise<Runner<F>>) => (flags: F, command: Command) => Promise<void>;

/** A flag parser for a whole number in [min, max]; commander reports the error as a usage error. */
export function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`Expected a whole number from ${min} to ${max}.`);
    return n;
  };
}

/** Help text is written for 80 columns, the narrowest terminal commonly used. */
const HELP_WIDTH = 80;

/** A help's examples; one too long for 80 columns continues on the next line after a `\`, so that it still runs when pasted. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map(exampleLines).join('\n')}\n`;
}

function exampleLines(command: string): string {
  // A flag stays with its value: each piece is the command, or one flag and what follows it.
  const [first = '', ...pieces] = command.split(/ (?=--)/);
  const lines: string[] = [];
  let current = `  $ ${first}`;
  for (const piece of pieces) {
    // Room for the ` \` that continues a line.
    if (current.length + 1 + piece.length > HELP_WIDTH - 3) {
      lines.push(`${current} \\`);
      current = `      ${piece}`;
    } else current = `${current} ${piece}`;
  }
  return [...lines, current].join('\n');
}
