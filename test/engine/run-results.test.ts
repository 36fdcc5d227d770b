import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { Interrupt, StepError, exitCodeFor, runSteps, validateGraph, type RunOptions } from '../../src/engine/engine.js';
import { newState, type DeploymentState } from '../../src/deployment/store.js';
import { KeptOnPurpose, StepState, type EngineEvent, type Step } from '../../src/engine/types.js';
import { ExitCode } from '../../src/errors.js';

/**
 * What a run tells the user and leaves in the state file, beyond the order of steps (engine.test.ts): the
 * failure's wording, what a rollback keeps on purpose, what is saved and when. Each of these went unnoticed
 * by the suite under a mutation of the engine (README, Mutation testing).
 */
const start = Date.UTC(2026, 0, 1);

function step(id: string, overrides: Partial<Step> = {}): Step {
  return {
    id,
    title: `resource ${id}`,
    account: 'producer',
    dependsOn: [],
    check: async () => ({ status: 'missing' }),
    apply: async () => ({ id }),
    undo: async () => undefined,
    ...overrides,
  };
}

function harness(state: DeploymentState = newState('test', 'setup', new Date(start))) {
  const clock = new VirtualClock(start);
  const events: EngineEvent[] = [];
  const saved: string[] = [];
  const run = (steps: Step[], overrides: Partial<RunOptions<DeploymentState>> = {}) =>
    runSteps({ steps, state, save: async (s) => void saved.push(JSON.stringify(s)), clock, runId: 'run-2', emit: (e) => events.push(e), rollback: true, ...overrides });
  return { clock, events, saved, state, run };
}

const failing = (id: string, phase: 'check' | 'apply' | 'wait', message = `${id} broke`) =>
  step(id, {
    check: phase === 'check' ? () => Promise.reject(new Error(message)) : async () => ({ status: 'missing' }),
    apply: phase === 'apply' ? () => Promise.reject(new Error(message)) : async () => ({ id }),
    ...(phase === 'wait' && { wait: () => Promise.reject(new Error(message)) }),
  });

describe('a failed run', () => {
  for (const phase of ['check', 'apply', 'wait'] as const) {
    it(`names the step, its account and the phase it failed in (${phase})`, async () => {
      const h = harness();
      const result = await h.run([{ ...failing('stream', phase, 'LimitExceededException: too many streams'), account: 'consumer' }]);
      expect(result.failure).toBeInstanceOf(StepError);
      expect(result.failure!.message).toBe(`resource stream (consumer account) failed during ${phase}: LimitExceededException: too many streams`);
      expect(h.events.find((e) => e.type === 'step:failed')).toMatchObject({ stepId: 'stream', phase });
    });
  }

  it('reports a thrown value that is not an Error as it is', () => {
    expect(new StepError(step('role'), 'undo', 'gone').message).toBe('resource role (producer account) failed during undo: gone');
  });

  it('keeps the first failure when two steps in flight fail', async () => {
    const h = harness();
    const slow = step('b', { apply: async () => (await h.clock.sleep(50), Promise.reject(new Error('second'))) });
    const result = await h.run([failing('a', 'apply', 'first'), slow]);
    expect(result.failure!.step.id).toBe('a');
    expect(result.states).toMatchObject({ a: StepState.Failed, b: StepState.Failed });
  });

  it('is a failure, not an interruption, when a Ctrl-C came too', async () => {
    const h = harness();
    const interrupt = new Interrupt();
    const result = await h.run([step('a', { apply: async () => (interrupt.trigger(), Promise.reject(new Error('no'))) })], { interrupt });
    expect(result.outcome).toBe('failed');
    expect(exitCodeFor(result)).toBe(ExitCode.Failed);
  });
});

