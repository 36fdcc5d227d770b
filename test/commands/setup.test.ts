import { GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateEventSourceMappingCommand, DeleteEventSourceMappingCommand, GetEventSourceMappingCommand, LambdaClient, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { CreateGrantCommand, KMSClient } from '@aws-sdk/client-kms';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Interrupt } from '../../src/engine/engine.js';
import { ExitCode } from '../../src/errors.js';
import { runCli } from '../../src/program.js';
import { describeEvent, eventMemory } from '../../src/render/plain.js';
import type { Prompter } from '../../src/prompts.js';
import { CONSUMER, CONSUMER_2, PRODUCER, REGION, twoAccounts } from '../support/two-accounts.js';
import { LAMBDA_MAPPING_EXISTS } from '../../src/sandbox/aws-error-texts.js';

let world: ReturnType<typeof twoAccounts>;
afterEach(() => world?.cloud.restore());

describe('setup on two fresh accounts', () => {
  it('creates the whole pipeline and a second run changes nothing', async () => {
    world = twoAccounts();
    const code = await world.setup('--name', 'orders');
    expect(world.harness.reporter.text).toContain('Deployment "orders" is set up.');
    expect(code).toBe(ExitCode.Success);
    const state = await world.store.load('orders');
    expect(Object.keys(state!.steps).sort()).toEqual(
      ['consumer-policy', 'efo-consumer', 'event-source-mapping', 'failure-queue', 'function', 'kms-grant', 'kms-key', 'log-group', 'role', 'role-policy', 'stream', 'stream-encryption', 'stream-policy'],
    );
    expect(state!.accounts).toEqual({
      producer: { profile: 'prod', accountId: PRODUCER, region: REGION },
      consumer: { profile: 'analytics', accountId: CONSUMER, region: REGION },
    });
    // The right things in the right accounts, with the right properties.
    const tags = { 'kds-xacct:deployment': 'orders', 'managed-by': 'kds-xacct' };
    const snapshot = world.cloud.snapshot() as any;
    const producer = snapshot[PRODUCER].regions[REGION];
    const consumer = snapshot[CONSUMER].regions[REGION];
    const keyId = state!.steps['kms-key']!.outputs.keyId;
    expect(producer.streams).toEqual([
      expect.objectContaining({ name: 'orders-stream', status: 'ACTIVE', mode: 'ON_DEMAND', tags, encryption: { type: 'KMS', keyId: expect.stringContaining(keyId!) } }),
    ]);
    expect(producer.streams[0].consumers).toEqual([expect.objectContaining({ name: `orders-${CONSUMER}-efo`, status: 'ACTIVE', tags })]);
    expect(producer.keys[0].grants).toEqual([
      expect.objectContaining({ grantee: `arn:aws:iam::${CONSUMER}:role/kds-xacct-orders-consumer`, operations: ['Decrypt'], constraints: { EncryptionContextSubset: { 'aws:kinesis:arn': `arn:aws:kinesis:${REGION}:${PRODUCER}:stream/orders-stream` } } }),
    ]);
    expect(producer.aliases).toEqual([expect.objectContaining({ name: 'alias/kds-xacct/orders' })]);
    expect(consumer.functions).toEqual([expect.objectContaining({ name: 'orders-consumer', runtime: 'nodejs22.x', handler: 'index.handler', state: 'Active', tags })]);
    expect(consumer.logGroups).toEqual([{ name: '/aws/lambda/orders-consumer', retentionInDays: 30, tags }]);
    expect(consumer.eventSourceMappings).toEqual([
      expect.objectContaining({ eventSourceArn: `arn:aws:kinesis:${REGION}:${PRODUCER}:stream/orders-stream/consumer/orders-${CONSUMER}-efo:<ts>`, state: 'Enabled', startingPosition: 'TRIM_HORIZON', tags }),
    ]);
    expect(snapshot[CONSUMER].iam.roles).toEqual([
      expect.objectContaining({ name: 'kds-xacct-orders-consumer', trust: expect.objectContaining({ Statement: [expect.objectContaining({ Principal: { Service: 'lambda.amazonaws.com' } })] }) }),
    ]);
    expect(snapshot[PRODUCER].iam.roles).toEqual([]);

    const before = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const second = world.cloud.calls.slice(before);
    expect(second.filter((c) => c.mutating)).toEqual([]);
  });

  it('builds a pipeline that delivers: a test record reaches the bundled handler in the other account', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(await world.harness.run('send-test-record', '--name', 'orders', '--verify', '--timeout', '60s'), world.harness.reporter.text).toBe(ExitCode.Success);
    const lines = (await world.cloud.logEvents(CONSUMER, REGION, '/aws/lambda/orders-consumer')).map((e) => e.message);
    expect(lines.some((l) => l.includes('"type":"kds-xacct.record"'))).toBe(true);
  });
});

describe('a new KMS grant', () => {
  it('is not called ready: the first record waits for the grant, named in LastProcessingResult, then arrives', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toContain(
      `Deployment "orders" is set up. Its KMS grant is new: AWS usually puts a grant into effect within five minutes, and until then the mapping cannot decrypt records. Lambda keeps the records and retries them for up to the mapping's maximum record age (1 h), then discards them and reports them to arn:aws:sqs:${REGION}:${CONSUMER}:orders-failed-batches.`,
    );
    expect(world.harness.reporter.text).not.toContain('is ready');

    const uuid = (await world.store.load('orders'))!.steps['event-source-mapping']!.outputs.uuid!;
    const lambda = new LambdaClient({ region: REGION, credentials: world.cloud.credentialsFor(CONSUMER) });
    const kinesis = new KinesisClient({ region: REGION, credentials: world.cloud.credentialsFor(PRODUCER) });
    await kinesis.send(new PutRecordCommand({ StreamName: 'orders-stream', PartitionKey: 'k', Data: new TextEncoder().encode('{"first":true}') }));
    await world.clock.sleep(world.cloud.latency.esmPollingStart + 2 * world.cloud.latency.esmDelivery);
    expect((await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).LastProcessingResult).toMatch(/^PROBLEM: KMSAccessDeniedException: User arn:aws:iam::222222222222:role\/kds-xacct-orders-consumer is not authorized to decrypt records in stream /);
    const logs = () => world.cloud.logEvents(CONSUMER, REGION, '/aws/lambda/orders-consumer');
    expect((await logs()).some((e) => e.message.includes('first'))).toBe(false);

    await world.clock.sleep(world.cloud.latency.grantPropagation);
    expect((await logs()).some((e) => e.message.includes('first'))).toBe(true);
    expect((await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).LastProcessingResult).toBe('OK');
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toContain('Deployment "orders" is ready (no changes were needed).');
  });
});

describe('setup --verify', () => {
  interface VerifiedSetup {
    outcome: string;
    verify: { records: Array<{ sequenceNumber: string }>; verify: { ok: boolean; latencies: Array<{ sequenceNumber: string; latencyMs: number }> } };
  }

  it("ends with a verified round trip: one test record, awaited in the function's logs once the new grant works", async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders', '--verify'), world.harness.reporter.text).toBe(ExitCode.Success);
    const text = world.harness.reporter.text;
    expect(text).toContain('Verifying the round trip with one test record…');
    expect(text).toContain('Verified: all 1 record(s) reached the consumer function.');
    const result = world.harness.reporter.results.at(-1) as VerifiedSetup;
    expect(result.outcome).toBe('succeeded');
    expect(result.verify.verify.ok).toBe(true);
    expect(result.verify.verify.latencies.map((l) => l.sequenceNumber)).toEqual(result.verify.records.map((r) => r.sequenceNumber));
    const grantCreatedAt = Date.parse((await world.store.load('orders'))!.steps['kms-grant']!.outputs.createdAt!);
    expect(world.clock.now() - grantCreatedAt).toBeGreaterThanOrEqual(world.cloud.latency.grantPropagation);
  });

  it('says while it waits that a grant taking five minutes is not in effect yet, and verifies the record once it is', async () => {
    world = twoAccounts({ latency: { grantPropagation: 300_000 } });
    expect(await world.setup('--name', 'orders', '--verify'), world.harness.reporter.text).toBe(ExitCode.Success);
    const text = world.harness.reporter.text;
    expect(text.match(/The KMS grant was created (\d+ min( \d+ s)?|\d+ s) ago and is not in effect yet: KMS grants are usually in effect within five minutes/g)).toHaveLength(1);
    expect(text).toContain('Verified: all 1 record(s) reached the consumer function.');
  });

  it('is refused with --dry-run, which changes nothing', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders', '--verify', '--dry-run')).toBe(ExitCode.Usage);
    expect(world.cloud.mutatingCalls()).toEqual([]);
  });
});

