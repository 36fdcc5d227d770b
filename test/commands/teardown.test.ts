import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { twoAccounts } from '../support/two-accounts.js';

let world: ReturnType<typeof twoAccounts>;
afterEach(() => world?.cloud.restore());

const teardown = (w: ReturnType<typeof twoAccounts>, ...args: string[]) => w.harness.run('teardown', '--yes', ...args);

describe('teardown after a full setup', () => {
  it('leaves both accounts as they were before setup', async () => {
    world = twoAccounts();
    const before = world.cloud.snapshot();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const code = await teardown(world, '--name', 'orders');
    console.log(world.harness.reporter.text);
    expect(code).toBe(ExitCode.Success);
    expect(world.cloud.snapshot()).toEqual(before);
    expect(await world.store.load('orders')).toBeUndefined();
  });
});
