import type { CommandContext } from '../context.js';
import { CommandFailedError, ExitCode } from '../errors.js';

// PLACEHOLDER: replaced by the real command in its own issue.
export async function runSendTestRecord(_ctx: CommandContext, _options: Record<string, unknown>): Promise<ExitCode> {
  throw new CommandFailedError('`send-test-record` is not available yet.', ExitCode.Failed);
}