describe('setup failures roll back', () => {
  it('counts the mutating calls of a fresh setup', async () => {
    world = twoAccounts();
    await world.setup('--name', 'orders');
    expect(world.cloud.mutatingCalls().filter((c) => !c.error).map((c) => c.command).sort()).toEqual(
      [
        'CreateAlias',
        'CreateEventSourceMapping',
        'CreateFunction',
        'CreateGrant',
        'CreateKey',
        'CreateLogGroup',
        'CreateQueue',
        'CreateRole',
        'CreateStream',
        'PutResourcePolicy',
        'PutResourcePolicy',
        'PutRetentionPolicy',
        'PutRolePolicy',
        'RegisterStreamConsumer',
        'StartStreamEncryption',
      ],
    );
  });

  const mutatingCallsOfFreshSetup = 15;
  for (let n = 1; n <= mutatingCallsOfFreshSetup; n++) {
    it(`a fault at mutating call ${n} leaves both accounts as they were`, async () => {
      world = twoAccounts();
      const before = world.cloud.snapshot();
      world.cloud.failAtMutatingCall(n);
      const code = await world.setup('--name', 'orders');
      expect(code).toBe(ExitCode.Failed);
      expect(world.harness.reporter.text).toMatch(/failed in the (producer|consumer) account \d{12} during apply: \w+: Injected/);
      expect(world.harness.reporter.text).toContain('What this run created was rolled back.');
      expect(world.cloud.snapshot()).toEqual(before);
      expect(await world.store.load('orders')).toBeUndefined();
    });
  }

  it('with an adopted stream and function, a fault at each mutating call leaves them as they were', async () => {
    for (let n = 1; ; n++) {
      world = twoAccounts();
      world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', records: 3, policy: othersPolicy });
      world.cloud.seedFunction(CONSUMER, REGION, { name: 'clicks-reader' });
      const before = world.cloud.snapshot();
      world.cloud.failAtMutatingCall(n);
      const code = await world.setup('--name', 'clicks', '--stream-name', 'clicks', '--use-existing-stream', '--function-name', 'clicks-reader', '--use-existing-function');
      if (code === ExitCode.Success) {
        // Past the last mutating call: every position has been tried.
        expect(n).toBeGreaterThan(5);
        break;
      }
      expect(code, world.harness.reporter.text).toBe(ExitCode.Failed);
      // A key that encrypted the stream stays until the records it encrypted have expired (24 hours); then teardown deletes it.
      if ((await world.store.load('clicks'))?.steps['kms-key']?.outputs.keptUntil) {
        await world.clock.sleep(25 * 3_600_000);
        expect(await world.harness.run('teardown', '--name', 'clicks', '--yes')).toBe(ExitCode.Success);
      }
      expect(world.cloud.snapshot()).toEqual(before);
      world.cloud.restore();
    }
  });
});

