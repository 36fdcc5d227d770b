import { systemClock } from './engine/clock.js';
import { Interrupt } from './engine/engine.js';
import { FileStateStore } from './deployment/store.js';
import { startCli } from './program.js';
import { createInquirerPrompter } from './prompts.js';
import { terminalKeyboard } from './render/keyboard.js';

// The SDK warns on every run that its 2027 releases need Node 22; the README says so once instead,
// and the warning would break the JSON lines that --json writes to stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// The only place that exits the process. Everything below throws or returns an exit code.
const interrupt = new Interrupt();
const cli = startCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  stdoutIsTTY: process.stdout.isTTY === true,
  stdoutColumns: process.stdout.columns,
  stdinIsTTY: process.stdin.isTTY === true,
  // A Ctrl-C read from the held keyboard reaches the same handler as one the terminal signals.
  keyboard: process.stdin.isTTY ? terminalKeyboard(process.stdin, () => process.kill(process.pid, 'SIGINT')) : undefined,
  env: process.env,
  cwd: process.cwd(),
  script: process.argv[1],
  clock: systemClock,
  interrupt,
  sessions: async (logger) => (await import('./aws/sessions.js')).createSessionFactory({ logger }),
  prompter: createInquirerPrompter,
  stateStore: (dir, hints) => new FileStateStore(dir, { hints }),
});
process.on('SIGINT', () => {
  // Second Ctrl-C: leave now, reported like any other exit.
  if (interrupt.interrupted) void cli.stop().then((code) => process.exit(code));
  // Commands say what the first Ctrl-C means for them: a safe stop for setup, the end for tail-logs.
  else interrupt.trigger();
});
process.exit(await cli.exitCode);
