import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { CONSUMER, PRODUCER, REGION, twoAccounts } from '../support/two-accounts.js';

let world: ReturnType<typeof twoAccounts>;
afterEach(() => world?.cloud.restore());

describe('setup on two fresh accounts', () => {
  it('creates the whole pipeline and a second run changes nothing', async () => {
    world = twoAccounts();
    const code = await world.setup('--name', 'orders');
    expect(world.harness.reporter.text).toContain('ready');
    expect(code).toBe(ExitCode.Success);
    const state = await world.store.load('orders');
    expect(Object.keys(state!.steps).sort()).toEqual(
      ['consumer-policy', 'efo-consumer', 'event-source-mapping', 'function', 'kms-grant', 'kms-key', 'role', 'role-policy', 'stream', 'stream-encryption', 'stream-policy'],
    );
    expect(state!.accounts).toEqual({
      producer: { profile: 'prod', accountId: PRODUCER, region: REGION },
      consumer: { profile: 'analytics', accountId: CONSUMER, region: REGION },
    });
    const before = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const second = world.cloud.calls.slice(before);
    expect(second.filter((c) => c.mutating)).toEqual([]);
  });
});