const othersPolicy = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'AnalyticsTeam', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${PRODUCER}:root` }, Action: ['kinesis:DescribeStreamSummary'], Resource: `arn:aws:kinesis:${REGION}:${PRODUCER}:stream/clicks` },
  ],
};

describe('resume and resilience', () => {
  it('keeps what was created with --no-rollback, and a re-run resumes', async () => {
    world = twoAccounts();
    world.cloud.failOn({ command: 'CreateEventSourceMapping' }, { code: 'AccessDeniedException', message: 'boom' });
    expect(await world.setup('--name', 'orders', '--no-rollback')).toBe(ExitCode.Failed);
    expect(world.harness.reporter.text).toContain('(--no-rollback)');
    expect(world.harness.reporter.text).toContain('Still there:');
    const created = world.cloud.mutatingCalls().length;
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(new Set(world.cloud.mutatingCalls().slice(created).map((c) => c.command))).toEqual(new Set(['CreateEventSourceMapping']));
  });

  it('rolling back a key it created says the key is scheduled for deletion in 7 days, not removed', async () => {
    world = twoAccounts();
    world.cloud.failOn({ command: 'CreateEventSourceMapping' }, { code: 'AccessDeniedException', message: 'boom' });
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Failed);
    const memory = eventMemory();
    const lines = world.harness.reporter.events.map((event) => describeEvent(event, memory));
    const keyLine = lines.find((line) => line?.startsWith('↺ KMS key') && !line.endsWith('undoing'));
    expect(keyLine).toMatch(/^↺ KMS key .* \[producer\]: scheduled for deletion in 7 days \d/);
    expect(world.cloud.calls.find((c) => c.command === 'ScheduleKeyDeletion')?.input).toMatchObject({ PendingWindowInDays: 7 });
  });

  it('gives a key left without its alias by a failed run the alias, instead of creating another', async () => {
    world = twoAccounts();
    world.cloud.failOn({ command: 'CreateAlias' }, { code: 'AccessDeniedException', message: 'boom' });
    expect(await world.setup('--name', 'orders', '--no-rollback')).toBe(ExitCode.Failed);
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(world.cloud.calls.filter((c) => c.command === 'CreateKey' && !c.error)).toHaveLength(1);
    const keyId = (await world.store.load('orders'))!.steps['kms-key']!.outputs.keyId;
    expect(world.cloud.calls.find((c) => c.command === 'CreateAlias' && !c.error)!.input).toMatchObject({ TargetKeyId: keyId });
  });

  it('survives throttling on every kind of create', async () => {
    world = twoAccounts();
    for (const command of ['CreateStream', 'RegisterStreamConsumer', 'CreateFunction', 'CreateRole', 'CreateKey', 'CreateEventSourceMapping', 'PutResourcePolicy']) {
      world.cloud.throttle(command, 3);
    }
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(world.cloud.calls.filter((c) => c.error && /Throttl|LimitExceeded|TooManyRequests/.test(c.error)).length).toBeGreaterThanOrEqual(21);
  });

  it('waits out slow IAM and policy propagation', async () => {
    world = twoAccounts({ latency: { iamPropagation: 40_000, policyPropagation: 30_000, grantPropagation: 30_000 } });
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(world.cloud.calls.some((c) => c.command === 'CreateFunction' && c.error)).toBe(true);
  });

  it('waits out a new role taking as long as AWS is reported to take (over 5.5 minutes) to reach Lambda and KMS, saying what it waits for', async () => {
    world = twoAccounts({ latency: { iamPropagation: 6 * 60_000 } });
    expect(await world.setup('--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
    const failed = (command: string) => world.cloud.calls.filter((c) => c.command === command && c.error);
    expect(new Set(failed('CreateFunction').map((c) => c.error))).toEqual(new Set(['InvalidParameterValueException']));
    expect(new Set(failed('CreateGrant').map((c) => c.error))).toEqual(new Set(['InvalidArnException']));
    // Slow propagation is polled every 10 s at most, not every second.
    expect(failed('CreateGrant').length).toBeLessThan(60);
    const waiting = world.harness.reporter.events.flatMap((e) => (e.type === 'step:waiting' ? [e.detail] : []));
    expect(waiting).toContainEqual(expect.stringMatching(/^waiting for IAM to propagate the new role to Lambda \(can take minutes\): attempt \d+, [1-5]m\d\ds so far$/));
    expect(waiting).toContainEqual(expect.stringMatching(/^waiting for IAM to make the new role known to KMS \(can take minutes\): attempt \d+, [1-5]m\d\ds so far$/));
  });

  it('gives up on a new role after 15 minutes with an error that says what it waited for, and rolls back', async () => {
    world = twoAccounts({ latency: { iamPropagation: 20 * 60_000 } });
    const before = world.cloud.snapshot();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Failed);
    const error = world.harness.reporter.lines.find((l) => l.level === 'error')!;
    expect(error.text).toContain(
      `function orders-consumer failed in the consumer account ${CONSUMER} during apply: Gave up after 15m00s waiting for IAM to propagate the new role to Lambda; the last answer was InvalidParameterValueException: The role defined for the function cannot be assumed by Lambda.`,
    );
    expect(error.hint).toContain('it can take up to 15 minutes');
    expect(world.cloud.snapshot()).toEqual(before);
  });

  it('gives up on a grantee role KMS keeps refusing after 15 minutes, naming what it waited for', async () => {
    world = twoAccounts();
    const role = `arn:aws:iam::${CONSUMER}:role/kds-xacct-orders-consumer`;
    world.cloud.failOn({ command: 'CreateGrant' }, { code: 'InvalidArnException', message: `ARN does not refer to a valid principal: ${role}` }, 1000);
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Failed);
    const error = world.harness.reporter.lines.find((l) => l.level === 'error')!;
    expect(error.text).toContain(
      `KMS grant kds-xacct-orders-${CONSUMER} failed in the producer account ${PRODUCER} during apply: Gave up after 15m00s waiting for IAM to make the new role known to KMS; the last answer was InvalidArnException: ARN does not refer to a valid principal: ${role}`,
    );
    expect(world.cloud.calls.filter((c) => c.command === 'CreateGrant').length).toBeLessThan(120);
  });
});

describe('bad input fails fast and changes nothing', () => {
  const both = ['--producer-profile', 'prod', '--consumer-profile', 'analytics'];
  const cases: Array<{ what: string; args: string[]; seed?: (w: ReturnType<typeof twoAccounts>) => void; message: RegExp }> = [
    { what: 'the AWS managed key as --kms-key', args: [...both, '--yes', '--name', 'orders', '--kms-key', 'alias/aws/kinesis'], message: /AWS managed key/ },
    {
      what: 'an adopted stream encrypted with alias/aws/kinesis',
      seed: (w) => w.cloud.seedStream(PRODUCER, REGION, { name: 'legacy', encryption: { keyId: 'alias/aws/kinesis' } }),
      args: [...both, '--yes', '--name', 'orders', '--stream-name', 'legacy', '--use-existing-stream'],
      message: /alias\/aws\/kinesis\. Sharing an encrypted stream with another account needs a customer managed key \(Kinesis Developer Guide, "Controlling access"\)/,
    },
    { what: 'profiles in different regions', args: ['--producer-profile', 'prod', '--consumer-profile', 'other-region', '--name', 'orders', '--yes'], message: /region/i },
    { what: 'an unknown profile', args: ['--producer-profile', 'nope', '--consumer-profile', 'analytics', '--name', 'orders', '--yes'], message: /nope/ },
    { what: 'no terminal and no --name', args: [...both, '--yes'], message: /Missing --name/ },
    { what: 'no terminal and no --yes', args: [...both, '--name', 'orders'], message: /--yes/ },
    { what: 'an invalid deployment name', args: [...both, '--yes', '--name', 'Orders!'], message: /--name/ },
    { what: 'an invalid stream name', args: [...both, '--yes', '--name', 'orders', '--stream-name', 'has space'], message: /--stream-name/ },
    { what: '--shards on an on-demand stream', args: [...both, '--yes', '--name', 'orders', '--shards', '4'], message: /provisioned/ },
    { what: 'a stream to adopt that does not exist', args: [...both, '--yes', '--name', 'orders', '--stream-name', 'ghost', '--use-existing-stream'], message: /ghost was not found/ },
    {
      what: 'a same-named role that is not ours',
      seed: (w) => w.cloud.seedRole(CONSUMER, { name: 'kds-xacct-orders-consumer' }),
      args: [...both, '--yes', '--name', 'orders'],
      message: /already exists but was not created by kds-xacct[\s\S]*--adopt/,
    },
  ];
  for (const { what, args, seed, message } of cases) {
    it(`refuses ${what}`, async () => {
      world = twoAccounts();
      seed?.(world);
      const before = world.cloud.snapshot();
      expect(await world.harness.run('setup', ...args)).toBe(ExitCode.Usage);
      expect(world.harness.reporter.text).toMatch(message);
      expect(world.cloud.mutatingCalls()).toEqual([]);
      expect(world.cloud.snapshot()).toEqual(before);
      expect(await world.store.list()).toEqual([]);
    });
  }
});

describe('dry run', () => {
  it('prints the plan as JSON after read-only calls only', async () => {
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks' });
    const code = await world.setup('--name', 'orders', '--stream-name', 'clicks', '--use-existing-stream', '--dry-run', '--json');
    expect(code).toBe(ExitCode.Success);
    expect(world.cloud.mutatingCalls()).toEqual([]);
    const [result] = world.harness.reporter.results as Array<{ plan: Array<{ step: string; action: string }> }>;
    expect(Object.fromEntries(result!.plan.map((p) => [p.step, p.action]))).toMatchObject({ stream: 'adopt', 'stream-encryption': 'create', 'kms-key': 'create', 'event-source-mapping': 'create' });
  });

  it('sets the titles off by two spaces after the widest action the plan uses, so that they keep the room', async () => {
    world = twoAccounts();
    const planText = () => world.harness.reporter.text.split('\n').filter((l) => /^ {2}\S/.test(l));
    expect(await world.setup('--name', 'orders', '--dry-run')).toBe(ExitCode.Success);
    expect(planText()).toContain('  create  stream orders-stream');
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    world.harness.reporter.lines.length = 0;
    expect(await world.setup('--name', 'orders', '--dry-run')).toBe(ExitCode.Success);
    expect(planText()).toContain('  already done  stream orders-stream');
  });

  it('shows the values chosen instead of the defaults beside the step that applies them, so that the confirmation confirms them', async () => {
    world = twoAccounts();
    const planText = () => world.harness.reporter.text.split('\n').filter((l) => /^ {2}\S/.test(l));
    const chosen = ['--capacity-mode', 'provisioned', '--shards', '3', '--batch-size', '50', '--log-retention-days', '7', '--max-retries', '-1', '--max-record-age', '600', '--no-failure-destination'];
    expect(await world.setup('--name', 'orders', '--dry-run', ...chosen)).toBe(ExitCode.Success);
    expect(planText()).toContain('  create  stream orders-stream (provisioned, 3 shard(s))');
    expect(planText()).toContain('  create  log group /aws/lambda/orders-consumer (logs kept 7 days)');
    expect(planText()).toContainEqual(expect.stringMatching(/^ {2}create {2}event source mapping .* \(batch size 50, max retries unlimited, max record age 600s, no failure destination\)$/));
    // Left at their defaults, the values add nothing to the plan.
    world.harness.reporter.lines.length = 0;
    expect(await world.setup('--name', 'orders', '--dry-run')).toBe(ExitCode.Success);
    expect(planText()).toContain('  create  stream orders-stream');
    expect(planText().filter((l) => l.includes('('))).toEqual([]);
  });
});

describe('the plan says before anything changes', () => {
  const others = { Sid: 'AnalyticsTeam', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${PRODUCER}:root` }, Action: ['kinesis:DescribeStreamSummary'], Resource: `arn:aws:kinesis:${REGION}:${PRODUCER}:stream/clicks` };
  const adoptClicks = ['--name', 'clicks', '--stream-name', 'clicks', '--use-existing-stream'];
  type PlanJson = { plan: Array<{ step: string; action: string; detail?: string; warnings?: string[] }> };
  const planOf = () => Object.fromEntries((world.harness.reporter.results.at(-1) as PlanJson).plan.map((p) => [p.step, p]));
  const producerWarning = /^Stream clicks is not encrypted: setup encrypts it with KMS key alias\/kds-xacct\/clicks\. From then on its producers need kms:GenerateDataKey and its other consumers kms:Decrypt on that key/;

  it('that encrypting an adopted stream takes a new permission from its producers: in the dry run, under the stream, and in the JSON plan', async () => {
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks' });
    expect(await world.setup(...adoptClicks, '--dry-run')).toBe(ExitCode.Success);
    const lines = world.harness.reporter.text.split('\n');
    const stream = lines.findIndex((l) => /adopt \(kept on teardown\)\s+stream clicks \(existing ON_DEMAND stream, not encrypted\)$/.test(l));
    expect(stream).toBeGreaterThan(-1);
    expect(lines[stream + 1]).toMatch(new RegExp(`^    ! ${producerWarning.source.slice(1)}`));
    expect(planOf()['stream']!.warnings).toEqual([expect.stringMatching(producerWarning)]);
    expect(world.cloud.mutatingCalls()).toEqual([]);
  });

  it('and repeats it before the confirmation, which can still say no', async () => {
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks' });
    const warnedBeforeQuestion: string[] = [];
    // Takes every default, whatever the wizard asks, and answers the confirmation with No.
    const prompter: Prompter = {
      input: async (o) => o.default ?? '',
      password: async () => '',
      select: async (o) => o.choices[0]!.value,
      confirm: async () => {
        warnedBeforeQuestion.push(...world.harness.reporter.lines.filter((l) => l.level === 'warn').map((l) => l.text));
        return false;
      },
    };
    const environment = { ...world.harness.environment, stdinIsTTY: true, stdoutIsTTY: true, prompter: async () => prompter };
    expect(await runCli(['setup', '--producer-profile', 'prod', '--consumer-profile', 'analytics', ...adoptClicks], environment)).toBe(ExitCode.Success);
    expect(warnedBeforeQuestion).toContainEqual(expect.stringMatching(producerWarning));
    expect(world.cloud.mutatingCalls()).toEqual([]);
  });

  it('and under --yes, before the first change', async () => {
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks' });
    const changesBeforeWarning: number[] = [];
    const warn = world.harness.reporter.warn.bind(world.harness.reporter);
    world.harness.reporter.warn = (text) => {
      if (producerWarning.test(text)) changesBeforeWarning.push(world.cloud.mutatingCalls().length);
      warn(text);
    };
    expect(await world.setup(...adoptClicks)).toBe(ExitCode.Success);
    expect(changesBeforeWarning).toEqual([0]);
    // Once encrypted, a re-run has nothing to warn about.
    expect(await world.setup('--name', 'clicks', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(Object.values(planOf()).flatMap((p) => p.warnings ?? [])).toEqual([]);
  });

  it("that the stream policy already holds others' statements, which are kept", async () => {
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', policy: { Version: '2012-10-17', Statement: [others] } });
    expect(await world.setup(...adoptClicks, '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()['stream-policy']).toMatchObject({ action: 'create', detail: 'the policy already holds another statement (AnalyticsTeam), which is kept' });
    expect(world.harness.reporter.text).toMatch(/create\s+stream policy: read access for role kds-xacct-clicks-consumer \(the policy already holds another statement \(AnalyticsTeam\), which is kept\)/);
  });

  it('that a drifted mapping is updated in place, even while the inline policy is missing too', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const esm = [...world.cloud.regionState(CONSUMER, REGION)!.esms.values()][0]!;
    esm.batchSize = 7;
    const role = world.cloud.account(CONSUMER).roles.get('kds-xacct-orders-consumer')!;
    role.inline.set({}, world.clock.now());
    expect(await world.setup('--name', 'orders', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()['role-policy']!.action).toBe('create');
    expect(planOf()['event-source-mapping']).toMatchObject({ action: 'update', detail: 'BatchSize is 7, the config says 100' });

    const before = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const calls = world.cloud.calls.slice(before).filter((c) => c.mutating && !c.error).map((c) => c.command);
    expect(calls).toEqual(['PutRolePolicy', 'UpdateEventSourceMapping']);
    expect(esm.batchSize).toBe(100);
  });
});

describe('adoption', () => {
  it('adopts a same-named role when told to, and records it as adopted', async () => {
    world = twoAccounts();
    world.cloud.seedRole(CONSUMER, { name: 'kds-xacct-orders-consumer' });
    expect(await world.setup('--name', 'orders', '--adopt')).toBe(ExitCode.Success);
    expect((await world.store.load('orders'))!.steps.role!.origin).toBe('adopted');
  });

  for (const [how, ref] of [['key id', (id: string) => id], ['alias', () => 'alias/clickstream'], ['key ARN', (id: string) => `arn:aws:kms:${REGION}:${PRODUCER}:key/${id}`]] as const) {
    it(`uses the own key of an adopted stream encrypted by ${how}`, async () => {
      world = twoAccounts();
      const keyId = world.cloud.seedKey(PRODUCER, REGION, { alias: 'alias/clickstream' });
      world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', encryption: { keyId: ref(keyId) } });
      expect(await world.setup('--name', 'clicks', '--stream-name', 'clicks', '--use-existing-stream'), world.harness.reporter.text).toBe(ExitCode.Success);
      const state = (await world.store.load('clicks'))!;
      // Named by its alias wherever it is shown, whichever way the stream names it.
      expect(state.steps['kms-key']).toMatchObject({ origin: 'adopted', outputs: { keyId, keyAlias: 'alias/clickstream' } });
      expect(world.cloud.mutatingCalls().map((c) => c.command)).not.toContain('StartStreamEncryption');
    });
  }

  it('starts an adopted stream AT_TIMESTAMP at the start of setup and a new one at TRIM_HORIZON', async () => {
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', records: 5 });
    const started = world.clock.now();
    expect(await world.setup('--name', 'clicks', '--stream-name', 'clicks', '--use-existing-stream')).toBe(ExitCode.Success);
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const [adopted, created] = mappingCreations(world);
    const recorded = (await world.store.load('clicks'))!.createdAt;
    expect(adopted).toEqual({ StartingPosition: 'AT_TIMESTAMP', StartingPositionTimestamp: new Date(recorded) });
    expect(Date.parse(recorded) - started).toBeLessThan(1000);
    expect(created).toEqual({ StartingPosition: 'TRIM_HORIZON' });
  });
});

/** Where each CreateEventSourceMapping that succeeded asked to start. */
function mappingCreations(w: ReturnType<typeof twoAccounts>) {
  return w.cloud.calls
    .filter((c) => c.command === 'CreateEventSourceMapping' && !c.error)
    .map((c) => {
      const { StartingPosition, StartingPositionTimestamp } = c.input as { StartingPosition: string; StartingPositionTimestamp?: Date };
      return { StartingPosition, ...(StartingPositionTimestamp && { StartingPositionTimestamp: new Date(StartingPositionTimestamp) }) };
    });
}

describe('where the mapping of an adopted stream starts reading', () => {
  const adoptClicks = (...args: string[]) => world.setup('--name', 'clicks', '--stream-name', 'clicks', '--use-existing-stream', ...args);
  const logged = async () => (await world.cloud.logEvents(CONSUMER, REGION, '/aws/lambda/clicks-consumer')).map((e) => e.message);

  it('LATEST loses the record --verify sends before the mapping polls; the default AT_TIMESTAMP delivers it, and none of the history', async () => {
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', records: 3 });
    expect(await adoptClicks('--starting-position', 'LATEST', '--verify', '--verify-timeout', '3m')).toBe(ExitCode.Failed);
    expect(world.harness.reporter.text).toContain('one that starts at LATEST skips every record put before it polls, even those put after it was enabled');

    world.cloud.restore();
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', records: 3 });
    expect(await adoptClicks('--verify', '--verify-timeout', '3m'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toContain('Verified: all 1 record(s) reached the consumer function.');
    expect((await logged()).some((m) => m.includes('seed'))).toBe(false);
  });

  it('a verify that ends before the mapping polls says an AT_TIMESTAMP mapping delivers the record once it does', async () => {
    world = twoAccounts({ latency: { esmPollingStart: 120_000 } });
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', records: 3 });
    expect(await adoptClicks('--verify', '--verify-timeout', '30s')).toBe(ExitCode.Failed);
    expect(world.harness.reporter.text).toContain('A new mapping can take minutes to start polling after it is Enabled; it starts at AT_TIMESTAMP, so it delivers the records put meanwhile once it polls. Try again with a longer --verify-timeout.');
  });

  it('a resumed run creates the mapping at the first run\'s start, so the records put in between reach the function', async () => {
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', records: 3 });
    world.cloud.failOn({ command: 'CreateEventSourceMapping' }, { code: 'AccessDeniedException', message: 'boom' });
    expect(await adoptClicks('--no-rollback')).toBe(ExitCode.Failed);
    const started = (await world.store.load('clicks'))!.createdAt;
    world.clock.advance(10 * 60_000);
    const kinesis = new KinesisClient({ region: REGION, credentials: world.cloud.credentialsFor(PRODUCER) });
    await kinesis.send(new PutRecordCommand({ StreamName: 'clicks', PartitionKey: 'k', Data: new TextEncoder().encode('{"between":true}') }));

    expect(await world.setup('--name', 'clicks'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(mappingCreations(world)).toEqual([{ StartingPosition: 'AT_TIMESTAMP', StartingPositionTimestamp: new Date(started) }]);
    await world.clock.sleep(world.cloud.latency.esmPollingStart + world.cloud.latency.grantPropagation);
    const lines = await logged();
    expect(lines.some((m) => m.includes('between'))).toBe(true);
    expect(lines.some((m) => m.includes('seed'))).toBe(false);
  });

  it('replaces a mapping deleted by hand with one that starts at the re-run, rather than feed the function everything since the first run again', async () => {
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', records: 3 });
    expect(await adoptClicks()).toBe(ExitCode.Success);
    const { uuid } = (await world.store.load('clicks'))!.steps['event-source-mapping']!.outputs;
    const lambda = new LambdaClient({ region: REGION, credentials: world.cloud.credentialsFor(CONSUMER) });
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }));
    await world.clock.sleep(3_600_000);
    const rerun = world.clock.now();

    expect(await world.setup('--name', 'clicks'), world.harness.reporter.text).toBe(ExitCode.Success);
    const [, replacement] = mappingCreations(world);
    expect(replacement!.StartingPosition).toBe('AT_TIMESTAMP');
    expect(replacement!.StartingPositionTimestamp!.getTime() - rerun).toBeGreaterThanOrEqual(0);
    expect(replacement!.StartingPositionTimestamp!.getTime() - rerun).toBeLessThan(60_000);
  });

  it('takes the time from --starting-position-timestamp or --config, and refuses a bad one before any change', async () => {
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', records: 3 });
    const refused = async (args: string[], message: string) => {
      expect(await adoptClicks(...args)).toBe(ExitCode.Usage);
      expect(world.harness.reporter.text).toContain(message);
    };
    await refused(['--starting-position-timestamp', 'yesterday'], '--starting-position-timestamp: "yesterday" is not a date and time. Use an ISO 8601 date and time with its time zone, e.g. 2025-06-01T09:30:00Z');
    const future = new Date(world.clock.now() + 3_600_000).toISOString();
    await refused(['--starting-position-timestamp', future], `--starting-position-timestamp: ${future} is in the future; a mapping can only start at a time that has passed.`);
    const past = new Date(world.clock.now() - 3_600_000).toISOString();
    await refused(['--starting-position', 'LATEST', '--starting-position-timestamp', past], '--starting-position-timestamp applies to --starting-position AT_TIMESTAMP, not LATEST.');
    expect(world.cloud.mutatingCalls()).toEqual([]);

    const dir = await mkdtemp(join(tmpdir(), 'kds-start-'));
    try {
      const config = join(dir, 'clicks.json');
      await writeFile(config, JSON.stringify({ startingPositionTimestamp: past }));
      expect(await adoptClicks('--config', config), world.harness.reporter.text).toBe(ExitCode.Success);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(mappingCreations(world)).toEqual([{ StartingPosition: 'AT_TIMESTAMP', StartingPositionTimestamp: new Date(past) }]);
    expect((await world.store.load('clicks'))!.inputs).toMatchObject({ startingPosition: 'AT_TIMESTAMP', startingPositionTimestamp: past });
    // A position given on a re-run replaces the recorded one, timestamp and all.
    expect(await world.setup('--name', 'clicks', '--starting-position', 'TRIM_HORIZON'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect((await world.store.load('clicks'))!.inputs).toMatchObject({ startingPosition: 'TRIM_HORIZON' });
    expect((await world.store.load('clicks'))!.inputs).not.toHaveProperty('startingPositionTimestamp');
  });
});

describe('several deployments on one stream', () => {
  it('keeps each consumer account its own statements, consumer, grant and mapping', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const code = await world.harness.run(
      'setup', '--producer-profile', 'prod', '--consumer-profile', 'marketing', '--yes',
      '--name', 'orders-mkt', '--stream-name', 'orders-stream', '--use-existing-stream',
    );
    expect(code, world.harness.reporter.text).toBe(ExitCode.Success);
    const first = (await world.store.load('orders'))!;
    const second = (await world.store.load('orders-mkt'))!;
    expect(second.steps['kms-key']).toMatchObject({ origin: 'adopted', outputs: { keyArn: first.steps['kms-key']!.outputs.keyArn } });
    expect(second.steps.stream!.origin).toBe('adopted');
    expect(second.steps['efo-consumer']!.outputs.consumerArn).not.toBe(first.steps['efo-consumer']!.outputs.consumerArn);
    const stream = (world.cloud.snapshot() as any)[PRODUCER].regions[REGION].streams.find((s: { name: string }) => s.name === 'orders-stream');
    expect(stream.policy.Statement.map((s: { Principal: { AWS: string } }) => s.Principal.AWS)).toEqual([
      `arn:aws:iam::${CONSUMER}:role/kds-xacct-orders-consumer`,
      `arn:aws:iam::${CONSUMER_2}:role/kds-xacct-orders-mkt-consumer`,
    ]);
    // A re-run of the first deployment neither drops nor rewrites the second one's statement.
    const before = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(world.cloud.calls.slice(before).filter((c) => c.mutating)).toEqual([]);
  });
});

describe('Ctrl-C during setup', () => {
  it('finishes the steps in flight, rolls back, and exits 130', async () => {
    world = twoAccounts();
    const before = world.cloud.snapshot();
    const reporter = world.harness.reporter;
    const event = reporter.event.bind(reporter);
    reporter.event = (e) => {
      event(e);
      if (e.type === 'step:started' && e.stepId === 'efo-consumer') world.harness.interrupt.trigger();
    };
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Interrupted);
    const done = reporter.events.filter((e) => e.type === 'step:done').map((e) => e.stepId);
    expect(done).toContain('efo-consumer');
    expect(done).not.toContain('event-source-mapping');
    expect(reporter.events.some((e) => e.type === 'run:rollback')).toBe(true);
    expect(world.cloud.snapshot()).toEqual(before);
    expect(await world.store.list()).toEqual([]);
  });

  it('keeps what exists under --no-rollback, and a re-run completes it', async () => {
    world = twoAccounts();
    const reporter = world.harness.reporter;
    const event = reporter.event.bind(reporter);
    reporter.event = (e) => {
      event(e);
      if (e.type === 'step:done' && e.stepId === 'stream') world.harness.interrupt.trigger();
    };
    expect(await world.setup('--name', 'orders', '--no-rollback')).toBe(ExitCode.Interrupted);
    const kept = Object.keys((await world.store.load('orders'))!.steps);
    expect(kept).toContain('stream');
    reporter.event = event;
    world.harness.environment.interrupt = new Interrupt();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
  });
});

describe('re-running a deployment', () => {
  it('refuses a profile of another account, as every command does, before changing anything', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const before = world.cloud.calls.length;
    expect(await world.harness.run('setup', '--name', 'orders', '--consumer-profile', 'marketing', '--yes')).toBe(ExitCode.Usage);
    expect(world.harness.reporter.text).toContain(`The consumer profile "marketing" reaches account ${CONSUMER_2}, but deployment "orders" has its consumer resources in account ${CONSUMER}.`);
    expect(world.cloud.calls.slice(before).filter((c) => c.mutating)).toEqual([]);
  });

  it('refuses another region: a state file belongs to the accounts and the region it was set up in', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const before = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders', '--region', 'us-east-2')).toBe(ExitCode.Usage);
    expect(world.harness.reporter.text).toContain(`Deployment "orders" has its producer resources in ${REGION}, but profile prod reaches us-east-2.`);
    expect(world.cloud.calls.slice(before).filter((c) => c.mutating)).toEqual([]);
  });

  it('starts from the answers the state file recorded', async () => {
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks' });
    expect(await world.setup('--name', 'clicks', '--stream-name', 'clicks', '--use-existing-stream', '--batch-size', '7')).toBe(ExitCode.Success);
    const before = world.cloud.calls.length;
    // No profiles, no stream: everything comes from the state file.
    expect(await world.harness.run('setup', '--name', 'clicks', '--yes')).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toContain('(no changes were needed)');
    expect(world.cloud.calls.slice(before).filter((c) => c.mutating)).toEqual([]);
    expect((await world.store.load('clicks'))!.inputs).toMatchObject({ streamName: 'clicks', useExistingStream: true, batchSize: 7, producerProfile: 'prod' });
  });
});

describe('fast failures', () => {
  it('rejects a bad flag value before resolving any profile', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders', '--max-record-age', '5')).toBe(ExitCode.Usage);
    expect(world.cloud.calls).toEqual([]);
  });

  it('rejects a --name that is not a deployment name in every command, before any file is touched', async () => {
    world = twoAccounts();
    for (const command of ['setup', 'teardown', 'status', 'send-test-record', 'tail-logs']) {
      expect(await world.harness.run(command, '--name', '../x', '--yes')).toBe(ExitCode.Usage);
    }
    expect(world.harness.reporter.text).toContain('--name');
    expect(world.cloud.calls).toEqual([]);
  });

  it('does not retry an access denial as if IAM were still propagating', async () => {
    world = twoAccounts();
    world.cloud.failOn({ command: 'PutResourcePolicy' }, { code: 'AccessDeniedException', message: 'User is not authorized to perform: kinesis:PutResourcePolicy' }, 1000);
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Failed);
    expect(world.cloud.calls.filter((c) => c.command === 'PutResourcePolicy').length).toBe(1);
  });
});

