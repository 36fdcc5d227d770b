import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import type { HealthReport } from '../../src/pipeline/health-report.js';
import { CONSUMER, REGION, twoAccounts } from '../support/two-accounts.js';

let world: ReturnType<typeof twoAccounts>;
afterEach(() => world?.cloud.restore());

const mappingOf = () => [...world.cloud.regionState(CONSUMER, REGION)!.esms.values()][0]!;
type PlanJson = { plan: Array<{ step: string; action: string; detail?: string }> };
const planOf = () => Object.fromEntries((world.harness.reporter.results.at(-1) as PlanJson).plan.map((p) => [p.step, p]));

describe("the mapping's event-count metrics (MetricsConfig)", () => {
  it('are turned on when setup creates the mapping', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(mappingOf().metrics).toEqual(['EventCount']);
  });

  it('are turned on by a re-run for a deployment whose mapping has them off, with one UpdateEventSourceMapping; status says they are off until then', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    delete mappingOf().metrics;

    expect(await world.harness.run('status', '--name', 'orders', '--json')).toBe(ExitCode.Failed);
    const report = world.harness.reporter.results.at(-1) as HealthReport;
    expect(report.resources.find((r) => r.step === 'event-source-mapping')).toMatchObject({ status: 'drifted', detail: expect.stringContaining('its event-count metrics (MetricsConfig EventCount) are off') });

    expect(await world.setup('--name', 'orders', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()['event-source-mapping']).toMatchObject({ action: 'update', detail: 'its event-count metrics (MetricsConfig EventCount) are off' });
    const before = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(mappingOf().metrics).toEqual(['EventCount']);
    expect(world.cloud.calls.slice(before).filter((c) => c.mutating).map((c) => c.command)).toEqual(['UpdateEventSourceMapping']);
  });
});
