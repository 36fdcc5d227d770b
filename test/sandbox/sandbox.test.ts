import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateLogGroupCommand, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, PutResourcePolicyCommand } from '@aws-sdk/client-kinesis';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../../src/deployment/store.js';
import { ExitCode } from '../../src/errors.js';
import { Sandbox, type SandboxOptions } from '../../src/sandbox/sandbox.js';
import { sandboxSessionFactory } from '../../src/sandbox/sandbox-sessions.js';
import { bundledHandlerRuntime } from '../../src/sandbox/bundled-handler.js';
import { createHarness } from '../support/command-harness.js';
import { ManualWall } from '../support/manual-wall.js';
import { rejection } from '../support/rejection.js';

const PRODUCER = '111111111111';
const CONSUMER = '222222222222';
const REGION = 'eu-west-1';
const STREAM_ARN = `arn:aws:kinesis:${REGION}:${PRODUCER}:stream/orders`;

async function sandboxFile(): Promise<string> {
  return path.join(await mkdtemp(path.join(tmpdir(), 'kds-xacct-sandbox-')), 'sandbox', 'cloud.json');
}

/** Another process opening the same sandbox: nothing shared with the first but the file and the wall clock. */
function open(file: string, wall: ManualWall, options: Partial<SandboxOptions> = {}): Sandbox {
  return new Sandbox({ file, accounts: [PRODUCER, CONSUMER], wall, ...options });
}

const status = async (sandbox: Sandbox, account = PRODUCER) =>
  (await sandbox.clientsFor(account, REGION).kinesis.send(new DescribeStreamSummaryCommand({ StreamARN: STREAM_ARN }))).StreamDescriptionSummary?.StreamStatus;