describe('a rollback', () => {
  it('keeps a resource its undo keeps on purpose, goes on with the rest, and does not count it as a failed removal', async () => {
    const h = harness();
    const undone: string[] = [];
    const key = step('key', {
      apply: async () => ({ keyId: 'k-1' }),
      undo: () => Promise.reject(new KeptOnPurpose('records still need it', { keyId: 'k-1', keptUntil: '2026-01-02T00:00:00.000Z' })),
    });
    const stream = step('stream', { dependsOn: ['key'], undo: async () => void undone.push('stream') });
    const result = await h.run([key, stream, failing('policy', 'apply')].map((s) => (s.id === 'policy' ? { ...s, dependsOn: ['stream'] } : s)));
    expect(undone).toEqual(['stream']);
    expect(result.rolledBack).toEqual(['stream', 'key']);
    expect(result.leftovers).toEqual([{ stepId: 'key', title: 'resource key', account: 'producer', outputs: { keyId: 'k-1', keptUntil: '2026-01-02T00:00:00.000Z' }, kept: 'records still need it' }]);
    expect(result.states).toMatchObject({ key: StepState.Undone, stream: StepState.Undone });
    expect(exitCodeFor(result)).toBe(ExitCode.Failed);
    expect(h.state.steps.key).toMatchObject({ origin: 'created', outputs: { keyId: 'k-1', keptUntil: '2026-01-02T00:00:00.000Z' } });
    expect(h.state.steps.stream).toBeUndefined();
    expect(h.events.filter((e) => e.type === 'step:undone')).toEqual([
      { type: 'step:undone', stepId: 'stream', elapsedMs: 0 },
      { type: 'step:undone', stepId: 'key', elapsedMs: 0, kept: 'records still need it' },
    ]);
  });

  it('passes on what an undo says it did, and how long it took', async () => {
    const h = harness();
    const key = step('key', { undo: async () => (await h.clock.sleep(1_500), 'scheduled for deletion in 7 days') });
    await h.run([key, { ...failing('alias', 'apply'), dependsOn: ['key'] }]);
    expect(h.events.filter((e) => e.type === 'step:undoing' || e.type === 'step:undone')).toEqual([
      { type: 'step:undoing', stepId: 'key', title: 'resource key', account: 'producer' },
      { type: 'step:undone', stepId: 'key', elapsedMs: 1_500, detail: 'scheduled for deletion in 7 days' },
    ]);
  });

  it('forgets a step with nothing to remove', async () => {
    const h = harness();
    const { undo: _none, ...noUndo } = step('tag');
    const result = await h.run([noUndo, { ...failing('b', 'apply'), dependsOn: ['tag'] }]);
    expect(result.rolledBack).toEqual(['tag']);
    expect(result.states.tag).toBe(StepState.Undone);
    expect(h.state.steps).toEqual({});
  });

  it('undoes with the outputs recorded during apply and those apply returned together', async () => {
    const h = harness();
    const seen: Array<Record<string, string>> = [];
    const key = step('key', {
      async apply(ctx) {
        await ctx.record({ keyId: 'k-1' });
        return { aliasName: 'alias/orders' };
      },
      undo: async (_ctx, outputs) => void seen.push(outputs),
    });
    await h.run([key, { ...failing('b', 'apply'), dependsOn: ['key'] }]);
    expect(seen).toEqual([{ keyId: 'k-1', aliasName: 'alias/orders' }]);
  });

  it('lists, with rollback off, what this run made with its recorded outputs, newest first', async () => {
    const h = harness();
    const result = await h.run([step('a'), step('b', { dependsOn: ['a'] }), { ...failing('c', 'apply'), dependsOn: ['b'] }], { rollback: false });
    expect(result.leftovers).toEqual([
      { stepId: 'b', title: 'resource b', account: 'producer', outputs: { id: 'b' } },
      { stepId: 'a', title: 'resource a', account: 'producer', outputs: { id: 'a' } },
    ]);
    expect(result.rolledBack).toEqual([]);
    expect(h.events.some((e) => e.type === 'run:rollback')).toBe(false);
  });
});

