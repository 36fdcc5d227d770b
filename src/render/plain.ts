import { errorMessage } from '../errors.js';
import { formatDuration } from '../engine/clock.js';
import { StepState, type EngineEvent } from '../engine/types.js';
import type { OutputOptions, Reporter } from './types.js';

const doneWords: Partial<Record<StepState, string>> = {
  [StepState.Created]: 'created',
  [StepState.Updated]: 'updated',
  [StepState.AlreadyDone]: 'already done',
  [StepState.Skipped]: 'skipped',
};

/** What describing an event remembers of the earlier ones. */
export interface EventMemory {
  /** Each step's title and account, as it started. */
  titles: Map<string, string>;
  /** Steps a rollback undid. Any other step that ends undone was a removal (teardown's), whose title says what it did. */
  undoing: Set<string>;
}

export function eventMemory(): EventMemory {
  return { titles: new Map(), undoing: new Set() };
}

/**
 * Describes an engine event in one line of plain text, or undefined for events not worth a line.
 * Shared by the plain renderer and the TTY renderer's persistent lines.
 */
export function describeEvent(event: EngineEvent, { titles, undoing }: EventMemory): string | undefined {
  const title = 'stepId' in event ? (titles.get(event.stepId) ?? event.stepId) : '';
  switch (event.type) {
    case 'step:started':
      titles.set(event.stepId, `${event.title} [${event.account}]`);
      return undefined;
    case 'step:checked':
      return undefined;
    case 'step:applied':
      return undefined;
    case 'step:waiting':
      return `… ${title}: ${event.detail}`;
    case 'step:done':
      return `✔ ${title}: ${doneWords[event.state] ?? event.state}${event.detail ? ` (${event.detail})` : ''} ${formatDuration(event.elapsedMs)}`;
    case 'step:failed':
      return `✖ ${title}: failed during ${event.phase} after ${formatDuration(event.elapsedMs)}: ${errorMessage(event.error)}`;
    case 'step:undoing':
      titles.set(event.stepId, `${event.title} [${event.account}]`);
      undoing.add(event.stepId);
      return `↺ ${event.title} [${event.account}]: undoing`;
    case 'step:undone':
      if (event.kept) return `↺ ${title}: kept: ${event.kept}`;
      // "schedule deletion of KMS key …: removed" would say what did not happen.
      return `↺ ${title}: ${event.detail ?? (undoing.has(event.stepId) ? 'removed' : 'done')} ${formatDuration(event.elapsedMs)}`;
    case 'step:undo-failed':
      return `✖ ${title}: could not be removed: ${errorMessage(event.error)}`;
    case 'run:interrupted':
      return 'Interrupted: no new step will start; the steps in flight finish first (press Ctrl-C again to stop at once).';
    case 'run:rollback':
      return event.steps.length ? `Rolling back what this run created (${event.steps.length} step(s))…` : 'Nothing to roll back.';
  }
}

/** One line per event, no colour, no cursor movement: for pipes, CI and `NO_COLOR`. */
export class PlainReporter implements Reporter {
  private readonly memory = eventMemory();

  constructor(private readonly options: OutputOptions) {}

  event(event: EngineEvent): void {
    const line = describeEvent(event, this.memory);
    if (line) this.options.stdout.write(line + '\n');
  }
  waiting(text: string): () => void {
    this.info(text);
    return () => undefined;
  }
  info(text: string): void {
    this.options.stdout.write(text + '\n');
  }
  warn(text: string): void {
    this.options.stderr.write(`Warning: ${text}\n`);
  }
  error(text: string, hint?: string): void {
    this.options.stderr.write(`Error: ${text}\n${hint ? `${hint}\n` : ''}`);
  }
  debug(text: string): void {
    if (this.options.debug) this.options.stderr.write(`[debug] ${text}\n`);
  }
  result(): void {}
  close(): void {}
}
