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

/** Ctrl-C at an inquirer prompt throws ExitPromptError; it becomes our InterruptedError (exit 130). */
async function mapCancel<T>(answer: Promise<T>): Promise<T> {
  try {
    return await answer;
  } catch (error) {
    if (error instanceof Error && error.name === 'ExitPromptError') throw new CancelledError();
    throw error;
  }
}

/** The real prompts, loaded only when a command needs to ask something. */
export async function createInquirerPrompter(): Promise<Prompter> {
  const [inquirer, { Chalk }, { wrapWords }] = await Promise.all([import('@inquirer/prompts'), import('chalk'), import('./render/types.js')]);
  const red = new Chalk({ level: 1 }).red;
  // Inquirer breaks a long message itself, and can start a line with the space it broke at: it gets lines that already fit.
  const theme = { style: { error: (text: string) => red(wrapWords(`> ${text}`, (process.stdout.columns || 80) - 1)) } };
  return {
    input: (o) => mapCancel(inquirer.input({ ...o, theme })),
    password: (o) => mapCancel(inquirer.password({ ...o, mask: '*' })),
    select: (o) => mapCancel(inquirer.select(o)),
    confirm: (o) => mapCancel(inquirer.confirm(o)),
  };
}