describe('the state file', () => {
  it('is saved at each change, stamped with the time of the clock', async () => {
    const h = harness();
    const slow = step('a', { wait: () => h.clock.sleep(2_000) });
    await h.run([slow]);
    const phases = h.saved.map((s) => JSON.parse(s) as DeploymentState).map((s) => [s.steps.a?.phase, s.updatedAt]);
    expect(phases).toEqual([
      ['applying', new Date(start).toISOString()],
      ['ready', new Date(start + 2_000).toISOString()],
    ]);
    expect(h.state.steps.a).toEqual({ origin: 'created', phase: 'ready', outputs: { id: 'a' }, runId: 'run-2', updatedAt: new Date(start + 2_000).toISOString() });
  });

  it('is not written again for a step found as it was recorded, and keeps the run that made it', async () => {
    const h = harness();
    const done = step('a', { check: async () => ({ status: 'done', origin: 'created', outputs: { id: 'a' } }) });
    h.state.steps.a = { origin: 'created', phase: 'ready', outputs: { id: 'a' }, runId: 'run-1', updatedAt: 'then' };
    await h.run([done]);
    expect(h.saved).toEqual([]);

    const moved = step('a', { check: async () => ({ status: 'done', origin: 'created', outputs: { id: 'a2' } }) });
    await h.run([moved]);
    expect(h.state.steps.a).toMatchObject({ outputs: { id: 'a2' }, runId: 'run-1', phase: 'ready' });
    expect(h.saved).toHaveLength(2);
  });

  it('records a resource found half made by an earlier run as ready only once its wait is over', async () => {
    const h = harness();
    h.state.steps.a = { origin: 'created', phase: 'applying', outputs: { id: 'a' }, runId: 'run-1', updatedAt: 'then' };
    const waited: string[] = [];
    const done = step('a', { check: async () => ({ status: 'done', origin: 'created', outputs: { id: 'a' } }), wait: async (_ctx, outputs) => void waited.push(outputs.id!) });
    const result = await h.run([done]);
    expect(waited).toEqual(['a']);
    expect(result.states.a).toBe(StepState.AlreadyDone);
    expect(h.state.steps.a).toMatchObject({ phase: 'ready', runId: 'run-1' });
  });

  it('records a skipped step as skipped, which a later run does not present as an earlier resource', async () => {
    const h = harness();
    const seen: unknown[] = [];
    const after = step('b', { dependsOn: ['a'], check: async (ctx) => (seen.push(ctx.outputsOf('a')), { status: 'missing' }) });
    await h.run([step('a', { check: async () => ({ status: 'skip', detail: 'already encrypted' }) }), after]);
    expect(h.state.steps.a).toMatchObject({ origin: 'skipped', phase: 'ready', outputs: {}, detail: 'already encrypted' });
    expect(seen).toEqual([{}]);

    const previous: unknown[] = [];
    await h.run([step('a', { check: async (ctx) => (previous.push(ctx.previous), { status: 'skip', detail: 'x' }) })]);
    await h.run([step('b', { check: async (ctx) => (previous.push(ctx.previous), { status: 'done', origin: 'created', outputs: { id: 'b' } }) })]);
    expect(previous).toEqual([undefined, { outputs: { id: 'b' }, origin: 'created' }]);
  });
});

describe('scheduling', () => {
  it('runs six steps at a time unless told otherwise', async () => {
    const h = harness();
    let running = 0;
    let most = 0;
    const busy = (id: string) => step(id, { apply: async () => (running++, (most = Math.max(most, running)), await h.clock.sleep(10), running--, { id }) });
    await h.run(Array.from({ length: 8 }, (_, i) => busy(`s${i}`)));
    expect(most).toBe(6);
  });

  it('does not check again a step planning has checked', async () => {
    const h = harness();
    const checked: string[] = [];
    const a = step('a', { check: async () => (checked.push('a'), { status: 'missing' }) });
    const result = await h.run([a], { checked: new Map([['a', { status: 'done', origin: 'adopted', outputs: { id: 'theirs' } }]]) });
    expect(checked).toEqual([]);
    expect(result.states.a).toBe(StepState.AlreadyDone);
    expect(h.state.steps.a).toMatchObject({ origin: 'adopted', outputs: { id: 'theirs' } });
  });

  it("refuses a step reading the outputs of one that has not finished, and shows a step's progress", async () => {
    const h = harness();
    const reads = step('b', { apply: async (ctx) => (ctx.progress('stream is CREATING'), ctx.outputsOf('a')) });
    const result = await h.run([step('a'), reads]);
    expect(h.events).toContainEqual({ type: 'step:waiting', stepId: 'b', detail: 'stream is CREATING' });
    expect(result.failure!.message).toContain('Step "b" read outputs of "a", which has not finished.');
  });

  it('rejects two steps with one id', () => {
    expect(() => validateGraph([step('a'), step('a')])).toThrow('Duplicate step id "a".');
  });
});

describe('Ctrl-C', () => {
  it('is said once, however often it is pressed, and not after the run has ended', async () => {
    const h = harness();
    const interrupt = new Interrupt();
    const pressedTwice = step('a', { apply: async () => (interrupt.trigger(), interrupt.trigger(), { id: 'a' }) });
    const result = await h.run([pressedTwice], { interrupt });
    expect(result.outcome).toBe('interrupted');
    expect(h.events.filter((e) => e.type === 'run:interrupted')).toHaveLength(1);

    const later = new Interrupt();
    await h.run([step('b')], { interrupt: later });
    const before = h.events.length;
    later.trigger();
    expect(h.events.length).toBe(before);
  });
});
