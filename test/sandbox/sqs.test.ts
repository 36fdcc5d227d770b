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
    await expect(sqs.send(new ReceiveMessageCommand({ QueueUrl }))).rejects.toThrow(/VisibilityTimeout 0/);
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
    await expect(sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
  });
});
