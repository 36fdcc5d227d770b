/** What every renderer shares: the Reporter interface, output options and formatting. The factory lives in reporter.ts. */
import type { EngineEvent } from '../engine/types.js';

/** Where a command's output goes. Only the renderers know about colours, spinners and JSON. */
export interface Reporter {
  /** Step progress from the engine. */
  event(event: EngineEvent): void;
  /** Human text: a plan, a summary, a next step. On stderr under `--json`. */
  info(text: string): void;
  warn(text: string): void;
  /** A failure, already worded for the user, with an optional hint on what to do. */
  error(text: string, hint?: string): void;
  /** Extra detail shown only under `--debug`. */
  debug(text: string): void;
  /** The command's machine-readable result: printed as one JSON document on stdout under `--json`, ignored otherwise. */
  result(value: unknown): void;
  /** Stops spinners; call before exiting. */
  close(): void;
}

export interface Writer {
  write(text: string): unknown;
}

export interface OutputOptions {
  stdout: Writer;
  stderr: Writer;
  /** Whether stdout is a terminal. */
  isTTY: boolean;
  json: boolean;
  /** False under `--no-color` or `NO_COLOR`. */
  color: boolean;
  debug: boolean;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}
