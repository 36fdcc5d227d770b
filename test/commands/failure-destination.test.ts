import { KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import type { HealthReport } from '../../src/pipeline/health-report.js';
import { CONSUMER, PRODUCER, REGION, twoAccounts } from '../support/two-accounts.js';

let world: ReturnType<typeof twoAccounts>;
afterEach(() => world?.cloud.restore());

const QUEUE = 'orders-failed-batches';
const QUEUE_ARN = `arn:aws:sqs:${REGION}:${CONSUMER}:${QUEUE}`;
/** The queues SQS still has: a deleted one goes after a while, and its name is refused a while longer. */
const queues = () => new Map([...world.cloud.regionState(CONSUMER, REGION)!.queues!].filter(([, q]) => q.deletedAt === undefined));
const mapping = () => [...world.cloud.regionState(CONSUMER, REGION)!.esms.values()][0]!;
const inlinePolicy = () => JSON.parse(world.cloud.account(CONSUMER).roles.get('kds-xacct-orders-consumer')!.inline.current!['kds-xacct-orders']!) as { Statement: Array<{ Sid: string; Action: unknown; Resource: unknown }> };
const textSince = (from: number) =>
  world.harness.reporter.lines
    .slice(from)
    .map((l) => (l.hint ? `${l.text}\n${l.hint}` : l.text))
    .join('\n');

/** The function reports every record whose data says "poison" as a batch item failure, as a handler that cannot process it would. */
function failPoisonRecords(): void {
  world.cloud.setFunctionRuntime(async (event) => ({
    batchItemFailures: event.Records.filter((r) => Buffer.from(r.kinesis.data, 'base64').toString('utf8').includes('poison')).map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })),
  }));
}

async function put(data: string): Promise<string> {
  const kinesis = new KinesisClient({ region: REGION, credentials: world.cloud.credentialsFor(PRODUCER) });
  const out = await kinesis.send(new PutRecordCommand({ StreamName: 'orders-stream', Data: new TextEncoder().encode(data), PartitionKey: 'a' }));
  world.clock.advance(120_000);
  await world.cloud.materialize();
  return out.SequenceNumber!;
}

async function status(): Promise<{ code: ExitCode; report: HealthReport; text: string }> {
  const lines = world.harness.reporter.lines.length;
  const results = world.harness.reporter.results.length;
  const code = await world.harness.run('status', '--name', 'orders');
  return { code, report: world.harness.reporter.results[results] as HealthReport, text: textSince(lines) };
}

