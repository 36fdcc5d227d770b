import type { Clock } from './clock.js';
import { StepError, previousRecord, validateGraph } from './engine.js';
import type { StepLedger } from './state.js';
import type { CheckResult, Outputs, Step, StepContext } from './types.js';

/** What a step will do, decided before anything changes. */
export type PlannedAction =
  /** Check found it missing, or a dependency will be created first: apply will run. */
  | 'create'
  /** Exists and is ours, but differs: apply changes it in place. */
  | 'update'
  /** Exists, matches, and was created by kds-xacct: nothing to do. */
  | 'done'
  /** Exists, matches, and is someone else's: used as it is, never deleted. */
  | 'adopt'
  /** Not needed. */
  | 'skip';

export interface PlannedStep {
  step: Step;
  action: PlannedAction;
  detail?: string;
  /** The check made while planning, reused by the run so it does not read everything twice. */
  check?: CheckResult;
  /** What the user must know before anything changes (see CheckResult). */
  warnings?: string[];
}

/** The dependencies a step's check reads: until they exist, it cannot be checked. */
export function checkNeeds(step: Step): string[] {
  return step.checkNeeds ?? step.dependsOn;
}

/**
 * Runs every step's read-only check in dependency order, without applying anything. A step
 * whose check needs a dependency that is still to be created cannot exist yet, so it is planned
 * as `create` without a check of its own; it is checked for real when the run reaches it.
 */
export async function planSteps(steps: Step[], state: StepLedger, clock: Clock): Promise<PlannedStep[]> {
  validateGraph(steps);
  const planned = new Map<string, PlannedStep>();
  const outputs = new Map<string, Outputs>();
  const pending = [...steps];
  while (pending.length > 0) {
    // Every step whose dependencies are planned, checked concurrently: reads in both accounts overlap.
    const ready = pending.filter((s) => s.dependsOn.every((d) => planned.has(d)));
    for (const step of ready) pending.splice(pending.indexOf(step), 1);
    await Promise.all(
      ready.map(async (step) => {
        if (checkNeeds(step).some((d) => planned.get(d)!.action === 'create')) {
          planned.set(step.id, { step, action: 'create' });
          return;
        }
        const check = await step.check(planningContext(step, state, outputs, clock)).catch((error: unknown) => {
          throw new StepError(step, 'check', error);
        });
        if (check.status === 'done' || check.status === 'update') outputs.set(step.id, check.outputs);
        if (check.status === 'skip') outputs.set(step.id, {});
        const action: PlannedAction =
          check.status === 'missing' ? 'create' : check.status === 'update' ? 'update' : check.status === 'skip' ? 'skip' : check.origin === 'adopted' ? 'adopt' : 'done';
        planned.set(step.id, { step, action, detail: check.detail, check, ...(check.warnings?.length && { warnings: check.warnings }) });
      }),
    );
  }
  return steps.map((s) => planned.get(s.id)!);
}

function planningContext(step: Step, state: StepLedger, outputs: Map<string, Outputs>, clock: Clock): StepContext {
  return {
    clock,
    previous: previousRecord(state, step.id),
    outputsOf: (id) => {
      const found = outputs.get(id);
      if (!found) throw new Error(`Step "${step.id}" read outputs of "${id}", which is still to be created: its check cannot need them.`);
      return found;
    },
    existingOutputsOf: (id) => outputs.get(id),
    record: () => Promise.reject(new Error(`Step "${step.id}" tried to record outputs while planning.`)),
    progress: () => undefined,
  };
}
