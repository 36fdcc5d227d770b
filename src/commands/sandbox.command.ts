import type { Command } from 'commander';
import { examples, type CommandAction } from './definition.js';

export function defineSandboxCommand(program: Command, action: CommandAction): Command {
  const sandbox = program
    .command('sandbox')
    .summary('manage the simulated accounts that --sandbox uses')
    .description(
      'The sandbox is two simulated AWS accounts on this machine (kept in <state dir>/sandbox/), which every command uses under --sandbox instead of AWS. No credentials, no network.',
    );
  sandbox
    .command('reset')
    .description("Empty the sandbox's simulated accounts and forget its deployments. Real AWS accounts and real deployments are never touched.")
    .addHelpText('after', examples('kds-xacct sandbox reset'))
    .action(action(async () => (await import('./sandbox.js')).runSandboxReset));
  return sandbox;
}
