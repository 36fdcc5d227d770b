import type { Command } from 'commander';
import type { SendTestRecordFlags } from './flags.js';
import { examples, integer, type CommandAction } from './definition.js';

export function defineSendTestRecordCommand(program: Command, action: CommandAction): Command {
  return program
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
    .action(action<SendTestRecordFlags>(async () => (await import('./send-test-record.js')).runSendTestRecord));
}
