import { CancelledError } from './errors.js';

export interface Choice<T> {
  name: string;
  value: T;
  description?: string;
  /** What the answered question shows as chosen, when the name also describes the choice. */
  short?: string;
}

/** The questions a command can ask. Tests replace it with scripted answers. */
export interface Prompter {
  input(options: { message: string; default?: string; validate?: (value: string) => string | true }): Promise<string>;
  password(options: { message: string }): Promise<string>;
  select<T>(options: { message: string; choices: Array<Choice<T>>; default?: T }): Promise<T>;
  confirm(options: { message: string; default: boolean }): Promise<boolean>;
}

/**
 * Ctrl-C at an inquirer prompt throws ExitPromptError, and Escape (which inquirer itself ignores, where a
 * person expects it to back out) aborts the prompt: either becomes our CancelledError (exit 130).
 */
async function cancellable<T>(ask: (context: { signal: AbortSignal }) => Promise<T>): Promise<T> {
  const escape = new AbortController();
  const onKey = (_: unknown, key?: { name?: string }) => {
    if (key?.name === 'escape') escape.abort();
  };
  // Inquirer's readline emits the terminal's keys as keypress events on stdin.
  process.stdin.on('keypress', onKey);
  try {
    return await ask({ signal: escape.signal });
  } catch (error) {
    if (error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError')) throw new CancelledError();
    throw error;
  } finally {
    process.stdin.off('keypress', onKey);
  }
}

/** The real prompts, loaded only when a command needs to ask something. */
export async function createInquirerPrompter(): Promise<Prompter> {
  const [inquirer, { Chalk }, { wrapWords }] = await Promise.all([import('@inquirer/prompts'), import('chalk'), import('./render/types.js')]);
  const red = new Chalk({ level: 1 }).red;
  // Inquirer breaks a long message itself, and can start a line with the space it broke at: it gets lines that already fit.
  const theme = { style: { error: (text: string) => red(wrapWords(`> ${text}`, (process.stdout.columns || 80) - 1)) } };
  return {
    input: (o) => cancellable((context) => inquirer.input({ ...o, theme }, context)),
    password: (o) => cancellable((context) => inquirer.password({ ...o, mask: '*' }, context)),
    select: (o) => cancellable((context) => inquirer.select(o, context)),
    confirm: (o) => cancellable((context) => inquirer.confirm(o, context)),
  };
}
