import type { Origin, Outputs } from './types.js';

/** What the state file says about one step. */
export interface StepRecord {
  origin: Origin | 'skipped';
  /** `applying` while apply or wait is in flight: the resource may exist without being ready. */
  phase: 'applying' | 'ready';
  outputs: Outputs;
  /** The run that created or adopted it; rollback only undoes its own run's records. */
  runId: string;
  updatedAt: string;
  detail?: string;
}

/** What a run of steps reads and writes: each step's record, and when the last one changed. */
export interface StepLedger {
  updatedAt: string;
  steps: Record<string, StepRecord>;
}
