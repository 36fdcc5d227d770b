import { afterEach, describe, expect, it } from 'vitest';
import { AWS_ORDER, REFUSED_WHILE_UPDATING } from '../../bench/aws-order.js';
import { awsCriticalPath, criticalPath, setupCosts } from '../../bench/run.js';
import { newState } from '../../src/deployment/store.js';
import { completeConfig } from '../../src/pipeline/config.js';
import { defaultNames } from '../../src/pipeline/names.js';
import { STEP, pipelineContext } from '../../src/pipeline/steps/context.js';
import { setupSteps } from '../../src/pipeline/steps/index.js';
import { defaultLatency } from '../../src/sandbox/latency.js';
import { twoAccounts } from '../support/two-accounts.js';

let world: ReturnType<typeof twoAccounts>;
afterEach(() => world?.cloud.restore());

type Graph = Array<{ id: string; dependsOn: string[]; startsAfter?: string[] }>;

/** Setup's steps, their dependencies and the calls they start after, as the product builds them. */
async function productGraph(): Promise<Graph> {
  world = twoAccounts();
  const [producer, consumer] = await Promise.all([world.sessions.connect('prod', 'producer', {}), world.sessions.connect('analytics', 'consumer', {})]);
  const config = completeConfig({ name: 'bench' }, defaultNames('bench', consumer.accountId));
  return setupSteps(pipelineContext({ config, producer, consumer, previous: newState('bench', 'setup', new Date(world.clock.now())) })).map(({ id, dependsOn, startsAfter }) => ({ id, dependsOn: [...dependsOn], ...(startsAfter && { startsAfter: [...startsAfter] }) }));
}

/**
 * Whether `step` waits in `graph`, directly or through other steps, for `after` to be ready (`settled`: the
 * edge into `after` is a dependency) or only for its call (`called`: a startsAfter edge will do).
 */
function waitsFor(graph: Graph, step: string, after: string, until: 'settled' | 'called'): boolean {
  const { dependsOn, startsAfter = [] } = graph.find((s) => s.id === step)!;
  if (dependsOn.includes(after) || (until === 'called' && startsAfter.includes(after))) return true;
  return [...dependsOn, ...startsAfter].some((d) => waitsFor(graph, d, after, until));
}

describe("the order AWS imposes on setup, apart from the product's graph", () => {
  it('names only steps setup has, each edge with a public source', async () => {
    const ids = (await productGraph()).map((s) => s.id);
    for (const edge of AWS_ORDER) {
      expect(ids, JSON.stringify(edge)).toEqual(expect.arrayContaining([edge.step, edge.after]));
      expect(edge.source).toMatch(/API reference|Developer Guide|#\d+/);
    }
    expect(ids).toEqual(expect.arrayContaining(REFUSED_WHILE_UPDATING));
  });

  it("is honoured by the product's graph: every call AWS orders waits for what it needs, and none runs while encryption makes the stream UPDATING", async () => {
    const graph = await productGraph();
    for (const edge of AWS_ORDER) expect(waitsFor(graph, edge.step, edge.after, edge.until), `${edge.step} after ${edge.after}`).toBe(true);
    for (const step of REFUSED_WHILE_UPDATING) expect(waitsFor(graph, step, STEP.encryption, 'settled') || waitsFor(graph, STEP.encryption, step, 'called'), step).toBe(true);
  });

  it("sees a needless wait: the stream waiting for the function lengthens the product's path past 1.05 of AWS's, which does not move", async () => {
    const graph = await productGraph();
    const costs = setupCosts(defaultLatency);
    const a = defaultLatency.apiCall;
    const aws = awsCriticalPath(graph.map((s) => s.id), costs, a).bound;
    const needless = graph.map((s) => (s.id === STEP.stream ? { ...s, dependsOn: [...s.dependsOn, STEP.function] } : s));
    expect(criticalPath(needless, costs, a).bound / aws).toBeGreaterThan(1.05);
    expect(awsCriticalPath(needless.map((s) => s.id), costs, a).bound).toBe(aws);
  });
});
