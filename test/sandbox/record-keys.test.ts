import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand, PutRecordsCommand, StartStreamEncryptionCommand, StopStreamEncryptionCommand } from '@aws-sdk/client-kinesis';
import { KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { FakeCloud } from '../../src/sandbox/index.js';
import { rejection } from '../support/rejection.js';

const PRODUCER = '111111111111';
const OTHER = '333333333333';
const REGION = 'eu-west-1';

let clock: VirtualClock;
let cloud: FakeCloud;
beforeEach(() => {
  clock = new VirtualClock();
  cloud = new FakeCloud({ clock, latency: { apiCall: 0 } });
  cloud.addAccount(PRODUCER);
  cloud.addAccount(OTHER);
  cloud.install();
});
afterEach(() => cloud.restore());

const clients = (account = PRODUCER) => {
  const config = { region: REGION, credentials: cloud.credentialsFor(account) };
  return { kinesis: new KinesisClient(config), kms: new KMSClient(config) };
};

/** Every record a reader gets from the start of each shard, as GetRecords returns them. */
async function readAll(kinesis: KinesisClient, streamArn = `arn:aws:kinesis:${REGION}:${PRODUCER}:stream/clicks`): Promise<string[]> {
  const shards = (await kinesis.send(new ListShardsCommand({ StreamARN: streamArn }))).Shards ?? [];
  const read: string[] = [];
  for (const shard of shards) {
    const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamARN: streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
    const { Records } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
    read.push(...(Records ?? []).map((r) => Buffer.from(r.Data!).toString()));
  }
  return read.sort();
}

const put = (kinesis: KinesisClient, ...data: string[]) =>
  kinesis.send(new PutRecordsCommand({ StreamName: 'clicks', Records: data.map((d) => ({ PartitionKey: d, Data: new TextEncoder().encode(d) })) }));

/** A stream encrypted with a key of its own for a while: records a and b are written under the key, c after encryption stopped. */
async function encryptedForAWhile() {
  const { kinesis } = clients();
  const keyId = cloud.seedKey(PRODUCER, REGION, { alias: 'alias/ours' });
  const keyArn = `arn:aws:kms:${REGION}:${PRODUCER}:key/${keyId}`;
  cloud.seedStream(PRODUCER, REGION, { name: 'clicks', shards: 1, mode: 'PROVISIONED' });
  await kinesis.send(new StartStreamEncryptionCommand({ StreamName: 'clicks', EncryptionType: 'KMS', KeyId: 'alias/ours' }));
  await clock.sleep(cloud.latency.encryption);
  await put(kinesis, 'a', 'b');
  await kinesis.send(new StopStreamEncryptionCommand({ StreamName: 'clicks', EncryptionType: 'KMS', KeyId: 'alias/ours' }));
  await clock.sleep(cloud.latency.encryption);
  await put(kinesis, 'c');
  return { kinesis, keyId, keyArn, key: () => cloud.regionState(PRODUCER, REGION)!.keys.get(keyId)! };
}

describe('a record keeps the key that encrypted it', () => {
  it('records the key ARN of each record written while the stream was encrypted, and none after StopStreamEncryption', async () => {
    const { kinesis, keyArn } = await encryptedForAWhile();
    expect(cloud.streamRecords(PRODUCER, REGION, 'clicks').map((r) => r.keyArn)).toEqual([keyArn, keyArn, undefined]);
    expect(await readAll(kinesis)).toEqual(['a', 'b', 'c']);
  });

  it('GetRecords of those records fails once their key is pending deletion, disabled or gone, though the stream is no longer encrypted', async () => {
    const { kinesis, kms, keyArn, key, keyId } = { ...(await encryptedForAWhile()), kms: clients().kms };
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    const pending = await rejection(readAll(kinesis));
    expect(pending.name).toBe('KMSInvalidStateException');
    expect(pending.message).toBe(`${keyArn} is pending deletion.`);

    delete key().deletionDate;
    key().disabled = true;
    expect((await rejection(readAll(kinesis))).name).toBe('KMSDisabledException');

    cloud.regionState(PRODUCER, REGION)!.keys.delete(keyId);
    expect((await rejection(readAll(kinesis))).name).toBe('KMSNotFoundException');
  });

  it('a reader in another account needs the key policy to allow it: KMSAccessDeniedException', async () => {
    await encryptedForAWhile();
    const stream = cloud.regionState(PRODUCER, REGION)!.streams.get('clicks')!;
    const reader = `arn:aws:iam::${OTHER}:root`;
    stream.policy.set(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: reader }, Action: ['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'], Resource: stream.arn }] }), Number.NEGATIVE_INFINITY);
    const denied = await rejection(readAll(clients(OTHER).kinesis, stream.arn));
    expect(denied.name).toBe('KMSAccessDeniedException');
    expect(denied.message).toBe(`User arn:aws:iam::${OTHER}:user/fake is not authorized to decrypt records in stream ${stream.arn}.`);
  });

  it("keeps records for the stream's retention period: once they have expired, their key no longer matters", async () => {
    const { kinesis, kms, keyId } = { ...(await encryptedForAWhile()), kms: clients().kms };
    await clock.sleep(24 * 3_600_000 - 60_000);
    await put(kinesis, 'd');
    await clock.sleep(2 * 60_000);
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    expect(await readAll(kinesis)).toEqual(['d']);
  });
});
