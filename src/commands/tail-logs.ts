import type { CommandContext } from '../context.js';
import { CommandFailedError, ExitCode } from '../errors.js';

// PLACEHOLDER: replaced by the real command in its own issue.
export async function runTailLogs(_ctx: CommandContext, _options: Record<string, unknown>): Promise<ExitCode> {
  throw new CommandFailedError('`tail-logs` is not available yet.', ExitCode.Failed);
}
