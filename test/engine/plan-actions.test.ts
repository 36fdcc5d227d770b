import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { StepError } from '../../src/engine/engine.js';
import { planSteps } from '../../src/engine/plan.js';
import { newState } from '../../src/deployment/store.js';
import type { CheckResult, Step, StepContext } from '../../src/engine/types.js';

/**
 * What a plan says a step will do, from what its check found; and what a check may not do while planning.
 * Each of these went unnoticed by the suite under a mutation of src/engine/plan.ts (README, Mutation testing).
 */
function step(id: string, result: CheckResult | ((ctx: StepContext) => Promise<CheckResult>), dependsOn: string[] = []): Step {
  return {
    id,
    title: `resource ${id}`,
    account: 'consumer',
    dependsOn,
    check: typeof result === 'function' ? result : async () => result,
    apply: () => Promise.reject(new Error('planning applies nothing')),
  };
}

const plan = (steps: Step[]) => planSteps(steps, newState('t', 'setup', new Date(0)), new VirtualClock());

describe('planSteps', () => {
  it('plans each check result as its action, and hands the outputs of what exists to the checks after it', async () => {
    const seen: unknown[] = [];
    const reads = (ids: string[]) => async (ctx: StepContext): Promise<CheckResult> => (seen.push(ids.map((id) => ctx.outputsOf(id))), { status: 'missing' });
    const planned = await plan([
      step('ours', { status: 'done', origin: 'created', outputs: { id: 'ours' } }),
      step('theirs', { status: 'done', origin: 'adopted', outputs: { id: 'theirs' }, detail: 'existing stream' }),
      step('drifted', { status: 'update', origin: 'created', outputs: { id: 'drifted' }, detail: 'BatchSize 7' }),
      step('unneeded', { status: 'skip', detail: 'already encrypted' }),
      step('next', reads(['ours', 'theirs', 'drifted', 'unneeded']), ['ours', 'theirs', 'drifted', 'unneeded']),
    ]);
    expect(planned.map((p) => [p.step.id, p.action, p.detail])).toEqual([
      ['ours', 'done', undefined],
      ['theirs', 'adopt', 'existing stream'],
      ['drifted', 'update', 'BatchSize 7'],
      ['unneeded', 'skip', 'already encrypted'],
      ['next', 'create', undefined],
    ]);
    expect(seen).toEqual([[{ id: 'ours' }, { id: 'theirs' }, { id: 'drifted' }, {}]]);
    expect(planned[1]!.check).toEqual({ status: 'done', origin: 'adopted', outputs: { id: 'theirs' }, detail: 'existing stream' });
    expect(planned.every((p) => !('warnings' in p))).toBe(true);
  });

  it('carries warnings only when a check has some', async () => {
    const [none, some] = await plan([step('a', { status: 'missing', warnings: [] }), step('b', { status: 'missing', warnings: ['producers will need kms:GenerateDataKey'] })]);
    expect(none).not.toHaveProperty('warnings');
    expect(some!.warnings).toEqual(['producers will need kms:GenerateDataKey']);
  });

  it('names the step whose check failed', async () => {
    const error = await plan([step('stream', () => Promise.reject(new Error('AccessDeniedException: not allowed')))]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepError);
    expect((error as StepError).message).toBe('resource stream (consumer account) failed during check: AccessDeniedException: not allowed');
  });

  it('refuses a check that records outputs, and shows no progress', async () => {
    const records = step('a', async (ctx) => (ctx.progress('reading'), await ctx.record({ id: 'a' }), { status: 'missing' }));
    await expect(plan([records])).rejects.toThrow('Step "a" tried to record outputs while planning.');
  });
});
