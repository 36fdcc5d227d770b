import { afterEach, describe, expect, it } from 'vitest';
import { setupCosts, teardownCosts } from '../../bench/run.js';
import { newState } from '../../src/deployment/store.js';
import { completeConfig } from '../../src/pipeline/config.js';
import { defaultNames } from '../../src/pipeline/names.js';
import { pipelineContext } from '../../src/pipeline/steps/context.js';
import { setupSteps } from '../../src/pipeline/steps/index.js';
import { defaultLatency } from '../../src/sandbox/latency.js';
import { twoAccounts } from '../support/two-accounts.js';

let world: ReturnType<typeof twoAccounts>;
afterEach(() => world?.cloud.restore());

/** The ids of setup's steps, from the same list setup and the benchmark build. */
async function stepIds(): Promise<string[]> {
  world = twoAccounts();
  const [producer, consumer] = await Promise.all([world.sessions.connect('prod', 'producer', {}), world.sessions.connect('analytics', 'consumer', {})]);
  const config = completeConfig({ name: 'bench' }, defaultNames('bench', consumer.accountId));
  return setupSteps(pipelineContext({ config, producer, consumer, previous: newState('bench', 'setup', new Date(world.clock.now())) })).map((s) => s.id);
}

describe("the benchmark's cost model", () => {
  it('has a setup cost and a teardown cost for every setup step, and gates only on steps that exist', async () => {
    const ids = await stepIds();
    const setup = setupCosts(defaultLatency);
    const teardown = teardownCosts(defaultLatency);
    expect(ids.filter((id) => !(id in setup))).toEqual([]);
    expect(ids.filter((id) => !(id in teardown))).toEqual([]);
    // No cost left behind by a step that was renamed or removed.
    expect(Object.keys(setup).filter((id) => !ids.includes(id))).toEqual([]);
    expect(Object.keys(teardown).filter((id) => !ids.includes(id))).toEqual([]);
    const gates = Object.values(setup).flatMap((cost) => cost.gates.map((g) => g.after));
    expect(gates.filter((id) => !ids.includes(id))).toEqual([]);
  });
});
