import { DeleteStreamCommand, DeregisterStreamConsumerCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { PRODUCER, REGION, twoAccounts } from '../support/two-accounts.js';

/**
 * What setup finds when a stream, consumer or key of the deployment already exists, and what it refuses.
 * Each of these went unnoticed by the suite under a mutation of a step (README, Mutation testing).
 */
let world: ReturnType<typeof twoAccounts>;
afterEach(() => world?.cloud.restore());

type PlanJson = { plan: Array<{ step: string; action: string; detail?: string; warnings?: string[] }> };
const planOf = () => Object.fromEntries((world.harness.reporter.results.at(-1) as PlanJson).plan.map((p) => [p.step, p]));
const errorOf = () => world.harness.reporter.lines.filter((l) => l.level === 'error').map(({ text, hint }) => ({ text, hint }));
const kinesis = () => new KinesisClient({ region: REGION, credentials: world.cloud.credentialsFor(PRODUCER) });
const adoptClicks = ['--name', 'clicks', '--stream-name', 'clicks', '--use-existing-stream'];

describe('setup on an existing stream', () => {
  it('refuses to adopt a stream that is not there, and says which flag names it', async () => {
    world = twoAccounts();
    expect(await world.setup(...adoptClicks)).toBe(ExitCode.Usage);
    expect(errorOf()).toEqual([
      { text: `Stream clicks was not found in account ${PRODUCER} (${REGION}).`, hint: 'Check --stream-name and the region, or leave out --use-existing-stream to create it.' },
    ]);
    expect(world.cloud.mutatingCalls()).toEqual([]);
  });

  it('refuses a stream that is being deleted, rather than wait on it or make another', async () => {
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks' });
    await kinesis().send(new DeleteStreamCommand({ StreamName: 'clicks' }));
    expect(await world.setup(...adoptClicks)).toBe(ExitCode.Usage);
    expect(errorOf()).toEqual([{ text: 'Stream clicks is being deleted.', hint: 'Wait until it is gone, then run setup again.' }]);
  });

  it('says what an adopted stream is, and whether setup will encrypt it', async () => {
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', mode: 'PROVISIONED', shards: 2 });
    expect(await world.setup(...adoptClicks, '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf().stream).toMatchObject({ action: 'adopt', detail: 'existing PROVISIONED stream, not encrypted' });

    world.cloud.restore();
    world = twoAccounts();
    const keyId = world.cloud.seedKey(PRODUCER, REGION, { alias: 'alias/clickstream' });
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', encryption: { keyId } });
    expect(await world.setup(...adoptClicks, '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf().stream).toMatchObject({ action: 'adopt', detail: 'existing ON_DEMAND stream' });
    expect(planOf().stream).not.toHaveProperty('warnings');
  });

  it('keeps the capacity of a stream it made, and says so when the config asks for another', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(await world.setup('--name', 'orders', '--capacity-mode', 'provisioned', '--shards', '3', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf().stream).toMatchObject({ action: 'done', detail: 'it is ON_DEMAND; kds-xacct does not change the capacity of an existing stream' });

    world.cloud.restore();
    world = twoAccounts();
    expect(await world.setup('--name', 'orders', '--capacity-mode', 'provisioned', '--shards', '2')).toBe(ExitCode.Success);
    expect(world.cloud.regionState(PRODUCER, REGION)!.streams.get('orders-stream')!.shards.filter((s) => s.endingSequence === undefined)).toHaveLength(2);
    expect(await world.setup('--name', 'orders', '--capacity-mode', 'provisioned', '--shards', '2', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf().stream!.detail).toBeUndefined();
    expect(await world.setup('--name', 'orders', '--capacity-mode', 'provisioned', '--shards', '3', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf().stream).toMatchObject({ action: 'done', detail: 'it is PROVISIONED with 2 shards; kds-xacct does not change the capacity of an existing stream' });
  });
});

describe('setup on an existing EFO consumer', () => {
  it('refuses one that is being deregistered', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const consumerArn = (await world.store.load('orders'))!.steps['efo-consumer']!.outputs.consumerArn!;
    await kinesis().send(new DeregisterStreamConsumerCommand({ ConsumerARN: consumerArn }));
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Usage);
    expect(errorOf()).toEqual([{ text: `EFO consumer orders-${'222222222222'}-efo is being deregistered.`, hint: 'Wait a minute, then run setup again.' }]);
  });
});
