import type { Clock } from './clock.js';

/** The phases of a step, named in failures so the user knows how far it got. */
export type Phase = 'check' | 'apply' | 'wait' | 'undo';

/** Resource ids and ARNs a step produced, persisted in the state file and read by later steps. */
export type Outputs = Record<string, string>;

/** How a resource came to be part of a deployment. Only `created` is ever undone or deleted. */
export type Origin = 'created' | 'adopted';

/** What a step's check found. */
export type CheckResult = (
  /** It exists and matches: nothing to apply. `origin` says whether we made it or took it over. */
  | { status: 'done'; outputs: Outputs; origin: Origin; detail?: string }
  /** It does not exist: apply creates it, and a rollback of this run removes it. */
  | { status: 'missing'; detail?: string }
  /** It exists and is ours, but differs from the config: apply changes it in place, and a rollback leaves that change. */
  | { status: 'update'; outputs: Outputs; origin: Origin; detail: string }
  /** Not needed for this deployment (for example encryption on a stream that is already encrypted with our key). */
  | { status: 'skip'; detail: string }
) & {
  /**
   * What the user must know before anything changes, e.g. that others' producers will need a new
   * permission: the plan prints each under the step's line, and setup repeats them before it applies.
   */
  warnings?: string[];
};

/** What the engine hands a step. Narrow on purpose: AWS clients are closed over by the step itself. */
export interface StepContext {
  clock: Clock;
  /** Outputs of a step this one depends on (from this run or the state file). Throws if absent. */
  outputsOf(stepId: string): Outputs;
  /**
   * Outputs of a dependency that exists, or undefined while planning when it is still to be created:
   * only a dependency left out of `checkNeeds` can be, and the check must then do without it.
   */
  existingOutputsOf(stepId: string): Outputs | undefined;
  /** What the state file recorded for this step in an earlier run, if anything. */
  previous?: { outputs: Outputs; origin: Origin };
  /**
   * Records outputs before apply has finished, for an apply that makes more than one call:
   * if a later call fails, the engine knows something exists and undoes it.
   */
  record(outputs: Outputs): Promise<void>;
  /** Progress shown next to the spinner, e.g. "stream is CREATING". */
  progress(detail: string): void;
}

export interface Step {
  id: string;
  title: string;
  /** The account label the step acts in, e.g. "producer" or "consumer". */
  account: string;
  dependsOn: string[];
  /**
   * The dependencies whose outputs `check` reads (all of `dependsOn` when absent). While planning,
   * a step is checked as soon as these exist, even if another dependency is still to be created:
   * an existing mapping can be compared with the config while the role's inline policy is missing.
   */
  checkNeeds?: string[];
  /**
   * Steps whose call this step's calls must follow, without waiting for what they start: the step
   * starts once each of these has returned from apply (or found nothing to apply), not once it is
   * ready. For an order AWS imposes on calls only, e.g. RegisterStreamConsumer before
   * StartStreamEncryption makes the stream UPDATING, while the consumer is still CREATING. Gives no
   * outputs (outputsOf still needs dependsOn); planning, which only reads, checks without regard to
   * it; teardown, derived from dependsOn, does not reverse it.
   */
  startsAfter?: string[];
  check(ctx: StepContext): Promise<CheckResult>;
  /** The only phase allowed to mutate. Returns the resource ids it made. */
  apply(ctx: StepContext): Promise<Outputs>;
  /** Until the resource is ready. Runs after apply, and after a check that found it done but not yet ready. */
  wait?(ctx: StepContext, outputs: Outputs): Promise<void>;
  /** Removes what apply made. Absent for steps with nothing to remove. Returns what happened when "removed" would not say it (a key scheduled for deletion). */
  undo?(ctx: StepContext, outputs: Outputs): Promise<string | void>;
}

/**
 * Thrown by an undo that must leave its resource in place on purpose (a KMS key that still decrypts
 * records someone may read): the rollback goes on, the state file keeps the resource with `outputs`,
 * and the run reports it as kept, not as a removal that failed.
 */
export class KeptOnPurpose extends Error {
  constructor(
    message: string,
    readonly outputs: Outputs,
  ) {
    super(message);
    this.name = 'KeptOnPurpose';
  }
}

/** The state of one step in a run, as renderers see it. */
export enum StepState {
  /** Not started: waiting for dependencies or a free slot. */
  Pending = 'pending',
  /** In check, apply or wait. */
  Running = 'running',
  /** Check found it already there and right; no mutating call made. */
  AlreadyDone = 'already-done',
  /** Applied by this run and ready. */
  Created = 'created',
  /** Existed, and was changed in place by this run to match the config. */
  Updated = 'updated',
  /** Not needed for this deployment. */
  Skipped = 'skipped',
  /** Check, apply or wait threw. */
  Failed = 'failed',
  /** Never started because the run stopped first. */
  NotRun = 'not-run',
  /** Created by this run, then removed by rollback. */
  Undone = 'undone',
  /** Created by this run; rollback tried and failed, so it is still there. */
  UndoFailed = 'undo-failed',
}

export type EngineEvent =
  | { type: 'step:started'; stepId: string; title: string; account: string }
  | { type: 'step:checked'; stepId: string; result: CheckResult['status']; detail?: string }
  | { type: 'step:applied'; stepId: string; outputs: Outputs }
  | { type: 'step:waiting'; stepId: string; detail: string }
  | { type: 'step:done'; stepId: string; state: StepState; elapsedMs: number; detail?: string }
  | { type: 'step:failed'; stepId: string; phase: Phase; error: unknown; elapsedMs: number }
  | { type: 'step:undoing'; stepId: string; title: string; account: string }
  | { type: 'step:undone'; stepId: string; elapsedMs: number; /** Why it was left in place on purpose (KeptOnPurpose). */ kept?: string; /** What the undo did, when not a removal. */ detail?: string }
  | { type: 'step:undo-failed'; stepId: string; error: unknown }
  | { type: 'run:interrupted' }
  | { type: 'run:rollback'; steps: string[] };

export type EventListener = (event: EngineEvent) => void;
