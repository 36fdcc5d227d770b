import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { CONSUMER, REGION, twoAccounts } from '../support/two-accounts.js';

/**
 * What setup does with a failure queue that exists: it may hold reports of lost records, so setup reports how it
 * differs and changes nothing. Each of these went unnoticed by the suite under a mutation of the failure queue
 * step (README, Mutation testing).
 */
let world: ReturnType<typeof twoAccounts>;
afterEach(() => world?.cloud.restore());

type PlanJson = { plan: Array<{ step: string; action: string; detail?: string }> };
const planOf = () => Object.fromEntries((world.harness.reporter.results.at(-1) as PlanJson).plan.map((p) => [p.step, p]));
const queues = () => world.cloud.regionState(CONSUMER, REGION)!.queues!;

describe('an existing failure queue', () => {
  it('of ours: says which attribute was changed by hand, and leaves it', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const [queue] = [...queues().values()];
    expect(await world.setup('--name', 'orders', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()['failure-queue']).toMatchObject({ action: 'done' });
    expect(planOf()['failure-queue']!.detail).toBeUndefined();

    queue!.attributes.MessageRetentionPeriod = '345600';
    queue!.attributes.SqsManagedSseEnabled = 'false';
    expect(await world.setup('--name', 'orders', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()['failure-queue']).toMatchObject({ action: 'done', detail: 'SqsManagedSseEnabled is false, setup sets true; MessageRetentionPeriod is 345600, setup sets 1209600' });
    const before = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(world.cloud.calls.slice(before).filter((c) => c.mutating).map((c) => c.command)).toEqual([]);
  });

  it("of someone else's: refused, or with --adopt kept as it is", async () => {
    world = twoAccounts();
    const sqs = new SQSClient({ region: REGION, credentials: world.cloud.credentialsFor(CONSUMER) });
    await sqs.send(new CreateQueueCommand({ QueueName: 'orders-failed-batches' }));
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Usage);
    expect(world.harness.reporter.lines.find((l) => l.level === 'error')!.text).toBe('Queue orders-failed-batches already exists but was not created by kds-xacct for deployment "orders".');
    expect(await world.setup('--name', 'orders', '--adopt', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()['failure-queue']).toMatchObject({ action: 'adopt', detail: 'existing queue, kept as it is' });
  });
});
