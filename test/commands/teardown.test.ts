import { DeleteStreamCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { DeleteEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import type { Prompter } from '../../src/prompts.js';
import { CONSUMER, CONSUMER_2, PRODUCER, REGION, twoAccounts } from '../support/two-accounts.js';

type World = ReturnType<typeof twoAccounts>;
let world: World;
afterEach(() => world?.cloud.restore());

const profiles = ['--producer-profile', 'prod', '--consumer-profile', 'analytics'];
const teardown = (w: World, ...args: string[]) => w.harness.run('teardown', '--yes', ...args);
const commands = (w: World, from = 0) => w.cloud.calls.slice(from).filter((c) => c.mutating && !c.error).map((c) => c.command);
const streamPolicyText = (w: World, stream: string) => w.cloud.regionState(PRODUCER, REGION)!.streams.get(stream)?.policy.current;

const othersPolicy = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'AnalyticsTeam', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${PRODUCER}:root` }, Action: ['kinesis:DescribeStreamSummary'], Resource: `arn:aws:kinesis:${REGION}:${PRODUCER}:stream/clicks` },
    { Sid: 'Auditors', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${PRODUCER}:role/audit` }, Action: 'kinesis:ListShards', Resource: `arn:aws:kinesis:${REGION}:${PRODUCER}:stream/clicks` },
  ],
};

/** An adopted stream (with someone's policy, already encrypted with an adopted key) and an adopted function. */
function brownfield(w: World) {
  w.cloud.seedRole(PRODUCER, { name: 'audit' });
  const keyId = w.cloud.seedKey(PRODUCER, REGION, { alias: 'alias/clicks', description: 'clicks key' });
  // Encrypted with the key's ARN: with a bare key id, setup's encryption wait never matches (reported bug).
  w.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', records: 3, policy: othersPolicy, encryption: { keyId: `arn:aws:kms:${REGION}:${PRODUCER}:key/${keyId}` } });
  w.cloud.seedFunction(CONSUMER, REGION, { name: 'clicks-reader' });
  return { keyId, setupArgs: ['--name', 'clicks', '--stream-name', 'clicks', '--use-existing-stream', '--kms-key', keyId, '--function-name', 'clicks-reader', '--use-existing-function'] };
}