describe('re-running an adopted deployment', () => {
  it('keeps what the first run adopted without asking again', async () => {
    world = twoAccounts();
    world.cloud.seedRole(CONSUMER, { name: 'kds-xacct-orders-consumer' });
    expect(await world.setup('--name', 'orders', '--adopt')).toBe(ExitCode.Success);
    const before = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(world.cloud.calls.slice(before).filter((c) => c.mutating)).toEqual([]);
    expect((await world.store.load('orders'))!.steps.role!.origin).toBe('adopted');
  });
});

describe('a key shared by many', () => {
  it('finds our grant among more than one page of grants, so a re-run changes nothing', async () => {
    world = twoAccounts();
    const keyId = world.cloud.seedKey(PRODUCER, REGION, { alias: 'alias/shared' });
    const kms = new KMSClient({ region: REGION, credentials: world.cloud.credentialsFor(PRODUCER) });
    for (let i = 0; i < 60; i++) {
      await kms.send(new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: `arn:aws:iam::${PRODUCER}:root`, Operations: ['Decrypt'], Name: `other-${i}` }));
    }
    expect(await world.setup('--name', 'orders', '--kms-key', 'alias/shared')).toBe(ExitCode.Success);
    const before = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(world.cloud.calls.slice(before).filter((c) => c.mutating)).toEqual([]);
    // status reads every grant of the key, ours being on the second page.
    expect(await world.harness.run('status', '--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
  });
});

