import type { EngineEvent } from '../engine/types.js';
import type { Reporter } from './types.js';

/** Keeps everything it is given, for tests and the benchmark to inspect. */
export class RecordingReporter implements Reporter {
  readonly events: EngineEvent[] = [];
  readonly lines: Array<{ level: 'info' | 'warn' | 'error' | 'debug'; text: string; hint?: string }> = [];
  readonly results: unknown[] = [];

  event(event: EngineEvent): void {
    this.events.push(event);
  }
  info(text: string): void {
    this.lines.push({ level: 'info', text });
  }
  warn(text: string): void {
    this.lines.push({ level: 'warn', text });
  }
  error(text: string, hint?: string): void {
    this.lines.push({ level: 'error', text, hint });
  }
  debug(text: string): void {
    this.lines.push({ level: 'debug', text });
  }
  waiting(text: string): () => void {
    this.info(text);
    return () => undefined;
  }
  result(value: unknown): void {
    this.results.push(value);
  }
  close(): void {}

  /** Every line of text, for substring assertions. */
  get text(): string {
    return this.lines.map((l) => (l.hint ? `${l.text}\n${l.hint}` : l.text)).join('\n');
  }
}