describe('teardown after a full setup', () => {
  it('leaves both accounts as they were before setup, deleting in reverse order', async () => {
    world = twoAccounts();
    const before = world.cloud.snapshot();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const start = world.cloud.calls.length;
    const code = await teardown(world, '--name', 'orders');
    expect(code, world.harness.reporter.text).toBe(ExitCode.Success);
    expect(world.cloud.snapshot()).toEqual(before);
    expect(await world.store.load('orders')).toBeUndefined();

    const done = commands(world, start);
    const at = (c: string) => done.indexOf(c);
    expect(at('DeleteEventSourceMapping')).toBe(0);
    expect(at('DeleteFunction')).toBeGreaterThan(at('DeleteEventSourceMapping'));
    expect(at('DeleteRole')).toBeGreaterThan(at('DeleteRolePolicy'));
    expect(at('DeleteRole')).toBeGreaterThan(at('RevokeGrant'));
    expect(at('DeregisterStreamConsumer')).toBeGreaterThan(at('DeleteEventSourceMapping'));
    expect(at('DeleteStream')).toBeGreaterThan(at('DeregisterStreamConsumer'));
    expect(at('ScheduleKeyDeletion')).toBeGreaterThan(at('RevokeGrant'));
    expect(at('ScheduleKeyDeletion')).toBeGreaterThan(at('DeleteStream'));
    // Deletions are waited for: the ESM, consumer and stream were gone before success was reported.
    const snapshot = world.cloud.snapshot() as Record<string, any>;
    expect(snapshot[PRODUCER].regions[REGION]).toBeUndefined();
    const schedule = world.cloud.calls.find((c) => c.command === 'ScheduleKeyDeletion')!;
    expect(schedule.input).toMatchObject({ PendingWindowInDays: 30 });
    expect(world.harness.reporter.text).toContain('30-day waiting period');
    expect(world.harness.reporter.text).toContain(`\`aws kms cancel-key-deletion --key-id ${(schedule.input as { KeyId: string }).KeyId} --profile prod --region ${REGION}\``);
    expect(world.harness.reporter.events.filter((e) => e.type === 'step:undone').length).toBeGreaterThan(10);
  });

  it('deletes the log group setup made, after the mapping and the function, unless --keep-logs', async () => {
    for (const keep of [false, true]) {
      world = twoAccounts();
      expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
      const start = world.cloud.calls.length;
      expect(await teardown(world, '--name', 'orders', ...(keep ? ['--keep-logs'] : []))).toBe(ExitCode.Success);
      const groups = [...world.cloud.regionState(CONSUMER, REGION)!.logGroups.values()];
      expect(groups.map((g) => g.name)).toEqual(keep ? ['/aws/lambda/orders-consumer'] : []);
      const done = commands(world, start);
      if (keep) {
        expect(done).not.toContain('DeleteLogGroup');
        expect(world.harness.reporter.text).toContain('--keep-logs: log group /aws/lambda/orders-consumer is kept.');
        expect(await world.store.load('orders')).toBeUndefined();
      } else {
        expect(world.harness.reporter.text).toContain('- delete log group /aws/lambda/orders-consumer');
        // While the mapping or the function exist, Lambda could write to the group again.
        expect(done.indexOf('DeleteLogGroup')).toBeGreaterThan(Math.max(done.indexOf('DeleteFunction'), done.indexOf('DeleteEventSourceMapping')));
      }
      world.cloud.restore();
    }
  });

  it("never deletes a log group setup did not make: an adopted function's keeps its logs and retention", async () => {
    world = twoAccounts();
    const { setupArgs } = brownfield(world);
    world.cloud.seedLogGroup(CONSUMER, REGION, '/aws/lambda/clicks-reader', { retentionInDays: 365 });
    const before = world.cloud.snapshot();
    expect(await world.setup(...setupArgs)).toBe(ExitCode.Success);
    const start = world.cloud.calls.length;
    expect(await teardown(world, '--name', 'clicks')).toBe(ExitCode.Success);
    expect(commands(world, start)).not.toContain('DeleteLogGroup');
    expect(world.harness.reporter.text).toContain('= keep log group /aws/lambda/clicks-reader (adopted');
    expect(world.cloud.snapshot()).toEqual(before);
  });

  it('deletes everything that does not hang on a deletion that failed', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    world.cloud.failOn({ command: 'DeleteFunction' }, { code: 'AccessDeniedException', message: 'boom' });
    const start = world.cloud.calls.length;
    expect(await teardown(world, '--name', 'orders')).toBe(ExitCode.Failed);
    expect(commands(world, start)).toEqual(expect.arrayContaining(['DeleteStream', 'ScheduleKeyDeletion', 'DeleteRolePolicy']));
    // The role waits for its function; the state keeps both for the re-run.
    expect(Object.keys((await world.store.load('orders'))!.steps).sort()).toEqual(['function', 'log-group', 'role']);
    expect(await teardown(world, '--name', 'orders')).toBe(ExitCode.Success);
  });

  it('keeps the key while the stream it encrypts could not be deleted', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    world.cloud.failOn({ command: 'DeleteStream' }, { code: 'ResourceInUseException', message: 'Stream orders-stream is busy' });
    const start = world.cloud.calls.length;
    expect(await teardown(world, '--name', 'orders')).toBe(ExitCode.Failed);
    expect(commands(world, start)).not.toContain('ScheduleKeyDeletion');
    expect(Object.keys((await world.store.load('orders'))!.steps).sort()).toEqual(['kms-key', 'stream']);
  });

  it('finishes a deletion an earlier run started: a DELETING stream and a Deleting mapping are only waited for', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const state = (await world.store.load('orders'))!;
    const lambda = new LambdaClient({ region: REGION, credentials: world.cloud.credentialsFor(CONSUMER) });
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: state.steps['event-source-mapping']!.outputs.uuid }));
    const start = world.cloud.calls.length;
    expect(await teardown(world, '--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(world.cloud.calls.slice(start).filter((c) => c.command === 'DeleteEventSourceMapping')).toEqual([]);
  });

  it('passes --key-pending-days to ScheduleKeyDeletion', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(await teardown(world, '--name', 'orders', '--key-pending-days', '7')).toBe(ExitCode.Success);
    expect(world.cloud.calls.find((c) => c.command === 'ScheduleKeyDeletion')!.input).toMatchObject({ PendingWindowInDays: 7 });
    expect(await teardown(world, '--name', 'orders', '--key-pending-days', '6')).toBe(ExitCode.Usage);
  });

  it('runs twice: the second run, given only the name, looks in the accounts the first one recorded, finds nothing and changes nothing', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(await teardown(world, '--name', 'orders')).toBe(ExitCode.Success);
    const tornDownAt = new Date(world.clock.now()).toISOString();
    const start = world.cloud.calls.length;
    expect(await teardown(world, '--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toContain(`Deployment "orders" was torn down at ${tornDownAt}: looking again for anything tagged for it (or named for it).`);
    expect(world.harness.reporter.text).toContain(`Nothing left of deployment "orders": no resource tagged for it (or named for it) is in account ${PRODUCER} or ${CONSUMER} in ${REGION}.`);
    // It looked: the accounts were read through the recorded profiles.
    expect(world.cloud.calls.slice(start).map((c) => c.accountId)).toEqual(expect.arrayContaining([PRODUCER, CONSUMER]));
    expect(commands(world, start)).toEqual([]);
  });

  it('afterwards, send-test-record and tail-logs say the deployment was torn down, with a setup that works when pasted', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(await teardown(world, '--name', 'orders')).toBe(ExitCode.Success);
    const tornDownAt = new Date(world.clock.now()).toISOString();
    for (const command of ['send-test-record', 'tail-logs']) {
      const lines = world.harness.reporter.lines.length;
      expect(await world.harness.run(command, '--name', 'orders')).toBe(ExitCode.Usage);
      const error = world.harness.reporter.lines.slice(lines).find((l) => l.level === 'error')!;
      expect(error.text).toBe(`Deployment "orders" was torn down at ${tornDownAt}: nothing of it is left.`);
      expect(error.hint).toBe(`Run \`kds-xacct setup --name orders --producer-profile prod --consumer-profile analytics --region ${REGION}\` to set it up again.`);
    }
  });

  it('a second run with other profiles looks where they lead, not where the first run was', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(await teardown(world, '--name', 'orders')).toBe(ExitCode.Success);
    expect(await teardown(world, '--name', 'orders', '--producer-profile', 'prod', '--consumer-profile', 'marketing')).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toContain(`is in account ${PRODUCER} or ${CONSUMER_2} in ${REGION}.`);
  });
});