describe('changes on a re-run', () => {
  const updates = (w: ReturnType<typeof twoAccounts>, from: number) => w.cloud.calls.slice(from).filter((c) => c.mutating && !c.error).map((c) => c.command);

  it('updates the mapping in place when its settings change, and re-enables it', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const uuid = (await world.store.load('orders'))!.steps['event-source-mapping']!.outputs.uuid!;
    const lambda = new LambdaClient({ region: REGION, credentials: world.cloud.credentialsFor(CONSUMER) });
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
    world.clock.advance(60_000);
    const before = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders', '--batch-size', '500')).toBe(ExitCode.Success);
    expect(updates(world, before)).toEqual(['UpdateEventSourceMapping']);
    expect(world.cloud.calls.at(-1)!.command).toBe('GetEventSourceMapping');
    const esm = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    expect(esm).toMatchObject({ BatchSize: 500, State: 'Enabled' });
    expect(world.harness.reporter.text).toMatch(/update\s+event source mapping/);
    expect((await world.store.load('orders'))!.steps['event-source-mapping']).toMatchObject({ origin: 'created', outputs: { uuid } });
  });

  it('updates the runtime and the code of the bundled function it deployed', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    world.cloud.regionState(CONSUMER, REGION)!.functions.get('orders-consumer')!.codeSha256 = 'b2xkZXI=';
    const before = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders', '--runtime', 'nodejs24.x')).toBe(ExitCode.Success);
    expect(updates(world, before)).toEqual(['UpdateFunctionCode', 'UpdateFunctionConfiguration']);
    expect(world.cloud.regionState(CONSUMER, REGION)!.functions.get('orders-consumer')!.runtime).toBe('nodejs24.x');
  });

  it('a rollback leaves what the run only changed in place', async () => {
    world = twoAccounts();
    world.cloud.failOn({ command: 'CreateEventSourceMapping' }, { code: 'AccessDeniedException', message: 'boom' });
    expect(await world.setup('--name', 'orders', '--no-rollback')).toBe(ExitCode.Failed);
    const iam = new IAMClient({ region: REGION, credentials: world.cloud.credentialsFor(CONSUMER) });
    await iam.send(new PutRolePolicyCommand({ RoleName: 'kds-xacct-orders-consumer', PolicyName: 'kds-xacct-orders', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: '*' }] }) }));
    world.cloud.failOn({ command: 'CreateEventSourceMapping' }, { code: 'AccessDeniedException', message: 'boom again' });
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Failed);
    const state = (await world.store.load('orders'))!;
    expect(state.steps['role-policy']).toMatchObject({ origin: 'created' });
    const policy = await iam.send(new GetRolePolicyCommand({ RoleName: 'kds-xacct-orders-consumer', PolicyName: 'kds-xacct-orders' }));
    expect(decodeURIComponent(policy.PolicyDocument!)).toContain('kinesis:SubscribeToShard');
  });

  it('two deployments writing one stream policy at the same moment both keep their statements', async () => {
    world = twoAccounts();
    const keyId = world.cloud.seedKey(PRODUCER, REGION, { alias: 'alias/shared' });
    world.cloud.seedStream(PRODUCER, REGION, { name: 'shared', encryption: { keyId: `arn:aws:kms:${REGION}:${PRODUCER}:key/${keyId}` } });
    const adopt = ['--stream-name', 'shared', '--use-existing-stream', '--yes'];
    const codes = await Promise.all([
      world.harness.run('setup', '--producer-profile', 'prod', '--consumer-profile', 'analytics', '--name', 'orders', ...adopt),
      world.harness.run('setup', '--producer-profile', 'prod', '--consumer-profile', 'marketing', '--name', 'orders-mkt', ...adopt),
    ]);
    expect(codes, world.harness.reporter.text).toEqual([ExitCode.Success, ExitCode.Success]);
    const policy = JSON.parse(world.cloud.regionState(PRODUCER, REGION)!.streams.get('shared')!.policy.current!);
    expect(policy.Statement.map((s: { Principal: { AWS: string } }) => s.Principal.AWS).sort()).toEqual([
      `arn:aws:iam::${CONSUMER}:role/kds-xacct-orders-consumer`,
      `arn:aws:iam::${CONSUMER_2}:role/kds-xacct-orders-mkt-consumer`,
    ]);
  });
});