describe('the on-failure destination setup makes', () => {
  it('is an encrypted, tagged queue kept 14 days, the mapping sends to it, and the role may only send to it', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
    const queue = queues().get(QUEUE)!;
    expect(queue.attributes).toEqual({ SqsManagedSseEnabled: 'true', MessageRetentionPeriod: '1209600' });
    expect(queue.tags).toMatchObject({ 'kds-xacct:deployment': 'orders' });
    expect(mapping().destinationConfig).toEqual({ OnFailure: { Destination: QUEUE_ARN } });
    expect(inlinePolicy().Statement.filter((s) => JSON.stringify(s).includes('sqs'))).toEqual([{ Sid: 'ReportFailedBatches', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: QUEUE_ARN }]);
    expect((await world.store.load('orders'))!.steps['failure-queue']).toMatchObject({ origin: 'created', outputs: { queueName: QUEUE, queueArn: QUEUE_ARN } });

    const calls = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(world.cloud.calls.slice(calls).filter((c) => c.mutating)).toEqual([]);
  });

  it("receives Lambda's record of a batch the function keeps failing, and status reports it and exits 1", async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    failPoisonRecords();
    await put('fine');
    expect(queues().get(QUEUE)!.messages).toEqual([]);
    expect((await status()).code).toBe(ExitCode.Success);

    const sequenceNumber = await put('poison');
    const messages = queues().get(QUEUE)!.messages;
    expect(messages).toHaveLength(1);
    const fnArn = `arn:aws:lambda:${REGION}:${CONSUMER}:function:orders-consumer`;
    const streamArn = `arn:aws:kinesis:${REGION}:${PRODUCER}:stream/orders-stream`;
    expect(JSON.parse(messages[0]!.body)).toEqual({
      requestContext: { requestId: expect.any(String), functionArn: fnArn, condition: 'RetryAttemptsExhausted', approximateInvokeCount: 4 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      KinesisBatchInfo: {
        shardId: 'shardId-000000000000',
        startSequenceNumber: sequenceNumber,
        endSequenceNumber: sequenceNumber,
        approximateArrivalOfFirstRecord: expect.stringMatching(/Z$/),
        approximateArrivalOfLastRecord: expect.stringMatching(/Z$/),
        batchSize: 1,
        streamArn,
      },
    });

    // A later batch succeeds, so the mapping looks healthy again: only the queue still says records were lost.
    await put('fine again');
    const { code, report, text } = await status();
    expect(code).toBe(ExitCode.Failed);
    expect(report.findings).toEqual([expect.objectContaining({ severity: 'error', step: 'failure-queue', account: 'consumer' })]);
    expect(text).toContain(`1 failed batch(es) waiting in queue ${QUEUE}`);
    expect(text).toContain(`shardId-000000000000 sequence numbers ${sequenceNumber} to ${sequenceNumber}`);
    expect(text).toContain('its retries ran out: RetryAttemptsExhausted');
    // The logs reach back past the report, by whole hours with one to spare: Lambda retried before it gave up.
    expect(report.findings[0]!.fix).toMatch(/^find why in the function's logs \(`kds-xacct tail-logs --name orders --since [12]h --no-follow`\), re-read those records from stream orders-stream /);
    world.clock.advance(3 * 86_400_000);
    expect((await status()).report.findings[0]!.fix).toMatch(/`kds-xacct tail-logs --name orders --since 7[34]h --no-follow`/);
    // Looking does not take the report away from whoever processes the queue.
    expect(queues().get(QUEUE)!.messages).toHaveLength(1);
  });

  it('reports records that passed the maximum record age before they could be read, as RecordAgeExceeded, and status says so', async () => {
    world = twoAccounts({ latency: { grantPropagation: 300_000 } });
    expect(await world.setup('--name', 'orders', '--max-record-age', '60')).toBe(ExitCode.Success);
    const sequenceNumber = await put('sent while the grant is not in effect');
    expect(queues().get(QUEUE)!.messages).toEqual([]);
    world.clock.advance(300_000);
    await world.cloud.materialize();
    const messages = queues().get(QUEUE)!.messages;
    expect(messages).toHaveLength(1);
    expect(JSON.parse(messages[0]!.body)).toMatchObject({
      requestContext: { condition: 'RecordAgeExceeded', approximateInvokeCount: 0 },
      KinesisBatchInfo: { startSequenceNumber: sequenceNumber, endSequenceNumber: sequenceNumber, batchSize: 1 },
    });
    const logged = (await world.cloud.logEvents(CONSUMER, REGION, '/aws/lambda/orders-consumer')).filter((e) => e.message.includes(sequenceNumber));
    expect(logged).toEqual([]);
    const { code, text } = await status();
    expect(code).toBe(ExitCode.Failed);
    expect(text).toContain("its records passed the mapping's maximum record age: RecordAgeExceeded");
  });

  it('is not sent to when the role may not: the record is lost and the fake says why', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const role = world.cloud.account(CONSUMER).roles.get('kds-xacct-orders-consumer')!;
    const policy = inlinePolicy();
    policy.Statement = policy.Statement.filter((s) => s.Sid !== 'ReportFailedBatches');
    role.inline.set({ 'kds-xacct-orders': JSON.stringify(policy) }, world.clock.now() - 3_600_000);
    failPoisonRecords();
    await put('poison');
    expect(queues().get(QUEUE)!.messages).toEqual([]);
    expect(world.cloud.diagnostics.some((d) => d.includes(`was not sent to ${QUEUE_ARN}`) && d.includes('sqs:SendMessage'))).toBe(true);
  });
});