describe('a stream deleted outside kds-xacct', () => {
  const deleteStream = async (w: World, name: string) => {
    const kinesis = new KinesisClient({ region: REGION, credentials: w.cloud.credentialsFor(PRODUCER) });
    await kinesis.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }));
    await w.clock.advance(60_000);
  };

  it('an adopted one is said to be already gone, not kept, and the rest is torn down', async () => {
    world = twoAccounts();
    const { setupArgs } = brownfield(world);
    expect(await world.setup(...setupArgs)).toBe(ExitCode.Success);
    await deleteStream(world, 'clicks');
    const start = world.cloud.calls.length;
    expect(await teardown(world, '--name', 'clicks'), world.harness.reporter.text).toBe(ExitCode.Success);
    const text = world.harness.reporter.text;
    expect(text).toContain('Stream clicks was already gone, and its EFO consumer and policies with it.');
    expect(text).not.toMatch(/keep stream clicks|kept\s+stream clicks/);
    // Nothing is asked of a stream that is not there: no encryption to stop, no consumer to deregister.
    const done = commands(world, start);
    expect(done).not.toContain('StopStreamEncryption');
    expect(done).not.toContain('DeregisterStreamConsumer');
    expect(done).toEqual(expect.arrayContaining(['DeleteEventSourceMapping', 'RevokeGrant', 'DeleteRolePolicy']));
    expect(await world.store.load('clicks')).toBeUndefined();
  });

  it('one it created is not listed as deleted by this run', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    await deleteStream(world, 'orders-stream');
    const start = world.cloud.calls.length;
    expect(await teardown(world, '--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
    const text = world.harness.reporter.text;
    expect(text).toContain('Stream orders-stream was already gone');
    expect(text).not.toContain('delete stream orders-stream');
    expect(commands(world, start)).not.toContain('DeleteStream');
    expect(commands(world, start)).toContain('ScheduleKeyDeletion');
  });
});