describe('function tags', () => {
  it('recognises its own function by the tags ListTags returns when the state file is lost', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    await world.store.remove('orders');
    const before = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(world.cloud.calls.slice(before).filter((c) => c.mutating)).toEqual([]);
    expect((await world.store.load('orders'))!.steps.function!.origin).toBe('created');
  });

  it('says which permission is missing when ListTags is denied', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    await world.store.remove('orders');
    const fn = `arn:aws:lambda:${REGION}:${CONSUMER}:function:orders-consumer`;
    world.cloud.failOn(
      { command: 'ListTags', accountId: CONSUMER },
      { code: 'AccessDeniedException', message: `User: arn:aws:iam::${CONSUMER}:user/fake is not authorized to perform: lambda:ListTags on resource: ${fn} because no identity-based policy allows the lambda:ListTags action` },
      10,
    );
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Failed);
    expect(world.harness.reporter.text).toContain(`Profile analytics may not read the tags of function ${fn} (lambda:ListTags): User: arn:aws:iam::${CONSUMER}:user/fake is not authorized`);
    expect(world.harness.reporter.text).toContain(`Allow lambda:ListTags on ${fn} for profile analytics, or use a profile that has it.`);
  });
});

describe('quotas', () => {
  it('does not retry a hard quota as if it were throttling: 20 consumers on a stream', async () => {
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'busy', consumers: Array.from({ length: 20 }, (_, i) => `app-${i}`) });
    expect(await world.setup('--name', 'orders', '--stream-name', 'busy', '--use-existing-stream')).toBe(ExitCode.Failed);
    expect(world.cloud.calls.filter((c) => c.command === 'RegisterStreamConsumer')).toHaveLength(1);
    expect(world.harness.reporter.text).toMatch(/LimitExceededException: Consumer limit of 20/);
  });
});

describe('resource policies and a stream that is changing state', () => {
  const streamPolicyWrites = (w: ReturnType<typeof twoAccounts>, stream: string) =>
    w.cloud.calls.filter((c) => c.command === 'PutResourcePolicy' && (c.input as { ResourceARN: string }).ResourceARN === `arn:aws:kinesis:${REGION}:${PRODUCER}:stream/${stream}`);

  it('writes the stream policy of a new stream once StartStreamEncryption has finished, not while the stream is UPDATING', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(streamPolicyWrites(world, 'orders-stream').map((c) => c.error ?? 'ok')).toEqual(['ok']);
  });

  it('registers the EFO consumer before StartStreamEncryption, which starts while the consumer is still CREATING: the two waits overlap', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
    const sent = (command: string) => world.cloud.calls.filter((c) => c.command === command);
    expect([...sent('RegisterStreamConsumer'), ...sent('StartStreamEncryption')].map((c) => c.error ?? 'ok')).toEqual(['ok', 'ok']);
    const [register, encrypt] = [sent('RegisterStreamConsumer')[0]!.at, sent('StartStreamEncryption')[0]!.at];
    expect(register).toBeLessThan(encrypt);
    expect(encrypt).toBeLessThan(register + world.cloud.latency.consumerCreate);
  });

  it("waits while someone else's reshard keeps an adopted stream UPDATING, and writes again after a write that raced a state change", async () => {
    world = twoAccounts();
    const keyId = world.cloud.seedKey(PRODUCER, REGION, { alias: 'alias/clicks' });
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', encryption: { keyId: `arn:aws:kms:${REGION}:${PRODUCER}:key/${keyId}` } });
    const reshardedUntil = world.clock.now() + 120_000;
    world.cloud.regionState(PRODUCER, REGION)!.streams.get('clicks')!.phase = { state: 'UPDATING', until: reshardedUntil, then: 'ACTIVE' };
    const toConsumer = (input: { ResourceARN: string }) => input.ResourceARN.includes('/consumer/');
    world.cloud.failOn({ command: 'PutResourcePolicy', when: (input) => !toConsumer(input) }, { code: 'ResourceInUseException', message: `Stream clicks under account ${PRODUCER} not ACTIVE, instead in state UPDATING` });
    world.cloud.failOn({ command: 'PutResourcePolicy', when: toConsumer }, { code: 'ResourceInUseException', message: 'Consumer is not in ACTIVE status.' });
    expect(await world.setup('--name', 'clicks', '--stream-name', 'clicks', '--use-existing-stream'), world.harness.reporter.text).toBe(ExitCode.Success);
    const writes = streamPolicyWrites(world, 'clicks');
    expect(writes.map((c) => c.error ?? 'ok')).toEqual(['ResourceInUseException', 'ok']);
    expect(writes[0]!.at).toBeGreaterThanOrEqual(reshardedUntil);
    const consumerWrites = world.cloud.calls.filter((c) => c.command === 'PutResourcePolicy' && toConsumer(c.input as { ResourceARN: string }));
    expect(consumerWrites.map((c) => c.error ?? 'ok')).toEqual(['ResourceInUseException', 'ok']);
  });
});

