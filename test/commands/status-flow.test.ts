import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import type { FlowReport } from '../../src/monitoring/read.js';
import { denyToCaller } from '../../src/sandbox/cloudwatch.js';
import { CONSUMER, PRODUCER, REGION, twoAccounts } from '../support/two-accounts.js';
import { deployedOrders, putOrders } from '../support/orders-flow.js';

let world: ReturnType<typeof twoAccounts>;
afterEach(() => world?.cloud.restore());

const MINUTE = 60_000;

/** Runs status; returns its exit code, the flow of its JSON result, its text and its calls. */
async function status(...args: string[]) {
  const results = world.harness.reporter.results.length;
  const lines = world.harness.reporter.lines.length;
  const calls = world.cloud.calls.length;
  const code = await world.harness.run('status', '--name', 'orders', ...args);
  const flow = (world.harness.reporter.results[results] as { flow: FlowReport }).flow;
  const text = world.harness.reporter.lines
    .slice(lines)
    .map((l) => l.text)
    .join('\n');
  return { code, flow, text, calls: world.cloud.calls.slice(calls) };
}

const figure = (flow: FlowReport, key: string) => flow.figures.find((f) => f.key === key)!;

describe('status shows the flow', () => {
  it('says "no data yet" for a new deployment, not zero, with every figure, unit and period in --json', async () => {
    world = await deployedOrders();
    const { code, flow, text } = await status('--json');
    expect(code).toBe(ExitCode.Success);
    expect(flow.figures.map((f) => [f.key, f.account, f.unit, f.periodSeconds, f.windowSeconds, f.verdict])).toEqual([
      ['iteratorAge', 'consumer', 'Milliseconds', 60, 900, 'no-data'],
      ['millisBehindLatest', 'producer', 'Milliseconds', 60, 900, 'no-data'],
      ['incomingRecords', 'producer', 'Count', 60, 900, 'no-data'],
      ['deliveredRecords', 'consumer', 'Count', 60, 900, 'no-data'],
      ['functionErrors', 'consumer', 'Count', 60, 900, 'no-data'],
      ['throttles', 'consumer', 'Count', 60, 900, 'no-data'],
      ['droppedRecords', 'consumer', 'Count', 60, 900, 'no-data'],
      ['sentToDestination', 'consumer', 'Count', 60, 900, 'no-data'],
      ['deliveryFailures', 'consumer', 'Count', 60, 900, 'no-data'],
      ['queueDepth', 'consumer', 'Count', 60, 900, 'ok'],
    ]);
    expect(flow.figures.filter((f) => f.verdict === 'no-data').every((f) => f.value === undefined && f.note === 'no data yet in the last 15 min')).toBe(true);
    expect(text).toContain('no data yet in the last 15 min');
  });

  it('reads each metric in the account that owns it, both accounts at once, and counts what flowed', async () => {
    world = await deployedOrders();
    await putOrders(world, 120);
    world.clock.advance(2 * MINUTE);
    const { flow, text, calls } = await status();
    const reads = calls.filter((c) => c.command === 'GetMetricData');
    expect(reads.map((c) => c.accountId).sort()).toEqual([PRODUCER, CONSUMER].sort());
    expect(figure(flow, 'incomingRecords')).toMatchObject({ value: 120, verdict: 'ok', note: '120 in the last 15 min' });
    expect(figure(flow, 'deliveredRecords')).toMatchObject({ value: 120, verdict: 'ok' });
    expect(figure(flow, 'iteratorAge')).toMatchObject({ verdict: 'ok', note: expect.stringMatching(/^\d+ s behind: [01] % of the 1 h after which Lambda discards records$/) });
    expect(text).toMatch(/Flow over the last 15 min \(CloudWatch, 1-minute periods\):/);
  });

  it('calls records sent to the failure destination a problem, and function errors a warning', async () => {
    world = await deployedOrders();
    world.cloud.setFunctionRuntime(async () => {
      throw new Error('boom');
    });
    await putOrders(world, 10);
    world.clock.advance(3 * MINUTE);
    const { flow, text } = await status();
    expect(figure(flow, 'sentToDestination')).toMatchObject({ value: 10, verdict: 'problem' });
    expect(figure(flow, 'functionErrors').verdict).toBe('warning');
    expect(figure(flow, 'queueDepth').verdict).toBe('warning');
    expect(text).toMatch(/PROBLEM +records sent to the failure destination +10 in the last 15 min/);
  });

  it('counts over the window --since gives', async () => {
    world = await deployedOrders();
    await putOrders(world, 10);
    world.clock.advance(20 * MINUTE);
    expect(figure((await status()).flow, 'incomingRecords').verdict).toBe('no-data');
    expect(figure((await status('--since', '30m')).flow, 'incomingRecords')).toMatchObject({ value: 10, windowSeconds: 1800 });
  });

  it('reports a profile without cloudwatch:GetMetricData once, with the statement that would allow it, and runs the rest of status', async () => {
    world = await deployedOrders();
    denyToCaller(world.cloud, CONSUMER, 'cloudwatch:GetMetricData');
    await putOrders(world, 5);
    world.clock.advance(2 * MINUTE);
    const { code, flow, text } = await status();
    expect(code).toBe(ExitCode.Success);
    expect(flow.denied).toEqual([{ account: 'consumer', profile: 'analytics', accountId: CONSUMER, statement: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'cloudwatch:GetMetricData', Resource: '*' }] } }]);
    expect(figure(flow, 'incomingRecords')).toMatchObject({ value: 5, verdict: 'ok' });
    expect(figure(flow, 'iteratorAge').verdict).toBe('denied');
    expect(text.match(/may not read CloudWatch metrics/g)).toHaveLength(1);
    expect(text).toContain('"Action": "cloudwatch:GetMetricData",\n          "Resource": "*"');
    expect(text).toContain('Healthy');
  });

  it("says when the mapping's event-count metrics are off, with the command that turns them on", async () => {
    world = await deployedOrders();
    delete [...world.cloud.regionState(CONSUMER, REGION)!.esms.values()][0]!.metrics;
    const { flow, text } = await status();
    expect(flow.eventCountsOff).toBe(true);
    expect(flow.figures.map((f) => f.key)).not.toContain('droppedRecords');
    expect(text).toContain("The mapping's event-count metrics (MetricsConfig EventCount) are off");
    expect(text).toMatch(/`kds-xacct setup --name orders` turns them on/);
  });
});
