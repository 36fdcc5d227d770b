import { systemClock } from './engine/clock.js';
import { Interrupt } from './engine/engine.js';
import { FileStateStore } from './engine/state.js';
import { ExitCode } from './errors.js';
import { runCli } from './program.js';
import { createInquirerPrompter } from './prompts.js';

// The SDK warns on every run that its 2027 releases need Node 22; the README says so once instead,
// and the warning would break the JSON lines that --json writes to stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// The only place that exits the process. Everything below throws or returns an exit code.
const interrupt = new Interrupt();
process.on('SIGINT', () => {
  if (interrupt.interrupted) {
    // Second Ctrl-C: leave now. State files are only ever replaced by rename, so they stay whole.
    process.stderr.write('\nStopped immediately. Run the same command again to resume or clean up.\n');
    process.exit(ExitCode.Interrupted);
  }
  // Commands say what the first Ctrl-C means for them: a safe stop for setup, the end for tail-logs.
  interrupt.trigger();
});

const exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  stdoutIsTTY: process.stdout.isTTY === true,
  stdoutColumns: process.stdout.columns,
  stdinIsTTY: process.stdin.isTTY === true,
  env: process.env,
  cwd: process.cwd(),
  clock: systemClock,
  interrupt,
  sessions: async (logger) => (await import('./aws/sessions.js')).createSessionFactory({ logger }),
  prompter: createInquirerPrompter,
  stateStore: (dir, hints) => new FileStateStore(dir, { hints }),
});
process.exit(exitCode);
