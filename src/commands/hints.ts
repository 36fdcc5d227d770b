import path from 'node:path';

/** The state directory when --state-dir is not given (the option's default in src/program.ts). */
const DEFAULT_STATE_DIR = '.kds-xacct';

/** What a suggested command must repeat of the run that suggests it. `GlobalOptions` is one. */
export interface RunGlobals {
  sandbox: boolean;
  /** Under --sandbox, `<the given state dir>/sandbox` (see src/sandbox/environment.ts). */
  stateDir: string;
  /** The words that start kds-xacct the way this run was started (src/commands/invocation.ts). */
  program: readonly string[];
}

/**
 * The profiles and region a suggested command passes, for when no state file will carry them. An
 * unknown profile is shown as a placeholder, so that the message says exactly what to pass; an
 * unknown region is left out (the profiles may set it).
 */
export interface AccountFlags {
  producerProfile?: string | undefined;
  consumerProfile?: string | undefined;
  region?: string | undefined;
}

/** The flags that reach the accounts a run reached (or a record names; one it lacks becomes a placeholder). */
export function accountFlags(producer: { profile: string; region: string } | undefined, consumer: { profile: string } | undefined): AccountFlags {
  return { producerProfile: producer?.profile, consumerProfile: consumer?.profile, region: producer?.region };
}

export interface CommandLineOptions {
  name?: string;
  /** Given when no state file will tell the command which accounts to reach. */
  accounts?: AccountFlags;
  /** The command's own flags, last. */
  args?: readonly string[];
}

/**
 * A kds-xacct command that a message tells the user to run, built so that it works when pasted:
 * with `--sandbox` and a non-default `--state-dir` when this run used them, and the profiles and
 * region when the caller says no state file will carry them. Every hint that names a command
 * builds it here.
 */
export function commandLine(globals: RunGlobals, command: string, options: CommandLineOptions = {}): string {
  const words = [command];
  if (options.name !== undefined) words.push('--name', options.name);
  // The sandbox implies its own profiles and region, and refuses any other.
  const accounts = globals.sandbox ? undefined : options.accounts;
  if (accounts) {
    words.push('--producer-profile', accounts.producerProfile ?? '<producer-profile>', '--consumer-profile', accounts.consumerProfile ?? '<consumer-profile>');
    if (accounts.region !== undefined) words.push('--region', accounts.region);
  }
  if (globals.sandbox) words.push('--sandbox');
  // The sandbox keeps its deployments in a folder of the state directory the user gave.
  const stateDir = globals.sandbox ? path.dirname(globals.stateDir) : globals.stateDir;
  if (path.normalize(stateDir) !== DEFAULT_STATE_DIR) words.push('--state-dir', stateDir);
  words.push(...(options.args ?? []));
  return programLine(globals.program, words);
}

/** The program, started as this run was, with these words after it, as a shell reads them back. */
export function programLine(program: readonly string[], words: readonly string[]): string {
  return [...program, ...words].map(shellWord).join(' ');
}

/** `commandLine` for domain code that prints hints: bound to this run's flags and, when there is one, the deployment. */
export function suggestCommand(globals: RunGlobals, name: string | undefined): (command: string, args?: readonly string[]) => string {
  return (command, args) => commandLine(globals, command, { ...(name !== undefined && { name }), ...(args && { args }) });
}

/** A word as a POSIX shell reads it back: quoted when it holds anything a shell would interpret. */
function shellWord(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word) || /^<[\w-]+>$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
