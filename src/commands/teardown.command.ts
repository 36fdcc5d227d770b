import type { Command } from 'commander';
import type { TeardownFlags } from './flags.js';
import { examples, integer, type CommandAction } from './definition.js';

export function defineTeardownCommand(program: Command, action: CommandAction): Command {
  return program
    .command('teardown')
    .summary('delete what setup created, in reverse order, in both accounts')
    .description(
      'Delete what setup created for a deployment, in reverse order: the event source mapping first, the stream and consumer last, the KMS key scheduled for deletion. A key that encrypted an adopted stream stays Enabled until the records it encrypted have expired: teardown says until when, and running it again after then schedules its deletion. Adopted resources are kept; only what kds-xacct added to them (policy statements, grant, mapping) is removed. Without a state file, resources are found by their tags and names, in the accounts the last complete teardown recorded or those the profile flags name; running it again after a complete teardown says nothing is left and exits 0.',
    )
    .option('--key-pending-days <days>', 'waiting period between scheduling the deletion of the KMS key and its deletion', integer(7, 30), 30)
    .option('--keep-key', 'keep the KMS key setup created even when it may be deleted; a later teardown without this flag deletes it')
    .option('--delete-failure-queue', 'delete the failure queue setup made even if it still holds reports of failed batches (an empty one is always deleted)')
    .option('--keep-logs', "keep the function's CloudWatch log group that setup made (one it did not make is never deleted)")
    .option('--delete-stream-with-consumers', 'delete our stream even if other consumers are registered on it')
    .addHelpText('after', examples('kds-xacct teardown --name orders', 'kds-xacct teardown --name orders --yes --key-pending-days 7'))
    .action(action<TeardownFlags>(async () => (await import('./teardown.js')).runTeardown));
}
