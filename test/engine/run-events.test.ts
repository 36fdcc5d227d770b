import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { runSteps, type RunOptions } from '../../src/engine/engine.js';
import { planSteps } from '../../src/engine/plan.js';
import { newState, type DeploymentState } from '../../src/deployment/store.js';
import { StepState, type CheckResult, type EngineEvent, type Step } from '../../src/engine/types.js';

/**
 * What the renderers are told as a run goes (events and their timings), what a step may read of the steps
 * before it, and what the state file says while a step is half done. Each of these went unnoticed by the
 * suite under a mutation of the engine (README, Mutation testing).
 */
const start = Date.UTC(2026, 0, 1);

function step(id: string, overrides: Partial<Step> = {}): Step {
  return { id, title: `resource ${id}`, account: 'producer', dependsOn: [], check: async () => ({ status: 'missing' }), apply: async () => ({ id }), undo: async () => undefined, ...overrides };
}

function harness() {
  const clock = new VirtualClock(start);
  const events: EngineEvent[] = [];
  const saved: DeploymentState[] = [];
  const state = newState('test', 'setup', new Date(start));
  const run = (steps: Step[], overrides: Partial<RunOptions<DeploymentState>> = {}) =>
    runSteps({ steps, state, save: async (s) => void saved.push(structuredClone(s)), clock, runId: 'run-1', emit: (e) => events.push(e), rollback: true, ...overrides });
  return { clock, events, saved, state, run };
}

const drifted = (id: string, overrides: Partial<Step> = {}): Step =>
  step(id, { check: async (): Promise<CheckResult> => ({ status: 'update', origin: 'created', outputs: { id }, detail: 'BatchSize 7' }), apply: async () => ({}), ...overrides });

describe('a run', () => {
  it('refuses a plan with a cycle before running anything', async () => {
    const h = harness();
    const applied: string[] = [];
    const a = step('a', { dependsOn: ['b'], apply: async () => (applied.push('a'), {}) });
    await expect(h.run([a, step('b', { dependsOn: ['a'] })])).rejects.toThrow('Steps form a cycle: a -> b -> a.');
    expect(applied).toEqual([]);
  });

  it('ends with nothing rolled back and nothing left over when it succeeds', async () => {
    const result = await harness().run([step('a')]);
    expect(result).toEqual({ outcome: 'succeeded', rolledBack: [], leftovers: [], applied: ['a'], states: { a: StepState.Created } });
  });

  it('tells how long each step took, to its end or its failure, and that a skipped step was skipped', async () => {
    const h = harness();
    const slow = step('a', { wait: () => h.clock.sleep(1_200) });
    const skipped = step('s', { check: async () => ({ status: 'skip', detail: 'no on-failure destination' }) });
    const failing = step('f', { dependsOn: ['a'], apply: async () => (await h.clock.sleep(300), Promise.reject(new Error('no'))) });
    await h.run([slow, skipped, failing], { rollback: false });
    const finished = h.events.filter((e) => e.type === 'step:done' || e.type === 'step:failed');
    expect(finished).toEqual([
      { type: 'step:done', stepId: 's', state: StepState.Skipped, elapsedMs: 0, detail: 'no on-failure destination' },
      { type: 'step:done', stepId: 'a', state: StepState.Created, elapsedMs: 1_200, detail: undefined },
      { type: 'step:failed', stepId: 'f', phase: 'apply', error: new Error('no'), elapsedMs: 300 },
    ]);
  });

  it('says what it rolls back, and which removal failed', async () => {
    const h = harness();
    const stuck = step('a', { undo: () => Promise.reject(new Error('DeleteConflict')) });
    await h.run([stuck, step('b', { dependsOn: ['a'], apply: () => Promise.reject(new Error('no')) })]);
    expect(h.events.filter((e) => e.type === 'run:rollback' || e.type === 'step:undo-failed')).toEqual([
      { type: 'run:rollback', steps: ['a'] },
      { type: 'step:undo-failed', stepId: 'a', error: new Error('DeleteConflict') },
    ]);
  });

  it('hands a step the outputs of the steps it depends on, made now or found, in its check and apply', async () => {
    const h = harness();
    const seen: unknown[] = [];
    const found = step('found', { check: async () => ({ status: 'done', origin: 'adopted', outputs: { arn: 'theirs' } }) });
    const reader = step('reader', {
      dependsOn: ['made', 'found'],
      check: async (ctx) => (seen.push(ctx.existingOutputsOf('made'), ctx.outputsOf('found')), { status: 'missing' }),
      apply: async (ctx) => (seen.push(ctx.outputsOf('made')), {}),
    });
    await h.run([step('made'), found, reader]);
    expect(seen).toEqual([{ id: 'made' }, { arn: 'theirs' }, { id: 'made' }]);
  });

  it('undoes once a step whose apply recorded twice', async () => {
    const h = harness();
    const undone: string[] = [];
    const twice = step('key', {
      async apply(ctx) {
        await ctx.record({ keyId: 'k-1' });
        await ctx.record({ aliasName: 'alias/a' });
        throw new Error('CreateAlias failed');
      },
      undo: async (_ctx, outputs) => void undone.push(JSON.stringify(outputs)),
    });
    const result = await h.run([twice]);
    expect(undone).toEqual([JSON.stringify({ keyId: 'k-1', aliasName: 'alias/a' })]);
    expect(result.rolledBack).toEqual(['key']);
  });

  it('records what an apply made as created and still applying, so that a run killed then knows to undo it', async () => {
    const h = harness();
    const key = step('key', { apply: async (ctx) => (await ctx.record({ keyId: 'k-1' }), { keyId: 'k-1', aliasName: 'a' }), wait: () => h.clock.sleep(10) });
    await h.run([key]);
    expect(h.saved.map((s) => s.steps.key && { origin: s.steps.key.origin, phase: s.steps.key.phase })).toEqual([
      { origin: 'created', phase: 'applying' },
      { origin: 'created', phase: 'applying' },
      { origin: 'created', phase: 'ready' },
    ]);
  });
});

