import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { WATCH_INTERVAL_MS } from '../../src/commands/status-watch.js';
import { createHarness } from '../support/command-harness.js';
import type { twoAccounts } from '../support/two-accounts.js';
import { deployedOrders, putOrders } from '../support/orders-flow.js';

let world: ReturnType<typeof twoAccounts>;
afterEach(() => world?.cloud.restore());

/**
 * Lets virtual time pass a second at a time until `done`, so that the watch's own sleeps set the pace; each
 * step also yields a few real milliseconds, for what costs real time (loading the CloudWatch SDK the first time).
 */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !done(); i++) {
    await world.clock.sleep(1_000);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  expect(done()).toBe(true);
}

describe('status --watch', () => {
  it('without a terminal, prints one line per refresh, every few seconds, until Ctrl-C, and exits 0', async () => {
    world = await deployedOrders();
    const lines = world.harness.reporter.lines.length;
    const refreshes = () =>
      world.harness.reporter.lines
        .slice(lines)
        .map((l) => l.text)
        .filter((t) => /^\d{4}-\d\d-\d\dT/.test(t));
    const running = world.harness.run('status', '--name', 'orders', '--watch');
    await until(() => refreshes().length >= 2);
    await putOrders(world, 7);
    await until(() => refreshes().at(-1)!.includes('incomingRecords=7'));
    world.harness.interrupt.trigger();
    expect(await running).toBe(ExitCode.Success);
    expect(refreshes()[0]).toContain('incomingRecords=-');
    const times = refreshes().map((t) => Date.parse(t.split(' ')[0]!));
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(WATCH_INTERVAL_MS);
  });

  it('in a terminal, redraws the figures with a sparkline of the last hour and the time of the refresh', async () => {
    world = await deployedOrders();
    const tty = createHarness({ sessions: world.sessions, clock: world.clock, store: world.store, stdoutIsTTY: true, stdoutColumns: 130, realReporter: true });
    await putOrders(world, 20);
    await world.clock.sleep(3 * 60_000);
    const running = tty.run('status', '--name', 'orders', '--watch');
    await until(() => tty.stdout.text.split('\x1b[2J\x1b[H').length > 2);
    tty.interrupt.trigger();
    expect(await running).toBe(ExitCode.Success);
    const screens = tty.stdout.text.split('\x1b[2J\x1b[H').filter(Boolean);
    expect(screens.length).toBeGreaterThanOrEqual(2);
    const last = screens.at(-1)!;
    // A character a minute for the hour; the deployment is minutes old, so only the last few have data.
    expect(last).toMatch(/records into the stream +[ ▁▂▃▄▅▆▇█]*█[ ▁▂▃▄▅▆▇█]*\s+20 in the last 15 min/);
    expect(last.split('\n').every((line) => [...line].length < 130)).toBe(true);
    expect(last).toMatch(/Last refresh \d\d:\d\d:\d\d, every 5 s; the lines show the last hour\. Ctrl-C to stop\./);
  });
});
