import { errorMessage, awsErrorCode, type ExitCode } from '../errors.js';
import type { EngineEvent } from '../engine/types.js';
import type { ErrorDetails, OutputOptions, Reporter } from './types.js';

/**
 * `--json`: every event and message as a JSON line on stderr, and on stdout one document per run, written
 * at close: the exit code, the command's result and the error that ended it. A command may report its
 * result and then fail, so nothing reaches stdout before the exit code is known.
 */
export class JsonReporter implements Reporter {
  private body: object = {};
  private failure: ({ message: string; hint?: string } & ErrorDetails) | undefined;
  /** The first step that failed: its AWS code is the error's when the command words the failure itself. */
  private failedStep: ErrorDetails | undefined;
  private closed = false;

  constructor(private readonly options: OutputOptions) {}

  private line(value: Record<string, unknown>): void {
    this.options.stderr.write(JSON.stringify(value) + '\n');
  }

  event(event: EngineEvent): void {
    if ('error' in event) {
      const { error, ...rest } = event;
      if (event.type === 'step:failed') this.failedStep ??= { code: awsErrorCode(error), step: event.stepId };
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
  waiting(text: string): () => void {
    this.info(text);
    return () => undefined;
  }
  error(text: string, hint?: string, details?: ErrorDetails): void {
    this.line({ type: 'log', level: 'error', message: text, hint, ...details });
    // The first error is the one that ended the run; any later one follows from it.
    this.failure ??= { message: text, hint, ...(details ?? this.failedStep) };
  }
  debug(text: string): void {
    if (this.options.debug) this.line({ type: 'log', level: 'debug', message: text });
  }
  result(value: object): void {
    this.body = value;
  }
  close(exitCode: ExitCode): void {
    // A second Ctrl-C closes the run while the command may still close it too: one document only.
    if (this.closed) return;
    this.closed = true;
    // Indented for a person at a terminal; one line for a pipe, where tail-logs' events are one line each too.
    const indent = this.options.isTTY ? 2 : undefined;
    this.options.stdout.write(JSON.stringify({ exitCode, ...this.body, ...(this.failure && { error: this.failure }) }, null, indent) + '\n');
  }
}
