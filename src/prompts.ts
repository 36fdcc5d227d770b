import { InterruptedError } from './errors.js';

export interface Choice<T> {
  name: string;
  value: T;
  description?: string;
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
    if (error instanceof Error && error.name === 'ExitPromptError') throw new InterruptedError('Cancelled at a prompt. Nothing was changed.');
    throw error;
  }
}

/** The real prompts, loaded only when a command needs to ask something. */
export async function createInquirerPrompter(): Promise<Prompter> {
  const inquirer = await import('@inquirer/prompts');
  return {
    input: (o) => mapCancel(inquirer.input(o)),
    password: (o) => mapCancel(inquirer.password({ ...o, mask: '*' })),
    select: (o) => mapCancel(inquirer.select(o)),
    confirm: (o) => mapCancel(inquirer.confirm(o)),
  };
}