describe('teardown and the failure queue', () => {
  async function withOneFailedBatch(): Promise<void> {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    failPoisonRecords();
    await put('poison');
    expect(queues().get(QUEUE)!.messages).toHaveLength(1);
  }

  it('deletes the empty queue setup made', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(await world.harness.run('teardown', '--yes', '--name', 'orders')).toBe(ExitCode.Success);
    expect(queues().size).toBe(0);
    expect(world.cloud.calls.filter((c) => c.command === 'DeleteQueue' && !c.error)).toHaveLength(1);
  });

  it('keeps a queue that holds reports, says how many and how to look at them, and tears down the rest', async () => {
    await withOneFailedBatch();
    const from = world.harness.reporter.lines.length;
    expect(await world.harness.run('teardown', '--yes', '--name', 'orders')).toBe(ExitCode.Success);
    const text = textSince(from);
    expect(text).toContain(`Queue ${QUEUE} holds 1 report(s) of failed batches, so it is kept: ${QUEUE_ARN}`);
    expect(text).toMatch(/aws sqs receive-message --queue-url \S+ --visibility-timeout 0 --max-number-of-messages 10 --profile analytics --region eu-west-1/);
    expect(text).toContain('--delete-failure-queue');
    expect(queues().get(QUEUE)!.messages).toHaveLength(1);
    expect(world.cloud.regionState(CONSUMER, REGION)!.functions.size).toBe(0);
    expect(await world.store.load('orders')).toBeUndefined();
  });

  it('keeps a queue whose only report is in flight: ApproximateNumberOfMessages alone would call it empty', async () => {
    await withOneFailedBatch();
    const sqs = new SQSClient({ region: REGION, credentials: world.cloud.credentialsFor(CONSUMER) });
    const QueueUrl = queues().get(QUEUE)!.url;
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 600 }))).Messages).toHaveLength(1);
    const from = world.harness.reporter.lines.length;
    expect(await world.harness.run('teardown', '--yes', '--name', 'orders')).toBe(ExitCode.Success);
    expect(textSince(from)).toContain(`Queue ${QUEUE} holds 1 report(s) of failed batches, so it is kept`);
    expect(queues().get(QUEUE)!.messages).toHaveLength(1);
  });

  it('deletes it anyway with --delete-failure-queue', async () => {
    await withOneFailedBatch();
    expect(await world.harness.run('teardown', '--yes', '--name', 'orders', '--delete-failure-queue')).toBe(ExitCode.Success);
    expect(queues().size).toBe(0);
  });
});

describe('choosing another destination', () => {
  it('--no-failure-destination: no queue, no destination, no permission, and a plain warning', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders', '--no-failure-destination')).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toContain('No on-failure destination (--no-failure-destination): a batch the mapping gives up on');
    expect(queues().size).toBe(0);
    expect(mapping().destinationConfig).toBeUndefined();
    expect(JSON.stringify(inlinePolicy())).not.toContain('sqs:');
    // The choice is recorded: a re-run, and status, keep it.
    const calls = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(world.cloud.calls.slice(calls).filter((c) => c.mutating)).toEqual([]);
    expect((await status()).report.resources.find((r) => r.step === 'failure-queue')).toMatchObject({ status: 'skipped' });
  });

  it("--failure-destination: the user's queue is used as it is, the role may send to it, and teardown keeps it", async () => {
    world = twoAccounts();
    const sqs = new SQSClient({ region: REGION, credentials: world.cloud.credentialsFor(CONSUMER) });
    await sqs.send(new CreateQueueCommand({ QueueName: 'team-dlq' }));
    const arn = `arn:aws:sqs:${REGION}:${CONSUMER}:team-dlq`;
    expect(await world.setup('--name', 'orders', '--failure-destination', arn)).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toContain(`Failed batches are reported to ${arn}: their shard and sequence numbers, not the records themselves (only an S3 bucket also keeps the records)`);
    expect(world.cloud.calls.filter((c) => c.command === 'CreateQueue')).toHaveLength(1);
    expect(mapping().destinationConfig).toEqual({ OnFailure: { Destination: arn } });
    expect(inlinePolicy().Statement.find((s) => s.Sid === 'ReportFailedBatches')).toEqual({ Sid: 'ReportFailedBatches', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arn });

    failPoisonRecords();
    await put('poison');
    expect(queues().get('team-dlq')!.messages).toHaveLength(1);

    expect(await world.harness.run('teardown', '--yes', '--name', 'orders')).toBe(ExitCode.Success);
    expect([...queues().keys()]).toEqual(['team-dlq']);
  });

  it('refuses an ARN that is not a queue, topic or bucket, before touching AWS', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders', '--failure-destination', `arn:aws:lambda:${REGION}:${CONSUMER}:function:x`)).toBe(ExitCode.Usage);
    expect(world.harness.reporter.text).toContain('is not an SQS queue, SNS topic or S3 bucket ARN');
    expect(world.cloud.mutatingCalls()).toEqual([]);
  });
});

