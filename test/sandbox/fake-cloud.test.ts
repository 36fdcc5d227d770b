import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
  ListTagsForResourceCommand,
  PutRetentionPolicyCommand,
  StartLiveTailCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateRoleCommand, DeleteRoleCommand, DeleteRolePolicyCommand, GetRoleCommand, GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateStreamCommand,
  DeleteResourcePolicyCommand,
  DeleteStreamCommand,
  DeregisterStreamConsumerCommand,
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  GetResourcePolicyCommand,
  KinesisClient,
  ListStreamsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  PutResourcePolicyCommand,
  RegisterStreamConsumerCommand,
  ResourceInUseException,
  StartStreamEncryptionCommand,
  SubscribeToShardCommand,
} from '@aws-sdk/client-kinesis';
import { CreateAliasCommand, CreateGrantCommand, CreateKeyCommand, DescribeKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  DeleteEventSourceMappingCommand,
  DeleteFunctionCommand,
  GetEventSourceMappingCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvalidParameterValueException,
  LambdaClient,
  ListTagsCommand,
  ResourceConflictException,
} from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { iamSimulateAccess } from '../support/iam-simulate-access.js';
import { rejection } from '../support/rejection.js';
import { FakeCloud } from '../../src/sandbox/index.js';
import { MAPPING_READ_DENIED } from '../../src/sandbox/aws-error-texts.js';

const PRODUCER = '111111111111';
const CONSUMER = '222222222222';
const REGION = 'us-east-1';

let clock: VirtualClock;
let cloud: FakeCloud;

function clients(account: string) {
  const config = { region: REGION, credentials: cloud.credentialsFor(account) };
  return {
    kinesis: new KinesisClient(config),
    kms: new KMSClient(config),
    iam: new IAMClient(config),
    lambda: new LambdaClient(config),
    logs: new CloudWatchLogsClient(config),
    sts: new STSClient(config),
  };
}

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, limitMs = 600_000): Promise<T> {
  const start = clock.now();
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (clock.now() - start > limitMs) throw new Error('timed out waiting in virtual time');
    await clock.sleep(1000);
  }
}

const trustLambda = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] });

beforeEach(() => {
  clock = new VirtualClock();
  cloud = new FakeCloud({ clock, access: iamSimulateAccess });
  cloud.addAccount(PRODUCER);
  cloud.addAccount(CONSUMER);
  cloud.install();
});

afterEach(() => cloud.restore());

/** Builds the whole pipeline the way setup will, returning the ARNs. */
async function buildPipeline(opts: { grant?: boolean; policies?: boolean; logStatements?: object[] } = {}) {
  const p = clients(PRODUCER);
  const c = clients(CONSUMER);
  const key = await p.kms.send(new CreateKeyCommand({ Description: 'orders', Tags: [{ TagKey: 'managed-by', TagValue: 'kds-xacct' }] }));
  const keyArn = key.KeyMetadata!.Arn!;
  await p.kms.send(new CreateAliasCommand({ AliasName: 'alias/orders', TargetKeyId: keyArn }));
  await p.kinesis.send(new CreateStreamCommand({ StreamName: 'orders', StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
  const streamArn = `arn:aws:kinesis:${REGION}:${PRODUCER}:stream/orders`;
  await until(() => p.kinesis.send(new DescribeStreamSummaryCommand({ StreamARN: streamArn })), (r) => r.StreamDescriptionSummary?.StreamStatus === 'ACTIVE');
  await p.kinesis.send(new StartStreamEncryptionCommand({ StreamARN: streamArn, EncryptionType: 'KMS', KeyId: keyArn }));
  await until(() => p.kinesis.send(new DescribeStreamSummaryCommand({ StreamARN: streamArn })), (r) => r.StreamDescriptionSummary?.StreamStatus === 'ACTIVE');
  const reg = await p.kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'orders-efo' }));
  const consumerArn = reg.Consumer!.ConsumerARN!;
  await until(() => p.kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerArn })), (r) => r.ConsumerDescription?.ConsumerStatus === 'ACTIVE');

  const role = await c.iam.send(new CreateRoleCommand({ RoleName: 'orders-consumer', AssumeRolePolicyDocument: trustLambda }));
  const roleArn = role.Role!.Arn!;
  await c.iam.send(
    new PutRolePolicyCommand({
      RoleName: 'orders-consumer',
      PolicyName: 'kds-xacct',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'], Resource: streamArn },
          { Effect: 'Allow', Action: ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'], Resource: consumerArn },
          { Effect: 'Allow', Action: 'kms:Decrypt', Resource: keyArn, Condition: { StringEquals: { 'kms:EncryptionContext:aws:kinesis:arn': streamArn } } },
          ...(opts.logStatements ?? [
            { Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `arn:aws:logs:${REGION}:${CONSUMER}:log-group:/aws/lambda/orders-consumer:*` },
          ]),
        ],
      }),
    }),
  );
  await clock.sleep(cloud.latency.iamPropagation);
  await c.lambda.send(new CreateFunctionCommand({ FunctionName: 'orders-consumer', Runtime: 'nodejs22.x', Handler: 'index.handler', Role: roleArn, Code: { ZipFile: new Uint8Array([1, 2, 3]) } }));
  await until(() => c.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'orders-consumer' })), (r) => r.State === 'Active');

  if (opts.policies !== false) {
    await p.kinesis.send(new PutResourcePolicyCommand({ ResourceARN: streamArn, Policy: JSON.stringify(streamPolicy(roleArn, streamArn)) }));
    await p.kinesis.send(new PutResourcePolicyCommand({ ResourceARN: consumerArn, Policy: JSON.stringify(consumerPolicy(roleArn, consumerArn)) }));
  }
  if (opts.grant !== false) {
    await p.kms.send(new CreateGrantCommand({ KeyId: keyArn, GranteePrincipal: roleArn, Operations: ['Decrypt'], Constraints: { EncryptionContextSubset: { 'aws:kinesis:arn': streamArn } }, Name: 'orders' }));
  }
  await clock.sleep(Math.max(cloud.latency.policyPropagation, cloud.latency.grantPropagation));
  return { p, c, keyArn, streamArn, consumerArn, roleArn };
}

