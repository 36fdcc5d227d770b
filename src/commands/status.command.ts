import type { Command } from 'commander';
import type { StatusFlags } from './flags.js';
import { examples, type CommandAction } from './definition.js';

export function defineStatusCommand(program: Command, action: CommandAction): Command {
  return program
    .command('status')
    .summary("check every resource of a deployment, and what Lambda reports about reading the stream")
    .description(
      "Report, per account and resource, whether it exists and is healthy: states, encryption, drift in our policy statements, inline policy and grant (compared exactly with what setup writes), and AWS's own signals: the event source mapping's state and last processing result (for example PROBLEM: Cannot access stream, or a KMS access problem) and the function's state and last update. Each problem comes with a one-line fix. Exit 0 when healthy, 1 when not, 2 when there is no such deployment.",
    )
    .option('--arns', 'list the full ARN of every resource, one per line (shown anyway when the terminal is wide enough)')
    .addHelpText(
      'after',
      `${examples('kds-xacct status --name orders', 'kds-xacct status --name orders --arns', 'kds-xacct status --name orders --json')}
status runs no IAM policy simulation. It compares kds-xacct's own statements
exactly, and passes on what Lambda reports when it reads the stream, which
weighs every policy, grant and SCP: a Deny someone else added shows there.
A KMS access problem within 5 minutes of the grant is a warning: a new grant
usually works within 5 minutes, and Lambda retries meanwhile.
`,
    )
    .action(action<StatusFlags>(async () => (await import('./status.js')).runStatus));
}
