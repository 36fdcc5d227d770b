import { DeleteResourcePolicyCommand, KinesisClient, PutResourcePolicyCommand, RegisterStreamConsumerCommand, StartStreamEncryptionCommand } from '@aws-sdk/client-kinesis';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { CONSUMER, REGION } from '../support/pipeline-fixture.js';
import { FakeCloud } from './index.js';

const PRODUCER = '111111111111';

let clock: VirtualClock;
let cloud: FakeCloud;

afterEach(() => cloud.restore());

const inUse = (message: string | RegExp) => ({ name: 'ResourceInUseException', message: typeof message === 'string' ? message : expect.stringMatching(message) });

const readPolicy = (roleArn: string, resource: string, actions: string[]) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'read', Effect: 'Allow', Principal: { AWS: roleArn }, Action: actions.map((a) => `kinesis:${a}`), Resource: resource }] });

describe('Kinesis resource policies and state changes', () => {
  it('refuses to write or delete a stream policy while the stream is UPDATING, and a consumer policy until the consumer is ACTIVE', async () => {
    clock = new VirtualClock();
    cloud = new FakeCloud({ clock });
    cloud.install();
    const kinesis = new KinesisClient({ region: REGION, credentials: cloud.credentialsFor(PRODUCER) });
    const keyId = cloud.seedKey(PRODUCER, REGION);
    const role = cloud.seedRole(CONSUMER, { name: 'reader' });
    const streamArn = cloud.seedStream(PRODUCER, REGION, { name: 'orders' });
    const policy = readPolicy(role, streamArn, ['DescribeStreamSummary']);
    await kinesis.send(new PutResourcePolicyCommand({ ResourceARN: streamArn, Policy: policy }));

    await kinesis.send(new StartStreamEncryptionCommand({ StreamARN: streamArn, EncryptionType: 'KMS', KeyId: keyId }));
    const updating = inUse(`Stream orders under account ${PRODUCER} not ACTIVE, instead in state UPDATING`);
    await expect(kinesis.send(new PutResourcePolicyCommand({ ResourceARN: streamArn, Policy: policy }))).rejects.toMatchObject(updating);
    await expect(kinesis.send(new DeleteResourcePolicyCommand({ ResourceARN: streamArn }))).rejects.toMatchObject(updating);
    clock.advance(cloud.latency.encryption);
    await kinesis.send(new PutResourcePolicyCommand({ ResourceARN: streamArn, Policy: policy }));

    const consumerArn = (await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'efo' }))).Consumer!.ConsumerARN!;
    await expect(kinesis.send(new DeleteResourcePolicyCommand({ ResourceARN: consumerArn }))).rejects.toMatchObject(
      inUse(/^Consumer efo with creation timestamp \d+ under stream orders and account \d+ is not in ACTIVE status\.$/),
    );
    clock.advance(cloud.latency.consumerCreate);
    await kinesis.send(new PutResourcePolicyCommand({ ResourceARN: consumerArn, Policy: readPolicy(role, consumerArn, ['SubscribeToShard']) }));
    await kinesis.send(new DeleteResourcePolicyCommand({ ResourceARN: consumerArn }));
  });
});
