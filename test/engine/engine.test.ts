import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { Interrupt, exitCodeFor, runSteps, validateGraph, type RunOptions } from '../../src/engine/engine.js';
import { planSteps } from '../../src/engine/plan.js';
import { MemoryStateStore, newState, type DeploymentState } from '../../src/deployment/store.js';
import { StepState, type EngineEvent, type StepContext } from '../../src/engine/types.js';
import { ExitCode } from '../../src/errors.js';
import { World, syntheticSteps, type SyntheticStep } from './synthetic.js';

// a -> (b, c) -> d, plus an independent e in the other account.
const diamond: SyntheticStep[] = [
  { id: 'a', waitMs: 100 },
  { id: 'b', dependsOn: ['a'], waitMs: 300 },
  { id: 'c', dependsOn: ['a'], waitMs: 200 },
  { id: 'd', dependsOn: ['b', 'c'], waitMs: 50 },
  { id: 'ce', waitMs: 300 },
];

function harness(specs: SyntheticStep[] = diamond, state?: DeploymentState) {
  const clock = new VirtualClock();
  const world = new World();
  const store = new MemoryStateStore();
  const events: EngineEvent[] = [];
  const deployment = state ?? newState('test', 'setup', new Date(clock.now()));
  const run = (overrides: Partial<RunOptions<DeploymentState>> = {}) =>
    runSteps({
      steps: syntheticSteps(world, clock, specs),
      state: deployment,
      save: (s) => store.save(s),
      clock,
      runId: `run-${events.length}`,
      emit: (e) => events.push(e),
      rollback: true,
      ...overrides,
    });
  return { clock, world, store, events, state: deployment, run };
}

describe('scheduling', () => {
  it('runs independent steps concurrently and dependents after their dependencies', async () => {
    const h = harness();
    const result = await h.run();
    expect(result.outcome).toBe('succeeded');
    expect(exitCodeFor(result)).toBe(ExitCode.Success);
    const at = (entry: string) => h.world.log.indexOf(entry);
    const readyAt = (id: string) => Number(h.world.log.find((l) => l.startsWith(`ready:${id}@`))!.split('@')[1]);
    const appliedAt = (id: string) => Number(h.world.log.find((l) => l.startsWith(`apply:${id}@`))!.split('@')[1]);
    expect(appliedAt('b')).toBeGreaterThanOrEqual(readyAt('a'));
    expect(appliedAt('d')).toBeGreaterThanOrEqual(Math.max(readyAt('b'), readyAt('c')));
    // b and c overlap, and the other account's step runs alongside the whole chain.
    expect(appliedAt('b')).toBe(appliedAt('c'));
    expect(appliedAt('ce')).toBe(appliedAt('a'));
    expect(at('apply:d@' + appliedAt('d'))).toBeGreaterThan(at('ready:b@' + readyAt('b')));
    // Critical path a(10+100) -> b(10+300) -> d(10+50) = 480 ms of virtual time.
    expect(h.clock.now() - Date.UTC(2026, 0, 1)).toBe(480);
    expect(h.world.maxRunning).toBeGreaterThan(1);
  });

  it('respects the concurrency limit', async () => {
    const h = harness();
    await h.run({ concurrency: 1 });
    expect(h.world.maxRunning).toBe(1);
    expect(h.clock.now() - Date.UTC(2026, 0, 1)).toBe(5 * 10 + 100 + 300 + 200 + 50 + 300);
  });

  it('rejects unknown dependencies and cycles before running anything', () => {
    const world = new World();
    const clock = new VirtualClock();
    expect(() => validateGraph(syntheticSteps(world, clock, [{ id: 'a', dependsOn: ['zz'] }]))).toThrow(/unknown step "zz"/);
    expect(() =>
      validateGraph(syntheticSteps(world, clock, [{ id: 'a', dependsOn: ['b'] }, { id: 'b', dependsOn: ['a'] }])),
    ).toThrow(/cycle/);
  });

  it('emits started, checked, applied, waiting and done for each step', async () => {
    const h = harness([{ id: 'a' }]);
    await h.run();
    expect(h.events.map((e) => e.type)).toEqual(['step:started', 'step:checked', 'step:applied', 'step:done']);
    expect(h.events.at(-1)).toMatchObject({ state: StepState.Created });
  });
});