describe('a destination encrypted with a KMS key, and turning the destination off', () => {
  const DLQ = 'team-dlq';
  const DLQ_ARN = `arn:aws:sqs:${REGION}:${CONSUMER}:${DLQ}`;
  async function encryptedQueue(kmsMasterKeyId: string): Promise<void> {
    const sqs = new SQSClient({ region: REGION, credentials: world.cloud.credentialsFor(CONSUMER) });
    await sqs.send(new CreateQueueCommand({ QueueName: DLQ, Attributes: { KmsMasterKeyId: kmsMasterKeyId } }));
  }

  it('lets the role use the customer managed key of an SSE-KMS queue, named by its alias, so the report arrives', async () => {
    world = twoAccounts();
    const keyId = world.cloud.seedKey(CONSUMER, REGION, { alias: 'alias/team-dlq' });
    const keyArn = `arn:aws:kms:${REGION}:${CONSUMER}:key/${keyId}`;
    await encryptedQueue('alias/team-dlq');
    expect(await world.setup('--name', 'orders', '--failure-destination', DLQ_ARN), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(inlinePolicy().Statement.find((s) => s.Sid === 'EncryptFailedBatchReports')).toEqual({ Sid: 'EncryptFailedBatchReports', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: keyArn });
    failPoisonRecords();
    await put('poison');
    expect(queues().get(DLQ)!.messages).toHaveLength(1);
    const calls = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(world.cloud.calls.slice(calls).filter((c) => c.mutating)).toEqual([]);
  });

  it('loses the report when the role may not use the queue key, and the fake says why', async () => {
    world = twoAccounts();
    world.cloud.seedKey(CONSUMER, REGION, { alias: 'alias/team-dlq' });
    await encryptedQueue('alias/team-dlq');
    expect(await world.setup('--name', 'orders', '--failure-destination', DLQ_ARN)).toBe(ExitCode.Success);
    const role = world.cloud.account(CONSUMER).roles.get('kds-xacct-orders-consumer')!;
    const policy = inlinePolicy();
    policy.Statement = policy.Statement.filter((s) => s.Sid !== 'EncryptFailedBatchReports');
    role.inline.set({ 'kds-xacct-orders': JSON.stringify(policy) }, world.clock.now() - 3_600_000);
    failPoisonRecords();
    await put('poison');
    expect(queues().get(DLQ)!.messages).toEqual([]);
    expect(world.cloud.diagnostics.some((d) => d.includes(`was not sent to ${DLQ_ARN}`) && d.includes('kms:GenerateDataKey'))).toBe(true);
    // status says so, as drift of the role's policy.
    const { code, report } = await status();
    expect(code).toBe(ExitCode.Failed);
    expect(report.findings).toContainEqual(expect.objectContaining({ step: 'role-policy', message: expect.stringContaining('statement EncryptFailedBatchReports is gone (it allowed kms:GenerateDataKey, kms:Decrypt)') }));
  });

  it('needs nothing more for the AWS managed alias/aws/sqs of its own account', async () => {
    world = twoAccounts();
    await encryptedQueue('alias/aws/sqs');
    expect(await world.setup('--name', 'orders', '--failure-destination', DLQ_ARN)).toBe(ExitCode.Success);
    expect(inlinePolicy().Statement.map((s) => s.Sid)).not.toContain('EncryptFailedBatchReports');
    failPoisonRecords();
    await put('poison');
    expect(queues().get(DLQ)!.messages).toHaveLength(1);
  });

  it('refuses, before changing anything, a queue whose key the consumer profile cannot read, and says what the key policy needs', async () => {
    world = twoAccounts();
    const keyId = world.cloud.seedKey(PRODUCER, REGION, { alias: 'alias/elsewhere' });
    const keyArn = `arn:aws:kms:${REGION}:${PRODUCER}:key/${keyId}`;
    await encryptedQueue(keyArn);
    const before = world.cloud.snapshot();
    expect(await world.setup('--name', 'orders', '--failure-destination', DLQ_ARN)).toBe(ExitCode.Failed);
    const text = world.harness.reporter.text;
    expect(text).toContain(`Queue ${DLQ} is encrypted with KMS key ${keyArn}, which the consumer profile cannot read (AccessDeniedException`);
    expect(text).toContain('which needs kms:GenerateDataKey and kms:Decrypt on that key: allow it in the key\'s policy');
    expect(world.cloud.snapshot()).toEqual(before);
  });

  it('--no-failure-destination on a re-run takes the destination off the mapping along with the permission', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(mapping().destinationConfig).toEqual({ OnFailure: { Destination: QUEUE_ARN } });
    world.clock.advance(60_000);
    expect(await world.setup('--name', 'orders', '--no-failure-destination'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toContain(`its on-failure destination is ${QUEUE_ARN}, the config says none`);
    expect(world.cloud.calls.find((c) => c.command === 'UpdateEventSourceMapping')!.input).toMatchObject({ DestinationConfig: { OnFailure: { Destination: '' } } });
    expect(mapping().destinationConfig).toBeUndefined();
    expect(JSON.stringify(inlinePolicy())).not.toContain('sqs:');
    expect((await status()).code).toBe(ExitCode.Success);
  });

  it('status reports an adopted mapping that reports to a destination the role may not use', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders', '--no-failure-destination')).toBe(ExitCode.Success);
    const state = (await world.store.load('orders'))!;
    state.steps['event-source-mapping']!.origin = 'adopted';
    await world.store.save(state);
    mapping().destinationConfig = { OnFailure: { Destination: DLQ_ARN } };
    const { code, report } = await status();
    expect(code).toBe(ExitCode.Failed);
    const finding = report.findings.find((f) => f.step === 'event-source-mapping')!;
    expect(finding.message).toBe(`event source mapping ${mapping().uuid} reports failed batches to ${DLQ_ARN}, which role kds-xacct-orders-consumer is not allowed to use: those reports are lost`);
    expect(finding.fix).toContain(`aws lambda update-event-source-mapping --uuid ${mapping().uuid} --destination-config '{"OnFailure":{"Destination":""}}' --profile analytics --region ${REGION}`);
    expect(finding.fix).toContain(`--failure-destination ${DLQ_ARN}`);
  });
});

describe('a topic or a bucket as destination, and destinations of another account', () => {
  const ROLE_ARN = `arn:aws:iam::${CONSUMER}:role/kds-xacct-orders-consumer`;
  const published = (topicArn: string) => world.cloud.regionState(topicArn.split(':')[4]!, REGION)!.topics!.get(topicArn.split(':')[5]!)!.published;
  const objects = (bucket: string) => [...world.cloud.regionState(CONSUMER, REGION)!.buckets!.get(bucket)!.objects];
  /** A key of the producer account whose policy lets the consumer's role use it, as its owner must for a report from another account. */
  const producerKeyForRole = () =>
    world.cloud.seedKey(PRODUCER, REGION, {
      policy: {
        Version: '2012-10-17',
        Statement: [
          { Sid: 'Owner', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${PRODUCER}:root` }, Action: 'kms:*', Resource: '*' },
          { Sid: 'Reports', Effect: 'Allow', Principal: { AWS: ROLE_ARN }, Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: '*' },
        ],
      },
    });
  const topicPolicy = (actions: string[], topicArn: string) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${CONSUMER}:root` }, Action: actions, Resource: topicArn }] });

  it('lets the role use the customer managed key of an SSE-KMS topic, so the report is published, and loses it without', async () => {
    world = twoAccounts();
    const keyId = world.cloud.seedKey(CONSUMER, REGION, { alias: 'alias/alerts' });
    const topic = world.cloud.seedTopic(CONSUMER, REGION, { name: 'alerts', kmsMasterKeyId: 'alias/alerts' });
    expect(await world.setup('--name', 'orders', '--failure-destination', topic), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(inlinePolicy().Statement.filter((s) => ['ReportFailedBatches', 'EncryptFailedBatchReports'].includes(s.Sid))).toEqual([
      { Sid: 'ReportFailedBatches', Effect: 'Allow', Action: 'sns:Publish', Resource: topic },
      { Sid: 'EncryptFailedBatchReports', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: `arn:aws:kms:${REGION}:${CONSUMER}:key/${keyId}` },
    ]);
    failPoisonRecords();
    const sequenceNumber = await put('poison');
    expect(published(topic)).toHaveLength(1);
    expect(JSON.parse(published(topic)[0]!.message).KinesisBatchInfo).toMatchObject({ startSequenceNumber: sequenceNumber, batchSize: 1 });
    const calls = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(world.cloud.calls.slice(calls).filter((c) => c.mutating)).toEqual([]);

    const role = world.cloud.account(CONSUMER).roles.get('kds-xacct-orders-consumer')!;
    const policy = inlinePolicy();
    policy.Statement = policy.Statement.filter((s) => s.Sid !== 'EncryptFailedBatchReports');
    role.inline.set({ 'kds-xacct-orders': JSON.stringify(policy) }, world.clock.now() - 3_600_000);
    await put('poison again');
    expect(published(topic)).toHaveLength(1);
    expect(world.cloud.diagnostics.some((d) => d.includes(`was not sent to ${topic}`) && d.includes('kms:GenerateDataKey with KMS key'))).toBe(true);
  });

  it('needs nothing more for the AWS managed alias/aws/sns of its own account', async () => {
    world = twoAccounts();
    const topic = world.cloud.seedTopic(CONSUMER, REGION, { name: 'alerts', kmsMasterKeyId: 'alias/aws/sns' });
    expect(await world.setup('--name', 'orders', '--failure-destination', topic)).toBe(ExitCode.Success);
    expect(inlinePolicy().Statement.map((s) => s.Sid)).not.toContain('EncryptFailedBatchReports');
    failPoisonRecords();
    await put('poison');
    expect(published(topic)).toHaveLength(1);
  });

  it('refuses, before changing anything, a topic of another account encrypted with that account\'s alias/aws/sns, which the role can never use', async () => {
    world = twoAccounts();
    const topic = `arn:aws:sns:${REGION}:${PRODUCER}:alerts`;
    world.cloud.seedTopic(PRODUCER, REGION, { name: 'alerts', kmsMasterKeyId: 'alias/aws/sns', policy: topicPolicy(['sns:GetTopicAttributes', 'sns:Publish'], topic) });
    const before = world.cloud.snapshot();
    expect(await world.setup('--name', 'orders', '--failure-destination', topic)).toBe(ExitCode.Failed);
    expect(world.harness.reporter.text).toContain(`Topic alerts is encrypted with arn:aws:kms:${REGION}:${PRODUCER}:alias/aws/sns, an AWS managed key of account ${PRODUCER}: its key policy lets only that account's principals use it`);
    expect(world.harness.reporter.text).toContain('Encrypt it with a customer managed key whose policy allows role kds-xacct-orders-consumer kms:GenerateDataKey and kms:Decrypt, or pass another --failure-destination.');
    expect(world.cloud.snapshot()).toEqual(before);
  });

  it("covers the keys of another account's topic through SNS when the consumer profile cannot read it, and says what the key policy must allow", async () => {
    world = twoAccounts();
    const topic = `arn:aws:sns:${REGION}:${PRODUCER}:alerts`;
    const keyId = producerKeyForRole();
    world.cloud.seedTopic(PRODUCER, REGION, { name: 'alerts', kmsMasterKeyId: `arn:aws:kms:${REGION}:${PRODUCER}:key/${keyId}`, policy: topicPolicy(['sns:Publish'], topic) });
    expect(await world.setup('--name', 'orders', '--failure-destination', topic), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toContain(`${topic} is in account ${PRODUCER}: if a KMS key encrypts it, that key's policy must allow the function's role kms:Decrypt, kms:GenerateDataKey, kms:DescribeKey and kms:ReEncrypt*, or failure reports are lost.`);
    expect(inlinePolicy().Statement.find((s) => s.Sid === 'EncryptFailedBatchReports')).toEqual({
      Sid: 'EncryptFailedBatchReports',
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: `arn:aws:kms:${REGION}:${PRODUCER}:key/*`,
      Condition: { StringEquals: { 'kms:ViaService': `sns.${REGION}.amazonaws.com` } },
    });
    failPoisonRecords();
    await put('poison');
    expect(published(topic)).toHaveLength(1);
  });

  it("covers the keys of another account's queue through SQS, since the consumer profile cannot read it", async () => {
    world = twoAccounts();
    const queue = `arn:aws:sqs:${REGION}:${PRODUCER}:shared-dlq`;
    const sqs = new SQSClient({ region: REGION, credentials: world.cloud.credentialsFor(PRODUCER) });
    await sqs.send(new CreateQueueCommand({ QueueName: 'shared-dlq' }));
    expect(await world.setup('--name', 'orders', '--failure-destination', queue), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toContain(`${queue} is in account ${PRODUCER}: if a KMS key encrypts it, that key's policy must allow the function's role`);
    expect(inlinePolicy().Statement.find((s) => s.Sid === 'EncryptFailedBatchReports')).toMatchObject({
      Resource: `arn:aws:kms:${REGION}:${PRODUCER}:key/*`,
      Condition: { StringEquals: { 'kms:ViaService': `sqs.${REGION}.amazonaws.com` } },
    });
  });

  it("names the exact key of another account's topic that the consumer profile may read", async () => {
    world = twoAccounts();
    const topic = `arn:aws:sns:${REGION}:${PRODUCER}:alerts`;
    const keyId = producerKeyForRole();
    world.cloud.seedTopic(PRODUCER, REGION, { name: 'alerts', kmsMasterKeyId: keyId, policy: topicPolicy(['sns:GetTopicAttributes', 'sns:Publish'], topic) });
    const keyPolicy = JSON.parse(world.cloud.regionState(PRODUCER, REGION)!.keys.get(keyId)!.policy);
    keyPolicy.Statement.push({ Sid: 'Describe', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${CONSUMER}:root` }, Action: 'kms:DescribeKey', Resource: '*' });
    world.cloud.regionState(PRODUCER, REGION)!.keys.get(keyId)!.policy = JSON.stringify(keyPolicy);
    expect(await world.setup('--name', 'orders', '--failure-destination', topic), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(inlinePolicy().Statement.find((s) => s.Sid === 'EncryptFailedBatchReports')).toEqual({ Sid: 'EncryptFailedBatchReports', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: `arn:aws:kms:${REGION}:${PRODUCER}:key/${keyId}` });
    failPoisonRecords();
    await put('poison');
    expect(published(topic)).toHaveLength(1);
  });

  it('lets the role GenerateDataKey with the customer managed key of an SSE-KMS bucket (a bucket key changes nothing), so the report is written', async () => {
    world = twoAccounts();
    const keyId = world.cloud.seedKey(CONSUMER, REGION);
    const keyArn = `arn:aws:kms:${REGION}:${CONSUMER}:key/${keyId}`;
    const bucket = world.cloud.seedBucket(CONSUMER, REGION, { name: 'orders-failed', encryption: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn }, bucketKeyEnabled: true });
    expect(await world.setup('--name', 'orders', '--failure-destination', bucket), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(inlinePolicy().Statement.find((s) => s.Sid === 'EncryptFailedBatchReports')).toEqual({ Sid: 'EncryptFailedBatchReports', Effect: 'Allow', Action: ['kms:GenerateDataKey'], Resource: keyArn });
    failPoisonRecords();
    await put('poison');
    const written = objects('orders-failed');
    expect(written).toHaveLength(1);
    expect(written[0]![0]).toMatch(new RegExp(`^aws/lambda/${mapping().uuid}/shardId-000000000000/\\d{4}/\\d\\d/\\d\\d/\\d{4}-\\d\\d-\\d\\dT\\d\\d\\.\\d\\d\\.\\d\\d-`));
    expect(written[0]![1].kmsKeyArn).toBe(keyArn);
  });

  it('needs nothing more for a DSSE-KMS bucket with the AWS managed aws/s3 key, and refuses a bucket that does not exist', async () => {
    world = twoAccounts();
    const bucket = world.cloud.seedBucket(CONSUMER, REGION, { name: 'orders-failed', encryption: { SSEAlgorithm: 'aws:kms:dsse' } });
    expect(await world.setup('--name', 'orders', '--failure-destination', bucket)).toBe(ExitCode.Success);
    expect(inlinePolicy().Statement.map((s) => s.Sid)).not.toContain('EncryptFailedBatchReports');
    failPoisonRecords();
    await put('poison');
    expect(objects('orders-failed')).toHaveLength(1);

    const before = world.cloud.snapshot();
    expect(await world.setup('--name', 'orders', '--failure-destination', 'arn:aws:s3:::no-such-bucket')).toBe(ExitCode.Failed);
    expect(world.harness.reporter.text).toContain('The failure destination arn:aws:s3:::no-such-bucket does not exist.');
    expect(world.cloud.snapshot()).toEqual(before);
  });
});
