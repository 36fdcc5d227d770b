/**
 * What a step reads live for `status`, beyond its check: the resource's state as AWS reports it, and the
 * problems a check does not look at. Each step that has something to say declares `health` (PipelineStep);
 * `assessHealth` in health.ts runs them all at once and puts their readings into the report.
 */
import type { AccountRole } from '../aws/session.js';
import type { Clock } from '../engine/clock.js';
import type { Origin, Outputs } from '../engine/types.js';
import { awsErrorCode, errorMessage } from '../errors.js';
import type { Finding, HealthReport } from './health-report.js';
import { callAws, isNotFound } from '../aws/retry.js';
import type { PipelineContext } from './steps/context.js';

export type Read<T> = { ok: true; value: T } | { ok: false; missing: boolean; error: unknown };

/** What a step's health reading may use: the deployment, what the checks found, and reads that never throw. */
export interface HealthContext {
  clock: Clock;
  pipeline: PipelineContext;
  /** A step's outputs: from status's own check when it found them, else from the state file. */
  outputsOf(stepId: string): Outputs;
  /** Whether the check found the step's resource missing: setup would create it. */
  missing(stepId: string): boolean;
  /** Whether the check already reported a problem with the step, which a live reading then does not repeat. */
  reported(stepId: string): boolean;
  /** How the step's resource came to be part of the deployment, as the check found it or the state file says. */
  origin(stepId: string): Origin | undefined;
  /**
   * A read that never throws: status reports what it could not read instead of stopping. Readings that ask
   * for the same `what` (the stream's summary, for the stream and its encryption) share one call.
   */
  read<T>(what: string, call: () => Promise<T>): Promise<Read<T>>;
  /** The setup command line that repairs this deployment, quoted in fixes. */
  repairCommand: string;
  /** The tail-logs command line that shows the function's errors since a duration ago (e.g. "1h"), quoted in fixes. */
  tailLogsCommand(since: string): string;
}

/** What a step's health reading found. */
export interface HealthReading {
  /** The live state AWS reports: ACTIVE, Enabled, PendingDeletion, ... */
  state?: string;
  findings?: Finding[];
  /** What the report says beyond the resource's line (the stream's encryption, the mapping's signals). */
  report?: Partial<Pick<HealthReport, 'stream' | 'eventSourceMapping' | 'delivery'>>;
}

/** "run `kds-xacct setup …` again to repair", as fixes say it. */
export function repairFix(live: Pick<HealthContext, 'repairCommand'>): string {
  return `run \`${live.repairCommand}\` again to repair`;
}

export const describeError = (error: unknown) => `${awsErrorCode(error) ? `${awsErrorCode(error)}: ` : ''}${errorMessage(error)}`;

/** A read that failed for a reason other than "not there" is worth a warning: status could not see it. */
export function unreadable(live: HealthContext, r: Read<unknown> | undefined, step: string, account: AccountRole, what: string): Finding[] {
  if (!r || r.ok || r.missing) return [];
  return [{ severity: 'warning', step, account, message: `could not read ${what}: ${describeError(r.error)}`, fix: `check that profile ${live.pipeline[account].profile} may read it, then run status again` }];
}

/** The reads of one status run, each made once however many readings ask for it. */
export function sharedReads(clock: Clock): HealthContext['read'] {
  const made = new Map<string, Promise<Read<unknown>>>();
  return <T>(what: string, call: () => Promise<T>) => {
    if (!made.has(what)) made.set(what, readOnce(clock, call));
    return made.get(what)! as Promise<Read<T>>;
  };
}

async function readOnce<T>(clock: Clock, call: () => Promise<T>): Promise<Read<T>> {
  try {
    return { ok: true, value: await callAws(clock, call) };
  } catch (error) {
    return { ok: false, missing: isNotFound(error), error };
  }
}