describe('idempotence', () => {
  it('a second run of the same plan applies nothing', async () => {
    const h = harness();
    await h.run();
    const appliesAfterFirst = h.world.applies;
    const second = await h.run();
    expect(second.outcome).toBe('succeeded');
    expect(second.applied).toEqual([]);
    expect(h.world.applies).toBe(appliesAfterFirst);
    expect(Object.values(second.states).every((s) => s === StepState.AlreadyDone)).toBe(true);
  });

  it('records created and adopted resources in the state', async () => {
    const h = harness([{ id: 'a' }, { id: 'b', adopted: true }]);
    await h.run();
    expect(h.state.steps.a).toMatchObject({ origin: 'created', phase: 'ready', outputs: { id: 'a' } });
    expect(h.state.steps.b).toMatchObject({ origin: 'adopted', phase: 'ready' });
    expect(JSON.parse(h.store.files.get('test')!).steps.a.origin).toBe('created');
  });
});

describe('rollback', () => {
  const ids = diamond.map((s) => s.id);
  for (const failing of ids) {
    for (const phase of ['apply', 'wait'] as const) {
      it(`a failure in ${phase} of ${failing} leaves nothing created`, async () => {
        const h = harness();
        (phase === 'apply' ? h.world.failApply : h.world.failWait).add(failing);
        const result = await h.run();
        expect(result.outcome).toBe('failed');
        expect(result.failure).toMatchObject({ phase, step: { id: failing } });
        expect(exitCodeFor(result)).toBe(ExitCode.Failed);
        expect([...h.world.resources]).toEqual([]);
        expect(h.state.steps).toEqual({});
        expect(result.leftovers).toEqual([]);
      });
    }
  }

  it('undoes in reverse order of creation', async () => {
    const h = harness();
    h.world.failWait.add('d');
    const result = await h.run();
    const undone = h.world.log.filter((l) => l.startsWith('undo:')).map((l) => l.slice(5));
    expect(undone).toEqual(result.rolledBack);
    expect(undone.indexOf('d')).toBeLessThan(undone.indexOf('b'));
    expect(undone.indexOf('b')).toBeLessThan(undone.indexOf('a'));
    expect(undone.at(-1)).toBe('a');
  });

  it('never undoes what a previous run created or what was adopted', async () => {
    const h = harness([{ id: 'a' }, { id: 'b', adopted: true }, { id: 'c', dependsOn: ['a', 'b'] }]);
    h.world.failApply.add('c');
    await h.run({ rollback: false });
    h.world.failApply.clear();
    h.world.failWait.add('c');
    const result = await h.run();
    expect(result.rolledBack).toEqual(['c']);
    expect([...h.world.resources].sort()).toEqual(['a', 'b']);
  });

  it('a failing undo gives exit 3 and lists what is left', async () => {
    const h = harness();
    h.world.failWait.add('d');
    h.world.failUndo.add('b');
    const result = await h.run();
    expect(exitCodeFor(result)).toBe(ExitCode.RollbackIncomplete);
    expect(result.leftovers).toEqual([expect.objectContaining({ stepId: 'b', account: 'producer', outputs: { id: 'b' } })]);
    expect([...h.world.resources]).toEqual(['b']);
    expect(Object.keys(h.state.steps)).toEqual(['b']);
    expect(result.states.b).toBe(StepState.UndoFailed);
  });

  it('keeps what was created with rollback off, and a re-run resumes where it stopped', async () => {
    const h = harness();
    h.world.failApply.add('d');
    const first = await h.run({ rollback: false });
    expect(exitCodeFor(first)).toBe(ExitCode.Failed);
    expect(first.leftovers.map((l) => l.stepId).sort()).toEqual(['a', 'b', 'c', 'ce']);
    expect([...h.world.resources].sort()).toEqual(['a', 'b', 'c', 'ce']);
    h.world.failApply.clear();
    const second = await h.run();
    expect(second.outcome).toBe('succeeded');
    expect(second.applied).toEqual(['d']);
    expect(second.states).toMatchObject({ a: StepState.AlreadyDone, d: StepState.Created });
  });

  it('undoes a step whose apply recorded a resource and then failed', async () => {
    const h = harness([]);
    const undone: string[] = [];
    const result = await h.run({
      steps: [
        {
          id: 'key',
          title: 'key and alias',
          account: 'producer',
          dependsOn: [],
          check: async () => ({ status: 'missing' }),
          async apply(ctx) {
            await ctx.record({ keyId: 'k-1' });
            throw new Error('CreateAlias failed');
          },
          async undo(_ctx, outputs) {
            undone.push(outputs.keyId!);
          },
        },
      ],
    });
    expect(result.failure?.phase).toBe('apply');
    expect(undone).toEqual(['k-1']);
    expect(h.state.steps).toEqual({});
  });
});

