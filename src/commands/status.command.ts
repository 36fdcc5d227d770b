import type { Command } from 'commander';
import { examples, type CommandAction } from './definition.js';

export function defineStatusCommand(program: Command, action: CommandAction): Command {
  return program
    .command('status')
    .summary('check every resource of a deployment, and that the consumer role can read the stream')
    .description(
      "Report, per account and resource, whether it exists and is healthy: states, encryption, the event source mapping's last result, drift in our policy statements and grant, and a live policy simulation of what the mapping needs. Exit 0 when healthy, 1 when not.",
    )
    .addHelpText('after', examples('kds-xacct status --name orders', 'kds-xacct status --name orders --json'))
    .action(action(async () => (await import('./status.js')).runStatus));
}
