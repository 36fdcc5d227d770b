import type { Prompter } from '../../src/prompts.js';

/** An answer to one question: matched by the question's text, in order. `undefined` is Enter: it takes the default. */
export type ScriptedAnswer = [question: RegExp, answer: unknown];

/**
 * Prompts that answer from a script, checking each question is the one expected and each typed
 * answer passes the prompt's own validation, as a user at the terminal would experience it.
 */
export function scriptedPrompter(script: ScriptedAnswer[]): Prompter & { asked: string[] } {
  const asked: string[] = [];
  const next = (message: string): unknown => {
    const entry = script.shift();
    if (!entry) throw new Error(`Unscripted question: ${message}`);
    if (!entry[0].test(message)) throw new Error(`Expected a question matching ${entry[0]}, was asked: ${message}`);
    asked.push(message);
    if (entry[1] instanceof Error) throw entry[1];
    return entry[1];
  };
  return {
    asked,
    async input(options) {
      const answer = (next(options.message) as string | undefined) ?? options.default ?? '';
      const valid = options.validate?.(answer) ?? true;
      if (valid !== true) throw new Error(`Scripted answer "${answer}" to "${options.message}" is invalid: ${valid}`);
      return answer;
    },
    async password(options) {
      return next(options.message) as string;
    },
    async select<T>(options: { message: string; choices: Array<{ value: T }>; default?: T }) {
      // Enter picks the default, or the first choice as inquirer's select does.
      const answer = (next(options.message) as T | undefined) ?? options.default ?? options.choices[0]!.value;
      if (!options.choices.some((c) => c.value === answer)) throw new Error(`Scripted answer ${String(answer)} is not a choice of "${options.message}"`);
      return answer;
    },
    async confirm(options) {
      return (next(options.message) as boolean | undefined) ?? options.default;
    },
  };
}
