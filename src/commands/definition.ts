/**
 * What every command definition shares. A definition module must never import its command's run
 * module statically: it loads it inside the action, so that `--help` never loads the AWS SDK.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { CommandContext } from '../context.js';
import type { ExitCode } from '../errors.js';

/** A command's run function. */
export type Runner = (ctx: CommandContext, options: Record<string, unknown>) => Promise<ExitCode>;

/** The program's action wrapper: normalises the global flags, then loads and awaits the runner. */
export type CommandAction = (load: () => Promise<Runner>) => (options: Record<string, unknown>, command: Command) => Promise<void>;

/** A flag parser for a whole number in [min, max]; commander reports the error as a usage error. */
export function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`Expected a whole number from ${min} to ${max}.`);
    return n;
  };
}

export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}
