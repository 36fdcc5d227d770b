import type { Command } from 'commander';
import { examples, type CommandAction } from './definition.js';

export function defineSandboxCommand(program: Command, action: CommandAction): Command {
  const sandbox = program
    .command('sandbox')
    .summary('manage the simulated accounts that --sandbox uses')
    .description(
      [
        'The sandbox is two simulated AWS accounts on this machine (kept in <state dir>/sandbox/), which every command uses under --sandbox instead of AWS. No credentials, no network.',
        '',
        "It models what kds-xacct relies on: asynchronous states, AWS's error codes, resource policies replaced whole, propagation delays, record delivery to the real bundled handler, and access judged over the real policies and grants.",
        'Its access judgement is a small IAM evaluator of our own: Allow/Deny, Action/Resource/Principal with wildcards, same- and cross-account rules, KMS grants, and the String/Arn/Bool/Null condition operators with ForAnyValue/ForAllValues and IfExists. It does not model NotPrincipal, numeric/date/IP conditions, policy variables, SCPs or permission boundaries: a policy that relies on those may be judged differently on AWS.',
      ].join('\n'),
    );
  sandbox
    .command('reset')
    .description("Empty the sandbox's simulated accounts and forget its deployments, after naming them and asking (--yes when there is no terminal). Real AWS accounts and real deployments are never touched.")
    .addHelpText('after', examples('kds-xacct sandbox reset', 'kds-xacct sandbox reset --yes'))
    .action(action(async () => (await import('./sandbox.js')).runSandboxReset));
  return sandbox;
}
