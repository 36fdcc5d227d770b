import path from 'node:path';
import type { SessionFactory } from './aws/session.js';
import { commandLine } from './commands/hints.js';
import type { Clock } from './engine/clock.js';
import type { Interrupt } from './engine/engine.js';
import type { StateHints, StateStore } from './deployment/store.js';
import type { Prompter } from './prompts.js';
import type { Keyboard, Reporter, Writer } from './render/types.js';

/** The options every command accepts. */
export interface GlobalOptions {
  producerProfile?: string;
  consumerProfile?: string;
  region?: string;
  name?: string;
  stateDir: string;
  yes: boolean;
  json: boolean;
  color: boolean;
  debug: boolean;
  /** Two simulated accounts on this machine instead of AWS. */
  sandbox: boolean;
  /** The words that start kds-xacct the way this run was started, for the commands that messages print. */
  program: readonly string[];
  /** Under --sandbox: how many times shorter than AWS's the sandbox's waits are (its clock stays the wall clock). */
  sandboxSpeed?: number;
}

/**
 * Everything a command touches outside its own logic. `src/cli.ts` wires the real ones; tests
 * pass a fake cloud's sessions, a virtual clock, scripted prompts and in-memory output.
 */
export interface Environment {
  /** Read by `send-test-record --file -`. */
  stdin: AsyncIterable<unknown>;
  stdout: Writer;
  stderr: Writer;
  stdoutIsTTY: boolean;
  /** The terminal's width when stdout is one and reports it. */
  stdoutColumns?: number;
  stdinIsTTY: boolean;
  /** The terminal's keyboard when stdin is one, for the live progress block to hold. */
  keyboard?: Keyboard;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** The script Node was started with (process.argv[1]), by which printed commands name the program. */
  script?: string | undefined;
  clock: Clock;
  interrupt: Interrupt;
  /** `debugLog` receives the SDK's requests and how profiles were resolved, redacted, under `--debug`. */
  sessions: (debugLog?: (line: string) => void) => Promise<SessionFactory>;
  prompter: () => Promise<Prompter>;
  stateStore: (dir: string, hints: StateHints) => StateStore;
  /** Overrides the renderer chosen from the options, e.g. a RecordingReporter in tests. */
  reporter?: Reporter;
  /** Under `--sandbox`: the simulated accounts every client reaches instead of AWS. */
  sandbox?: { banner(): Promise<string>; reset(): Promise<void> };
}

/** What a command's run function receives. */
export interface CommandContext {
  options: GlobalOptions;
  environment: Environment;
  reporter: Reporter;
  /** True when questions can be asked: a terminal on both ends and no `--yes`. */
  interactive: boolean;
  store: StateStore;
  /** The width that tables are fitted to: a person's terminal. Undefined for pipes, CI and `--json`, which get whole values. */
  tableWidth: number | undefined;
}

export function createContext(options: GlobalOptions, environment: Environment, reporter: Reporter): CommandContext {
  return {
    options,
    environment,
    reporter,
    interactive: !options.yes && !options.json && environment.stdinIsTTY && environment.stdoutIsTTY,
    store: environment.stateStore(path.resolve(environment.cwd, options.stateDir), stateHints(options)),
    tableWidth: environment.stdoutIsTTY && !options.json ? (environment.stdoutColumns ?? 80) : undefined,
  };
}

/** A state file that cannot be used is no guide to the accounts: the teardown it suggests names the profiles to pass. */
function stateHints(options: GlobalOptions): StateHints {
  const accounts = { producerProfile: options.producerProfile, consumerProfile: options.consumerProfile, region: options.region };
  return { teardown: (name) => commandLine(options, 'teardown', { name, accounts }) };
}

/** The session factory, with `--debug` output routed through the command's reporter. */
export function sessionFactory(ctx: CommandContext): Promise<SessionFactory> {
  return ctx.environment.sessions(ctx.options.debug ? (line) => ctx.reporter.debug(line) : undefined);
}
