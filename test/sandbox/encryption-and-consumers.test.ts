import {
  DeregisterStreamConsumerCommand,
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  RegisterStreamConsumerCommand,
  StartStreamEncryptionCommand,
  StopStreamEncryptionCommand,
} from '@aws-sdk/client-kinesis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { FakeCloud } from '../../src/sandbox/index.js';

const PRODUCER = '111111111111';
const REGION = 'eu-west-1';

let clock: VirtualClock;
let cloud: FakeCloud;
let kinesis: KinesisClient;
beforeEach(() => {
  clock = new VirtualClock();
  cloud = new FakeCloud({ clock, latency: { apiCall: 0 } });
  cloud.addAccount(PRODUCER);
  cloud.install();
  kinesis = new KinesisClient({ region: REGION, credentials: cloud.credentialsFor(PRODUCER) });
});
afterEach(() => cloud.restore());

const streamStatus = async (arn: string) => (await kinesis.send(new DescribeStreamSummaryCommand({ StreamARN: arn }))).StreamDescriptionSummary!.StreamStatus;
const consumerStatus = async (arn: string) => (await kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: arn }))).ConsumerDescription!.ConsumerStatus;

describe("Kinesis encryption and EFO consumers: each call needs its own resource's state, not the other's", () => {
  it('starts encryption on an ACTIVE stream while one of its consumers is still CREATING', async () => {
    const keyId = cloud.seedKey(PRODUCER, REGION);
    const streamArn = cloud.seedStream(PRODUCER, REGION, { name: 'orders' });
    const consumerArn = (await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'efo' }))).Consumer!.ConsumerARN!;
    expect(await consumerStatus(consumerArn)).toBe('CREATING');
    await kinesis.send(new StartStreamEncryptionCommand({ StreamARN: streamArn, EncryptionType: 'KMS', KeyId: keyId }));
    expect(await streamStatus(streamArn)).toBe('UPDATING');
    // Both asynchronous changes run at once, each on its own clock.
    clock.advance(Math.max(cloud.latency.encryption, cloud.latency.consumerCreate));
    expect([await streamStatus(streamArn), await consumerStatus(consumerArn)]).toEqual(['ACTIVE', 'ACTIVE']);
  });

  it('deregisters a consumer while StopStreamEncryption keeps the stream UPDATING', async () => {
    const keyId = cloud.seedKey(PRODUCER, REGION);
    const streamArn = cloud.seedStream(PRODUCER, REGION, { name: 'orders', consumers: ['efo'] });
    await kinesis.send(new StartStreamEncryptionCommand({ StreamARN: streamArn, EncryptionType: 'KMS', KeyId: keyId }));
    clock.advance(cloud.latency.encryption);
    await kinesis.send(new StopStreamEncryptionCommand({ StreamARN: streamArn, EncryptionType: 'KMS', KeyId: keyId }));
    expect(await streamStatus(streamArn)).toBe('UPDATING');
    await kinesis.send(new DeregisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'efo' }));
    expect(await kinesis.send(new DescribeStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'efo' }))).toMatchObject({ ConsumerDescription: { ConsumerStatus: 'DELETING' } });
    clock.advance(Math.max(cloud.latency.encryption, cloud.latency.consumerDelete));
    expect(await streamStatus(streamArn)).toBe('ACTIVE');
    await expect(kinesis.send(new DescribeStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'efo' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
