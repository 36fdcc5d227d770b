import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { startCli } from '../../src/program.js';
import { createHarness } from '../support/command-harness.js';
import { CONSUMER, twoAccounts } from '../support/two-accounts.js';

let world: ReturnType<typeof twoAccounts>;
afterEach(() => world?.cloud.restore());

function jsonHarness() {
  return createHarness({ sessions: world.sessions, clock: world.clock, store: world.store, realReporter: true });
}

const setupArgs = ['setup', '--producer-profile', 'prod', '--consumer-profile', 'analytics', '--name', 'orders', '--yes', '--json'];

describe('--json: one document on stdout for every exit', () => {
  it('a failed setup: its summary, exit code 1, and the error with the failed step and its AWS code', async () => {
    world = twoAccounts();
    world.cloud.failAtMutatingCall(3, 'AccessDeniedException');
    const h = jsonHarness();
    expect(await h.run(...setupArgs)).toBe(ExitCode.Failed);
    expect(h.stdout.lines).toHaveLength(1);
    const document = JSON.parse(h.stdout.text) as { exitCode: number; outcome: string; error: { message: string; hint: string; code: string; step: string } };
    expect(document).toMatchObject({ exitCode: ExitCode.Failed, deployment: 'orders', outcome: 'failed' });
    expect(document.error).toEqual({ message: expect.stringContaining('What this run created was rolled back.'), hint: expect.stringContaining('kds-xacct setup'), code: 'AccessDeniedException', step: expect.any(String) });
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

/** Runs a command twice on the same world, with --json and without: the document's error, and the plain text's `Error:` line. */
async function bothWays(expected: ExitCode, ...args: string[]) {
  const json = jsonHarness();
  expect(await json.run(...args, '--json')).toBe(expected);
  expect(json.stdout.lines).toHaveLength(1);
  const document = JSON.parse(json.stdout.text) as { exitCode: number; error?: { message: string; hint?: string } };
  const plain = jsonHarness();
  expect(await plain.run(...args)).toBe(expected);
  const errorLines = plain.stderr.lines.filter((l) => l.startsWith('Error: '));
  return { document, errorLines };
}

describe('--json: a non-zero exit that the command words itself carries its error too', () => {
  it('status that finds problems: exit 1, the report, and one sentence saying how many', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    world.cloud.account(CONSUMER).roles.get('kds-xacct-orders-consumer')!.inline.set({}, world.clock.now());
    const { document, errorLines } = await bothWays(ExitCode.Failed, 'status', '--name', 'orders');
    expect(document).toMatchObject({ exitCode: ExitCode.Failed, healthy: false, findings: [{ step: 'role-policy' }] });
    const message = 'Deployment "orders" is not healthy: 1 problem(s) to fix.';
    expect(document.error).toEqual({ message });
    expect(errorLines).toEqual([`Error: ${message}`]);
  });

  it('teardown that leaves what a newer kds-xacct recorded: exit 1, and what was left alone', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const state = (await world.store.load('orders'))!;
    expect(await world.harness.run('teardown', '--name', 'orders', '--yes')).toBe(ExitCode.Success);
    state.steps = { 'future-step': { origin: 'created', phase: 'ready', outputs: {}, runId: 'r', updatedAt: state.updatedAt } };
    await world.store.save(state);
    const { document, errorLines } = await bothWays(ExitCode.Failed, 'teardown', '--name', 'orders', '--yes');
    expect(document).toMatchObject({ exitCode: ExitCode.Failed, remaining: [{ stepId: 'future-step' }] });
    expect(document.error).toEqual({
      message: 'Deployment "orders" still records resources this version of kds-xacct does not know (future-step): they were left alone, and the state file keeps them.',
      hint: 'A newer kds-xacct recorded them: run teardown with that version.',
    });
    expect(errorLines).toEqual([`Error: ${document.error!.message}`]);
  });

  it('teardown interrupted before its first deletion: exit 130, and that nothing was deleted', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const h = jsonHarness();
    h.interrupt.trigger();
    expect(await h.run('teardown', '--name', 'orders', '--yes', '--json')).toBe(ExitCode.Interrupted);
    expect(JSON.parse(h.stdout.text)).toMatchObject({ exitCode: ExitCode.Interrupted, error: { message: 'Interrupted before any deletion. Nothing was deleted.' } });
  });
});