function streamPolicy(roleArn: string, streamArn: string) {
  return { Version: '2012-10-17', Statement: [{ Sid: 'kds-xacct-orders', Effect: 'Allow', Principal: { AWS: roleArn }, Action: ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'], Resource: streamArn }] };
}

function consumerPolicy(roleArn: string, consumerArn: string) {
  return { Version: '2012-10-17', Statement: [{ Sid: 'kds-xacct-orders', Effect: 'Allow', Principal: { AWS: roleArn }, Action: ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'], Resource: consumerArn }] };
}

describe('FakeCloud', () => {
  it('identifies the calling account from the credentials', async () => {
    const out = await clients(CONSUMER).sts.send(new GetCallerIdentityCommand({}));
    expect(out.Account).toBe(CONSUMER);
    expect(out.Arn).toBe(`arn:aws:iam::${CONSUMER}:user/fake`);
    expect(cloud.calls.at(-1)).toMatchObject({ accountId: CONSUMER, region: REGION, service: 'STS', command: 'GetCallerIdentity', mutating: false });
  });

  it('computes asynchronous states from the clock: CREATING then ACTIVE, UPDATING then ACTIVE', async () => {
    const { kinesis } = clients(PRODUCER);
    await kinesis.send(new CreateStreamCommand({ StreamName: 's', ShardCount: 2, StreamModeDetails: { StreamMode: 'PROVISIONED' } }));
    const first = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 's' }));
    expect(first.StreamDescriptionSummary?.StreamStatus).toBe('CREATING');
    expect(first.StreamDescriptionSummary?.StreamARN).toBe(`arn:aws:kinesis:${REGION}:${PRODUCER}:stream/s`);
    clock.advance(cloud.latency.streamCreate);
    expect((await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 's' }))).StreamDescriptionSummary?.StreamStatus).toBe('ACTIVE');
    await kinesis.send(new StartStreamEncryptionCommand({ StreamName: 's', EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' }));
    const updating = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 's' }));
    expect(updating.StreamDescriptionSummary).toMatchObject({ StreamStatus: 'UPDATING', EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' });
    clock.advance(cloud.latency.encryption);
    expect((await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 's' }))).StreamDescriptionSummary?.StreamStatus).toBe('ACTIVE');
    const awsKey = await clients(PRODUCER).kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/kinesis' }));
    expect(awsKey.KeyMetadata?.KeyManager).toBe('AWS');
  });

  it('PutResourcePolicy replaces the whole document and rejects wildcard principals', async () => {
    const arn = cloud.seedStream(PRODUCER, REGION, { name: 'shared' });
    const { kinesis } = clients(PRODUCER);
    expect((await kinesis.send(new GetResourcePolicyCommand({ ResourceARN: arn }))).Policy).toBe('{}');
    const roleA = cloud.seedRole(CONSUMER, { name: 'a' });
    const roleB = cloud.seedRole(CONSUMER, { name: 'b' });
    await kinesis.send(new PutResourcePolicyCommand({ ResourceARN: arn, Policy: JSON.stringify(streamPolicy(roleA, arn)) }));
    await kinesis.send(new PutResourcePolicyCommand({ ResourceARN: arn, Policy: JSON.stringify(streamPolicy(roleB, arn)) }));
    const doc = JSON.parse((await kinesis.send(new GetResourcePolicyCommand({ ResourceARN: arn }))).Policy!);
    expect(doc.Statement).toHaveLength(1);
    expect(doc.Statement[0].Principal.AWS).toBe(roleB);

    const wildcard = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'kinesis:GetRecords', Resource: arn }] };
    const e = await rejection(kinesis.send(new PutResourcePolicyCommand({ ResourceARN: arn, Policy: JSON.stringify(wildcard) })));
    expect(e.name).toBe('InvalidArgumentException');
    const wildAction = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: roleA }, Action: 'kinesis:*', Resource: arn }] };
    expect((await rejection(kinesis.send(new PutResourcePolicyCommand({ ResourceARN: arn, Policy: JSON.stringify(wildAction) })))).name).toBe('InvalidArgumentException');
    const ghost = streamPolicy(`arn:aws:iam::${CONSUMER}:role/does-not-exist`, arn);
    expect((await rejection(kinesis.send(new PutResourcePolicyCommand({ ResourceARN: arn, Policy: JSON.stringify(ghost) })))).name).toBe('InvalidArgumentException');
    const big = { Version: '2012-10-17', Statement: [{ Sid: 'x'.repeat(21_000), Effect: 'Allow', Principal: { AWS: roleA }, Action: 'kinesis:GetRecords', Resource: arn }] };
    expect((await rejection(kinesis.send(new PutResourcePolicyCommand({ ResourceARN: arn, Policy: JSON.stringify(big) })))).name).toBe('InvalidArgumentException');
  });

  it('rejects a consumer policy before the consumer is ACTIVE, with the real message', async () => {
    const arn = cloud.seedStream(PRODUCER, REGION, { name: 'orders' });
    const role = cloud.seedRole(CONSUMER, { name: 'r' });
    const { kinesis } = clients(PRODUCER);
    const reg = await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: 'efo' }));
    expect(reg.Consumer?.ConsumerARN).toBe(`${arn}/consumer/efo:${Math.floor(clock.now() / 1000)}`);
    const e = await rejection(kinesis.send(new PutResourcePolicyCommand({ ResourceARN: reg.Consumer!.ConsumerARN!, Policy: JSON.stringify(consumerPolicy(role, reg.Consumer!.ConsumerARN!)) })));
    expect(e).toBeInstanceOf(ResourceInUseException);
    expect(e.message).toMatch(/^Consumer efo with creation timestamp \d+ under stream orders and account 111111111111 is not in ACTIVE status\.$/);
    clock.advance(cloud.latency.consumerCreate);
    await kinesis.send(new PutResourcePolicyCommand({ ResourceARN: reg.Consumer!.ConsumerARN!, Policy: JSON.stringify(consumerPolicy(role, reg.Consumer!.ConsumerARN!)) }));
  });

  it('registers a consumer only on an ACTIVE stream, not while encryption makes it UPDATING', async () => {
    const keyId = cloud.seedKey(PRODUCER, REGION);
    const arn = cloud.seedStream(PRODUCER, REGION, { name: 'orders' });
    const { kinesis } = clients(PRODUCER);
    await kinesis.send(new StartStreamEncryptionCommand({ StreamARN: arn, EncryptionType: 'KMS', KeyId: keyId }));
    expect((await rejection(kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: 'efo' })))).name).toBe('ResourceInUseException');
    clock.advance(cloud.latency.encryption);
    await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: 'efo' }));
  });

  it('enforces consumer limits: 5 CREATING at once, names unique', async () => {
    const arn = cloud.seedStream(PRODUCER, REGION, { name: 'busy' });
    const { kinesis } = clients(PRODUCER);
    for (let i = 0; i < 5; i++) await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: `c${i}` }));
    expect((await rejection(kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: 'c5' })))).name).toBe('LimitExceededException');
    expect((await rejection(kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: 'c0' })))).name).toBe('ResourceInUseException');
  });

  it('DeleteStream fails while consumers exist, then DELETING until gone', async () => {
    const arn = cloud.seedStream(PRODUCER, REGION, { name: 'doomed', consumers: ['efo'] });
    const { kinesis } = clients(PRODUCER);
    const e = await rejection(kinesis.send(new DeleteStreamCommand({ StreamARN: arn })));
    expect(e.name).toBe('ResourceInUseException');
    expect(e.message).toContain('EnforceConsumerDeletion');
    const consumerArn = cloud.regionState(PRODUCER, REGION)!.streams.get('doomed')!.consumers.get('efo')!.arn;
    await kinesis.send(new DeregisterStreamConsumerCommand({ ConsumerARN: consumerArn }));
    expect((await kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerArn }))).ConsumerDescription?.ConsumerStatus).toBe('DELETING');
    clock.advance(cloud.latency.consumerDelete);
    await kinesis.send(new DeleteStreamCommand({ StreamARN: arn }));
    expect((await kinesis.send(new DescribeStreamSummaryCommand({ StreamARN: arn }))).StreamDescriptionSummary?.StreamStatus).toBe('DELETING');
    clock.advance(cloud.latency.streamDelete);
    expect((await rejection(kinesis.send(new DescribeStreamSummaryCommand({ StreamARN: arn })))).name).toBe('ResourceNotFoundException');
  });

  it('denies cross-account reads of a stream without a resource policy', async () => {
    const arn = cloud.seedStream(PRODUCER, REGION, { name: 'private' });
    const e = await rejection(clients(CONSUMER).kinesis.send(new DescribeStreamSummaryCommand({ StreamARN: arn })));
    expect(e.name).toBe('AccessDeniedException');
  });

  it('CreateFunction fails while the new role has not propagated, with the real message', async () => {
    const { iam, lambda } = clients(CONSUMER);
    const role = await iam.send(new CreateRoleCommand({ RoleName: 'fresh', AssumeRolePolicyDocument: trustLambda }));
    const create = () => lambda.send(new CreateFunctionCommand({ FunctionName: 'fn', Runtime: 'nodejs22.x', Handler: 'index.handler', Role: role.Role!.Arn!, Code: { ZipFile: new Uint8Array([1]) } }));
    const e = await rejection(create());
    expect(e).toBeInstanceOf(InvalidParameterValueException);
    expect(e.message).toBe('The role defined for the function cannot be assumed by Lambda.');
    await clock.sleep(cloud.latency.iamPropagation);
    const fn = await create();
    expect(fn.State).toBe('Pending');
    expect((await rejection(create())).name).toBe('ResourceConflictException');
  });

  it('IAM: GetRolePolicy is URL-encoded; DeleteRole conflicts while inline policies exist', async () => {
    const { iam } = clients(CONSUMER);
    await iam.send(new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: trustLambda }));
    expect((await rejection(iam.send(new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: trustLambda })))).name).toBe('EntityAlreadyExistsException');
    expect((await iam.send(new GetRoleCommand({ RoleName: 'r' }))).Role!.AssumeRolePolicyDocument).toBe(encodeURIComponent(trustLambda));
    const doc = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: '*' }] });
    await iam.send(new PutRolePolicyCommand({ RoleName: 'r', PolicyName: 'p', PolicyDocument: doc }));
    expect((await iam.send(new GetRolePolicyCommand({ RoleName: 'r', PolicyName: 'p' }))).PolicyDocument).toBe(encodeURIComponent(doc));
    expect((await rejection(iam.send(new DeleteRoleCommand({ RoleName: 'r' })))).name).toBe('DeleteConflictException');
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'r', PolicyName: 'p' }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'r' }));
    expect((await rejection(iam.send(new DeleteRoleCommand({ RoleName: 'r' })))).name).toBe('NoSuchEntityException');
  });

  it('ESM is denied without resource policies, and created without a grant: Lambda does not check kms:Decrypt then', async () => {
    const { p, c, streamArn, consumerArn, roleArn } = await buildPipeline({ policies: false, grant: false });
    const create = () => c.lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'orders-consumer', EventSourceArn: consumerArn, StartingPosition: 'TRIM_HORIZON', BatchSize: 100, BisectBatchOnFunctionError: true, MaximumRetryAttempts: 3, MaximumRecordAgeInSeconds: 3600, FunctionResponseTypes: ['ReportBatchItemFailures'] }));
    const noPolicy = await rejection(create());
    expect(noPolicy).toBeInstanceOf(InvalidParameterValueException);
    expect(noPolicy.message).toBe(`Cannot access stream ${streamArn}. Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, ListShards, and ListStreams Actions on your stream in IAM.`);

    await p.kinesis.send(new PutResourcePolicyCommand({ ResourceARN: streamArn, Policy: JSON.stringify(streamPolicy(roleArn, streamArn)) }));
    await p.kinesis.send(new PutResourcePolicyCommand({ ResourceARN: consumerArn, Policy: JSON.stringify(consumerPolicy(roleArn, consumerArn)) }));
    // Written but not yet propagated: still denied.
    expect((await rejection(create())).message).toContain('Cannot access stream');
    await clock.sleep(cloud.latency.policyPropagation);
    const esm = await create();
    expect(esm).toMatchObject({ State: 'Creating', EventSourceArn: consumerArn, LastProcessingResult: 'No records processed', StateTransitionReason: 'User action', BisectBatchOnFunctionError: true, MaximumRetryAttempts: 3, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    const enabled = await until(() => c.lambda.send(new GetEventSourceMappingCommand({ UUID: esm.UUID })), (r) => r.State === 'Enabled');
    expect(enabled.State).toBe('Enabled');

    const dup = await rejection(create());
    expect(dup).toBeInstanceOf(ResourceConflictException);
    expect(dup.message).toContain(`existing mapping with UUID ${esm.UUID}`);
  });

  it("reports a read Kinesis refuses once the mapping runs in IAM's words for the role's Lambda session, not as CreateEventSourceMapping's \"Cannot access stream\"", async () => {
    const { p, c, streamArn, consumerArn, roleArn } = await buildPipeline();
    const esm = await c.lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'orders-consumer', EventSourceArn: consumerArn, StartingPosition: 'TRIM_HORIZON' }));
    await until(() => c.lambda.send(new GetEventSourceMappingCommand({ UUID: esm.UUID })), (r) => r.State === 'Enabled');
    await p.kinesis.send(new DeleteResourcePolicyCommand({ ResourceARN: streamArn }));
    await clock.sleep(cloud.latency.policyPropagation);
    await p.kinesis.send(new PutRecordCommand({ StreamARN: streamArn, PartitionKey: 'k', Data: new TextEncoder().encode('{}') }));
    await clock.sleep(cloud.latency.esmPollingStart + cloud.latency.esmReadRetry);

    const result = (await c.lambda.send(new GetEventSourceMappingCommand({ UUID: esm.UUID }))).LastProcessingResult!;
    const session = /^PROBLEM: User: (\S+) is not/.exec(result)?.[1] ?? '';
    expect(session).toMatch(new RegExp(`^arn:aws:sts::${CONSUMER}:assumed-role/${roleArn.split('/').pop()}/awslambda_\\d+_\\d{17}$`));
    expect(result).toBe(`PROBLEM: ${MAPPING_READ_DENIED.text(session, 'kinesis:DescribeStream', streamArn)}`);
  });

  for (const grantPropagation of [undefined, 300_000]) {
    it(`keeps the records a new grant cannot decrypt yet, says so in LastProcessingResult, and delivers them once it is in effect (grant propagation ${grantPropagation ?? 'default'})`, async () => {
      if (grantPropagation) {
        cloud.restore();
        cloud = new FakeCloud({ clock, latency: { grantPropagation } });
        cloud.install();
      }
      const { p, c, keyArn, streamArn, consumerArn, roleArn } = await buildPipeline({ grant: false });
      const esm = await c.lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'orders-consumer', EventSourceArn: consumerArn, StartingPosition: 'TRIM_HORIZON' }));
      await until(() => c.lambda.send(new GetEventSourceMappingCommand({ UUID: esm.UUID })), (r) => r.State === 'Enabled');
      await p.kms.send(new CreateGrantCommand({ KeyId: keyArn, GranteePrincipal: roleArn, Operations: ['Decrypt'], Constraints: { EncryptionContextSubset: { 'aws:kinesis:arn': streamArn } } }));
      const inEffectAt = clock.now() + cloud.latency.grantPropagation;
      await p.kinesis.send(new PutRecordCommand({ StreamARN: streamArn, PartitionKey: 'k', Data: new TextEncoder().encode('{"kept":true}') }));

      await clock.sleep(inEffectAt - clock.now() - 1);
      const blocked = await c.lambda.send(new GetEventSourceMappingCommand({ UUID: esm.UUID }));
      expect(blocked.State).toBe('Enabled');
      expect(blocked.LastProcessingResult).toBe(`PROBLEM: KMSAccessDeniedException: User ${roleArn} is not authorized to decrypt records in stream ${streamArn}.`);
      expect(await cloud.logEvents(CONSUMER, REGION, '/aws/lambda/orders-consumer')).toEqual([]);
      expect(cloud.streamRecords(PRODUCER, REGION, 'orders')).toHaveLength(1);

      const delivered = await until(
        () => cloud.logEvents(CONSUMER, REGION, '/aws/lambda/orders-consumer'),
        (events) => events.some((e) => e.message.includes('kept')),
      );
      const at = delivered.find((e) => e.message.includes('kept'))!.timestamp;
      expect(at).toBeGreaterThanOrEqual(inEffectAt);
      expect(at).toBeLessThanOrEqual(inEffectAt + cloud.latency.esmReadRetry);
      expect((await c.lambda.send(new GetEventSourceMappingCommand({ UUID: esm.UUID }))).LastProcessingResult).toBe('OK');
    });
  }

  it('a grant with the wrong encryption context does not help; the AWS managed key never works cross-account: reads fail, mappings are created', async () => {
    const { p, c, keyArn, roleArn, consumerArn } = await buildPipeline({ grant: false });
    await p.kms.send(new CreateGrantCommand({ KeyId: keyArn, GranteePrincipal: roleArn, Operations: ['Decrypt'], Constraints: { EncryptionContextSubset: { 'aws:kinesis:arn': 'arn:aws:kinesis:us-east-1:111111111111:stream/other' } } }));
    await clock.sleep(cloud.latency.grantPropagation);
    const esm = await c.lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'orders-consumer', EventSourceArn: consumerArn, StartingPosition: 'TRIM_HORIZON' }));
    await until(() => c.lambda.send(new GetEventSourceMappingCommand({ UUID: esm.UUID })), (r) => r.State === 'Enabled');
    await p.kinesis.send(new PutRecordCommand({ StreamName: 'orders', PartitionKey: 'k', Data: new TextEncoder().encode('x') }));
    await clock.sleep(60_000);
    expect((await c.lambda.send(new GetEventSourceMappingCommand({ UUID: esm.UUID }))).LastProcessingResult).toMatch(/^PROBLEM: KMSAccessDeniedException: /);

    const legacyArn = `arn:aws:kinesis:${REGION}:${PRODUCER}:stream/legacy`;
    const managed = cloud.seedStream(PRODUCER, REGION, { name: 'legacy', encryption: { keyId: 'alias/aws/kinesis' }, policy: streamPolicy(roleArn, legacyArn), records: 1 });
    const readLegacy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards', 'kms:Decrypt'], Resource: '*' }] };
    await c.iam.send(new PutRolePolicyCommand({ RoleName: 'orders-consumer', PolicyName: 'legacy', PolicyDocument: JSON.stringify(readLegacy) }));
    await clock.sleep(cloud.latency.iamPropagation);
    const legacy = await c.lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'orders-consumer', EventSourceArn: managed, StartingPosition: 'TRIM_HORIZON' }));
    await until(() => c.lambda.send(new GetEventSourceMappingCommand({ UUID: legacy.UUID })), (r) => r.State === 'Enabled');
    await clock.sleep(60_000);
    expect((await c.lambda.send(new GetEventSourceMappingCommand({ UUID: legacy.UUID }))).LastProcessingResult).toBe(`PROBLEM: KMSAccessDeniedException: User ${roleArn} is not authorized to decrypt records in stream ${legacyArn}.`);
    expect((await cloud.logEvents(CONSUMER, REGION, '/aws/lambda/orders-consumer')).length).toBe(0);
  });

  it("Lambda's reads of records whose key is pending deletion fail with KMSInvalidStateException: the records are kept, not delivered", async () => {
    const { p, c, keyArn, consumerArn } = await buildPipeline();
    const esm = await c.lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'orders-consumer', EventSourceArn: consumerArn, StartingPosition: 'TRIM_HORIZON' }));
    await until(() => c.lambda.send(new GetEventSourceMappingCommand({ UUID: esm.UUID })), (r) => r.State === 'Enabled');
    await p.kinesis.send(new PutRecordCommand({ StreamName: 'orders', PartitionKey: 'k', Data: new TextEncoder().encode('{"late":true}') }));
    await p.kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyArn, PendingWindowInDays: 7 }));
    await clock.sleep(60_000);
    expect((await c.lambda.send(new GetEventSourceMappingCommand({ UUID: esm.UUID }))).LastProcessingResult).toBe(`PROBLEM: KMSInvalidStateException: ${keyArn} is pending deletion.`);
    expect(await cloud.logEvents(CONSUMER, REGION, '/aws/lambda/orders-consumer')).toEqual([]);
  });

  it('CreateGrant refuses a grantee role that IAM has not propagated yet with InvalidArnException', async () => {
    const { kms } = clients(PRODUCER);
    const key = await kms.send(new CreateKeyCommand({}));
    const role = await clients(CONSUMER).iam.send(new CreateRoleCommand({ RoleName: 'fresh', AssumeRolePolicyDocument: trustLambda }));
    const grant = () => kms.send(new CreateGrantCommand({ KeyId: key.KeyMetadata!.Arn!, GranteePrincipal: role.Role!.Arn!, Operations: ['Decrypt'] }));
    const e = await rejection(grant());
    expect(e.name).toBe('InvalidArnException');
    expect(e.message).toBe(`ARN does not refer to a valid principal: ${role.Role!.Arn}`);
    expect((await rejection(kms.send(new CreateGrantCommand({ KeyId: key.KeyMetadata!.Arn!, GranteePrincipal: `arn:aws:iam::${CONSUMER}:role/missing`, Operations: ['Decrypt'] })))).name).toBe('InvalidArnException');
    await clock.sleep(cloud.latency.iamPropagation);
    expect((await grant()).GrantId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('GetFunction returns no Tags (only a caller allowed lambda:ListTags gets them); ListTags does', async () => {
    const arn = cloud.seedFunction(CONSUMER, REGION, { name: 'tagged', tags: { team: 'data' } });
    const { lambda } = clients(CONSUMER);
    const fn = await lambda.send(new GetFunctionCommand({ FunctionName: 'tagged' }));
    expect(fn.Configuration?.FunctionArn).toBe(arn);
    expect(fn.Tags).toBeUndefined();
    expect((await lambda.send(new ListTagsCommand({ Resource: arn }))).Tags).toEqual({ team: 'data' });
  });

  it('delivers records to the function and writes START/END/REPORT and the runtime lines to its log group', async () => {
    const { p, c, streamArn, consumerArn } = await buildPipeline();
    const esm = await c.lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'orders-consumer', EventSourceArn: consumerArn, StartingPosition: 'TRIM_HORIZON' }));
    await until(() => c.lambda.send(new GetEventSourceMappingCommand({ UUID: esm.UUID })), (r) => r.State === 'Enabled');
    const put = await p.kinesis.send(new PutRecordCommand({ StreamARN: streamArn, PartitionKey: 'k', Data: new TextEncoder().encode('{"hello":"world"}') }));
    expect(put).toMatchObject({ ShardId: expect.stringMatching(/^shardId-\d{12}$/), EncryptionType: 'KMS' });
    expect(put.SequenceNumber).toMatch(/^\d{56}$/);
    const logs = await until(
      () => c.logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/orders-consumer' })).catch(() => ({ events: [] })),
      (r) => (r.events ?? []).some((e) => e.message?.startsWith('REPORT')),
    );
    const messages = (logs.events ?? []).map((e) => e.message ?? '');
    expect(messages[0]).toMatch(/^START RequestId: /);
    expect(messages.some((m) => m.includes('"data":"{\\"hello\\":\\"world\\"}"'))).toBe(true);
    expect(messages.some((m) => m.startsWith('END RequestId: '))).toBe(true);
    expect((await c.lambda.send(new GetEventSourceMappingCommand({ UUID: esm.UUID }))).LastProcessingResult).toBe('OK');
    const filtered = await c.logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/orders-consumer', filterPattern: 'hello' }));
    expect(filtered.events).toHaveLength(1);
  });

  it.each([
    ['LATEST', false],
    ['AT_TIMESTAMP', true],
    ['TRIM_HORIZON', true],
  ] as const)('starts polling esmPollingStart after Enabled: a record put in between is lost to %s: %s', async (position, delivered) => {
    const { p, c, streamArn, consumerArn } = await buildPipeline();
    const start = { StartingPosition: position, ...(position === 'AT_TIMESTAMP' && { StartingPositionTimestamp: new Date(clock.now()) }) };
    const esm = await c.lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'orders-consumer', EventSourceArn: consumerArn, ...start }));
    await until(() => c.lambda.send(new GetEventSourceMappingCommand({ UUID: esm.UUID })), (r) => r.State === 'Enabled');
    const put = (text: string) => p.kinesis.send(new PutRecordCommand({ StreamARN: streamArn, PartitionKey: 'k', Data: new TextEncoder().encode(text) }));
    const logged = async () => (await cloud.logEvents(CONSUMER, REGION, '/aws/lambda/orders-consumer')).map((e) => e.message);
    await put('in-between');
    await clock.sleep(2 * cloud.latency.esmDelivery);
    expect(await logged()).toEqual([]);
    expect((await c.lambda.send(new GetEventSourceMappingCommand({ UUID: esm.UUID }))).LastProcessingResult).toBe('No records processed');

    await clock.sleep(cloud.latency.esmPollingStart);
    await put('after');
    await clock.sleep(cloud.latency.esmDelivery);
    const lines = await logged();
    expect(lines.some((m) => m.includes('after'))).toBe(true);
    expect(lines.some((m) => m.includes('in-between'))).toBe(delivered);
  });

  it('refuses a StartingPositionTimestamp in the future', async () => {
    const { c, consumerArn } = await buildPipeline();
    const e = await rejection(
      c.lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'orders-consumer', EventSourceArn: consumerArn, StartingPosition: 'AT_TIMESTAMP', StartingPositionTimestamp: new Date(clock.now() + 60_000) })),
    );
    expect(e).toBeInstanceOf(InvalidParameterValueException);
    expect(e.message).toBe('StartingPositionTimestamp cannot be in the future.');
  });

  it("authorises Lambda's CreateLogGroup on …:log-stream:, so a grant on the bare log-group ARN creates no group", async () => {
    const groupName = '/aws/lambda/orders-consumer';
    const groupArn = `arn:aws:logs:${REGION}:${CONSUMER}:log-group:${groupName}`;
    const { p, c, streamArn, consumerArn } = await buildPipeline({
      logStatements: [
        { Effect: 'Allow', Action: 'logs:CreateLogGroup', Resource: groupArn },
        { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${groupArn}:*` },
      ],
    });
    const esm = await c.lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'orders-consumer', EventSourceArn: consumerArn, StartingPosition: 'TRIM_HORIZON' }));
    await until(() => c.lambda.send(new GetEventSourceMappingCommand({ UUID: esm.UUID })), (r) => r.State === 'Enabled');
    await clock.sleep(cloud.latency.esmPollingStart);
    await p.kinesis.send(new PutRecordCommand({ StreamARN: streamArn, PartitionKey: 'k', Data: new TextEncoder().encode('lost') }));
    await clock.sleep(cloud.latency.esmDelivery);
    expect(await cloud.logEvents(CONSUMER, REGION, groupName)).toEqual([]);
    expect(cloud.regionState(CONSUMER, REGION)!.logGroups.has(groupName)).toBe(false);
    expect(cloud.diagnostics.join('\n')).toContain(`may not logs:CreateLogGroup ${groupName}`);

    // Once the group exists, the stream permissions on `<group ARN>:*` are all Lambda needs.
    cloud.seedLogGroup(CONSUMER, REGION, groupName);
    await p.kinesis.send(new PutRecordCommand({ StreamARN: streamArn, PartitionKey: 'k', Data: new TextEncoder().encode('kept') }));
    await clock.sleep(cloud.latency.esmDelivery);
    const messages = (await cloud.logEvents(CONSUMER, REGION, groupName)).map((e) => e.message);
    expect(messages.some((m) => m.includes('kept'))).toBe(true);
    expect(messages.some((m) => m.includes('lost'))).toBe(false);
  });

  it('PutRetentionPolicy takes only the documented periods; ListTagsForResource takes the log group ARN without :*', async () => {
    const { logs } = clients(CONSUMER);
    const groupArn = `arn:aws:logs:${REGION}:${CONSUMER}:log-group:/aws/lambda/fn`;
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/aws/lambda/fn', tags: { team: 'data' } }));
    expect((await rejection(logs.send(new CreateLogGroupCommand({ logGroupName: '/aws/lambda/fn' })))).name).toBe('ResourceAlreadyExistsException');
    const bad = await rejection(logs.send(new PutRetentionPolicyCommand({ logGroupName: '/aws/lambda/fn', retentionInDays: 10 })));
    expect(bad.name).toBe('InvalidParameterException');
    expect(bad.message).toContain("Value '10' at 'retentionInDays'");
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: '/aws/lambda/fn', retentionInDays: 14 }));
    const described = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/fn' }));
    expect(described.logGroups).toEqual([expect.objectContaining({ logGroupName: '/aws/lambda/fn', retentionInDays: 14, logGroupArn: groupArn, arn: `${groupArn}:*` })]);
    expect((await logs.send(new ListTagsForResourceCommand({ resourceArn: groupArn }))).tags).toEqual({ team: 'data' });
    expect((await rejection(logs.send(new ListTagsForResourceCommand({ resourceArn: `${groupArn}:*` })))).name).toBe('InvalidParameterException');
  });

  it('live tail yields new events in virtual time and can be made unavailable', async () => {
    const { p, c, streamArn, consumerArn } = await buildPipeline();
    const esm = await c.lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'orders-consumer', EventSourceArn: consumerArn, StartingPosition: 'LATEST' }));
    await until(() => c.lambda.send(new GetEventSourceMappingCommand({ UUID: esm.UUID })), (r) => r.State === 'Enabled');
    await clock.sleep(cloud.latency.esmPollingStart);
    await p.kinesis.send(new PutRecordCommand({ StreamARN: streamArn, PartitionKey: 'warmup', Data: new TextEncoder().encode('warmup') }));
    await clock.sleep(5000);
    const groupArn = `arn:aws:logs:${REGION}:${CONSUMER}:log-group:/aws/lambda/orders-consumer`;
    const session = await c.logs.send(new StartLiveTailCommand({ logGroupIdentifiers: [groupArn] }));
    await p.kinesis.send(new PutRecordCommand({ StreamARN: streamArn, PartitionKey: 'k', Data: new TextEncoder().encode('tail-me') }));
    const seen: string[] = [];
    for await (const ev of session.responseStream!) {
      if (ev.sessionUpdate) seen.push(...(ev.sessionUpdate.sessionResults ?? []).map((r) => r.message ?? ''));
      if (seen.some((m) => m.includes('tail-me'))) break;
    }
    expect(seen.some((m) => m.includes('warmup'))).toBe(false);
    cloud.liveTailUnavailable = true;
    expect((await rejection(c.logs.send(new StartLiveTailCommand({ logGroupIdentifiers: [groupArn] })))).name).toBe('UnknownOperationException');
  });

  it('a live tail session ends with SessionTimeoutException after liveTailSessionMs', async () => {
    cloud.seedLogGroup(CONSUMER, REGION, '/aws/lambda/quiet');
    cloud.liveTailSessionMs = 3000;
    const session = await clients(CONSUMER).logs.send(new StartLiveTailCommand({ logGroupIdentifiers: [`arn:aws:logs:${REGION}:${CONSUMER}:log-group:/aws/lambda/quiet`] }));
    const started = clock.now();
    const e = await rejection(
      (async () => {
        for await (const _ of session.responseStream!) {
          // drain
        }
      })(),
    );
    expect(e.name).toBe('SessionTimeoutException');
    expect(clock.now() - started).toBe(3000);
  });

  it('answers a call in a region no AWS partition has as the SDK sees it, a host DNS cannot resolve; IAM, global, still answers', async () => {
    const credentials = cloud.credentialsFor(PRODUCER);
    const mars = { region: 'mars-1', credentials };
    const e = await rejection(cloud.attach(new KinesisClient(mars)).send(new ListStreamsCommand({})));
    expect(e).toMatchObject({ message: 'getaddrinfo ENOTFOUND kinesis.mars-1.amazonaws.com', code: 'ENOTFOUND' });
    expect((await rejection(cloud.attach(new CloudWatchLogsClient(mars)).send(new DescribeLogGroupsCommand({})))).message).toContain('ENOTFOUND logs.mars-1.amazonaws.com');
    await cloud.attach(new IAMClient(mars)).send(new CreateRoleCommand({ RoleName: 'global', AssumeRolePolicyDocument: trustLambda }));
  });

  it('an unmodelled call fails loudly', async () => {
    const e = await rejection(clients(PRODUCER).kinesis.send(new SubscribeToShardCommand({ ConsumerARN: 'x', ShardId: 'y', StartingPosition: { Type: 'LATEST' } })));
    expect(e.message).toContain('FakeCloud does not model Kinesis.SubscribeToShard');
  });

  it('injects faults: failOn, failAtMutatingCall, failWithServerError, throttle and per-record failures', async () => {
    const { kinesis, iam } = clients(PRODUCER);
    cloud.failOn({ command: 'CreateStream', accountId: PRODUCER, when: (i) => i.StreamName === 'x' }, { code: 'ResourceInUseException', message: 'boom' });
    expect((await rejection(kinesis.send(new CreateStreamCommand({ StreamName: 'x' })))).name).toBe('ResourceInUseException');
    await kinesis.send(new CreateStreamCommand({ StreamName: 'x' }));

    cloud.failAtMutatingCall(2);
    await iam.send(new CreateRoleCommand({ RoleName: 'one', AssumeRolePolicyDocument: trustLambda }));
    const e = await rejection(iam.send(new CreateRoleCommand({ RoleName: 'two', AssumeRolePolicyDocument: trustLambda })));
    expect(e).toMatchObject({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } });
    await iam.send(new CreateRoleCommand({ RoleName: 'two', AssumeRolePolicyDocument: trustLambda }));

    cloud.failWithServerError({ command: 'CreateRole' }, 2);
    cloud.failWithServerError({ command: 'DescribeStreamSummary' });
    const iamFault = { name: 'ServiceFailureException', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'The request processing has failed because of an unknown error, exception or failure.' };
    expect(await rejection(iam.send(new CreateRoleCommand({ RoleName: 'four', AssumeRolePolicyDocument: trustLambda })))).toMatchObject(iamFault);
    expect(await rejection(iam.send(new CreateRoleCommand({ RoleName: 'four', AssumeRolePolicyDocument: trustLambda })))).toMatchObject(iamFault);
    await iam.send(new CreateRoleCommand({ RoleName: 'four', AssumeRolePolicyDocument: trustLambda }));
    expect(await rejection(kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'x' })))).toMatchObject({
      name: 'InternalFailureException',
      $fault: 'server',
      $metadata: { httpStatusCode: 500 },
      message: 'The processing of the request failed because of an unknown error, exception, or failure.',
    });

    cloud.throttle('CreateStream', 2);
    expect((await rejection(kinesis.send(new CreateStreamCommand({ StreamName: 'y' })))).name).toBe('LimitExceededException');
    expect((await rejection(kinesis.send(new CreateStreamCommand({ StreamName: 'y' })))).name).toBe('LimitExceededException');
    await kinesis.send(new CreateStreamCommand({ StreamName: 'y' }));
    cloud.throttle('CreateRole', 1);
    expect((await rejection(iam.send(new CreateRoleCommand({ RoleName: 'three', AssumeRolePolicyDocument: trustLambda })))).name).toBe('Throttling');

    const arn = cloud.seedStream(PRODUCER, REGION, { name: 'data' });
    cloud.failRecords(2);
    const out = await kinesis.send(new PutRecordsCommand({ StreamARN: arn, Records: [1, 2, 3].map((i) => ({ PartitionKey: `k${i}`, Data: new Uint8Array([i]) })) }));
    expect(out.FailedRecordCount).toBe(2);
    expect(out.Records?.[0]?.ErrorCode).toBe('ProvisionedThroughputExceededException');
    expect(out.Records?.[2]?.SequenceNumber).toBeDefined();
    const tooMany = Array.from({ length: 501 }, (_, i) => ({ PartitionKey: `k${i}`, Data: new Uint8Array([1]) }));
    expect((await rejection(kinesis.send(new PutRecordsCommand({ StreamARN: arn, Records: tooMany })))).name).toBe('ValidationException');
    expect(cloud.mutatingCalls().every((c) => c.mutating)).toBe(true);
    expect(cloud.calls.filter((c) => c.error).length).toBeGreaterThanOrEqual(5);
  });

  it('snapshot: a full setup then teardown leaves both accounts exactly as before', async () => {
    cloud.seedStream(PRODUCER, REGION, { name: 'clickstream', records: 3, tags: { team: 'data' } });
    cloud.seedFunction(CONSUMER, REGION, { name: 'existing' });
    const before = JSON.stringify(cloud.snapshot());
    const { p, c, keyArn, streamArn, consumerArn } = await buildPipeline();
    const esm = await c.lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'orders-consumer', EventSourceArn: consumerArn, StartingPosition: 'LATEST' }));
    expect(JSON.stringify(cloud.snapshot())).not.toBe(before);

    await until(() => c.lambda.send(new GetEventSourceMappingCommand({ UUID: esm.UUID })), (r) => r.State === 'Enabled');
    await c.lambda.send(new DeleteEventSourceMappingCommand({ UUID: esm.UUID }));
    await c.lambda.send(new DeleteFunctionCommand({ FunctionName: 'orders-consumer' }));
    await c.iam.send(new DeleteRolePolicyCommand({ RoleName: 'orders-consumer', PolicyName: 'kds-xacct' }));
    await c.iam.send(new DeleteRoleCommand({ RoleName: 'orders-consumer' }));
    await p.kinesis.send(new DeregisterStreamConsumerCommand({ ConsumerARN: consumerArn }));
    await clock.sleep(cloud.latency.consumerDelete);
    await p.kinesis.send(new DeleteStreamCommand({ StreamARN: streamArn }));
    await p.kms.send(new (await import('@aws-sdk/client-kms')).DeleteAliasCommand({ AliasName: 'alias/orders' }));
    expect((await rejection(p.kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyArn, PendingWindowInDays: 5 })))).name).toBe('ValidationException');
    await p.kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyArn, PendingWindowInDays: 7 }));
    await clock.sleep(Math.max(cloud.latency.streamDelete, cloud.latency.esmDelete));
    expect(JSON.stringify(cloud.snapshot())).toBe(before);
  });
});
