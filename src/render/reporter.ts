import type { OutputOptions, Reporter } from './types.js';

/** The renderer that fits the options: JSON lines, ora spinners on a colour terminal, or plain lines. */
export async function createReporter(options: OutputOptions): Promise<Reporter> {
  if (options.json) {
    const { JsonReporter } = await import('./json.js');
    return new JsonReporter(options);
  }
  if (options.isTTY && options.color) {
    const { TtyReporter } = await import('./tty.js');
    return new TtyReporter(options);
  }
  const { PlainReporter } = await import('./plain.js');
  return new PlainReporter(options);
}
