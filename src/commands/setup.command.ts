import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEFAULTS } from '../pipeline/config.js';
import { validateLogRetentionDays } from '../pipeline/validate.js';
import type { SetupFlags } from './flags.js';
import { examples, integer, type CommandAction } from './definition.js';

function logRetentionDays(value: string): number {
  const valid = validateLogRetentionDays(value);
  if (valid !== true) throw new InvalidArgumentError(valid);
  return Number(value);
}

export function defineSetupCommand(program: Command, action: CommandAction): Command {
  return program
    .command('setup')
    .summary('create and connect the stream, consumer, key, role, function and event source mapping')
    .description(
      'Ask for two profiles, a region, a deployment name, the stream and the function (new or existing), and the KMS key when there are keys to choose from; then "Customise names, capacity and mapping settings?" (default No) leads to every other question, each of which has a default. Every answer has a flag (and a --config key), and what flags give is not asked. Show the plan per account; and after one confirmation create (or adopt) every resource in both accounts. Safe to re-run: it starts from the answers the deployment recorded, leaves alone what exists and is right, and puts right what kds-xacct made that has drifted. On failure, what this run created is rolled back unless --no-rollback is given. A new KMS grant usually works within five minutes, so right after setup the mapping may not decrypt records yet (Lambda keeps and retries them, up to the mapping\'s maximum record age); --verify ends setup with a verified round trip, waiting that out within --verify-timeout and saying so.',
    )
    .option('--config <file>', 'JSON file with answers to every question (keys as the long flags in camelCase)')
    .option('--stream-name <name>', 'stream name (default: <name>-stream)')
    .option('--use-existing-stream', 'adopt an existing stream with --stream-name instead of creating one')
    .addOption(new Option('--capacity-mode <mode>', `stream capacity mode (default: ${DEFAULTS.capacityMode})`).choices(['on-demand', 'provisioned']))
    .option('--shards <n>', `shard count for a provisioned stream (default: ${DEFAULTS.shards})`, integer(1, 10_000))
    .option('--kms-key <key>', 'use this existing customer managed key (id, ARN, alias/name or alias ARN) instead of creating one')
    .option('--consumer-name <name>', 'EFO consumer name')
    .option('--role-name <name>', 'execution role name in the consumer account')
    .option('--function-name <name>', 'Lambda function name')
    .option('--use-existing-function', 'adopt an existing function with --function-name instead of deploying the bundled one')
    .addOption(new Option('--runtime <runtime>', `runtime of the bundled function (default: ${DEFAULTS.runtime})`).choices(['nodejs22.x', 'nodejs24.x']))
    .option('--log-retention-days <days>', `how long the log group setup makes for the function keeps logs (default: ${DEFAULTS.logRetentionDays}; an existing group keeps its own)`, logRetentionDays)
    .option('--batch-size <n>', `event source mapping batch size (default: ${DEFAULTS.batchSize})`, integer(1, 10_000))
    .addOption(new Option('--starting-position <position>', 'where a new mapping starts reading (default: TRIM_HORIZON for a new stream, AT_TIMESTAMP at the start of setup for an existing one)').choices(['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP']))
    .option('--starting-position-timestamp <time>', 'with AT_TIMESTAMP: read the records put from this ISO 8601 time, e.g. 2025-06-01T09:30:00Z (default: the start of setup)')
    .option('--max-retries <n>', `MaximumRetryAttempts of the mapping (-1 for unlimited; default: ${DEFAULTS.maxRetries})`, integer(-1, 10_000))
    .option('--max-record-age <seconds>', `MaximumRecordAgeInSeconds of the mapping (-1, or 60 to 604800; default: ${DEFAULTS.maxRecordAgeSeconds})`, integer(-1, 604_800))
    .option('--failure-destination <arn>', 'send the details of batches the mapping gives up on to this existing SQS queue, SNS topic or S3 bucket (only S3 also keeps the records) instead of a queue setup makes')
    .option('--no-failure-destination', 'give the mapping no on-failure destination: batches it gives up on are dropped without a trace')
    .option('--adopt', 'take over resources that already exist with our names but are not ours')
    .option('--no-rollback', 'keep what was created when a step fails, so a re-run resumes')
    .option('--dry-run', 'print the plan after read-only calls, and change nothing')
    .addOption(new Option('--verify', "end with a round trip: send one test record and wait until it is in the function's logs, as send-test-record --verify does").conflicts('dryRun'))
    .option('--verify-timeout <duration>', 'how long --verify waits for the record, e.g. 90s or 10m', '5m')
    .addHelpText(
      'after',
      examples(
        'kds-xacct setup',
        'kds-xacct setup --producer-profile prod --consumer-profile analytics --name orders --yes',
        'kds-xacct setup --name orders --yes --verify',
        'kds-xacct setup --name orders --stream-name clickstream --use-existing-stream --dry-run',
        'kds-xacct setup --config pipeline.json --yes --json',
      ),
    )
    .action(action<SetupFlags>(async () => (await import('./setup.js')).runSetup));
}