describe('continuing after a failure', () => {
  it('runs what does not depend on the failed step, and nothing that does', async () => {
    const h = harness();
    h.world.failApply.add('b');
    const result = await h.run({ rollback: false, continueAfterFailure: true });
    expect(result.outcome).toBe('failed');
    expect(result.failure?.step.id).toBe('b');
    expect(result.states).toMatchObject({ a: StepState.Created, b: StepState.Failed, c: StepState.Created, ce: StepState.Created, d: StepState.NotRun });
  });
});

describe('interruption', () => {
  it('stops scheduling, lets in-flight steps finish, then rolls back', async () => {
    const h = harness();
    const interrupt = new Interrupt();
    const result = await h.run({
      interrupt,
      emit: (e) => {
        h.events.push(e);
        if (e.type === 'step:started' && e.stepId === 'b') interrupt.trigger();
      },
    });
    expect(result.outcome).toBe('interrupted');
    expect(exitCodeFor(result)).toBe(ExitCode.Interrupted);
    // b and c had started together and finished; d never started.
    expect(h.world.log).toContain(`ready:b@${Date.UTC(2026, 0, 1) + 110 + 310}`);
    expect(result.states.d).toBe(StepState.NotRun);
    expect([...h.world.resources]).toEqual([]);
    expect(h.events.some((e) => e.type === 'run:interrupted')).toBe(true);
  });

  it('keeps what exists when interrupted with rollback off', async () => {
    const h = harness();
    const interrupt = new Interrupt();
    const result = await h.run({
      interrupt,
      rollback: false,
      emit: (e) => {
        if (e.type === 'step:done' && e.stepId === 'a') interrupt.trigger();
      },
    });
    expect(result.outcome).toBe('interrupted');
    expect(result.leftovers.map((l) => l.stepId).sort()).toEqual(['a', 'ce']);
    expect(Object.keys(h.state.steps).sort()).toEqual(['a', 'ce']);
    expect(Object.values(h.state.steps).every((s) => s.phase === 'ready')).toBe(true);
  });
});