describe('the sandbox', () => {
  it("is shared by processes through its file, on the wall clock with AWS's waits shortened: CREATING in one command, ACTIVE in the next", async () => {
    const file = await sandboxFile();
    const wall = new ManualWall();
    const first = open(file, wall);
    await first.clientsFor(PRODUCER, REGION).kinesis.send(new CreateStreamCommand({ StreamName: 'orders', ShardCount: 1 }));

    const second = open(file, wall);
    expect(await status(second)).toBe('CREATING');
    // The latency model's 20 s stream creation, at the default speed of 10: 2 s of wall time.
    wall.time += 1_000;
    expect(await status(second)).toBe('CREATING');
    wall.time += 1_000;
    expect(await status(open(file, wall))).toBe('ACTIVE');
    expect([first.clock.now(), second.clock.now()]).toEqual([wall.time, wall.time]);
  });

  it('loses nothing when two processes call at once', async () => {
    const file = await sandboxFile();
    const wall = new ManualWall();
    const [a, b] = [open(file, wall).clientsFor(CONSUMER, REGION), open(file, wall).clientsFor(CONSUMER, REGION)];
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).logs.send(new CreateLogGroupCommand({ logGroupName: `/group/${i}` }))));
    const groups = await open(file, wall).clientsFor(CONSUMER, REGION).logs.send(new DescribeLogGroupsCommand({}));
    expect(groups.logGroups?.map((g) => g.logGroupName).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `/group/${i}`).sort());
  });

  it('keeps what a failed call changed: an injected fault is used up for every process', async () => {
    const file = await sandboxFile();
    const wall = new ManualWall();
    const first = open(file, wall);
    await first.transaction(async (cloud) => cloud.failOn({ command: 'CreateStream' }, { code: 'LimitExceededException', message: 'Rate exceeded' }));
    const failed = await rejection(first.clientsFor(PRODUCER, REGION).kinesis.send(new CreateStreamCommand({ StreamName: 'orders', ShardCount: 1 })));
    expect(failed.name).toBe('LimitExceededException');
    await open(file, wall).clientsFor(PRODUCER, REGION).kinesis.send(new CreateStreamCommand({ StreamName: 'orders', ShardCount: 1 }));
    expect(await status(first)).toBe('CREATING');
  });

  it('judges access with the evaluator it ships, across accounts', async () => {
    const file = await sandboxFile();
    const wall = new ManualWall();
    const sandbox = open(file, wall);
    await sandbox.clientsFor(PRODUCER, REGION).kinesis.send(new CreateStreamCommand({ StreamName: 'orders', ShardCount: 1 }));
    wall.time += 2_000;
    expect((await rejection(status(sandbox, CONSUMER))).name).toBe('AccessDeniedException');
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${CONSUMER}:root` }, Action: 'kinesis:DescribeStreamSummary', Resource: STREAM_ARN }] };
    await sandbox.clientsFor(PRODUCER, REGION).kinesis.send(new PutResourcePolicyCommand({ ResourceARN: STREAM_ARN, Policy: JSON.stringify(policy) }));
    wall.time += 1_000;
    expect(await status(sandbox, CONSUMER)).toBe('ACTIVE');
  });

  it('knows only its own accounts, and a reset empties them', async () => {
    const file = await sandboxFile();
    const wall = new ManualWall();
    const sandbox = open(file, wall);
    expect((await rejection(sandbox.clientsFor('999999999999', REGION).sts.send(new GetCallerIdentityCommand({})))).name).toBe('InvalidClientTokenId');
    await sandbox.clientsFor(PRODUCER, REGION).kinesis.send(new CreateStreamCommand({ StreamName: 'orders', ShardCount: 1 }));
    await open(file, wall).reset();
    expect((await rejection(status(sandbox))).name).toBe('ResourceNotFoundException');
    expect((await sandbox.clientsFor(CONSUMER, REGION).sts.send(new GetCallerIdentityCommand({}))).Account).toBe(CONSUMER);
  });

  it('shortens the waits for every process when one asks for another speed, and never moves the clock', async () => {
    const file = await sandboxFile();
    const wall = new ManualWall();
    const first = open(file, wall);
    await first.clientsFor(PRODUCER, REGION).sts.send(new GetCallerIdentityCommand({}));
    expect(await first.speedToRunAt()).toBe(10);
    const faster = open(file, wall, { speed: 100 });
    await faster.clientsFor(PRODUCER, REGION).kinesis.send(new CreateStreamCommand({ StreamName: 'orders', ShardCount: 1 }));
    // The latency model's 20 s stream creation, at speed 100: 200 ms, for the first process too.
    wall.time += 150;
    expect(await status(first)).toBe('CREATING');
    wall.time += 50;
    expect(await status(first)).toBe('ACTIVE');
    expect(await first.speedToRunAt()).toBe(100);
    expect(first.clock.now()).toBe(wall.time);
  });

  it("keeps the periods AWS states as facts about time real: a stream's 24-hour retention is not shortened", async () => {
    const file = await sandboxFile();
    const wall = new ManualWall();
    const sandbox = open(file, wall, { speed: 1000 });
    await sandbox.transaction(async (cloud) => cloud.seedStream(PRODUCER, REGION, { name: 'orders', shards: 1, mode: 'PROVISIONED', records: 1 }));
    const { kinesis } = sandbox.clientsFor(PRODUCER, REGION);
    const count = async () => {
      const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamARN: STREAM_ARN, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }));
      return (await kinesis.send(new GetRecordsCommand({ StreamARN: STREAM_ARN, ShardIterator }))).Records?.length;
    };
    // The seeded record arrived a minute ago: at speed 1000 a shortened retention would have dropped it 86 s after arrival.
    wall.time += 23 * 3_600_000;
    expect(await count()).toBe(1);
    wall.time += 3_600_000;
    expect(await count()).toBe(0);
  });

  it('writes nothing for calls that only read while nobody has used it, and saves from the first change', async () => {
    const file = await sandboxFile();
    const wall = new ManualWall();
    const sandbox = open(file, wall);
    await sandbox.clientsFor(PRODUCER, REGION).sts.send(new GetCallerIdentityCommand({}));
    await expect(readFile(file, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(readdir(path.dirname(file))).rejects.toMatchObject({ code: 'ENOENT' });
    await sandbox.clientsFor(PRODUCER, REGION).kinesis.send(new CreateStreamCommand({ StreamName: 'first' }));
    const saved = JSON.parse(await readFile(file, 'utf8')) as { kind: string };
    expect(saved.kind).toBeDefined();
  });

  it('refuses a file that is not a sandbox, one from a newer version, or one whose clock ran ahead of real time', async () => {
    const file = await sandboxFile();
    const wall = new ManualWall();
    await open(file, wall).transaction(async () => undefined);
    const saved = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...saved, version: 99 }));
    await expect(open(file, wall).clientsFor(PRODUCER, REGION).sts.send(new GetCallerIdentityCommand({}))).rejects.toThrow(/newer kds-xacct \(sandbox format 99/);
    // Format 1 kept a clock that ran ahead of real time: its times cannot be brought back to the wall clock.
    const { speed, ...rest } = saved;
    await writeFile(file, JSON.stringify({ ...rest, version: 1, clock: { virtual: wall.time + 3_600_000, wall: wall.time, factor: speed } }));
    await expect(open(file, wall).clientsFor(PRODUCER, REGION).sts.send(new GetCallerIdentityCommand({}))).rejects.toThrow(/earlier kds-xacct whose sandbox clock ran ahead of real time/);
    // What the error says to do works: the banner is shown without loading the file, and a reset starts again.
    expect(await open(file, wall).speedToRunAt()).toBe(10);
    await open(file, wall).reset();
    expect((await open(file, wall).clientsFor(PRODUCER, REGION).sts.send(new GetCallerIdentityCommand({}))).Account).toBe(PRODUCER);
    await writeFile(file, JSON.stringify({ something: 'else' }));
    await expect(open(file, wall).clientsFor(PRODUCER, REGION).sts.send(new GetCallerIdentityCommand({}))).rejects.toThrow(/is not a kds-xacct sandbox/);
  });

  it('runs the real commands end to end, each command a new process as far as the sandbox can tell', async () => {
    const file = await sandboxFile();
    const wall = new ManualWall();
    const store = new MemoryStateStore();
    const profiles = { 'sandbox-producer': { accountId: PRODUCER, region: REGION }, 'sandbox-consumer': { accountId: CONSUMER, region: REGION } };
    const command = (...argv: string[]) => {
      const sandbox = open(file, wall, { runtime: bundledHandlerRuntime });
      const harness = createHarness({ sessions: sandboxSessionFactory(sandbox, profiles), clock: sandbox.clock, store });
      return { run: harness.run(...argv), harness };
    };
    const step = async (...argv: string[]) => {
      const { run, harness } = command(...argv);
      expect(await run, harness.reporter.text).toBe(ExitCode.Success);
      return harness;
    };

    const started = wall.now();
    await step('setup', '--name', 'demo', '--producer-profile', 'sandbox-producer', '--consumer-profile', 'sandbox-consumer', '--yes');
    // The minute or so of AWS waiting the latency model puts on setup, at speed 10: seconds of wall time.
    expect(wall.now() - started).toBeLessThan(15_000);
    const sentAt = wall.now();
    const sent = await step('send-test-record', '--name', 'demo', '--verify', '--timeout', '60s');
    expect(sent.reporter.text).toContain('end-to-end latency');
    expect(sent.reporter.text).toContain('Verified: all 1 record(s) reached the consumer function.');
    const verifiedAt = wall.now();
    const tail = await step('tail-logs', '--name', 'demo', '--no-follow', '--since', '1m', '--json');
    const recordLine = tail.stdout.text.split('\n').find((line) => line.includes('kds-xacct send-test-record'));
    // The handler logged the record between its sending and its verification, as the wall clock tells them.
    const loggedAt = Date.parse((JSON.parse(recordLine!) as { timestamp: string }).timestamp);
    expect(loggedAt).toBeGreaterThanOrEqual(sentAt);
    expect(loggedAt).toBeLessThanOrEqual(verifiedAt);
    await step('status', '--name', 'demo');
    const tornDownFrom = wall.now();
    await step('teardown', '--name', 'demo', '--yes');
    const tornDownAt = Date.parse((await store.tornDown('demo'))!.tornDownAt);
    expect(tornDownAt).toBeGreaterThanOrEqual(tornDownFrom);
    expect(tornDownAt).toBeLessThanOrEqual(wall.now());

    const after = open(file, wall);
    await after.transaction(async (cloud) => {
      const snapshot = cloud.snapshot() as Record<string, { regions: Record<string, unknown>; iam: { roles: unknown[] } }>;
      expect(snapshot[PRODUCER]?.regions).toEqual({});
      expect(snapshot[CONSUMER]?.regions).toEqual({});
      expect(snapshot[CONSUMER]?.iam.roles).toEqual([]);
    });
  }, 120_000);
});
