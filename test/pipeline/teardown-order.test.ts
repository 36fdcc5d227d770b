import { afterEach, describe, expect, it } from 'vitest';
import { newState } from '../../src/deployment/store.js';
import { completeConfig } from '../../src/pipeline/config.js';
import { defaultNames } from '../../src/pipeline/names.js';
import { STEP, pipelineContext } from '../../src/pipeline/steps/context.js';
import { setupSteps } from '../../src/pipeline/steps/index.js';
import { removalId, removalSteps } from '../../src/pipeline/teardown.js';
import { twoAccounts } from '../support/two-accounts.js';

let world: ReturnType<typeof twoAccounts>;
afterEach(() => world?.cloud.restore());

/** The teardown graph of a deployment on an adopted stream that setup encrypted, everything else created by setup. */
async function adoptedStreamTeardown() {
  world = twoAccounts();
  const [producer, consumer] = await Promise.all([world.sessions.connect('prod', 'producer', {}), world.sessions.connect('analytics', 'consumer', {})]);
  const config = completeConfig({ name: 'clicks' }, defaultNames('clicks', consumer.accountId));
  const state = newState('clicks', 'setup', new Date(world.clock.now()));
  const steps = setupSteps(pipelineContext({ config, producer, consumer, previous: state }));
  for (const step of steps) state.steps[step.id] = { origin: step.id === STEP.stream ? 'adopted' : 'created', phase: 'ready', outputs: {}, runId: 'r', updatedAt: '' };
  const removal = removalSteps(steps, state, { onRemoved: async () => undefined, keyPendingDays: 7 });
  return (stepId: string) => removal.find((s) => s.id === removalId(stepId))!;
}

describe("teardown's order around an adopted stream's encryption", () => {
  it('removes our stream-policy statement before StopStreamEncryption, and deregisters the consumer without waiting for either', async () => {
    const removalOf = await adoptedStreamTeardown();
    expect(removalOf(STEP.encryption).dependsOn).toContain(removalId(STEP.streamPolicy));
    expect(removalOf(STEP.encryption).dependsOn).not.toContain(removalId(STEP.consumer));
    expect(removalOf(STEP.consumer).dependsOn).not.toContain(removalId(STEP.encryption));
    expect(removalOf(STEP.encryption).startsAfter).toBeUndefined();
    expect(removalOf(STEP.consumer).startsAfter).toBeUndefined();
  });
});
