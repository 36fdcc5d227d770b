import { Option, type Command } from 'commander';
import type { TailLogsFlags } from './flags.js';
import { examples, type CommandAction } from './definition.js';

export function defineTailLogsCommand(program: Command, action: CommandAction): Command {
  return program
    .command('tail-logs')
    .summary("follow the consumer function's logs (consumer account)")
    .description(
      "Follow the consumer function's CloudWatch log group with Live Tail (falling back to polling), showing the bundled handler's record lines readably. Ctrl-C ends it.",
    )
    .option('--since <duration>', 'show history from this long ago first, e.g. 10m or 2h')
    .option('--no-follow', 'print what is there and exit')
    .option('--filter <pattern>', 'CloudWatch Logs filter pattern')
    .option('--function-name <name>', "tail this function instead of the deployment's (also --function)")
    // The name this flag had first; --function-name is the name setup and send-test-record use.
    .addOption(new Option('--function <name>').hideHelp())
    .addHelpText('after', examples('kds-xacct tail-logs --name orders', 'kds-xacct tail-logs --name orders --since 10m --no-follow'))
    .action(action<TailLogsFlags>(async () => (await import('./tail-logs.js')).runTailLogs));
}