describe('adopted resources', () => {
  it('keeps an adopted stream, key and function, and other statements byte for byte', async () => {
    world = twoAccounts();
    const { setupArgs } = brownfield(world);
    const before = world.cloud.snapshot();
    const policyBefore = streamPolicyText(world, 'clicks');
    expect(await world.setup(...setupArgs), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(streamPolicyText(world, 'clicks')).not.toBe(policyBefore);

    expect(await teardown(world, '--name', 'clicks')).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toMatch(/keep stream clicks \(adopted/);
    expect(world.harness.reporter.text).toMatch(/keep function clicks-reader \(adopted/);
    expect(streamPolicyText(world, 'clicks')).toBe(policyBefore);
    expect(world.cloud.snapshot()).toEqual(before);
    const done = new Set(commands(world));
    for (const never of ['DeleteStream', 'DeleteFunction', 'ScheduleKeyDeletion', 'DeleteRole', 'StopStreamEncryption']) expect(done.has(never), never).toBe(false);
  });

  it('restores the encryption of an adopted stream that setup encrypted with its own key, and deletes the key once its records have expired', async () => {
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', records: 2 });
    const before = world.cloud.snapshot();
    expect(await world.setup('--name', 'clicks', '--stream-name', 'clicks', '--use-existing-stream')).toBe(ExitCode.Success);
    expect(await teardown(world, '--name', 'clicks')).toBe(ExitCode.Success);
    expect(commands(world)).toContain('StopStreamEncryption');
    expect(commands(world)).not.toContain('ScheduleKeyDeletion');
    await world.clock.sleep(25 * 3_600_000);
    expect(await teardown(world, '--name', 'clicks')).toBe(ExitCode.Success);
    expect(world.cloud.snapshot()).toEqual(before);
  });
});

describe('the key of an adopted stream that setup encrypted', () => {
  // StopStreamEncryption API reference: records written before it stay encrypted with the key; ScheduleKeyDeletion API
  // reference: a key pending deletion "can't be used in any cryptographic operations". So the key stays Enabled until they expire.
  const CLICKS = `arn:aws:kinesis:${REGION}:${PRODUCER}:stream/clicks`;
  const HOUR = 3_600_000;
  const adoptClicks = (retentionHours = 24) => {
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', shards: 1, mode: 'PROVISIONED', records: 2, retentionHours });
    return world.setup('--name', 'clicks', '--stream-name', 'clicks', '--use-existing-stream');
  };
  const scheduled = () => world.cloud.calls.filter((c) => c.command === 'ScheduleKeyDeletion' && !c.error);
  const ourKey = () => [...world.cloud.regionState(PRODUCER, REGION)!.keys.values()].find((k) => k.tags.some((t) => t.Value === 'clicks'))!;
  const producerKinesis = () => new KinesisClient({ region: REGION, credentials: world.cloud.credentialsFor(PRODUCER) });
  /** A third party in the producer account that reads the stream from its trim horizon with GetRecords. */
  async function readEveryRecord(): Promise<string[]> {
    const kinesis = producerKinesis();
    const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamARN: CLICKS, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }));
    const { Records } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
    return (Records ?? []).map((r) => Buffer.from(r.Data!).toString());
  }
  const textOf = async (run: Promise<number>) => {
    const from = world.harness.reporter.text.length;
    const code = await run;
    return { code, text: world.harness.reporter.text.slice(from) };
  };

  it('a third party reads every record of the adopted stream after teardown: the key stays Enabled, and teardown says until when and how it goes', async () => {
    expect(await adoptClicks()).toBe(ExitCode.Success);
    await producerKinesis().send(new PutRecordCommand({ StreamARN: CLICKS, PartitionKey: 'p', Data: new TextEncoder().encode('while-encrypted') }));
    const { code, text } = await textOf(teardown(world, '--name', 'clicks'));
    expect(code, text).toBe(ExitCode.Success);
    expect(await readEveryRecord()).toEqual(['{"seed":0}', '{"seed":1}', 'while-encrypted']);
    expect(scheduled()).toEqual([]);
    expect(ourKey().deletionDate).toBeUndefined();
    const { keyArn } = (await world.store.tornDown('clicks'))!.key!;
    const until = (await world.store.tornDown('clicks'))!.key!.keptUntil!;
    expect(Date.parse(until) - world.clock.now()).toBeGreaterThan(24 * HOUR - 60_000);
    expect(text).toMatch(new RegExp(`= keep KMS key ${keyArn} \\(alias/kds-xacct/clicks\\) until about `));
    expect(text).toContain(`KMS key ${keyArn} (alias/kds-xacct/clicks) is kept for 1 day more: stream clicks keeps the records it encrypted for 24 hours, until ${until}`);
    expect(text).toContain(`After ${until}, \`kds-xacct teardown --name clicks\` schedules its deletion (a 30-day waiting period, --key-pending-days) and deletes its alias.`);
    expect(await world.store.load('clicks')).toBeUndefined();
  });

  it('a retention longer than any KMS waiting period needs no decision: the key is kept until the records expire', async () => {
    expect(await adoptClicks(1000)).toBe(ExitCode.Success);
    const { code, text } = await textOf(teardown(world, '--name', 'clicks'));
    expect(code, text).toBe(ExitCode.Success);
    expect(scheduled()).toEqual([]);
    expect(text).toMatch(/is kept for 41 days 1[56] hours more: stream clicks keeps the records it encrypted for 1000 hours/);
    const sent = await textOf(world.harness.run('send-test-record', '--name', 'clicks'));
    expect(sent.text).toContain(`nothing of it is left but its KMS key ${ourKey().arn}, which teardown kept.`);
  });

  it('the record of the teardown keeps the key: teardown again says how long is left and changes nothing; after then it schedules the deletion and deletes the alias', async () => {
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', records: 2, retentionHours: 48 });
    const before = world.cloud.snapshot();
    expect(await world.setup('--name', 'clicks', '--stream-name', 'clicks', '--use-existing-stream')).toBe(ExitCode.Success);
    expect(await teardown(world, '--name', 'clicks', '--key-pending-days', '7')).toBe(ExitCode.Success);
    const record = (await world.store.tornDown('clicks'))!;
    expect(record.key).toMatchObject({ keyId: ourKey().keyId, keyArn: ourKey().arn, aliasName: 'alias/kds-xacct/clicks', encryptedStream: 'clicks' });

    // To 1 hour 10 minutes before the key may go, whatever teardown took; a re-run's own look takes a little of that.
    await world.clock.sleep(Date.parse(record.key!.keptUntil!) - world.clock.now() - 70 * 60_000);
    const start = world.cloud.calls.length;
    const early = await textOf(teardown(world, '--name', 'clicks'));
    expect(early.code, early.text).toBe(ExitCode.Success);
    expect(early.text).toContain(`Nothing else is left of deployment "clicks". KMS key ${ourKey().arn} (alias/kds-xacct/clicks) is kept for 1 hour `);
    expect(early.text).toMatch(/is kept for 1 hour (9|10) minutes more/);
    expect(commands(world, start)).toEqual([]);
    expect(await world.store.tornDown('clicks')).toEqual(record);

    const status = await textOf(world.harness.run('status', '--name', 'clicks'));
    expect(status.code).toBe(ExitCode.Usage);
    expect(status.text).toContain(`Deployment "clicks" was torn down at ${record.tornDownAt}; only its KMS key is left. KMS key ${ourKey().arn} (alias/kds-xacct/clicks) is kept for 1 hour `);
    expect(status.text).toMatch(/is kept for 1 hour (9|10) minutes more/);

    await world.clock.sleep(2 * HOUR);
    const late = await textOf(teardown(world, '--name', 'clicks', '--key-pending-days', '7'));
    expect(late.code, late.text).toBe(ExitCode.Success);
    expect(scheduled().map((c) => c.input)).toEqual([{ KeyId: ourKey().keyId, PendingWindowInDays: 7 }]);
    expect(commands(world, start)).toEqual(['DeleteAlias', 'ScheduleKeyDeletion']);
    expect((await world.store.tornDown('clicks'))!.key).toBeUndefined();
    expect(world.cloud.snapshot()).toEqual(before);
  });

  it('a new setup that takes the kept key up again by its alias keeps its date: the next teardown keeps it too', async () => {
    expect(await adoptClicks(48)).toBe(ExitCode.Success);
    expect(await teardown(world, '--name', 'clicks')).toBe(ExitCode.Success);
    const { keptUntil: until, encryptionStoppedAt } = (await world.store.tornDown('clicks'))!.key!;
    // The same deployment name, now on a stream of its own: setup finds our key by its alias.
    expect(await world.setup('--name', 'clicks'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect((await world.store.load('clicks'))!.steps['kms-key']!.outputs).toMatchObject({ keyId: ourKey().keyId, encryptedStream: 'clicks', encryptionStoppedAt });
    const { code, text } = await textOf(teardown(world, '--name', 'clicks'));
    expect(code, text).toBe(ExitCode.Success);
    expect(commands(world)).toContain('DeleteStream');
    expect(scheduled()).toEqual([]);
    expect(await readEveryRecord()).toEqual(['{"seed":0}', '{"seed":1}']);
    expect((await world.store.tornDown('clicks'))!.key).toMatchObject({ keptUntil: until });
  });

  it('--keep-key keeps the key even once it may go, and the record of the teardown keeps it for a later teardown', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const keyId = (await world.store.load('orders'))!.steps['kms-key']!.outputs.keyId!;
    const kept = await textOf(teardown(world, '--name', 'orders', '--keep-key'));
    expect(kept.code, kept.text).toBe(ExitCode.Success);
    expect(scheduled()).toEqual([]);
    expect(commands(world)).toContain('DeleteStream');
    expect(kept.text).toContain('is kept (--keep-key); no record it encrypted can still be read. When you want it gone, `kds-xacct teardown --name orders` schedules its deletion');
    expect((await world.store.tornDown('orders'))!.key).toMatchObject({ keyId });

    expect(await teardown(world, '--name', 'orders')).toBe(ExitCode.Success);
    expect(scheduled().map((c) => c.input)).toEqual([{ KeyId: keyId, PendingWindowInDays: 30 }]);
  });

  it('a rollback keeps such a key Enabled, says until when, and the state file keeps it for teardown', async () => {
    expect(await adoptClicks()).toBe(ExitCode.Success);
    expect(await teardown(world, '--name', 'clicks')).toBe(ExitCode.Success);
    await world.clock.sleep(25 * HOUR);
    expect(await teardown(world, '--name', 'clicks')).toBe(ExitCode.Success);
    world.cloud.failOn({ command: 'CreateEventSourceMapping' }, { code: 'InvalidParameterValueException', message: 'boom' });
    const from = scheduled().length;
    const failed = await textOf(world.setup('--name', 'clicks', '--stream-name', 'clicks', '--use-existing-stream'));
    expect(failed.code, failed.text).toBe(ExitCode.Failed);
    expect(scheduled().length).toBe(from);
    const key = (await world.store.load('clicks'))!.steps['kms-key']!;
    const created = Object.entries((await world.store.load('clicks'))!.steps).filter(([, r]) => r.origin === 'created');
    expect(created.map(([id]) => id)).toEqual(['kms-key']);
    expect(key.outputs).toMatchObject({ encryptedStream: 'clicks', keptUntil: expect.any(String) });
    expect(failed.text).toContain('rolled back, except what is listed below as kept, and why');
    expect(failed.text).toContain(`(kept: KMS key ${key.outputs.keyArn}: stream clicks keeps the records it encrypted for 24 hours, until ${key.outputs.keptUntil}`);
    expect(failed.text).toContain('once its date has passed, `kds-xacct teardown --name clicks` removes it.');
    expect(world.cloud.regionState(PRODUCER, REGION)!.keys.get(key.outputs.keyId!)!.deletionDate).toBeUndefined();

    const early = await textOf(teardown(world, '--name', 'clicks'));
    expect(early.text).toMatch(/Nothing else is left of deployment "clicks"\. KMS key \S+ \(alias\/kds-xacct\/clicks\) is kept for (1 day|2[34] hours)/);
    expect(scheduled().length).toBe(from);
    expect((await world.store.tornDown('clicks'))!.key).toMatchObject({ keptUntil: key.outputs.keptUntil });
    await world.clock.sleep(25 * HOUR);
    expect(await teardown(world, '--name', 'clicks')).toBe(ExitCode.Success);
    expect(scheduled().length).toBe(from + 1);
  });
  it('a setup re-run after such a rollback does not forget when the key stopped encrypting the stream', async () => {
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', records: 2 });
    world.cloud.failOn({ command: 'CreateEventSourceMapping' }, { code: 'InvalidParameterValueException', message: 'boom' });
    expect(await world.setup('--name', 'clicks', '--stream-name', 'clicks', '--use-existing-stream')).toBe(ExitCode.Failed);
    const stoppedAt = (await world.store.load('clicks'))!.steps['kms-key']!.outputs.encryptionStoppedAt;
    world.cloud.failOn({ command: 'StartStreamEncryption' }, { code: 'InvalidArgumentException', message: 'boom' });
    expect(await world.setup('--name', 'clicks', '--stream-name', 'clicks', '--use-existing-stream')).toBe(ExitCode.Failed);
    expect((await world.store.load('clicks'))!.steps['kms-key']!.outputs.encryptionStoppedAt).toBe(stoppedAt);
    expect(await teardown(world, '--name', 'clicks')).toBe(ExitCode.Success);
    expect(scheduled()).toEqual([]);
  });
});

describe('an adopted stream that setup encrypted', () => {
  it('removes our statement before StopStreamEncryption makes the stream UPDATING, even when the policy calls are throttled', async () => {
    world = twoAccounts();
    world.cloud.seedRole(PRODUCER, { name: 'audit' });
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', records: 2, policy: othersPolicy });
    const before = world.cloud.snapshot();
    expect(await world.setup('--name', 'clicks', '--stream-name', 'clicks', '--use-existing-stream')).toBe(ExitCode.Success);
    const start = world.cloud.calls.length;
    world.cloud.throttle('PutResourcePolicy', 2);
    expect(await teardown(world, '--name', 'clicks'), world.harness.reporter.text).toBe(ExitCode.Success);
    const done = commands(world, start);
    expect(done.indexOf('PutResourcePolicy')).toBeLessThan(done.indexOf('StopStreamEncryption'));
    // The key outlives the records it encrypted (24 hours here); then it goes too.
    await world.clock.sleep(25 * 3_600_000);
    expect(await teardown(world, '--name', 'clicks')).toBe(ExitCode.Success);
    expect(world.cloud.snapshot()).toEqual(before);
  });

  it('deregisters our consumer while StopStreamEncryption keeps the stream UPDATING: neither waits for the other', async () => {
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', records: 2 });
    expect(await world.setup('--name', 'clicks', '--stream-name', 'clicks', '--use-existing-stream'), world.harness.reporter.text).toBe(ExitCode.Success);
    const start = world.cloud.calls.length;
    expect(await teardown(world, '--name', 'clicks'), world.harness.reporter.text).toBe(ExitCode.Success);
    const calls = world.cloud.calls.slice(start);
    expect(calls.filter((c) => c.mutating && c.error).map((c) => `${c.command} ${c.error}`)).toEqual([]);
    const sent = (command: string) => calls.find((c) => c.command === command)!.at;
    const [stop, deregister] = [sent('StopStreamEncryption'), sent('DeregisterStreamConsumer')];
    // Each is sent before the other's asynchronous change is over.
    expect(deregister).toBeLessThan(stop + world.cloud.latency.encryption);
    expect(stop).toBeLessThan(deregister + world.cloud.latency.consumerDelete);
  });
});

describe('an adopted stream that someone else reshards', () => {
  it('waits until the stream is ACTIVE again before removing our statement', async () => {
    world = twoAccounts();
    const { setupArgs } = brownfield(world);
    const policyBefore = streamPolicyText(world, 'clicks');
    expect(await world.setup(...setupArgs), world.harness.reporter.text).toBe(ExitCode.Success);
    const reshardedUntil = world.clock.now() + 5 * 60_000;
    world.cloud.regionState(PRODUCER, REGION)!.streams.get('clicks')!.phase = { state: 'UPDATING', until: reshardedUntil, then: 'ACTIVE' };
    const start = world.cloud.calls.length;
    expect(await teardown(world, '--name', 'clicks'), world.harness.reporter.text).toBe(ExitCode.Success);
    const writes = world.cloud.calls.slice(start).filter((c) => c.command === 'PutResourcePolicy');
    expect(writes.map((c) => c.error ?? 'ok')).toEqual(['ResourceInUseException', 'ok']);
    expect(writes[1]!.at).toBeGreaterThanOrEqual(reshardedUntil);
    expect(streamPolicyText(world, 'clicks')).toBe(policyBefore);
  });
});

describe('an event source mapping that is changing state', () => {
  it('a teardown right after a setup stopped during the mapping wait deletes the mapping once it has settled', async () => {
    world = twoAccounts();
    const before = world.cloud.snapshot();
    world.cloud.failOn({ command: 'GetEventSourceMapping' }, { code: 'AccessDeniedException', message: 'boom' });
    expect(await world.setup('--name', 'orders', '--no-rollback')).toBe(ExitCode.Failed);
    expect(await teardown(world, '--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(world.cloud.snapshot()).toEqual(before);
    expect(await world.store.load('orders')).toBeUndefined();
  });

  it('waits again when the mapping starts another change between our look and our delete', async () => {
    world = twoAccounts();
    const before = world.cloud.snapshot();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    world.cloud.failOn({ command: 'DeleteEventSourceMapping' }, { code: 'ResourceInUseException', message: 'Cannot delete the event source mapping because it is in use. Current state: Updating' });
    expect(await teardown(world, '--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(world.cloud.calls.filter((c) => c.command === 'DeleteEventSourceMapping').map((c) => c.error ?? 'ok')).toEqual(['ResourceInUseException', 'ok']);
    expect(world.cloud.snapshot()).toEqual(before);
  });
});

describe('several deployments on one stream', () => {
  async function twoDeployments() {
    world = twoAccounts();
    world.cloud.setFunctionRuntime(async (event, log) => {
      for (const r of event.Records) log(`record ${Buffer.from(r.kinesis.data, 'base64').toString('utf8')}`);
    });
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const code = await world.harness.run('setup', '--producer-profile', 'prod', '--consumer-profile', 'marketing', '--yes', '--name', 'orders-mkt', '--stream-name', 'orders-stream', '--use-existing-stream');
    expect(code, world.harness.reporter.text).toBe(ExitCode.Success);
  }

  it('tearing one down leaves the other working, with its statements', async () => {
    await twoDeployments();
    const orders = (await world.store.load('orders'))!;
    expect(await teardown(world, '--name', 'orders-mkt')).toBe(ExitCode.Success);
    expect(await world.store.load('orders-mkt')).toBeUndefined();

    const stream = world.cloud.regionState(PRODUCER, REGION)!.streams.get('orders-stream')!;
    expect(JSON.parse(stream.policy.current!).Statement.map((s: { Sid: string }) => s.Sid)).toEqual([orders.steps['stream-policy']!.outputs.sid]);
    expect([...stream.consumers.keys()]).toEqual([`orders-${CONSUMER}-efo`]);
    expect(world.cloud.regionState(CONSUMER_2, REGION)!.functions.size).toBe(0);
    // The remaining pipeline still delivers.
    const kinesis = new KinesisClient({ region: REGION, credentials: world.cloud.credentialsFor(PRODUCER) });
    await kinesis.send(new PutRecordCommand({ StreamName: 'orders-stream', Data: new TextEncoder().encode('still-flowing'), PartitionKey: 'a' }));
    world.clock.advance(120_000);
    const events = await world.cloud.logEvents(CONSUMER, REGION, '/aws/lambda/orders-consumer');
    expect(events.some((e) => e.message.includes('still-flowing'))).toBe(true);
    expect(await world.harness.run('status', '--name', 'orders')).toBe(ExitCode.Success);
  });

  it('refuses to delete a stream another deployment still reads, and changes nothing', async () => {
    await twoDeployments();
    const before = world.cloud.snapshot();
    const start = world.cloud.calls.length;
    expect(await teardown(world, '--name', 'orders')).toBe(ExitCode.Failed);
    expect(world.harness.reporter.text).toContain(`orders-mkt-${CONSUMER_2}-efo`);
    expect(world.harness.reporter.text).toContain('--delete-stream-with-consumers');
    expect(commands(world, start)).toEqual([]);
    expect(world.cloud.snapshot()).toEqual(before);
    expect(await world.store.load('orders')).toBeDefined();
  });

  it('deletes the stream anyway with --delete-stream-with-consumers', async () => {
    await twoDeployments();
    expect(await teardown(world, '--name', 'orders', '--delete-stream-with-consumers')).toBe(ExitCode.Success);
    expect(world.cloud.regionState(PRODUCER, REGION)!.streams.size).toBe(0);
    expect(await world.store.load('orders')).toBeUndefined();
  });
});

describe('failures and resuming', () => {
  it('a fault at each delete call is reported with what is left, and a re-run finishes the job', async () => {
    let n = 1;
    for (; ; n++) {
      world = twoAccounts();
      const before = world.cloud.snapshot();
      expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
      world.cloud.failAtMutatingCall(n);
      const code = await teardown(world, '--name', 'orders');
      if (code === ExitCode.Success) {
        world.cloud.restore();
        break;
      }
      const text = world.harness.reporter.text;
      expect(code, text).toBe(ExitCode.Failed);
      expect(text).toMatch(/failed in the (producer|consumer) account \d{12} during apply: \w+: Injected/);
      expect(text).toContain('Still there:');
      const state = (await world.store.load('orders'))!;
      const left = Object.entries(state.steps).filter(([, r]) => r.origin === 'created').map(([id]) => id);
      expect(left.length).toBeGreaterThan(0);
      for (const id of left) expect(text).toContain(`[${id === 'log-group' || ['role', 'failure-queue', 'role-policy', 'function', 'event-source-mapping'].includes(id) ? 'consumer' : 'producer'}]`);

      expect(await teardown(world, '--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
      expect(world.cloud.snapshot()).toEqual(before);
      expect(await world.store.load('orders')).toBeUndefined();
      world.cloud.restore();
    }
    // Every mutating call of a teardown was tried: ESM, function, log group, role policy, role,
    // two policies, grant, consumer, stream, alias, key.
    expect(n).toBeGreaterThan(12);
  });

  it('survives throttling of the delete calls', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    for (const command of ['DeleteEventSourceMapping', 'DeleteStream', 'DeregisterStreamConsumer', 'DeleteFunction', 'RevokeGrant']) world.cloud.throttle(command, 2);
    expect(await teardown(world, '--name', 'orders')).toBe(ExitCode.Success);
  });

  it('Ctrl-C stops at a safe point, exits 130, and a re-run finishes', async () => {
    world = twoAccounts();
    const before = world.cloud.snapshot();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const reporter = world.harness.reporter;
    const event = reporter.event.bind(reporter);
    reporter.event = (e) => {
      event(e);
      if (e.type === 'step:undone' && e.stepId === 'remove:event-source-mapping') world.harness.interrupt.trigger();
    };
    expect(await teardown(world, '--name', 'orders')).toBe(ExitCode.Interrupted);
    expect(reporter.text).toContain('Still there:');
    reporter.event = event;
    world.harness.environment.interrupt = new (await import('../../src/engine/engine.js')).Interrupt();
    expect(await teardown(world, '--name', 'orders')).toBe(ExitCode.Success);
    expect(world.cloud.snapshot()).toEqual(before);
  });
});

describe('a state file that missed something', () => {
  it('also deletes what carries our tag but was never recorded (a second Ctrl-C right after a create)', async () => {
    world = twoAccounts();
    const before = world.cloud.snapshot();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const state = (await world.store.load('orders'))!;
    delete state.steps.role;
    delete state.steps.function;
    await world.store.save(state);
    expect(await teardown(world, '--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(world.cloud.snapshot()).toEqual(before);
  });
});

describe('lost state file', () => {
  it('finds the resources by tags and names and removes them', async () => {
    world = twoAccounts();
    const before = world.cloud.snapshot();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    await world.store.remove('orders');
    const code = await teardown(world, '--name', 'orders', ...profiles);
    expect(code, world.harness.reporter.text).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toContain('found by tags and names');
    expect(world.harness.reporter.text).toContain('Deployment "orders" is torn down.');
    // There was none to remove.
    expect(world.harness.reporter.text).not.toContain('The state file was removed');
    expect(world.cloud.snapshot()).toEqual(before);
    expect(await world.store.load('orders')).toBeUndefined();
  });

  it('says which permission is missing when it may not read the function\'s tags, and deletes nothing', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    await world.store.remove('orders');
    const fn = `arn:aws:lambda:${REGION}:${CONSUMER}:function:orders-consumer`;
    world.cloud.failOn(
      { command: 'ListTags', accountId: CONSUMER, when: (input: { Resource?: string }) => input.Resource === fn },
      { code: 'AccessDeniedException', message: `User: arn:aws:iam::${CONSUMER}:user/fake is not authorized to perform: lambda:ListTags on resource: ${fn} because no identity-based policy allows the lambda:ListTags action` },
    );
    const before = world.cloud.mutatingCalls().length;
    expect(await teardown(world, '--name', 'orders', ...profiles)).toBe(ExitCode.Failed);
    expect(world.harness.reporter.text).toContain(`Profile analytics may not read the tags of function ${fn} (lambda:ListTags)`);
    expect(world.harness.reporter.text).toContain(`Allow lambda:ListTags on ${fn} for profile analytics`);
    expect(world.cloud.mutatingCalls().length).toBe(before);
  });

  it('finds what was added to an adopted stream and function, and keeps them', async () => {
    world = twoAccounts();
    const { setupArgs } = brownfield(world);
    const before = world.cloud.snapshot();
    expect(await world.setup(...setupArgs), world.harness.reporter.text).toBe(ExitCode.Success);
    await world.store.remove('clicks');
    expect(await teardown(world, '--name', 'clicks', ...profiles), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toMatch(/keep stream clicks/);
    expect(world.cloud.snapshot()).toEqual(before);
  });

  it('never touches a same-named resource that is not tagged for the deployment', async () => {
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'orders-stream' });
    world.cloud.seedFunction(CONSUMER, REGION, { name: 'orders-consumer' });
    world.cloud.seedRole(CONSUMER, { name: 'kds-xacct-orders-consumer' });
    const before = world.cloud.snapshot();
    expect(await teardown(world, '--name', 'orders', ...profiles)).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toMatch(/Nothing to tear down/);
    expect(commands(world)).toEqual([]);
    expect(world.cloud.snapshot()).toEqual(before);
  });

  it('resumes from the state it wrote when a run after a lost state file fails', async () => {
    world = twoAccounts();
    const before = world.cloud.snapshot();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    await world.store.remove('orders');
    world.cloud.failOn({ command: 'ScheduleKeyDeletion' }, { code: 'AccessDeniedException' });
    expect(await teardown(world, '--name', 'orders', ...profiles)).toBe(ExitCode.Failed);
    expect(Object.keys((await world.store.load('orders'))!.steps)).toEqual(['kms-key']);
    // The alias is gone by now, so only the written state can lead the re-run to the key.
    expect(await teardown(world, '--name', 'orders')).toBe(ExitCode.Success);
    expect(world.cloud.snapshot()).toEqual(before);
  });
});

describe('a deployment that never existed', () => {
  it('says so clearly and exits 0 after looking in both accounts', async () => {
    world = twoAccounts();
    expect(await teardown(world, '--name', 'ghost', ...profiles)).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toMatch(/Nothing to tear down: no state file for deployment "ghost".*no resource tagged for it/s);
    expect(commands(world)).toEqual([]);
  });

  it('a misspelt --name still exits 0, and names the deployments that state folder knows, so that the mistake shows in a CI log', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const before = world.cloud.snapshot();
    expect(await teardown(world, '--name', 'ordres', ...profiles)).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toContain('The deployments in .kds-xacct are "orders": check --name.');
    expect(world.harness.reporter.results.at(-1)).toMatchObject({ outcome: 'nothing-found', knownDeployments: ['orders'] });
    expect(world.cloud.snapshot()).toEqual(before);
  });

  it('without profiles, asks for them (exit 2)', async () => {
    world = twoAccounts();
    expect(await teardown(world, '--name', 'ghost')).toBe(ExitCode.Usage);
    expect(world.harness.reporter.text).toContain('no state file for deployment "ghost" (memory:ghost), and no record that it was torn down.');
    expect(world.harness.reporter.text).toContain('pass both profiles: `kds-xacct teardown --name ghost --producer-profile <producer-profile> --consumer-profile <consumer-profile>` (and --region');
    expect(world.cloud.calls).toEqual([]);
  });
});

describe('confirmation', () => {
  it('without a terminal and without --yes, stops with exit 2 before any call', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const start = world.cloud.calls.length;
    expect(await world.harness.run('teardown', '--name', 'orders')).toBe(ExitCode.Usage);
    expect(world.harness.reporter.text).toContain('--yes');
    expect(world.cloud.calls.length).toBe(start);
  });

  function interactive(w: World, answer: boolean) {
    const asked: Array<{ message: string; default: boolean }> = [];
    const prompter: Prompter = {
      confirm: async (o) => {
        asked.push(o);
        return answer;
      },
      input: async () => Promise.reject(new Error('unexpected')),
      password: async () => Promise.reject(new Error('unexpected')),
      select: async () => Promise.reject(new Error('unexpected')),
    };
    Object.assign(w.harness.environment, { stdinIsTTY: true, stdoutIsTTY: true, prompter: async () => prompter });
    return asked;
  }

  it('shows per account what is deleted and kept, defaults to No, and a No changes nothing', async () => {
    world = twoAccounts();
    const { setupArgs } = brownfield(world);
    expect(await world.setup(...setupArgs), world.harness.reporter.text).toBe(ExitCode.Success);
    const asked = interactive(world, false);
    const before = world.cloud.snapshot();
    expect(await world.harness.run('teardown', '--name', 'clicks')).toBe(ExitCode.Success);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.default).toBe(false);
    const text = world.harness.reporter.text;
    expect(text).toMatch(new RegExp(`Producer account ${PRODUCER} \\(${REGION}\\):\\n(  .*\\n)*  - remove stream policy: read access for the role of function clicks-reader\\n`));
    expect(text).toMatch(new RegExp(`Consumer account ${CONSUMER} \\(${REGION}\\):\\n(  .*\\n)*  - delete event source mapping`));
    expect(text).toMatch(/= keep stream clicks \(adopted\)$/m);
    // Why they are kept is said once, under the list, rather than on every kept line.
    expect(text.match(/never deleted/g)).toHaveLength(1);
    expect(text).toContain('Nothing was deleted.');
    expect(world.cloud.snapshot()).toEqual(before);
    expect(await world.store.load('clicks')).toBeDefined();
  });

  it('states the key waiting period, and a Yes deletes', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const asked = interactive(world, true);
    expect(await world.harness.run('teardown', '--name', 'orders', '--key-pending-days', '10')).toBe(ExitCode.Success);
    // Asked before anything happens: what will happen, not what has.
    expect(world.harness.reporter.text).toContain('The KMS key will be scheduled for deletion with a 10-day waiting period');
    expect(asked[0]!.message).toMatch(new RegExp(`^Delete \\d+ resource\\(s\\) and schedule the KMS key for deletion in 10 days in accounts ${PRODUCER} and ${CONSUMER}\\?$`));
    expect(await world.store.load('orders')).toBeUndefined();
  });
});

describe('a failure queue deleted moments ago', () => {
  const gone = async (w: World, name: string) => {
    const sqs = new SQSClient({ region: REGION, credentials: w.cloud.credentialsFor(CONSUMER) });
    return sqs.send(new GetQueueUrlCommand({ QueueName: name })).then(() => false, (e: { name?: string }) => e.name === 'QueueDoesNotExist');
  };
  const waits = (w: World, from: number, stepId: string) =>
    w.harness.reporter.events.slice(from).flatMap((e) => (e.type === 'step:waiting' && e.stepId === stepId ? [e.detail] : []));

  it('setup, teardown, setup again at once: teardown waits until the queue is gone, and the second setup waits for SQS to free its name', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const teardownFrom = world.harness.reporter.events.length;
    expect(await teardown(world, '--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(await gone(world, 'orders-failed-batches')).toBe(true);
    expect(waits(world, teardownFrom, 'remove:failure-queue')).toContain('queue is being deleted (SQS takes up to 60 s)');

    const setupFrom = world.harness.reporter.events.length;
    const code = await world.setup('--name', 'orders');
    expect(code, world.harness.reporter.text).toBe(ExitCode.Success);
    expect(waits(world, setupFrom, 'failure-queue').join('\n')).toMatch(/waiting for SQS to free the name orders-failed-batches: a queue of that name was deleted less than 60 s ago/);
    expect(await gone(world, 'orders-failed-batches')).toBe(false);
    expect(world.cloud.calls.filter((c) => c.command === 'CreateQueue' && c.error === 'QueueDeletedRecently').length).toBeGreaterThan(0);
  });

  it('a rollback ends only once the queue it made is gone', async () => {
    world = twoAccounts();
    world.cloud.failOn({ command: 'CreateEventSourceMapping' }, { code: 'AccessDeniedException', message: 'injected' });
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Failed);
    expect(await gone(world, 'orders-failed-batches')).toBe(true);
  });
});
