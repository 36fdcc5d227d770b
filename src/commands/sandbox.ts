import type { CommandContext } from '../context.js';
import { ExitCode } from '../errors.js';

export async function runSandboxReset(ctx: CommandContext): Promise<ExitCode> {
  await ctx.environment.sandbox!.reset();
  ctx.reporter.info('The sandbox is empty: its accounts hold nothing, and it has no deployments.');
  ctx.reporter.result({ outcome: 'reset' });
  return ExitCode.Success;
}
