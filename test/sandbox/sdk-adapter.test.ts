import net from 'node:net';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, KinesisServiceException, ResourceNotFoundException, UpdateShardCountCommand } from '@aws-sdk/client-kinesis';
import { GetBucketEncryptionCommand } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { FakeCloud } from '../../src/sandbox/index.js';
import { attachedClients } from '../../src/sandbox/sdk-adapter.js';
import { rejection } from '../support/rejection.js';

const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';

/** Nothing listens here: a request that got through would fail with ECONNREFUSED. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function newCloud(): FakeCloud {
  const cloud = new FakeCloud({ clock: new VirtualClock(), latency: { apiCall: 0 } });
  cloud.addAccount(ACCOUNT);
  return cloud;
}

const clouds: FakeCloud[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const c of clouds.splice(0)) c.restore();
});

describe('a client attached to the fake cloud', () => {
  it('answers from the model and never opens a socket or calls its request handler', async () => {
    const connects = vi.spyOn(net.Socket.prototype, 'connect');
    const handler = { handle: vi.fn(async () => Promise.reject(new Error('the request handler was called'))) };
    const cloud = newCloud();
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const kinesis = cloud.attach(new KinesisClient({ region: REGION, endpoint, credentials: cloud.credentialsFor(ACCOUNT), requestHandler: handler }));
    const sts = cloud.attach(new STSClient({ region: REGION, endpoint, credentials: cloud.credentialsFor(ACCOUNT), requestHandler: handler }));

    expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe(ACCOUNT);
    const created = await kinesis.send(new CreateStreamCommand({ StreamName: 'orders', ShardCount: 1 }));
    expect(created.$metadata).toEqual({ httpStatusCode: 200, requestId: 'fake-request-id', attempts: 1, totalRetryDelay: 0 });
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'orders' }));
    expect(summary.StreamDescriptionSummary).toEqual(expect.objectContaining({ StreamName: 'orders', StreamStatus: 'CREATING' }));
    expect(cloud.calls.map((c) => `${c.accountId} ${c.region} ${c.service}.${c.command}`)).toEqual([
      `${ACCOUNT} ${REGION} STS.GetCallerIdentity`,
      `${ACCOUNT} ${REGION} Kinesis.CreateStream`,
      `${ACCOUNT} ${REGION} Kinesis.DescribeStreamSummary`,
    ]);

    const missing = await rejection(kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'nope' })));
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect(missing).toBeInstanceOf(KinesisServiceException);
    expect(missing.name).toBe('ResourceNotFoundException');
    expect(missing.message).toBe(`Stream nope under account ${ACCOUNT} not found.`);
    expect(missing.$fault).toBe('client');
    expect(missing.$metadata?.httpStatusCode).toBe(400);

    const unmodelled = await rejection(kinesis.send(new UpdateShardCountCommand({ StreamName: 'orders', TargetShardCount: 2, ScalingType: 'UNIFORM_SCALING' })));
    expect(unmodelled.message).toMatch(/^FakeCloud does not model Kinesis\.UpdateShardCount \(unmodelled call on KinesisClient with input .*"TargetShardCount":2/);

    expect(handler.handle).not.toHaveBeenCalled();
    expect(connects).not.toHaveBeenCalled();
  });

  it('is told apart from a client that would reach the network (the check above can fail)', async () => {
    const connects = vi.spyOn(net.Socket.prototype, 'connect');
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const plain = new STSClient({ region: REGION, endpoint, maxAttempts: 1, credentials: { accessKeyId: 'AKIAFAKE111111111111', secretAccessKey: 'x' } });
    await expect(plain.send(new GetCallerIdentityCommand({}))).rejects.toThrow(/ECONNREFUSED/);
    expect(connects).toHaveBeenCalled();
  });

  it('comes in sets from attachedClients, refusing the network even without the middleware', async () => {
    const cloud = newCloud();
    const clients = attachedClients((call) => cloud.handle(call), { region: REGION, credentials: cloud.credentialsFor(ACCOUNT) });
    expect(Object.keys(clients).sort()).toEqual(['cloudwatch', 'destinations', 'iam', 'kinesis', 'kms', 'lambda', 'logs', 'sqs', 'sts']);
    expect((await rejection((await clients.destinations.s3()).send(new GetBucketEncryptionCommand({ Bucket: 'none' })))).name).toBe('NoSuchBucket');
    expect((await clients.sts.send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:iam::${ACCOUNT}:user/fake`);
    const unknown = attachedClients((call) => cloud.handle(call), { region: REGION, credentials: { accessKeyId: 'AKIAFAKE999999999999', secretAccessKey: 'x' } });
    expect((await rejection(unknown.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'orders' })))).name).toBe('UnrecognizedClientException');

    clients.kinesis.middlewareStack.remove('fakeCloudDispatch');
    await expect(clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'orders' }))).rejects.toThrow(/tried to send an HTTP request/);
  });

  it('shows its calls to the client logger, as --debug expects', async () => {
    const cloud = newCloud();
    const info = vi.fn();
    const sts = cloud.attach(new STSClient({ region: REGION, credentials: cloud.credentialsFor(ACCOUNT), logger: { debug: () => {}, info, warn: () => {}, error: () => {} } }));
    await sts.send(new GetCallerIdentityCommand({}));
    expect(info).toHaveBeenCalledWith(expect.objectContaining({ clientName: 'STSClient', commandName: 'GetCallerIdentityCommand', metadata: expect.objectContaining({ requestId: 'fake-request-id' }) }));
  });
});

describe('FakeCloud.install()', () => {
  const refusing = { handle: async () => Promise.reject(new Error('reached the request handler')) };

  it('answers every client instance until restore(), then lets calls through again', async () => {
    const cloud = newCloud();
    clouds.push(cloud);
    const sts = new STSClient({ region: REGION, credentials: cloud.credentialsFor(ACCOUNT), requestHandler: refusing });
    cloud.install();
    cloud.install();
    expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe(ACCOUNT);
    cloud.restore();
    await expect(sts.send(new GetCallerIdentityCommand({}))).rejects.toThrow('reached the request handler');
    expect(cloud.calls).toHaveLength(1);
  });

  it('lets the latest install win, and leaves clients attached elsewhere alone', async () => {
    const first = newCloud();
    const second = newCloud();
    const own = newCloud();
    clouds.push(first, second);
    first.install();
    second.install();
    const sts = new STSClient({ region: REGION, credentials: first.credentialsFor(ACCOUNT), requestHandler: refusing });
    const attached = own.attach(new STSClient({ region: REGION, credentials: own.credentialsFor(ACCOUNT), requestHandler: refusing }));
    await sts.send(new GetCallerIdentityCommand({}));
    await attached.send(new GetCallerIdentityCommand({}));
    expect([first.calls.length, second.calls.length, own.calls.length]).toEqual([0, 1, 1]);
    // Restoring a cloud that is no longer installed changes nothing.
    first.restore();
    await sts.send(new GetCallerIdentityCommand({}));
    expect(second.calls).toHaveLength(2);
  });
});
