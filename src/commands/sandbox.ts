import type { CommandContext } from '../context.js';
import { ExitCode, UserError } from '../errors.js';

export async function runSandboxReset(ctx: CommandContext): Promise<ExitCode> {
  const deployments = await ctx.store.list();
  const discarded = deployments.length > 0 ? `its ${deployments.length} deployment(s), ${quoted(deployments)}` : 'no deployments';
  if (!ctx.interactive && !ctx.options.yes) {
    const why = ctx.options.json ? 'and --json asks no questions' : 'and there is no terminal to ask';
    throw new UserError(`sandbox reset empties the sandbox's accounts and forgets ${discarded}: it needs a confirmation, ${why}.`, 'Pass --yes to reset unattended.');
  }
  if (ctx.interactive) {
    ctx.reporter.info(`Reset empties the sandbox's accounts and forgets ${discarded}. Real AWS accounts and real deployments are not touched.`);
    const prompter = await ctx.environment.prompter();
    if (!(await prompter.confirm({ message: 'Reset the sandbox?', default: false }))) {
      ctx.reporter.info('Nothing was changed.');
      return ExitCode.Success;
    }
  }
  await ctx.environment.sandbox!.reset();
  ctx.reporter.info(`The sandbox is empty: its accounts hold nothing, and it has no deployments${deployments.length > 0 ? ` (it forgot ${quoted(deployments)})` : ''}.`);
  ctx.reporter.result({ outcome: 'reset', deployments });
  return ExitCode.Success;
}

const quoted = (names: string[]): string => names.map((name) => `"${name}"`).join(', ');
