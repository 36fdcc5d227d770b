import { Chalk } from 'chalk';
import { spinners } from 'ora';
import { formatDuration } from '../engine/clock.js';
import { StepState, type EngineEvent } from '../engine/types.js';
import { describeEvent, eventMemory } from './plain.js';
import { fitLine, wrapAt, wrapWords, type OutputOptions, type Reporter } from './types.js';

const frames = spinners.dots.frames;

/**
 * A colour terminal, drawn the way listr2 and AWS Copilot show concurrent tasks: a live block with
 * one line per step in flight and its elapsed time, and above it a persistent line as each step finishes.
 * No line of the block is ever wider than the terminal: the block is erased by counting its lines,
 * and a line the terminal wrapped would be counted short and left behind (or erase a finished line).
 */
export class TtyReporter implements Reporter {
  private readonly chalk = new Chalk({ level: 1 });
  private readonly memory = eventMemory();
  private readonly running = new Map<string, { title: string; since: number; detail?: string }>();
  private drawnLines = 0;
  private waits = 0;
  private frame = 0;
  private ticker: NodeJS.Timeout | undefined;
  private releaseKeyboard: (() => void) | undefined;

  constructor(private readonly options: OutputOptions) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** Read at every draw, so a resized window is honoured from the next tick. */
  private get columns(): number {
    return (this.options.stdout as { columns?: number }).columns || 80;
  }

  private get rows(): number {
    return (this.options.stdout as { rows?: number }).rows || 24;
  }

  /** The codes that move up over the live block and clear it, to be written with what replaces it. */
  private erase(): string {
    const lines = this.drawnLines;
    this.drawnLines = 0;
    return lines > 0 ? `\u001b[${lines}A\r\u001b[J` : '';
  }

  private draw(): string {
    const now = this.now();
    const entries = [...this.running.values()];
    // Lines scrolled off the top cannot be reached by moving the cursor up, so the block stays within the window.
    const room = Math.max(1, this.rows - 2);
    const lines: string[] = [];
    let shown = 0;
    for (const entry of entries) {
      const entryLines = this.liveLines(entry, now);
      const reserved = shown + 1 < entries.length ? 1 : 0;
      if (lines.length + entryLines.length + reserved > room) break;
      lines.push(...entryLines);
      shown += 1;
    }
    if (shown < entries.length) lines.push(this.chalk.dim(fitLine(`  … and ${entries.length - shown} more`, this.columns - 1)));
    this.drawnLines = lines.length;
    return lines.map((line) => line + '\n').join('');
  }

  /** A step in flight: a long detail (an AWS error quoted while waiting) continues on indented lines, never cut. */
  private liveLines(entry: { title: string; since: number; detail?: string }, now: number): string[] {
    const width = this.columns - 1;
    const elapsed = formatDuration(now - entry.since);
    const text = wrapAt(`${frames[this.frame % frames.length]} ${entry.title}${entry.detail ? ` – ${entry.detail}` : ''}`, width, '  ');
    const timeFits = [...`${text.at(-1)!} ${elapsed}`].length <= width;
    const lines = text.map((line) => this.chalk.cyan(line));
    if (timeFits) lines[lines.length - 1] += this.chalk.dim(` ${elapsed}`);
    else lines.push(`  ${this.chalk.dim(elapsed)}`);
    return lines;
  }

  /** One write per frame: a terminal that drops output at a signal then drops whole frames, not an erase without its redraw. */
  private redraw(): void {
    this.options.stdout.write(this.erase() + this.draw());
  }

  private persist(text: string): void {
    this.options.stdout.write(this.erase() + text + '\n' + this.draw());
  }

  /** A finished step's line, wrapped at spaces and indented where it is too long: no name in it is cut. */
  private finishedLine(line: string): string {
    return wrapAt(line, this.columns - 1, '  ').join('\n');
  }

  /** While the block is on screen its times move, and the keyboard is held so that no echoed key moves the cursor under it. */
  private updateLiveBlock(): void {
    if (this.running.size > 0) {
      // Elapsed times move even when no event arrives.
      this.ticker ??= setInterval(() => {
        this.frame += 1;
        this.redraw();
      }, 100).unref();
      this.releaseKeyboard ??= this.options.keyboard?.hold();
      return;
    }
    clearInterval(this.ticker);
    this.ticker = undefined;
    this.releaseKeyboard?.();
    this.releaseKeyboard = undefined;
  }

  event(event: EngineEvent): void {
    const line = describeEvent(event, this.memory);
    const title = 'stepId' in event ? (this.memory.titles.get(event.stepId) ?? event.stepId) : '';
    switch (event.type) {
      case 'step:started':
      case 'step:undoing':
        this.running.set(event.stepId, { title, since: this.now() });
        this.redraw();
        break;
      case 'step:waiting':
        this.running.set(event.stepId, { title, since: this.running.get(event.stepId)?.since ?? this.now(), detail: event.detail });
        this.redraw();
        break;
      case 'step:done':
      case 'step:undone':
        this.running.delete(event.stepId);
        this.persist(
          (event.type === 'step:done' && event.state !== StepState.Created ? this.chalk.dim : this.chalk.green)(this.finishedLine(line!)),
        );
        break;
      case 'step:failed':
      case 'step:undo-failed':
        this.running.delete(event.stepId);
        this.persist(this.chalk.red(this.wrap(line!)));
        break;
      default:
        if (line) this.persist(this.chalk.yellow(this.wrap(line)));
    }
    this.updateLiveBlock();
  }

  private wrap(text: string): string {
    return wrapWords(text, this.columns - 1);
  }

  info(text: string): void {
    this.persist(this.wrap(text));
  }
  waiting(text: string): () => void {
    // Beside the steps in flight, under a key no step id takes.
    const key = `waiting:${this.waits++}`;
    this.running.set(key, { title: text, since: this.now() });
    this.redraw();
    this.updateLiveBlock();
    return () => {
      if (!this.running.delete(key)) return;
      this.redraw();
      this.updateLiveBlock();
    };
  }
  warn(text: string): void {
    this.persist(this.chalk.yellow(this.wrap(`Warning: ${text}`)));
  }
  error(text: string, hint?: string): void {
    this.close();
    // Wrapped before colouring, so that the escape codes count for no width.
    const message = this.wrap(`Error: ${text}`).slice('Error: '.length);
    this.options.stderr.write(`${this.chalk.red.bold('Error:')} ${message}\n${hint ? `${this.chalk.cyan(this.wrap(hint))}\n` : ''}`);
  }
  debug(text: string): void {
    if (this.options.debug) this.persist(this.chalk.gray(`[debug] ${text}`));
  }
  result(): void {}
  close(): void {
    this.running.clear();
    this.options.stdout.write(this.erase());
    this.updateLiveBlock();
  }
}
