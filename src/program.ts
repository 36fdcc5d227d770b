import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { createContext, type CommandContext, type Environment, type GlobalOptions } from './context.js';
import { CommandFailedError, ExitCode, InterruptedError, UserError, awsErrorCode, errorMessage } from './errors.js';
import { StepError } from './engine/engine.js';
import { ensureValid, validateDeploymentName } from './pipeline/validate.js';
import { createReporter } from './render/reporter.js';
import type { Reporter } from './render/types.js';

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`Expected a whole number from ${min} to ${max}.`);
    return n;
  };
}

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** A command's run function, loaded lazily so that `--help` never loads the AWS SDK. */
type Runner = (ctx: CommandContext, options: Record<string, unknown>) => Promise<ExitCode>;

/**
 * Builds the commander program. Actions normalise flags, import their command module, and
 * store the exit code in `outcome`; nothing here calls process.exit.
 */
export function createProgram(environment: Environment, outcome: { exitCode: ExitCode; reporter?: Reporter }): Command {
  const program = new Command('kds-xacct');

  const action = (load: () => Promise<Runner>) => async (options: Record<string, unknown>, command: Command) => {
    const raw = command.optsWithGlobals() as Partial<GlobalOptions> & { stateDir: string };
    const color = raw.color !== false && !environment.env.NO_COLOR;
    const globals: GlobalOptions = { ...raw, yes: raw.yes === true, json: raw.json === true, debug: raw.debug === true, color };
    // The name becomes a file name in the state directory: check it before anything reads or writes.
    if (globals.name !== undefined) ensureValid(validateDeploymentName, globals.name, '--name');
    const reporter =
      environment.reporter ??
      (await createReporter({
        stdout: environment.stdout,
        stderr: environment.stderr,
        isTTY: environment.stdoutIsTTY,
        json: globals.json,
        color,
        debug: globals.debug,
      }));
    outcome.reporter = reporter;
    const run = await load();
    outcome.exitCode = await run(createContext(globals, environment, reporter), options);
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
          'kds-xacct setup',
          'kds-xacct setup --producer-profile prod --consumer-profile analytics --name orders --yes',
          'kds-xacct send-test-record --name orders --verify',
          'kds-xacct teardown --name orders',
        ),
    );

  program
    .command('setup')
    .summary('create and connect the stream, consumer, key, role, function and event source mapping')
    .description(
      'Ask for two profiles, a region, a deployment name and options; show the plan per account; and after one confirmation create (or adopt) every resource in both accounts. Safe to re-run: it starts from the answers the deployment recorded, leaves alone what exists and is right, and puts right what kds-xacct made that has drifted. On failure, what this run created is rolled back unless --no-rollback is given.',
    )
    .option('--config <file>', 'JSON file with answers to every question (keys as the long flags in camelCase)')
    .option('--stream-name <name>', 'stream name (default: <name>-stream)')
    .option('--use-existing-stream', 'adopt an existing stream with --stream-name instead of creating one')
    .addOption(new Option('--capacity-mode <mode>', 'stream capacity mode').choices(['on-demand', 'provisioned']))
    .option('--shards <n>', 'shard count for a provisioned stream', integer(1, 10_000))
    .option('--kms-key <key>', 'use this existing customer managed key (id, ARN, alias/name or alias ARN) instead of creating one')
    .option('--consumer-name <name>', 'EFO consumer name')
    .option('--role-name <name>', 'execution role name in the consumer account')
    .option('--function-name <name>', 'Lambda function name')
    .option('--use-existing-function', 'adopt an existing function with --function-name instead of deploying the bundled one')
    .addOption(new Option('--runtime <runtime>', 'runtime of the bundled function').choices(['nodejs22.x', 'nodejs24.x']))
    .option('--batch-size <n>', 'event source mapping batch size', integer(1, 10_000))
    .addOption(new Option('--starting-position <position>', 'where a new mapping starts reading').choices(['TRIM_HORIZON', 'LATEST']))
    .option('--max-retries <n>', 'MaximumRetryAttempts of the mapping (-1 for unlimited)', integer(-1, 10_000))
    .option('--max-record-age <seconds>', 'MaximumRecordAgeInSeconds of the mapping (-1, or 60 to 604800)', integer(-1, 604_800))
    .option('--adopt', 'take over resources that already exist with our names but are not ours')
    .option('--no-rollback', 'keep what was created when a step fails, so a re-run resumes')
    .option('--dry-run', 'print the plan after read-only calls, and change nothing')
    .addHelpText(
      'after',
      examples(
        'kds-xacct setup',
        'kds-xacct setup --producer-profile prod --consumer-profile analytics --name orders --yes',
        'kds-xacct setup --name orders --stream-name clickstream --use-existing-stream --dry-run',
        'kds-xacct setup --config pipeline.json --yes --json',
      ),
    )
    .action(action(async () => (await import('./commands/setup.js')).runSetup as Runner));

  program
    .command('teardown')
    .summary('delete what setup created, in reverse order, in both accounts')
    .description(
      'Delete what setup created for a deployment, in reverse order: the event source mapping first, the stream and consumer last, the KMS key scheduled for deletion. Adopted resources are kept; only what kds-xacct added to them (policy statements, grant, mapping) is removed. Without a state file, resources are found by their tags and names.',
    )
    .option('--key-pending-days <days>', 'waiting period before the KMS key is deleted', integer(7, 30), 30)
    .option('--keep-logs', "keep the function's CloudWatch log group")
    .option('--delete-stream-with-consumers', 'delete our stream even if other consumers are registered on it')
    .addHelpText('after', examples('kds-xacct teardown --name orders', 'kds-xacct teardown --name orders --yes --key-pending-days 7'))
    .action(action(async () => (await import('./commands/teardown.js')).runTeardown as Runner));

  program
    .command('send-test-record')
    .summary('put test records into the stream (producer account)')
    .description(
      "Put one JSON test record (or --data, --file, --count of them) into the deployment's stream and print each record's shard and sequence number. With --verify, watch the consumer function's logs until the records arrive and print the end-to-end latency.",
    )
    .option('--data <string>', 'record payload')
    .option('--file <path>', 'read the payload from a file (- for stdin)')
    .option('--count <n>', 'number of records, sent with PutRecords in batches', integer(1, 100_000), 1)
    .option('--partition-key <key>', 'partition key (default: random per record)')
    .option('--stream-name <name>', "put into this stream instead of the deployment's")
    .option('--verify', "wait until the records appear in the consumer function's logs")
    .option('--function-name <name>', "with --verify, watch this function's logs instead of the deployment's")
    .option('--timeout <duration>', 'how long --verify waits, e.g. 90s or 5m', '120s')
    .addHelpText(
      'after',
      examples(
        'kds-xacct send-test-record --name orders',
        'kds-xacct send-test-record --name orders --count 100 --verify',
        'kds-xacct send-test-record --producer-profile prod --region eu-west-1 --stream-name clickstream',
      ),
    )
    .action(action(async () => (await import('./commands/send-test-record.js')).runSendTestRecord as Runner));

  program
    .command('tail-logs')
    .summary("follow the consumer function's logs (consumer account)")
    .description(
      "Follow the consumer function's CloudWatch log group with Live Tail (falling back to polling), showing the bundled handler's record lines readably. Ctrl-C ends it.",
    )
    .option('--since <duration>', 'show history from this long ago first, e.g. 10m or 2h')
    .option('--no-follow', 'print what is there and exit')
    .option('--filter <pattern>', 'CloudWatch Logs filter pattern')
    .option('--function <name>', 'tail this function instead of the deployment\'s')
    .addHelpText('after', examples('kds-xacct tail-logs --name orders', 'kds-xacct tail-logs --name orders --since 10m --no-follow'))
    .action(action(async () => (await import('./commands/tail-logs.js')).runTailLogs as Runner));

  program
    .command('status')
    .summary('check every resource of a deployment, and that the consumer role can read the stream')
    .description(
      "Report, per account and resource, whether it exists and is healthy: states, encryption, the event source mapping's last result, drift in our policy statements and grant, and a live policy simulation of what the mapping needs. Exit 0 when healthy, 1 when not.",
    )
    .addHelpText('after', examples('kds-xacct status --name orders', 'kds-xacct status --name orders --json'))
    .action(action(async () => (await import('./commands/status.js')).runStatus as Runner));

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
