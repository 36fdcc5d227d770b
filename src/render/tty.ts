import { Chalk } from 'chalk';
import ora, { type Ora } from 'ora';
import { StepState, type EngineEvent } from '../engine/types.js';
import { describeEvent } from './plain.js';
import { formatDuration, type OutputOptions, type Reporter } from './types.js';

/**
 * A colour terminal: one ora spinner naming every step in flight with its elapsed time, and a
 * persistent coloured line as each step finishes. Steps run concurrently, so one spinner lists them all.
 */
export class TtyReporter implements Reporter {
  private readonly chalk = new Chalk({ level: 1 });
  private readonly titles = new Map<string, string>();
  private readonly running = new Map<string, { since: number; detail?: string }>();
  private readonly spinner: Ora;
  private ticker: NodeJS.Timeout | undefined;

  constructor(private readonly options: OutputOptions) {
    this.spinner = ora({ stream: options.stdout as NodeJS.WritableStream, isEnabled: true, discardStdin: false });
  }

  private persist(text: string): void {
    const spinning = this.spinner.isSpinning;
    if (spinning) this.spinner.clear();
    this.options.stdout.write(text + '\n');
    if (spinning) this.spinner.render();
  }

  private refresh(): void {
    if (this.running.size === 0) {
      this.spinner.stop();
      if (this.ticker) clearInterval(this.ticker);
      this.ticker = undefined;
      return;
    }
    const now = Date.now();
    this.spinner.text = [...this.running]
      .map(([id, r]) => `${this.titles.get(id) ?? id}${r.detail ? ` – ${r.detail}` : ''} ${this.chalk.dim(formatDuration(now - r.since))}`)
      .join(this.chalk.dim(' · '));
    if (!this.spinner.isSpinning) this.spinner.start();
    // Elapsed times move even when no event arrives.
    this.ticker ??= setInterval(() => this.refresh(), 1000).unref();
  }

  event(event: EngineEvent): void {
    const line = describeEvent(event, this.titles);
    switch (event.type) {
      case 'step:started':
      case 'step:undoing':
        this.running.set(event.stepId, { since: Date.now() });
        break;
      case 'step:waiting':
        this.running.set(event.stepId, { since: this.running.get(event.stepId)?.since ?? Date.now(), detail: event.detail });
        break;
      case 'step:done':
      case 'step:undone':
        this.running.delete(event.stepId);
        this.persist(
          event.type === 'step:done' && event.state !== StepState.Created ? this.chalk.dim(line!) : this.chalk.green(line!),
        );
        break;
      case 'step:failed':
      case 'step:undo-failed':
        this.running.delete(event.stepId);
        this.persist(this.chalk.red(line!));
        break;
      default:
        if (line) this.persist(this.chalk.yellow(line));
    }
    this.refresh();
  }

  info(text: string): void {
    this.persist(text);
  }
  warn(text: string): void {
    this.persist(this.chalk.yellow(`Warning: ${text}`));
  }
  error(text: string, hint?: string): void {
    this.close();
    this.options.stderr.write(`${this.chalk.red.bold('Error:')} ${text}\n${hint ? `${this.chalk.cyan(hint)}\n` : ''}`);
  }
  debug(text: string): void {
    if (this.options.debug) this.persist(this.chalk.gray(`[debug] ${text}`));
  }
  result(): void {}
  close(): void {
    this.running.clear();
    this.refresh();
  }
}
