import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { startCli } from '../../src/program.js';
import { createHarness } from '../support/command-harness.js';
import { twoAccounts } from '../support/two-accounts.js';

let world: ReturnType<typeof twoAccounts>;
afterEach(() => world?.cloud.restore());

function jsonHarness() {
  return createHarness({ sessions: world.sessions, clock: world.clock, store: world.store, realReporter: true });
}

const setupArgs = ['setup', '--producer-profile', 'prod', '--consumer-profile', 'analytics', '--name', 'orders', '--yes', '--json'];

describe('--json: one document on stdout for every exit', () => {
  it('a failed setup: its summary, exit code 1, and the error with the failed step and its AWS code', async () => {
    world = twoAccounts();
    world.cloud.failAtMutatingCall(3, 'InternalFailure');
    const h = jsonHarness();
    expect(await h.run(...setupArgs)).toBe(ExitCode.Failed);
    expect(h.stdout.lines).toHaveLength(1);
    const document = JSON.parse(h.stdout.text) as { exitCode: number; outcome: string; error: { message: string; hint: string; code: string; step: string } };
    expect(document).toMatchObject({ exitCode: ExitCode.Failed, deployment: 'orders', outcome: 'failed' });
    expect(document.error).toEqual({ message: expect.stringContaining('What this run created was rolled back.'), hint: expect.stringContaining('kds-xacct setup'), code: 'InternalFailure', step: expect.any(String) });
    for (const line of h.stderr.lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('a second Ctrl-C: exit 130 and one document, though the command goes on to close the run too', async () => {
    world = twoAccounts();
    const h = jsonHarness();
    const run = startCli(setupArgs, h.environment);
    h.interrupt.trigger();
    expect(await run.stop()).toBe(ExitCode.Interrupted);
    await run.exitCode;
    expect(h.stdout.lines).toHaveLength(1);
    expect(JSON.parse(h.stdout.text)).toEqual({
      exitCode: ExitCode.Interrupted,
      error: { message: 'Stopped at once, without waiting for the steps in flight.', hint: 'Run the same command again to resume or clean up.' },
    });
  });
});