describe('a change in place', () => {
  it('is applied, told, and recorded as applying until its wait is over', async () => {
    const h = harness();
    const result = await h.run([drifted('esm', { wait: () => h.clock.sleep(10) })]);
    expect(result.applied).toEqual(['esm']);
    expect(h.events.find((e) => e.type === 'step:applied')).toEqual({ type: 'step:applied', stepId: 'esm', outputs: { id: 'esm' } });
    expect(h.saved.map((s) => s.steps.esm!.phase)).toEqual(['applying', 'ready']);
  });

  it('fails in apply when its call fails', async () => {
    const result = await harness().run([drifted('esm', { apply: () => Promise.reject(new Error('ResourceInUseException')) })]);
    expect(result.failure).toMatchObject({ phase: 'apply', step: { id: 'esm' } });
  });

  it("lets a step that starts after it go once its call is made, before it is ready", async () => {
    const h = harness();
    let startedAt: number | undefined;
    const later = step('later', { startsAfter: ['esm'], apply: async () => ((startedAt = h.clock.now() - start), {}) });
    await h.run([drifted('esm', { wait: () => h.clock.sleep(5_000) }), later]);
    expect(startedAt).toBe(0);
  });
});

describe('a step found but not ready', () => {
  it('is recorded as applying while its wait goes on', async () => {
    const h = harness();
    const found = step('stream', { check: async () => ({ status: 'done', origin: 'adopted', outputs: { id: 'stream' } }), wait: () => h.clock.sleep(10) });
    await h.run([found]);
    expect(h.saved.map((s) => s.steps.stream!.phase)).toEqual(['applying', 'ready']);
  });
});

describe('a step found as it was', () => {
  it('is recorded again when it is found to be someone else\'s now, so that teardown leaves it', async () => {
    const h = harness();
    h.state.steps.role = { origin: 'created', phase: 'ready', outputs: { id: 'role' }, runId: 'run-0', updatedAt: 'then' };
    await h.run([step('role', { check: async () => ({ status: 'done', origin: 'adopted', outputs: { id: 'role' } }) })]);
    expect(h.state.steps.role).toMatchObject({ origin: 'adopted', runId: 'run-0' });
  });
});

describe('planning', () => {
  it('hands a check the outputs of a dependency found to exist', async () => {
    const seen: unknown[] = [];
    const reader = step('reader', { dependsOn: ['found'], checkNeeds: [], check: async (ctx) => (seen.push(ctx.existingOutputsOf('found')), { status: 'missing' }) });
    await planSteps([step('found', { check: async () => ({ status: 'done', origin: 'created', outputs: { id: 'found' } }) }), reader], newState('t', 'setup', new Date(0)), new VirtualClock());
    expect(seen).toEqual([{ id: 'found' }]);
  });
});
