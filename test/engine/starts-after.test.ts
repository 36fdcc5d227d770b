import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { Interrupt, runSteps, validateGraph, type RunOptions } from '../../src/engine/engine.js';
import { planSteps } from '../../src/engine/plan.js';
import { newState } from '../../src/deployment/store.js';
import { StepState, type Step } from '../../src/engine/types.js';
import { World, syntheticSteps, type SyntheticStep } from './synthetic.js';

type Spec = SyntheticStep & { startsAfter?: string[] };

/** `b` may call as soon as `a` has made its call; `a` takes 10 ms to call, then 100 ms to be ready. `c` needs `b` ready. */
const ordered: Spec[] = [
  { id: 'a', waitMs: 100 },
  { id: 'b', startsAfter: ['a'], waitMs: 50 },
  { id: 'c', dependsOn: ['b'] },
];

function withStartsAfter(steps: Step[], specs: Spec[]): Step[] {
  return steps.map((step, i) => ({ ...step, ...(specs[i]!.startsAfter && { startsAfter: specs[i]!.startsAfter }) }));
}

function harness(specs: Spec[] = ordered) {
  const clock = new VirtualClock();
  const world = new World();
  const state = newState('test', 'setup', new Date(clock.now()));
  const steps = withStartsAfter(syntheticSteps(world, clock, specs), specs);
  const run = (overrides: Partial<RunOptions> = {}) =>
    runSteps({ steps, state, save: async () => undefined, clock, runId: 'run', emit: () => undefined, rollback: true, ...overrides });
  const start = clock.now();
  /** When `entry` ("apply:b", "ready:a") was logged, in ms from the start. */
  const at = (entry: string): number => {
    const found = world.log.find((l) => l.startsWith(`${entry}@`));
    if (!found) throw new Error(`no ${entry} in ${world.log.join(', ')}`);
    return Number(found.split('@')[1]) - start;
  };
  return { clock, world, steps, state, run, at };
}

describe('startsAfter: an order of calls, without waiting', () => {
  it("starts a step once the earlier step's apply has returned, while that one still waits to be ready", async () => {
    const { run, at } = harness();
    const result = await run();
    expect(result.outcome).toBe('succeeded');
    expect(at('apply:b')).toBe(10);
    expect(at('ready:a')).toBe(110);
    // Their waits overlap: b is ready before a.
    expect(at('ready:b')).toBe(70);
    expect(at('apply:c')).toBe(70);
    expect(result.applied).toEqual(['a', 'b', 'c']);
  });

  it('starts at once after a step that found nothing to apply, even while that one is not yet ready', async () => {
    const { world, run, at } = harness();
    world.resources.add('a');
    const result = await run();
    expect(result.states).toMatchObject({ a: StepState.AlreadyDone, b: StepState.Created });
    expect(at('apply:b')).toBe(0);
    expect(at('ready:a')).toBe(100);
  });

  it('never starts a step whose earlier step failed in apply, and rolls back what was made', async () => {
    const { world, run } = harness();
    world.failApply.add('a');
    const result = await run();
    expect(result.outcome).toBe('failed');
    expect(result.states).toMatchObject({ a: StepState.Failed, b: StepState.NotRun, c: StepState.NotRun });
    expect(world.log.some((l) => l.startsWith('apply:b'))).toBe(false);
    expect(world.resources.size).toBe(0);
  });

  it('undoes in reverse order of the calls when the earlier step fails after its call: the later one first', async () => {
    // b is ready only after a's wait has failed.
    const { world, run } = harness(ordered.map((s) => (s.id === 'b' ? { ...s, waitMs: 150 } : s)));
    world.failWait.add('a');
    const result = await run();
    expect(result.outcome).toBe('failed');
    expect(result.failure?.step.id).toBe('a');
    // b had made its call and finishes before the rollback; c, which needs b ready, never starts after the failure.
    expect(result.states).toMatchObject({ a: StepState.Undone, b: StepState.Undone, c: StepState.NotRun });
    expect(result.rolledBack).toEqual(['b', 'a']);
    expect(world.log.filter((l) => l.startsWith('undo:'))).toEqual(['undo:b', 'undo:a']);
    expect(world.resources.size).toBe(0);
  });

  it('starts nothing after a Ctrl-C during the earlier call, lets that step finish, then rolls it back', async () => {
    const { world, steps, state, clock, at } = harness();
    const interrupt = new Interrupt();
    const a = steps[0]!;
    const interrupted = steps.map((s) => (s.id === 'a' ? { ...a, apply: async (ctx: Parameters<Step['apply']>[0]) => (interrupt.trigger(), a.apply(ctx)) } : s));
    const result = await runSteps({ steps: interrupted, state, save: async () => undefined, clock, runId: 'run', emit: () => undefined, rollback: true, interrupt });
    expect(result.outcome).toBe('interrupted');
    expect(result.states).toMatchObject({ a: StepState.Undone, b: StepState.NotRun, c: StepState.NotRun });
    expect(at('ready:a')).toBe(110);
    expect(world.log.some((l) => l.startsWith('apply:b'))).toBe(false);
    expect(world.resources.size).toBe(0);
  });

  it("gives no outputs: a step that reads the earlier step's outputs without depending on it fails", async () => {
    const { steps, state, clock } = harness();
    const reading = steps.map((s) => (s.id === 'b' ? { ...s, apply: async (ctx: Parameters<Step['apply']>[0]) => ctx.outputsOf('a') } : s));
    const result = await runSteps({ steps: reading, state, save: async () => undefined, clock, runId: 'run', emit: () => undefined, rollback: true });
    expect(result.failure?.message).toContain('Step "b" read outputs of "a", which has not finished.');
  });

  it('is validated with dependsOn: unknown steps, and cycles through both', async () => {
    const { clock, world } = harness();
    const build = (specs: Spec[]) => withStartsAfter(syntheticSteps(world, clock, specs), specs);
    expect(() => validateGraph(build([{ id: 'a', startsAfter: ['zz'] }]))).toThrow('Step "a" starts after unknown step "zz".');
    expect(() => validateGraph(build([{ id: 'a', dependsOn: ['b'] }, { id: 'b', startsAfter: ['a'] }]))).toThrow(/cycle: (a -> b -> a|b -> a -> b)/);
    expect(() => validateGraph(build([{ id: 'a', startsAfter: ['a'] }]))).toThrow(/cycle: a -> a/);
    await expect(planSteps(build([{ id: 'a', startsAfter: ['zz'] }]), newState('test', 'setup', new Date(0)), clock)).rejects.toThrow('starts after unknown step "zz"');
  });

  it('plans without regard to it: planning only reads, so both are checked in the same round', async () => {
    const { clock, world, steps } = harness();
    for (const id of ['a', 'b', 'c']) world.resources.add(id);
    const start = clock.now();
    const checked: string[] = [];
    // Each check is a 10 ms read: b is read beside a, and c, which depends on b, a round later.
    const watched = steps.map((s) => ({
      ...s,
      check: async (ctx: Parameters<Step['check']>[0]) => {
        checked.push(`${s.id}@${clock.now() - start}`);
        await clock.sleep(10);
        return s.check(ctx);
      },
    }));
    const plan = await planSteps(watched, newState('test', 'setup', new Date(0)), clock);
    expect(plan.map((p) => p.action)).toEqual(['done', 'done', 'done']);
    expect(checked).toEqual(['a@0', 'b@0', 'c@10']);
  });
});
