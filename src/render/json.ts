import { errorMessage, awsErrorCode } from '../errors.js';
import type { EngineEvent } from '../engine/types.js';
import type { OutputOptions, Reporter } from './types.js';

/** `--json`: every event and message as a JSON line on stderr, the result as one document on stdout. */
export class JsonReporter implements Reporter {
  constructor(private readonly options: OutputOptions) {}

  private line(value: Record<string, unknown>): void {
    this.options.stderr.write(JSON.stringify(value) + '\n');
  }

  event(event: EngineEvent): void {
    if ('error' in event) {
      const { error, ...rest } = event;
      this.line({ ...rest, error: { message: errorMessage(error), code: awsErrorCode(error) } });
    } else {
      this.line(event);
    }
  }
  info(text: string): void {
    this.line({ type: 'log', level: 'info', message: text });
  }
  warn(text: string): void {
    this.line({ type: 'log', level: 'warn', message: text });
  }
  error(text: string, hint?: string): void {
    this.line({ type: 'log', level: 'error', message: text, hint });
  }
  debug(text: string): void {
    if (this.options.debug) this.line({ type: 'log', level: 'debug', message: text });
  }
  result(value: unknown): void {
    this.options.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }
  close(): void {}
}
