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
    expect(world.cloud.regionState(PRODUCER, REGION)!.streams.get('orders-stream')!.shards).toHaveLength(2);
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

describe('setup with an existing KMS key', () => {
  const keys = () => world.cloud.regionState(PRODUCER, REGION)!.keys;

  it('refuses a --kms-key that is not there or not Enabled, before any change', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders', '--kms-key', 'alias/nope')).toBe(ExitCode.Usage);
    expect(errorOf()).toEqual([{ text: `KMS key alias/nope was not found in account ${PRODUCER} (${REGION}).`, hint: 'Check --kms-key, or leave it out to let kds-xacct create a key.' }]);

    const keyId = world.cloud.seedKey(PRODUCER, REGION);
    keys().get(keyId)!.disabled = true;
    world.harness.reporter.lines.length = 0;
    expect(await world.setup('--name', 'orders', '--kms-key', keyId)).toBe(ExitCode.Usage);
    expect(errorOf()).toEqual([{ text: `KMS key ${keyId} is Disabled, not Enabled.`, hint: 'Enable the key or choose another with --kms-key.' }]);
    expect(world.cloud.mutatingCalls()).toEqual([]);
  });

  it('uses a --kms-key as it is, and knows it by its own alias rather than an AWS one', async () => {
    world = twoAccounts();
    const keyId = world.cloud.seedKey(PRODUCER, REGION, { alias: 'alias/aws/not-ours-to-name' });
    world.cloud.regionState(PRODUCER, REGION)!.aliases.set('alias/orders-key', { name: 'alias/orders-key', keyId, createdAt: 0 });
    expect(await world.setup('--name', 'orders', '--kms-key', keyId, '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()['kms-key']).toMatchObject({ action: 'adopt', detail: 'existing customer managed key' });
    expect(await world.setup('--name', 'orders', '--kms-key', keyId)).toBe(ExitCode.Success);
    expect((await world.store.load('orders'))!.steps['kms-key']).toMatchObject({ origin: 'adopted', outputs: { keyId, keyRef: keyId, keyAlias: 'alias/orders-key' } });
    expect(world.cloud.mutatingCalls().map((c) => c.command)).not.toContain('CreateKey');
  });

  it("refuses to re-encrypt an adopted stream encrypted with another key, and names the stream's key", async () => {
    world = twoAccounts();
    const theirs = world.cloud.seedKey(PRODUCER, REGION);
    const ours = world.cloud.seedKey(PRODUCER, REGION);
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', encryption: { keyId: theirs } });
    expect(await world.setup(...adoptClicks, '--kms-key', ours)).toBe(ExitCode.Usage);
    expect(errorOf()).toEqual([
      {
        text: `Stream clicks is encrypted with KMS key ${theirs}, not arn:aws:kms:${REGION}:${PRODUCER}:key/${ours}.`,
        hint: `Pass --kms-key ${theirs} to use the stream's own key; kds-xacct does not re-encrypt a stream in use.`,
      },
    ]);
    expect(world.cloud.mutatingCalls()).toEqual([]);
  });

  it("plans the encryption of a stream already encrypted with the key as adopted, and of its own stream as done", async () => {
    world = twoAccounts();
    const keyId = world.cloud.seedKey(PRODUCER, REGION, { alias: 'alias/clickstream' });
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', encryption: { keyId: 'alias/clickstream' } });
    expect(await world.setup(...adoptClicks, '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()['stream-encryption']).toMatchObject({ action: 'adopt', detail: 'already encrypted with the key' });
    expect(planOf()['kms-key']).toMatchObject({ action: 'adopt', detail: "the stream's own key alias/clickstream" });
    expect(keys().get(keyId)).toBeDefined();

    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(await world.setup('--name', 'orders', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()['stream-encryption']).toMatchObject({ action: 'done', detail: 'already encrypted with the key' });
  });
});

describe('the waits of the stream and the consumer', () => {
  const waiting = (stepId: string) => world.harness.reporter.events.flatMap((e) => (e.type === 'step:waiting' && e.stepId === stepId ? [e.detail] : []));

  it('show the state they wait out, while created and while removed by a rollback', async () => {
    world = twoAccounts();
    world.cloud.failOn({ command: 'CreateEventSourceMapping' }, { code: 'AccessDeniedException', message: 'not allowed' });
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Failed);
    expect(waiting('stream')).toEqual(['stream is CREATING', 'stream is DELETING']);
    expect(waiting('efo-consumer')).toEqual(['consumer is CREATING', 'consumer is DELETING']);
    expect(world.cloud.regionState(PRODUCER, REGION)!.streams.size).toBe(0);
  });
});
