import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ListQueuesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { FakeCloud } from '../../src/sandbox/index.js';

const ACCOUNT = '222222222222';
const REGION = 'eu-west-1';
let clock: VirtualClock;
let cloud: FakeCloud;
afterEach(() => cloud?.restore());

function client(account = ACCOUNT): SQSClient {
  return cloud.attach(new SQSClient({ region: REGION, credentials: cloud.credentialsFor(account), maxAttempts: 1 }));
}

describe('the SQS model', () => {
  it('creates a queue idempotently with the same attributes, and refuses other attributes under the same name', async () => {
    clock = new VirtualClock();
    cloud = new FakeCloud({ clock });
    const sqs = client();
    const attributes = { MessageRetentionPeriod: '1209600', SqsManagedSseEnabled: 'true' };
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'q', Attributes: attributes, tags: { team: 'a' } }));
    expect(QueueUrl).toBe(`https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/q`);
    expect((await sqs.send(new CreateQueueCommand({ QueueName: 'q', Attributes: attributes }))).QueueUrl).toBe(QueueUrl);
    await expect(sqs.send(new CreateQueueCommand({ QueueName: 'q', Attributes: { MessageRetentionPeriod: '60' } }))).rejects.toMatchObject({ name: 'QueueNameExists' });
    await expect(sqs.send(new CreateQueueCommand({ QueueName: 'r', Attributes: { MessageRetentionPeriod: '1209601' } }))).rejects.toMatchObject({ name: 'InvalidAttributeValue' });
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: 'q' }))).QueueUrl).toBe(QueueUrl);
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: 'none' }))).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
  });

  it('counts messages, shows the oldest without hiding it, and forgets them after the retention period', async () => {
    clock = new VirtualClock();
    cloud = new FakeCloud({ clock });
    const sqs = client();
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'q', Attributes: { MessageRetentionPeriod: '60' } }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'first' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'second' }));
    const count = async () => (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes;
    expect(await count()).toEqual({ ApproximateNumberOfMessages: '2' });
    const look = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 0 }));
    expect(look.Messages?.map((m) => m.Body)).toEqual(['first']);
    clock.advance(61_000);
    expect(await count()).toEqual({ ApproximateNumberOfMessages: '0' });
  });

  it("answers another account's queue as missing, deletes, and fails loudly on what it does not model", async () => {
    clock = new VirtualClock();
    cloud = new FakeCloud({ clock });
    const sqs = client();
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'q' }));
    await expect(client('333333333333').send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }))).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
    await expect(sqs.send(new ListQueuesCommand({}))).rejects.toThrow(/FakeCloud does not model SQS.ListQueues/);
    await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    clock.advance(cloud.latency.queueDelete);
    await expect(sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
  });

  it('is still found while its deletion takes its time, and refuses the name for 60 seconds after DeleteQueue with QueueDeletedRecently', async () => {
    clock = new VirtualClock();
    cloud = new FakeCloud({ clock, latency: { apiCall: 0, queueDelete: 20_000 } });
    const sqs = client();
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'q' }));
    await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    clock.advance(19_000);
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: 'q' }))).QueueUrl).toBe(QueueUrl);
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'lost with the queue' }));
    await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    clock.advance(1_000);
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: 'q' }))).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
    await expect(sqs.send(new CreateQueueCommand({ QueueName: 'q' }))).rejects.toMatchObject({
      name: 'QueueDeletedRecently',
      message: 'You must wait 60 seconds after deleting a queue before you can create another queue with the same name.',
    });
    clock.advance(39_999);
    await expect(sqs.send(new CreateQueueCommand({ QueueName: 'q' }))).rejects.toMatchObject({ name: 'QueueDeletedRecently' });
    clock.advance(1);
    expect((await sqs.send(new CreateQueueCommand({ QueueName: 'q' }))).QueueUrl).toBe(QueueUrl);
    const count = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes;
    expect(count).toEqual({ ApproximateNumberOfMessages: '0' });
  });

  it('counts visible, in-flight and delayed messages apart: ApproximateNumberOfMessages alone leaves out the other two', async () => {
    clock = new VirtualClock();
    cloud = new FakeCloud({ clock, latency: { apiCall: 0 } });
    const sqs = client();
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'q', Attributes: { VisibilityTimeout: '30' } }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'in flight' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'delayed', DelaySeconds: 120 }));
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    expect(received.Messages?.map((m) => m.Body)).toEqual(['in flight']);
    const counts = async () =>
      (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }))).Attributes;
    expect(await counts()).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '1', ApproximateNumberOfMessagesDelayed: '1' });
    clock.advance(30_000);
    expect(await counts()).toEqual({ ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesNotVisible: '0', ApproximateNumberOfMessagesDelayed: '1' });
    clock.advance(90_000);
    expect(await counts()).toEqual({ ApproximateNumberOfMessages: '2', ApproximateNumberOfMessagesNotVisible: '0', ApproximateNumberOfMessagesDelayed: '0' });
    await expect(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x', DelaySeconds: 901 }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });
});
