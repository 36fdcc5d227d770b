import { ExitCode } from '../errors.js';
import type { Clock } from './clock.js';
import type { StepLedger, StepRecord } from './state.js';
import {
  KeptOnPurpose,
  StepState,
  type CheckResult,
  type EventListener,
  type Outputs,
  type Phase,
  type Step,
  type StepContext,
} from './types.js';

/** A step's failure, with where it happened. */
export class StepError extends Error {
  override name = 'StepError';
  constructor(
    readonly step: Pick<Step, 'id' | 'title' | 'account'>,
    readonly phase: Phase,
    override readonly cause: unknown,
  ) {
    super(`${step.title} (${step.account} account) failed during ${phase}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** What this run created that is still there after the run: rollback failed, or was not wanted. */
export interface Leftover {
  stepId: string;
  title: string;
  account: string;
  outputs: Outputs;
  /** Why undo failed; absent when rollback was not attempted. */
  error?: unknown;
  /** Why undo left it in place on purpose (KeptOnPurpose): not a failure of the rollback. */
  kept?: string;
}

export interface RunResult {
  outcome: 'succeeded' | 'failed' | 'interrupted';
  /** The failure that stopped the run, if any. */
  failure?: StepError;
  /** Whether a rollback ran (and which steps it covered). */
  rolledBack: string[];
  leftovers: Leftover[];
  /** Steps this run applied, in order of completion. */
  applied: string[];
  states: Record<string, StepState>;
}

/** Set by the first Ctrl-C: no new step starts, in-flight steps finish. */
export class Interrupt {
  private triggered = false;
  private readonly listeners: Array<() => void> = [];

  get interrupted(): boolean {
    return this.triggered;
  }
  trigger(): void {
    if (this.triggered) return;
    this.triggered = true;
    for (const listener of this.listeners) listener();
  }
  /** Calls `listener` on the first Ctrl-C; returns a function that stops listening. */
  onTrigger(listener: () => void): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }
}

export interface RunOptions<L extends StepLedger = StepLedger> {
  steps: Step[];
  /** Mutated as steps progress; persisted through `save` after every transition. */
  state: L;
  save: (state: L) => Promise<void>;
  clock: Clock;
  runId: string;
  emit: EventListener;
  /** Undo what this run created when a step fails or the run is interrupted. */
  rollback: boolean;
  concurrency?: number;
  interrupt?: Interrupt;
  /**
   * After a failure, keep running the steps that do not depend on the failed one (teardown deletes
   * all it can); by default nothing new starts, so that the rollback has less to undo.
   */
  continueAfterFailure?: boolean;
  /** Checks already made while planning; those steps are not checked again. */
  checked?: ReadonlyMap<string, CheckResult>;
}

/** What a step waits for before it starts: its dependencies and the steps it starts after. */
function predecessors(step: Step): string[] {
  return [...step.dependsOn, ...(step.startsAfter ?? [])];
}

/** Rejects plans with unknown dependencies or cycles (through dependsOn and startsAfter together) before anything runs. */
export function validateGraph(steps: Step[]): void {
  const ids = new Set<string>();
  for (const step of steps) {
    if (ids.has(step.id)) throw new Error(`Duplicate step id "${step.id}".`);
    ids.add(step.id);
  }
  for (const step of steps) {
    for (const dep of step.dependsOn) {
      if (!ids.has(dep)) throw new Error(`Step "${step.id}" depends on unknown step "${dep}".`);
    }
    for (const earlier of step.startsAfter ?? []) {
      if (!ids.has(earlier)) throw new Error(`Step "${step.id}" starts after unknown step "${earlier}".`);
    }
    for (const need of step.checkNeeds ?? []) {
      if (!step.dependsOn.includes(need)) throw new Error(`Step "${step.id}" checks with the outputs of "${need}", which it does not depend on.`);
    }
  }
  const visiting = new Set<string>();
  const visited = new Set<string>();
  const byId = new Map(steps.map((s) => [s.id, s]));
  const visit = (id: string, trail: string[]): void => {
    if (visited.has(id)) return;
    if (visiting.has(id)) throw new Error(`Steps form a cycle: ${[...trail, id].join(' -> ')}.`);
    visiting.add(id);
    for (const dep of predecessors(byId.get(id)!)) visit(dep, [...trail, id]);
    visiting.delete(id);
    visited.add(id);
  };
  for (const step of steps) visit(step.id, []);
}

/** What an earlier run recorded for a step, as a step's context presents it. */
export function previousRecord(state: StepLedger, stepId: string): StepContext['previous'] {
  const record = state.steps[stepId];
  return record && record.origin !== 'skipped' ? { outputs: record.outputs, origin: record.origin } : undefined;
}

const finished = new Set([StepState.AlreadyDone, StepState.Created, StepState.Updated, StepState.Skipped]);

/**
 * Runs a plan's steps as a dependency graph: every step whose dependencies are finished, and whose
 * `startsAfter` steps have made their call, starts, up to `concurrency` at once. On failure or
 * interruption nothing new starts, the steps in flight finish, and (with `rollback`) what this run
 * created is undone in reverse order of creation.
 */
export async function runSteps<L extends StepLedger>(options: RunOptions<L>): Promise<RunResult> {
  const { steps, state, clock, emit, runId } = options;
  validateGraph(steps);
  const concurrency = options.concurrency ?? 6;
  const states: Record<string, StepState> = Object.fromEntries(steps.map((s) => [s.id, StepState.Pending]));
  const outputs = new Map<string, Outputs>();
  // Created by this run, in the order their apply began to leave something behind.
  const createdThisRun: string[] = [];
  const applied: string[] = [];
  let failure: StepError | undefined;

  const persist = async (stepId: string, record: Omit<StepRecord, 'updatedAt'> | undefined): Promise<void> => {
    const at = new Date(clock.now()).toISOString();
    if (record) state.steps[stepId] = { ...record, updatedAt: at };
    else delete state.steps[stepId];
    state.updatedAt = at;
    await options.save(state);
  };

  // Outputs recorded earlier in this run's apply of a step, kept when apply returns the rest.
  const createdOutputs = (stepId: string): Outputs =>
    createdThisRun.includes(stepId) ? (state.steps[stepId]?.outputs ?? {}) : {};

  const contextFor = (step: Step): StepContext => {
    return {
      clock,
      previous: previousRecord(state, step.id),
      outputsOf(stepId) {
        const found = outputs.get(stepId);
        if (!found) throw new Error(`Step "${step.id}" read outputs of "${stepId}", which has not finished.`);
        return found;
      },
      existingOutputsOf: (stepId) => outputs.get(stepId),
      async record(partial) {
        const earlier = createdOutputs(step.id);
        if (!createdThisRun.includes(step.id)) createdThisRun.push(step.id);
        await persist(step.id, { origin: 'created', phase: 'applying', outputs: { ...earlier, ...partial }, runId });
      },
      progress(detail) {
        emit({ type: 'step:waiting', stepId: step.id, detail });
      },
    };
  };

  // Steps whose call is made (apply returned) or not needed (check found it done): those that start after them may start.
  const called = new Set<string>();
  let wakeScheduler = (): void => undefined;
  const markCalled = (stepId: string): void => {
    called.add(stepId);
    wakeScheduler();
  };
  const mayStart = (step: Step): boolean =>
    step.dependsOn.every((dep) => finished.has(states[dep]!)) && (step.startsAfter ?? []).every((id) => called.has(id) || finished.has(states[id]!));

  const execute = async (step: Step): Promise<void> => {
    const started = clock.now();
    states[step.id] = StepState.Running;
    emit({ type: 'step:started', stepId: step.id, title: step.title, account: step.account });
    const ctx = contextFor(step);
    let phase: Phase = 'check';
    try {
      const check: CheckResult = options.checked?.get(step.id) ?? (await step.check(ctx));
      emit({ type: 'step:checked', stepId: step.id, result: check.status, detail: check.detail });
      let result: Outputs;
      let finalState: StepState;
      if (check.status === 'skip') {
        await persist(step.id, { origin: 'skipped', phase: 'ready', outputs: {}, detail: check.detail, runId });
        outputs.set(step.id, {});
        states[step.id] = StepState.Skipped;
        emit({ type: 'step:done', stepId: step.id, state: StepState.Skipped, elapsedMs: clock.now() - started, detail: check.detail });
        return;
      }
      if (check.status === 'done') {
        result = check.outputs;
        finalState = StepState.AlreadyDone;
        markCalled(step.id);
        const known = state.steps[step.id];
        if (!known || known.origin !== check.origin || JSON.stringify(known.outputs) !== JSON.stringify(result)) {
          await persist(step.id, { origin: check.origin, phase: 'applying', outputs: result, runId: known?.runId ?? runId });
        }
      } else if (check.status === 'update') {
        // Changed in place: it stays what it was (created earlier, or adopted) and no rollback removes it.
        phase = 'apply';
        result = { ...check.outputs, ...(await step.apply(ctx)) };
        await persist(step.id, { origin: check.origin, phase: 'applying', outputs: result, runId: state.steps[step.id]?.runId ?? runId });
        applied.push(step.id);
        emit({ type: 'step:applied', stepId: step.id, outputs: result });
        markCalled(step.id);
        finalState = StepState.Updated;
      } else {
        phase = 'apply';
        const made = await step.apply(ctx);
        result = { ...createdOutputs(step.id), ...made };
        if (!createdThisRun.includes(step.id)) createdThisRun.push(step.id);
        await persist(step.id, { origin: 'created', phase: 'applying', outputs: result, runId });
        applied.push(step.id);
        emit({ type: 'step:applied', stepId: step.id, outputs: result });
        markCalled(step.id);
        finalState = StepState.Created;
      }
      if (step.wait) {
        phase = 'wait';
        await step.wait(ctx, result);
      }
      const record = state.steps[step.id]!;
      if (record.phase !== 'ready') await persist(step.id, { ...record, phase: 'ready' });
      outputs.set(step.id, result);
      states[step.id] = finalState;
      // A missing resource's check detail says what apply was going to do; once it is created, that would read as its result.
      emit({ type: 'step:done', stepId: step.id, state: finalState, elapsedMs: clock.now() - started, detail: finalState === StepState.Created ? undefined : check.detail });
    } catch (error) {
      states[step.id] = StepState.Failed;
      emit({ type: 'step:failed', stepId: step.id, phase, error, elapsedMs: clock.now() - started });
      failure ??= new StepError(step, phase, error);
    }
  };

  // Said at once, so the user knows the Ctrl-C was heard while in-flight steps finish.
  const stopListening = options.interrupt?.onTrigger(() => emit({ type: 'run:interrupted' }));

  // Schedule: start every step that may start, then wait for any one to settle or to make its call, until nothing can start.
  const running = new Map<string, Promise<void>>();
  // Dependents of a failed step never become ready: a failed dependency is not finished (nor called, if apply failed).
  const stopped = () => (failure !== undefined && !options.continueAfterFailure) || options.interrupt?.interrupted === true;
  for (;;) {
    if (!stopped()) {
      for (const step of steps) {
        if (running.size >= concurrency) break;
        if (states[step.id] !== StepState.Pending) continue;
        if (!mayStart(step)) continue;
        running.set(step.id, execute(step).finally(() => running.delete(step.id)));
      }
    }
    if (running.size === 0) break;
    await Promise.race([...running.values(), new Promise<void>((resolve) => (wakeScheduler = resolve))]);
  }
  for (const step of steps) if (states[step.id] === StepState.Pending) states[step.id] = StepState.NotRun;

  stopListening?.();
  const interrupted = options.interrupt?.interrupted === true;
  const outcome: RunResult['outcome'] = failure ? 'failed' : interrupted ? 'interrupted' : 'succeeded';
  if (outcome === 'succeeded') return { outcome, rolledBack: [], leftovers: [], applied, states };

  const byId = new Map(steps.map((s) => [s.id, s]));
  const leftovers: Leftover[] = [];
  const toUndo = [...createdThisRun].reverse();
  if (!options.rollback) {
    for (const id of toUndo) {
      const step = byId.get(id)!;
      leftovers.push({ stepId: id, title: step.title, account: step.account, outputs: state.steps[id]?.outputs ?? {} });
    }
    return { outcome, failure, rolledBack: [], leftovers, applied, states };
  }

  emit({ type: 'run:rollback', steps: toUndo });
  for (const id of toUndo) {
    const step = byId.get(id)!;
    const recorded = state.steps[id]?.outputs ?? {};
    const started = clock.now();
    emit({ type: 'step:undoing', stepId: id, title: step.title, account: step.account });
    try {
      const detail = await step.undo?.(contextFor(step), recorded);
      await persist(id, undefined);
      states[id] = StepState.Undone;
      emit({ type: 'step:undone', stepId: id, elapsedMs: clock.now() - started, ...(detail && { detail }) });
    } catch (error) {
      if (error instanceof KeptOnPurpose) {
        await persist(id, { ...state.steps[id]!, outputs: error.outputs });
        states[id] = StepState.Undone;
        leftovers.push({ stepId: id, title: step.title, account: step.account, outputs: error.outputs, kept: error.message });
        emit({ type: 'step:undone', stepId: id, elapsedMs: clock.now() - started, kept: error.message });
        continue;
      }
      states[id] = StepState.UndoFailed;
      leftovers.push({ stepId: id, title: step.title, account: step.account, outputs: recorded, error });
      emit({ type: 'step:undo-failed', stepId: id, error });
    }
  }
  return { outcome, failure, rolledBack: toUndo, leftovers, applied, states };
}

/** The documented exit code for a run's result. */
export function exitCodeFor(result: RunResult): ExitCode {
  if (result.outcome === 'succeeded') return ExitCode.Success;
  if (result.outcome === 'interrupted') return ExitCode.Interrupted;
  return result.leftovers.some((l) => l.error !== undefined) ? ExitCode.RollbackIncomplete : ExitCode.Failed;
}