describe('an event source mapping that is changing state', () => {
  const lambdaOf = (w: ReturnType<typeof twoAccounts>) => new LambdaClient({ region: REGION, credentials: w.cloud.credentialsFor(CONSUMER) });

  it('rolls back a mapping whose wait failed while it was still Creating, and leaves nothing behind', async () => {
    world = twoAccounts();
    const before = world.cloud.snapshot();
    world.cloud.failOn({ command: 'GetEventSourceMapping' }, { code: 'AccessDeniedException', message: 'boom' });
    expect(await world.setup('--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Failed);
    expect(world.harness.reporter.text).toContain('What this run created was rolled back.');
    expect(world.cloud.snapshot()).toEqual(before);
    expect(await world.store.load('orders')).toBeUndefined();
  });

  it('a re-run after a setup stopped during the mapping wait changes the mapping once it has settled', async () => {
    world = twoAccounts();
    world.cloud.failOn({ command: 'GetEventSourceMapping' }, { code: 'AccessDeniedException', message: 'boom' });
    expect(await world.setup('--name', 'orders', '--no-rollback')).toBe(ExitCode.Failed);
    const uuid = (await world.store.load('orders'))!.steps['event-source-mapping']!.outputs.uuid!;
    expect((await lambdaOf(world).send(new GetEventSourceMappingCommand({ UUID: uuid }))).State).toBe('Creating');
    expect(await world.setup('--name', 'orders', '--batch-size', '50'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(await lambdaOf(world).send(new GetEventSourceMappingCommand({ UUID: uuid }))).toMatchObject({ BatchSize: 50, State: 'Enabled' });
  });

  it('a re-run while the mapping of an interrupted teardown is still Deleting waits for it to go and creates it again', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const old = (await world.store.load('orders'))!.steps['event-source-mapping']!.outputs.uuid!;
    await lambdaOf(world).send(new DeleteEventSourceMappingCommand({ UUID: old }));
    expect(await world.setup('--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
    const uuid = (await world.store.load('orders'))!.steps['event-source-mapping']!.outputs.uuid!;
    expect(uuid).not.toBe(old);
    expect((await lambdaOf(world).send(new GetEventSourceMappingCommand({ UUID: uuid }))).State).toBe('Enabled');
  });
});

describe('a mapping made by hand on our function and consumer', () => {
  it('is refused unless adopted, and an adopted one is kept by teardown', async () => {
    world = twoAccounts();
    world.cloud.failOn({ command: 'CreateEventSourceMapping' }, { code: 'AccessDeniedException', message: 'boom' });
    expect(await world.setup('--name', 'orders', '--no-rollback')).toBe(ExitCode.Failed);
    const consumerArn = (await world.store.load('orders'))!.steps['efo-consumer']!.outputs.consumerArn!;
    const lambda = new LambdaClient({ region: REGION, credentials: world.cloud.credentialsFor(CONSUMER) });
    world.clock.advance(60_000);
    const handMade = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'orders-consumer', EventSourceArn: consumerArn, StartingPosition: 'LATEST' }));
    world.clock.advance(world.cloud.latency.esmCreate);

    const before = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Usage);
    expect(world.harness.reporter.text).toMatch(/[Ee]vent source mapping [\s\S]*already exists but was not created by kds-xacct[\s\S]*--adopt/);
    expect(world.cloud.calls.slice(before).filter((c) => c.mutating)).toEqual([]);

    expect(await world.setup('--name', 'orders', '--adopt'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect((await world.store.load('orders'))!.steps['event-source-mapping']).toMatchObject({ origin: 'adopted', outputs: { uuid: handMade.UUID } });
    expect(await world.harness.run('teardown', '--name', 'orders', '--yes'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toMatch(/keep event source mapping/);
    expect(world.cloud.calls.filter((c) => c.command === 'DeleteEventSourceMapping')).toEqual([]);
    expect((await lambda.send(new GetEventSourceMappingCommand({ UUID: handMade.UUID }))).UUID).toBe(handMade.UUID);
  });
});

describe('mappings that are not ours', () => {
  const lambdaOf = (w: ReturnType<typeof twoAccounts>) => new LambdaClient({ region: REGION, credentials: w.cloud.credentialsFor(CONSUMER) });
  /** A setup stopped before its mapping: everything else is ours and recorded. */
  const setUpWithoutMapping = async () => {
    world = twoAccounts();
    world.cloud.failOn({ command: 'CreateEventSourceMapping' }, { code: 'AccessDeniedException', message: 'boom' });
    expect(await world.setup('--name', 'orders', '--no-rollback')).toBe(ExitCode.Failed);
    world.clock.advance(60_000);
    return (await world.store.load('orders'))!;
  };

  it('a mapping with another UUID than the recorded one is not ours: refused unless adopted, and then kept as it is', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const state = (await world.store.load('orders'))!;
    const ours = state.steps['event-source-mapping']!.outputs.uuid!;
    await lambdaOf(world).send(new DeleteEventSourceMappingCommand({ UUID: ours }));
    world.clock.advance(world.cloud.latency.esmDelete);
    const consumerArn = state.steps['efo-consumer']!.outputs.consumerArn!;
    const theirs = await lambdaOf(world).send(new CreateEventSourceMappingCommand({ FunctionName: 'orders-consumer', EventSourceArn: consumerArn, StartingPosition: 'LATEST', BatchSize: 7 }));
    world.clock.advance(world.cloud.latency.esmCreate);

    const before = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Usage);
    expect(world.harness.reporter.text).toContain(`Event source mapping ${theirs.UUID} (orders-consumer ← orders-${CONSUMER}-efo) already exists but was not created by kds-xacct for deployment "orders".`);
    expect(world.cloud.calls.slice(before).filter((c) => c.mutating)).toEqual([]);

    expect(await world.setup('--name', 'orders', '--adopt'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect((await world.store.load('orders'))!.steps['event-source-mapping']).toMatchObject({ origin: 'adopted', outputs: { uuid: theirs.UUID } });
    expect((await lambdaOf(world).send(new GetEventSourceMappingCommand({ UUID: theirs.UUID }))).BatchSize).toBe(7);
  });

  it('the UUID a ResourceConflictException names is not taken as ours without our tags or the state file', async () => {
    const state = await setUpWithoutMapping();
    // Someone's mapping of our function on the stream itself, which the check on the consumer does not see.
    const theirs = await lambdaOf(world).send(new CreateEventSourceMappingCommand({ FunctionName: 'orders-consumer', EventSourceArn: state.steps.stream!.outputs.streamArn!, StartingPosition: 'LATEST' }));
    world.clock.advance(world.cloud.latency.esmCreate);
    const consumerArn = state.steps['efo-consumer']!.outputs.consumerArn!;
    world.cloud.failOn(
      { command: 'CreateEventSourceMapping' },
      { code: LAMBDA_MAPPING_EXISTS.code, message: LAMBDA_MAPPING_EXISTS.text(consumerArn, 'orders-consumer', theirs.UUID!) },
    );
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Failed);
    expect(world.harness.reporter.text).toContain(`Event source mapping ${theirs.UUID} (orders-consumer ← orders-${CONSUMER}-efo) already exists but was not created by kds-xacct for deployment "orders".`);
    expect((await world.store.load('orders'))!.steps['event-source-mapping']).toBeUndefined();
    expect((await lambdaOf(world).send(new GetEventSourceMappingCommand({ UUID: theirs.UUID }))).State).toBe('Enabled');
  });

  it('an adopted mapping that is Disabled is reported with the command that enables it, not waited on', async () => {
    const state = await setUpWithoutMapping();
    const consumerArn = state.steps['efo-consumer']!.outputs.consumerArn!;
    const theirs = await lambdaOf(world).send(new CreateEventSourceMappingCommand({ FunctionName: 'orders-consumer', EventSourceArn: consumerArn, StartingPosition: 'LATEST', Enabled: false }));
    world.clock.advance(world.cloud.latency.esmCreate);
    const enable = `aws lambda update-event-source-mapping --uuid ${theirs.UUID} --enabled --profile analytics --region ${REGION}`;

    expect(await world.setup('--name', 'orders', '--adopt'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toContain(`it is Disabled (User action); it delivers nothing until it is enabled: \`${enable}\``);
    expect((await lambdaOf(world).send(new GetEventSourceMappingCommand({ UUID: theirs.UUID }))).State).toBe('Disabled');
    expect(world.cloud.calls.filter((c) => c.command === 'UpdateEventSourceMapping')).toEqual([]);

    expect(await world.harness.run('status', '--name', 'orders')).toBe(ExitCode.Failed);
    expect(world.harness.reporter.text).toContain(`event source mapping ${theirs.UUID} is Disabled (User action): the function receives nothing: enable it (setup keeps an adopted mapping as it is): ${enable}`);
  });
});

describe("the function's log group", () => {
  const GROUP = '/aws/lambda/orders-consumer';
  const group = (w: ReturnType<typeof twoAccounts>, name = GROUP) => w.cloud.regionState(CONSUMER, REGION)!.logGroups.get(name);
  const logCalls = (w: ReturnType<typeof twoAccounts>, from = 0) =>
    w.cloud.calls.slice(from).filter((c) => c.mutating && !c.error && ['CreateLogGroup', 'PutRetentionPolicy', 'DeleteLogGroup'].includes(c.command)).map((c) => c.command);

  it('is made by setup, tagged, with the stated default retention, before anything invokes the function', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(group(world)).toMatchObject({ retentionInDays: 30, tags: { 'kds-xacct:deployment': 'orders', 'managed-by': 'kds-xacct' } });
    const mutating = world.cloud.mutatingCalls().map((c) => c.command);
    expect(mutating.indexOf('PutRetentionPolicy')).toBeLessThan(mutating.indexOf('CreateEventSourceMapping'));
    expect((await world.store.load('orders'))!.steps['log-group']).toMatchObject({ origin: 'created', outputs: { logGroupName: GROUP, logGroupArn: `arn:aws:logs:${REGION}:${CONSUMER}:log-group:${GROUP}` } });
  });

  it('takes the retention from --log-retention-days or --config, and refuses a period CloudWatch Logs does not accept', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders', '--log-retention-days', '10')).toBe(ExitCode.Usage);
    expect(world.harness.reporter.text).toMatch(/CloudWatch Logs cannot keep logs for 10 days\. Use one of the periods CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30/);
    const dir = await mkdtemp(join(tmpdir(), 'kds-xacct-'));
    try {
      const config = async (answers: object) => {
        const file = join(dir, `${Object.values(answers).join('-')}.json`);
        await writeFile(file, JSON.stringify(answers));
        return file;
      };
      expect(await world.setup('--name', 'orders', '--config', await config({ logRetentionDays: 10 }))).toBe(ExitCode.Usage);
      expect(world.harness.reporter.text).toContain('--log-retention-days: CloudWatch Logs cannot keep logs for 10 days.');
      expect(world.cloud.calls).toEqual([]);
      expect(await world.setup('--name', 'orders', '--config', await config({ logRetentionDays: 90 }))).toBe(ExitCode.Success);
      expect(group(world)!.retentionInDays).toBe(90);
    } finally {
      await rm(dir, { recursive: true });
    }
    // A re-run starts from the recorded answers; a flag changes them.
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(group(world)!.retentionInDays).toBe(90);
    expect(await world.setup('--name', 'orders', '--log-retention-days', '7')).toBe(ExitCode.Success);
    expect(group(world)!.retentionInDays).toBe(7);
  });

  it('a re-run puts back the retention of the group it made', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    group(world)!.retentionInDays = 3653;
    const before = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toMatch(/update\s+log group \/aws\/lambda\/orders-consumer \(its logs are kept 3653 days, the config says 30 days\)/);
    expect(world.cloud.calls.slice(before).filter((c) => c.mutating && !c.error).map((c) => c.command)).toEqual(['PutRetentionPolicy']);
    expect(group(world)!.retentionInDays).toBe(30);
  });

  it("adopts an adopted function's existing group as it is: never expiring stays never expiring", async () => {
    world = twoAccounts();
    world.cloud.seedFunction(CONSUMER, REGION, { name: 'clicks-reader' });
    world.cloud.seedLogGroup(CONSUMER, REGION, '/aws/lambda/clicks-reader');
    expect(await world.setup('--name', 'clicks', '--function-name', 'clicks-reader', '--use-existing-function')).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toMatch(/adopt \(kept on teardown\)\s+log group of function clicks-reader \(function clicks-reader logs to \/aws\/lambda\/clicks-reader: existing log group, kept as it is: its logs never expire\)/);
    expect(logCalls(world)).toEqual([]);
    expect(group(world, '/aws/lambda/clicks-reader')).toMatchObject({ tags: {} });
    expect(group(world, '/aws/lambda/clicks-reader')!.retentionInDays).toBeUndefined();
    expect((await world.store.load('clicks'))!.steps['log-group']!.origin).toBe('adopted');
  });

  it('makes the group of an adopted function that has none yet, as its own', async () => {
    world = twoAccounts();
    world.cloud.seedFunction(CONSUMER, REGION, { name: 'clicks-reader' });
    expect(await world.setup('--name', 'clicks', '--function-name', 'clicks-reader', '--use-existing-function')).toBe(ExitCode.Success);
    expect(logCalls(world)).toEqual(['CreateLogGroup', 'PutRetentionPolicy']);
    expect(group(world, '/aws/lambda/clicks-reader')).toMatchObject({ retentionInDays: 30, tags: { 'kds-xacct:deployment': 'clicks' } });
    expect((await world.store.load('clicks'))!.steps['log-group']!.origin).toBe('created');
  });

  it('never takes over a group that someone else made between the plan and the apply', async () => {
    world = twoAccounts();
    world.cloud.seedFunction(CONSUMER, REGION, { name: 'clicks-reader' });
    let reads = 0;
    // The second look is the apply's: Lambda has made the group for the adopted function by then.
    const appears = () => {
      if (++reads === 2) world.cloud.seedLogGroup(CONSUMER, REGION, '/aws/lambda/clicks-reader');
      return false;
    };
    world.cloud.failOn({ command: 'DescribeLogGroups', when: appears }, { code: 'unused' });
    expect(await world.setup('--name', 'clicks', '--function-name', 'clicks-reader', '--use-existing-function')).toBe(ExitCode.Failed);
    expect(world.harness.reporter.text).toContain('Log group /aws/lambda/clicks-reader already exists but was not created by kds-xacct');
    expect(logCalls(world)).toEqual([]);
    expect(group(world, '/aws/lambda/clicks-reader')).toMatchObject({ tags: {} });
    expect(group(world, '/aws/lambda/clicks-reader')!.retentionInDays).toBeUndefined();
  });

  it('refuses a same-named group that is not ours for a new function, and adopts it as it is under --adopt', async () => {
    world = twoAccounts();
    world.cloud.seedLogGroup(CONSUMER, REGION, GROUP, { retentionInDays: 7 });
    const before = world.cloud.snapshot();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Usage);
    expect(world.harness.reporter.text).toMatch(/Log group \/aws\/lambda\/orders-consumer already exists but was not created by kds-xacct[\s\S]*--adopt/);
    expect(world.cloud.snapshot()).toEqual(before);
    expect(await world.setup('--name', 'orders', '--adopt')).toBe(ExitCode.Success);
    expect(group(world)).toMatchObject({ retentionInDays: 7, tags: {} });
    expect(logCalls(world)).toEqual([]);
  });

  it('adopts the group Lambda made for a function an earlier kds-xacct deployed, before setup made groups itself', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const state = (await world.store.load('orders'))!;
    delete state.steps['log-group'];
    await world.store.save(state);
    Object.assign(group(world)!, { tags: {}, retentionInDays: undefined });
    const before = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(logCalls(world, before)).toEqual([]);
    expect((await world.store.load('orders'))!.steps['log-group']!.origin).toBe('adopted');
  });
});
