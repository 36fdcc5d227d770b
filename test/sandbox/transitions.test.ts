import { DeleteResourcePolicyCommand, KinesisClient, PutResourcePolicyCommand, RegisterStreamConsumerCommand, StartStreamEncryptionCommand } from '@aws-sdk/client-kinesis';
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListTagsCommand,
  UpdateEventSourceMappingCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { CONSUMER, FUNCTION, REGION, createPipeline } from '../support/pipeline-fixture.js';
import { FakeCloud } from '../../src/sandbox/index.js';

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

describe('event source mapping states', () => {
  async function pipeline() {
    const world = await createPipeline({ withoutEsm: true });
    ({ cloud, clock } = world);
    const lambda = new LambdaClient({ region: REGION, credentials: cloud.credentialsFor(CONSUMER) });
    const create = (tags?: Record<string, string>) =>
      lambda.send(new CreateEventSourceMappingCommand({ FunctionName: FUNCTION, EventSourceArn: world.consumerArn, StartingPosition: 'LATEST', ...(tags && { Tags: tags }) }));
    const state = async (uuid: string) => (await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State;
    const update = (input: { UUID: string; BatchSize?: number; Enabled?: boolean }) => lambda.send(new UpdateEventSourceMappingCommand(input));
    const remove = (uuid: string) => lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }));
    return { lambda, create, state, update, remove };
  }

  it('goes Creating, Enabling, Enabled, and refuses an update or a delete until it has settled', async () => {
    const { create, state, update, remove } = await pipeline();
    const uuid = (await create()).UUID!;
    expect(await state(uuid)).toBe('Creating');
    await expect(update({ UUID: uuid, BatchSize: 50 })).rejects.toMatchObject(inUse('Cannot update the event source mapping because it is in use. Current state: Creating'));
    clock.advance(cloud.latency.esmCreate / 2);
    expect(await state(uuid)).toBe('Enabling');
    await expect(remove(uuid)).rejects.toMatchObject(inUse('Cannot delete the event source mapping because it is in use. Current state: Enabling'));
    clock.advance(cloud.latency.esmCreate / 2);
    expect(await state(uuid)).toBe('Enabled');

    await update({ UUID: uuid, BatchSize: 50 });
    expect(await state(uuid)).toBe('Updating');
    await expect(remove(uuid)).rejects.toMatchObject(inUse(/Current state: Updating$/));
    clock.advance(cloud.latency.esmCreate);
    await update({ UUID: uuid, Enabled: false });
    expect(await state(uuid)).toBe('Disabling');
    await expect(update({ UUID: uuid, Enabled: true })).rejects.toMatchObject(inUse(/Current state: Disabling$/));
    clock.advance(cloud.latency.esmDelete);
    expect(await state(uuid)).toBe('Disabled');

    await remove(uuid);
    expect(await state(uuid)).toBe('Deleting');
    await expect(remove(uuid)).rejects.toMatchObject(inUse(/Current state: Deleting$/));
    clock.advance(cloud.latency.esmDelete);
    await expect(state(uuid)).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('keeps the Tags given at creation, and ListTags on the mapping ARN returns them', async () => {
    const { lambda, create } = await pipeline();
    const tagged = await create({ 'kds-xacct:deployment': 'orders', 'managed-by': 'kds-xacct' });
    expect(tagged.EventSourceMappingArn).toBe(`arn:aws:lambda:${REGION}:${CONSUMER}:event-source-mapping:${tagged.UUID}`);
    expect((await lambda.send(new ListTagsCommand({ Resource: tagged.EventSourceMappingArn }))).Tags).toEqual({ 'kds-xacct:deployment': 'orders', 'managed-by': 'kds-xacct' });
  });
});

describe('function states during creation and updates', () => {
  it('refuses an update while the function is Pending or another update is InProgress, with the message AWS gives', async () => {
    const world = await createPipeline({ withoutEsm: true });
    ({ cloud, clock } = world);
    const lambda = new LambdaClient({ region: REGION, credentials: cloud.credentialsFor(CONSUMER) });
    const role = (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: FUNCTION }))).Role!;
    const configuration = (name: string) => lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    const conflict = (name: string) => ({
      name: 'ResourceConflictException',
      message: `The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:${REGION}:${CONSUMER}:function:${name}`,
    });
    const zip = new Uint8Array([80, 75, 5, 6, ...new Array<number>(18).fill(0)]);

    await lambda.send(new CreateFunctionCommand({ FunctionName: 'fresh', Runtime: 'nodejs22.x', Handler: 'index.handler', Role: role, Code: { ZipFile: zip } }));
    expect(await configuration('fresh')).toMatchObject({ State: 'Pending' });
    await expect(lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'fresh', Timeout: 10 }))).rejects.toMatchObject(conflict('fresh'));
    clock.advance(cloud.latency.functionCreate);
    expect(await configuration('fresh')).toMatchObject({ State: 'Active', LastUpdateStatus: 'Successful' });

    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: FUNCTION, ZipFile: zip }));
    expect(await configuration(FUNCTION)).toMatchObject({ State: 'Active', LastUpdateStatus: 'InProgress' });
    await expect(lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: FUNCTION, Runtime: 'nodejs24.x' }))).rejects.toMatchObject(conflict(FUNCTION));
    await expect(lambda.send(new UpdateFunctionCodeCommand({ FunctionName: FUNCTION, ZipFile: zip }))).rejects.toMatchObject(conflict(FUNCTION));
    clock.advance(cloud.latency.functionUpdate);
    expect(await configuration(FUNCTION)).toMatchObject({ LastUpdateStatus: 'Successful' });
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: FUNCTION, Runtime: 'nodejs24.x' }));
    expect(await configuration(FUNCTION)).toMatchObject({ Runtime: 'nodejs24.x', LastUpdateStatus: 'InProgress' });
  });
});
