import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../src/deployment/store.js';
import { ExitCode } from '../../src/errors.js';
import { createHarness } from '../support/command-harness.js';
import { PRODUCER, REGION, twoAccounts } from '../support/two-accounts.js';

let world: ReturnType<typeof twoAccounts> | undefined;
afterEach(() => world?.cloud.restore());

/** The two accounts, with deployments kept in a real state folder that does not exist yet. */
function withStateFolder() {
  world = twoAccounts();
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'kds-xacct-folder-')), '.kds-xacct');
  const harness = createHarness({ sessions: world.sessions, clock: world.clock, store: new FileStateStore(dir) });
  const setup = (...args: string[]) => harness.run('setup', '--producer-profile', 'prod', '--consumer-profile', 'analytics', '--name', 'orders', ...args);
  return { dir, harness, setup, cloud: world.cloud };
}

describe('the state folder', () => {
  it('is not made by a dry run, which writes nothing', async () => {
    const { dir, setup, harness } = withStateFolder();
    expect(await setup('--dry-run'), harness.reporter.text).toBe(ExitCode.Success);
    expect(harness.reporter.text).toContain('Dry run: nothing was changed.');
    expect(existsSync(path.dirname(dir)) && !existsSync(dir)).toBe(true);
  });

  it('is not made by a usage error found under the lock', async () => {
    const { dir, setup, harness, cloud } = withStateFolder();
    // A same-named stream that is not ours: refused while planning, after the deployment was locked.
    cloud.seedStream(PRODUCER, REGION, { name: 'orders-stream' });
    expect(await setup('--yes'), harness.reporter.text).toBe(ExitCode.Usage);
    expect(harness.reporter.text).toContain('already exists but was not created by kds-xacct');
    expect(existsSync(dir)).toBe(false);
  });

  it('is made when a deployment is written, and then holds its state file', async () => {
    const { dir, setup, harness } = withStateFolder();
    expect(await setup('--yes'), harness.reporter.text).toBe(ExitCode.Success);
    expect(readdirSync(dir)).toEqual(['orders.json']);
  });
});
