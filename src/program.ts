import { Command, CommanderError } from 'commander';
// The bundle holds only its `version` (tsup.config.ts, versionOnlyManifest).
import pkg from '../package.json' with { type: 'json' };
import { examples, integer, type CommandAction } from './commands/definition.js';
import { programLine } from './commands/hints.js';
import { programWords } from './commands/invocation.js';
import { defineExportCommand } from './commands/export.command.js';
import { defineSandboxCommand } from './commands/sandbox.command.js';
import { defineSendTestRecordCommand } from './commands/send-test-record.command.js';
import { defineSetupCommand } from './commands/setup.command.js';
import { defineStatusCommand } from './commands/status.command.js';
import { defineTailLogsCommand } from './commands/tail-logs.command.js';
import { defineTeardownCommand } from './commands/teardown.command.js';
import { createContext, type Environment, type GlobalOptions } from './context.js';
import { CancelledError, CommandFailedError, ExitCode, InterruptedError, UserError, awsErrorCode, errorMessage } from './errors.js';
import { StepError } from './engine/engine.js';
import type { Clock } from './engine/clock.js';
import { ensureValid, validateDeploymentName } from './pipeline/validate.js';
import { createReporter } from './render/reporter.js';
import type { Reporter } from './render/types.js';

/** What the program shares with the run around it. */
export interface ProgramRun {
  /** Set by the command's action. */
  exitCode: ExitCode;
  /** `--json` as read from argv, for commander's own output before the options are parsed. */
  json: boolean;
  /** The run's one reporter, made on first use. */
  reporter(): Promise<Reporter>;
  /** The command's clock: the sandbox's under --sandbox. */
  clock: Clock;
}

/**
 * Builds the commander program: the global options and one action wrapper here, each command's
 * options and help in its `src/commands/<name>.command.ts`. Actions normalise flags, import their
 * command module, and store the exit code in `run`; nothing here calls process.exit.
 */
export function createProgram(environment: Environment, run: ProgramRun): Command {
  const program = new Command('kds-xacct');
  const started = programWords({ script: environment.script, env: environment.env, cwd: environment.cwd });

  const action: CommandAction = (load) => async (flags, command) => {
    const raw = command.optsWithGlobals() as Partial<GlobalOptions> & { stateDir: string };
    const color = raw.color !== false && !environment.env.NO_COLOR;
    // `sandbox reset` is about the sandbox whether or not --sandbox is given.
    const sandbox = raw.sandbox === true || command.parent?.name() === 'sandbox';
    let globals: GlobalOptions = { ...raw, program: started, yes: raw.yes === true, json: raw.json === true, debug: raw.debug === true, color, sandbox };
    // The name becomes a file name in the state directory: check it before anything reads or writes.
    if (globals.name !== undefined) ensureValid(validateDeploymentName, globals.name, '--name');
    let env = environment;
    if (sandbox) {
      // Loaded only here: neither --help nor a run against AWS ever loads the sandbox.
      const { checkSandboxOptions, sandboxEnvironment } = await import('./sandbox/environment.js');
      checkSandboxOptions(globals);
      ({ environment: env, globals } = sandboxEnvironment(environment, globals, globals.sandboxSpeed === undefined ? {} : { speed: globals.sandboxSpeed }));
    } else if (globals.sandboxSpeed !== undefined) {
      throw new UserError('--sandbox-speed only applies to the sandbox.', 'Add --sandbox, or leave out --sandbox-speed.');
    }
    run.clock = env.clock;
    const reporter = await run.reporter();
    if (env.sandbox) reporter.info(await env.sandbox.banner());
    const runner = await load();
    run.exitCode = await runner(createContext(globals, env, reporter), flags);
  };

  program
    .description(
      'Set up, check and remove a cross-account Kinesis pipeline: a KMS-encrypted stream with an enhanced fan-out consumer in a producer account, read by a Lambda function in a consumer account.',
    )
    .version(pkg.version, '-V, --version', 'print the kds-xacct version')
    .option('--producer-profile <name>', 'AWS profile of the producer account (stream, consumer, KMS key)')
    .option('--consumer-profile <name>', 'AWS profile of the consumer account (role, function, event source mapping)')
    .option('--region <region>', 'AWS region for both accounts (default: from the profiles or AWS_REGION)')
    .option('--name <deployment>', 'deployment name; default resource names derive from it, e.g. "orders"')
    .option('--state-dir <dir>', 'where deployment state files live', '.kds-xacct')
    .option('-y, --yes', 'answer yes to confirmations and ask no questions (for CI)')
    .option('--json', 'machine-readable result on stdout, logs as JSON lines on stderr')
    .option('--no-color', 'plain output without colours or spinners (NO_COLOR is honoured too)')
    .option('--debug', 'show AWS request ids and error details (credentials redacted)')
    .option('--sandbox', 'use two simulated accounts on this machine instead of AWS: no credentials, no network (see README)')
    .option('--sandbox-speed <factor>', "with --sandbox: how many times shorter than AWS's its waits are (default 10, kept by the sandbox)", integer(1, 1000))
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (text) => environment.stdout.write(text),
      // The terminal's own width (commander would read process.stdout, which a test's environment is not); 80 off a terminal.
      getOutHelpWidth: () => environment.stdoutColumns ?? 80,
      // Only the help shown for a missing command comes here; under --json the error names the commands instead.
      writeErr: (text) => run.json || environment.stderr.write(text),
      // Errors are reported through the reporter, in our words (see usageError).
      outputError: () => undefined,
    })
    .addHelpText(
      'after',
      `\nExit codes: 0 success, 1 failed and rolled back, 2 usage error,\n3 rollback incomplete, 130 interrupted.` +
        examples(
          'kds-xacct setup --sandbox --name demo --yes',
          'kds-xacct setup',
          'kds-xacct setup --producer-profile prod --consumer-profile analytics --name orders --yes',
          'kds-xacct send-test-record --name orders --verify',
          'kds-xacct teardown --name orders',
        ),
    );

  defineSetupCommand(program, action);
  defineTeardownCommand(program, action);
  defineSendTestRecordCommand(program, action);
  defineTailLogsCommand(program, action);
  defineStatusCommand(program, action);
  defineExportCommand(program, action);
  defineSandboxCommand(program, action);

  // Commander's own errors (an unknown option, a bad value) are usage errors, reported like ours.
  for (const command of commandTree(program)) {
    command.exitOverride((error) => {
      throw error.exitCode === 0 ? error : usageError(error, command, started);
    });
  }
  return program;
}

