import { Command, CommanderError } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { examples, integer, type CommandAction } from './commands/definition.js';
import { defineSandboxCommand } from './commands/sandbox.command.js';
import { defineSendTestRecordCommand } from './commands/send-test-record.command.js';
import { defineSetupCommand } from './commands/setup.command.js';
import { defineStatusCommand } from './commands/status.command.js';
import { defineTailLogsCommand } from './commands/tail-logs.command.js';
import { defineTeardownCommand } from './commands/teardown.command.js';
import { createContext, type Environment, type GlobalOptions } from './context.js';
import { CommandFailedError, ExitCode, InterruptedError, UserError, awsErrorCode, errorMessage } from './errors.js';
import { StepError } from './engine/engine.js';
import { ensureValid, validateDeploymentName } from './pipeline/validate.js';
import { createReporter } from './render/reporter.js';
import type { Reporter } from './render/types.js';

/**
 * Builds the commander program: the global options and one action wrapper here, each command's
 * options and help in its `src/commands/<name>.command.ts`. Actions normalise flags, import their
 * command module, and store the exit code in `outcome`; nothing here calls process.exit.
 */
export function createProgram(environment: Environment, outcome: { exitCode: ExitCode; reporter?: Reporter }): Command {
  const program = new Command('kds-xacct');

  const action: CommandAction = (load) => async (options, command) => {
    const raw = command.optsWithGlobals() as Partial<GlobalOptions> & { stateDir: string };
    const color = raw.color !== false && !environment.env.NO_COLOR;
    // `sandbox reset` is about the sandbox whether or not --sandbox is given.
    const sandbox = raw.sandbox === true || command.parent?.name() === 'sandbox';
    let globals: GlobalOptions = { ...raw, yes: raw.yes === true, json: raw.json === true, debug: raw.debug === true, color, sandbox };
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
    const reporter =
      env.reporter ??
      (await createReporter({
        stdout: environment.stdout,
        stderr: environment.stderr,
        isTTY: environment.stdoutIsTTY,
        json: globals.json,
        color,
        debug: globals.debug,
      }));
    outcome.reporter = reporter;
    if (env.sandbox) reporter.info(await env.sandbox.banner());
    const run = await load();
    outcome.exitCode = await run(createContext(globals, env, reporter), options);
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
    .option('--sandbox-speed <factor>', "with --sandbox: how much faster than real time AWS's waiting runs (default 10, kept by the sandbox)", integer(1, 1000))
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (text) => environment.stdout.write(text),
      writeErr: (text) => environment.stderr.write(text),
    })
    .exitOverride()
    .addHelpText(
      'after',
      `\nExit codes: 0 success, 1 failed and rolled back, 2 usage error, 3 rollback incomplete, 130 interrupted.` +
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
  defineSandboxCommand(program, action);

  return program;
}

/** Parses and runs a command line; returns the exit code. Errors become messages here, never stack traces (unless --debug). */
export async function runCli(argv: string[], environment: Environment): Promise<ExitCode> {
  const outcome: { exitCode: ExitCode; reporter?: Reporter } = { exitCode: ExitCode.Success };
  const program = createProgram(environment, outcome);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return outcome.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version "errors" are successes; everything commander rejects is a usage error.
      return error.exitCode === 0 ? ExitCode.Success : ExitCode.Usage;
    }
    const reporter = outcome.reporter ?? environment.reporter ?? (await createReporter({
      stdout: environment.stdout,
      stderr: environment.stderr,
      isTTY: false,
      json: argv.includes('--json'),
      color: false,
      debug: argv.includes('--debug'),
    }));
    return await reportError(error, reporter, argv.includes('--debug'));
  } finally {
    outcome.reporter?.close();
  }
}

export async function reportError(error: unknown, reporter: Reporter, debug: boolean): Promise<ExitCode> {
  if (error instanceof StepError) {
    // A bad answer found while planning (a missing stream, a name taken) is the user's to fix: exit 2.
    if (error.cause instanceof UserError) return reportError(error.cause, reporter, debug);
    const { describeStepError } = await import('./commands/report.js');
    const { message, hint } = describeStepError(error);
    reporter.error(message, hint);
    return ExitCode.Failed;
  }
  if (error instanceof UserError || error instanceof CommandFailedError) {
    reporter.error(error.message, error.hint);
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
  );
  if (debug && error instanceof Error && error.stack) reporter.debug(error.stack);
  return ExitCode.Failed;
}