describe('planning', () => {
  it('checks in dependency order, and plans dependents of what is missing as create without checking them', async () => {
    const clock = new VirtualClock();
    const world = new World();
    world.resources.add('a');
    const steps = syntheticSteps(world, clock, [{ id: 'a' }, { id: 'b', dependsOn: ['a'] }, { id: 'c', dependsOn: ['b'] }, { id: 'cx', adopted: true }]);
    const checked: string[] = [];
    const counted = steps.map((s) => ({ ...s, check: (ctx: Parameters<typeof s.check>[0]) => (checked.push(s.id), s.check(ctx)) }));
    const plan = await planSteps(counted, newState('t', 'setup', new Date(0)), clock);
    expect(plan.map((p) => [p.step.id, p.action])).toEqual([['a', 'done'], ['b', 'create'], ['c', 'create'], ['cx', 'adopt']]);
    expect(checked.sort()).toEqual(['a', 'b', 'cx']);
    expect(plan.find((p) => p.step.id === 'c')!.check).toBeUndefined();
    expect(world.applies).toBe(0);
  });

  it('checks a step whose check needs only dependencies that exist, and passes on its warnings', async () => {
    const clock = new VirtualClock();
    const world = new World();
    world.resources.add('a').add('c');
    const [a, b, c] = syntheticSteps(world, clock, [{ id: 'a' }, { id: 'b' }, { id: 'c', dependsOn: ['a', 'b'] }]);
    const seen: Array<Record<string, string> | undefined> = [];
    const checksWithA = {
      ...c!,
      checkNeeds: ['a'],
      check: async (ctx: StepContext) => {
        seen.push(ctx.outputsOf('a'), ctx.existingOutputsOf('b'));
        return { ...(await c!.check(ctx)), warnings: ['mind the others'] };
      },
    };
    const plan = await planSteps([a!, b!, checksWithA], newState('t', 'setup', new Date(0)), clock);
    expect(plan.map((p) => [p.step.id, p.action])).toEqual([['a', 'done'], ['b', 'create'], ['c', 'done']]);
    expect(seen).toEqual([{ id: 'a' }, undefined]);
    expect(plan[2]!.warnings).toEqual(['mind the others']);

    // A check that reads a dependency still to be created says so, rather than reading nothing.
    const reads = { ...checksWithA, check: async (ctx: StepContext) => (ctx.outputsOf('b'), c!.check(ctx)) };
    await expect(planSteps([a!, b!, reads], newState('t', 'setup', new Date(0)), clock)).rejects.toThrow(/read outputs of "b", which is still to be created/);
    expect(() => validateGraph([a!, b!, { ...c!, dependsOn: ['a'], checkNeeds: ['b'] }])).toThrow(/checks with the outputs of "b", which it does not depend on/);
  });
});

describe('changes in place', () => {
  it('applies an update, keeps the record as it was, and a rollback leaves it', async () => {
    const h = harness([{ id: 'a' }, { id: 'b', dependsOn: ['a'] }]);
    await h.run();
    const updated: string[] = [];
    const [a, b] = syntheticSteps(h.world, h.clock, [{ id: 'a' }, { id: 'b', dependsOn: ['a'] }]);
    const drifted = {
      ...a!,
      check: async () => ({ status: 'update' as const, origin: 'created' as const, outputs: { id: 'a' }, detail: 'differs' }),
      apply: async () => (updated.push('a'), {}),
    };
    h.world.failWait.add('b');
    h.world.resources.delete('b');
    const result = await h.run({ steps: [drifted, b!] });
    expect(updated).toEqual(['a']);
    expect(result.states.a).toBe(StepState.Updated);
    expect(result.rolledBack).toEqual(['b']);
    expect(h.state.steps.a).toMatchObject({ origin: 'created', runId: 'run-0' });
    expect([...h.world.resources]).toEqual(['a']);
  });
});

describe('what a finished step says', () => {
  it('a created step finishes without the check detail that said what apply would do; an update keeps what differed', async () => {
    const h = harness([{ id: 'a' }, { id: 'b' }]);
    const [a, b] = syntheticSteps(h.world, h.clock, [{ id: 'a' }, { id: 'b' }]);
    const planned = { ...a!, check: async () => ({ status: 'missing' as const, detail: 'it will be created and encrypted' }) };
    const drifted = { ...b!, check: async () => ({ status: 'update' as const, origin: 'created' as const, outputs: { id: 'b' }, detail: 'BatchSize 10, want 100' }) };
    await h.run({ steps: [planned, drifted] });
    const done = h.events.filter((e) => e.type === 'step:done');
    expect(done.find((e) => e.stepId === 'a')).toMatchObject({ state: StepState.Created, detail: undefined });
    expect(done.find((e) => e.stepId === 'b')).toMatchObject({ state: StepState.Updated, detail: 'BatchSize 10, want 100' });
  });
});