function commandTree(command: Command): Command[] {
  return [command, ...command.commands.flatMap(commandTree)];
}

/** Commander's message in our words: a sentence, and a hint naming the help of the command at fault. */
function usageError(error: CommanderError, command: Command, started: readonly string[]): UserError {
  const names = [command, ...ancestors(command)].reverse().map((c) => c.name());
  const path = names.join(' ');
  const help = `Run \`${programLine(started, [...names.slice(1), '--help'])}\` for ${command.parent ? 'its options' : 'the commands and options'}.`;
  // Commander shows the help itself when a command is missing (`kds-xacct`, `kds-xacct sandbox`).
  if (error.code === 'commander.help') return new UserError(`\`${path}\` needs a command: ${command.commands.map((c) => c.name()).join(', ')}.`, help);
  const message = error.message.replace(/^error: /, '');
  const [first = '', ...rest] = message.split('\n');
  return new UserError([first[0]?.toUpperCase() + first.slice(1) + (/[.?!]$/.test(first) ? '' : '.'), ...rest].join('\n'), help);
}

function ancestors(command: Command): Command[] {
  return command.parent ? [command.parent, ...ancestors(command.parent)] : [];
}

/** A run of the command line, and the way a second Ctrl-C ends it at once. */
export interface CliRun {
  exitCode: Promise<ExitCode>;
  /** Reports the immediate stop like any other exit and returns its code, for the entry point to exit with. */
  stop(): Promise<ExitCode>;
}

/** Parses and runs a command line; returns the exit code. Errors become messages here, never stack traces (unless --debug). */
export async function runCli(argv: string[], environment: Environment): Promise<ExitCode> {
  return startCli(argv, environment).exitCode;
}

export function startCli(argv: string[], environment: Environment): CliRun {
  // Commander can fail before it has parsed the options, so the reporter reads them from argv.
  const json = argv.includes('--json');
  const debug = argv.includes('--debug');
  // One promise, so that a second Ctrl-C and the command never make two reporters (and two documents).
  let opened: Promise<Reporter> | undefined;
  const reporter = (): Promise<Reporter> =>
    (opened ??= environment.reporter
      ? Promise.resolve(environment.reporter)
      : createReporter({
          stdout: environment.stdout,
          stderr: environment.stderr,
          keyboard: environment.keyboard,
          isTTY: environment.stdoutIsTTY,
          json,
          color: !argv.includes('--no-color') && !environment.env.NO_COLOR,
          debug,
          now: () => programRun.clock.now(),
        }));
  const programRun: ProgramRun = { exitCode: ExitCode.Success, json, reporter, clock: environment.clock };
  const program = createProgram(environment, programRun);

  const run = async (): Promise<ExitCode> => {
    let exitCode: ExitCode;
    try {
      await program.parseAsync(argv, { from: 'user' });
      exitCode = programRun.exitCode;
    } catch (error) {
      // Help and --version: commander has printed them, plain even under --json.
      if (error instanceof CommanderError) return ExitCode.Success;
      exitCode = await reportError(error, await reporter(), debug);
    }
    (await opened)?.close(exitCode);
    return exitCode;
  };
  let stopped: Promise<ExitCode> | undefined;
  const stop = async (): Promise<ExitCode> => {
    const r = await reporter();
    // State files are only ever replaced by rename, so they stay whole.
    r.error('Stopped at once, without waiting for the steps in flight.', 'Run the same command again to resume or clean up.');
    r.close(ExitCode.Interrupted);
    return ExitCode.Interrupted;
  };
  return { exitCode: run(), stop: () => (stopped ??= stop()) };
}

export async function reportError(error: unknown, reporter: Reporter, debug: boolean): Promise<ExitCode> {
  if (error instanceof StepError) {
    // A bad answer found while planning (a missing stream, a name taken) is the user's to fix: exit 2.
    if (error.cause instanceof UserError) return reportError(error.cause, reporter, debug);
    const { describeStepError } = await import('./commands/report.js');
    const { message, hint } = describeStepError(error);
    reporter.error(message, hint, { code: awsErrorCode(error.cause), step: error.step.id });
    return ExitCode.Failed;
  }
  if (error instanceof UserError || error instanceof CommandFailedError) {
    reporter.error(error.message, error.hint);
    return error.exitCode;
  }
  if (error instanceof CancelledError) {
    reporter.info(error.message);
    return error.exitCode;
  }
  if (error instanceof InterruptedError) {
    reporter.error(error.message);
    return error.exitCode;
  }
  const code = awsErrorCode(error);
  reporter.error(
    `Unexpected ${code ? `AWS error ${code}` : 'error'}: ${errorMessage(error)}`,
    'This is probably a bug in kds-xacct. Run again with --debug and report the output.',
    { code },
  );
  if (debug && error instanceof Error && error.stack) reporter.debug(error.stack);
  return ExitCode.Failed;
}
