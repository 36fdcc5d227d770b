import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KMSClient, RevokeGrantCommand } from '@aws-sdk/client-kms';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../../src/deployment/store.js';
import { ExitCode } from '../../src/errors.js';
import { MAX_BATCH_BYTES } from '../../src/records/put-records.js';
import { createHarness } from '../support/command-harness.js';
import type { LatencyModel } from '../../src/sandbox/index.js';
import { CONSUMER, createPipeline, FUNCTION, PRODUCER, REGION, STREAM, type Pipeline } from '../support/pipeline-fixture.js';
import { twoAccounts } from '../support/two-accounts.js';

let pipeline: Pipeline | undefined;
afterEach(() => {
  pipeline?.restore();
  pipeline = undefined;
});

async function start(options?: Parameters<typeof createPipeline>[0]) {
  pipeline = await createPipeline(options);
  return pipeline;
}

const putCalls = (p: Pipeline, command: 'PutRecord' | 'PutRecords') => p.cloud.calls.filter((c) => c.command === command);

interface JsonResult {
  records: Array<{ index: number; id?: string; partitionKey: string; shardId: string; sequenceNumber: string }>;
  failed: Array<{ index: number; errorCode: string }>;
  verify?: {
    ok: boolean;
    latencies: Array<{ sequenceNumber: string; latencyMs: number }>;
    diagnostics?: { eventSourceMapping?: { state?: string }; functionErrors: string[] };
  };
}

function lastResult(p: Pipeline): JsonResult {
  return p.harness.reporter.results.at(-1) as JsonResult;
}

describe('send-test-record', () => {
  it('puts one JSON test record and prints its shard and sequence number', async () => {
    const p = await start();
    const code = await p.harness.run('send-test-record');
    expect(code).toBe(ExitCode.Success);

    const stored = p.cloud.streamRecords(PRODUCER, REGION, STREAM);
    expect(stored).toHaveLength(1);
    const body = JSON.parse(new TextDecoder().decode(stored[0]!.data)) as Record<string, unknown>;
    expect(body).toMatchObject({ source: 'kds-xacct send-test-record', producerAccountId: PRODUCER });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof body.message).toBe('string');
    expect(new Date(body.sentAt as string).getTime()).toBeGreaterThan(0);

    expect(putCalls(p, 'PutRecord')).toHaveLength(1);
    const result = lastResult(p);
    expect(result.records).toEqual([expect.objectContaining({ id: body.id, shardId: stored[0]!.shardId, sequenceNumber: stored[0]!.sequenceNumber })]);
    expect(p.harness.reporter.text).toContain(`#1 ${stored[0]!.shardId}, id ${body.id}\n     sequence ${stored[0]!.sequenceNumber}`);
  });

  it('puts --data with a fixed --partition-key', async () => {
    const p = await start();
    expect(await p.harness.run('send-test-record', '--data', 'hello world', '--partition-key', 'customer-42')).toBe(ExitCode.Success);
    const [record] = p.cloud.streamRecords(PRODUCER, REGION, STREAM);
    expect(new TextDecoder().decode(record!.data)).toBe('hello world');
    expect(record!.partitionKey).toBe('customer-42');
  });

  it('reads the payload from stdin with --file -', async () => {
    const p = await start();
    p.harness.environment.stdin = (async function* () {
      yield Buffer.from('{"from":');
      yield Buffer.from('"stdin"}');
    })();
    expect(await p.harness.run('send-test-record', '--file', '-')).toBe(ExitCode.Success);
    const [record] = p.cloud.streamRecords(PRODUCER, REGION, STREAM);
    expect(new TextDecoder().decode(record!.data)).toBe('{"from":"stdin"}');
  });

  it('prints the records as JSON on stdout under --json', async () => {
    const p = await start();
    const h = createHarness({ sessions: p.sessions, clock: p.clock, store: p.store, realReporter: true });
    expect(await h.run('send-test-record', '--json', '--count', '2')).toBe(ExitCode.Success);
    const doc = JSON.parse(h.stdout.text) as JsonResult;
    expect(doc.records).toHaveLength(2);
    expect(doc.records.map((r) => r.sequenceNumber).sort()).toEqual(
      p.cloud.streamRecords(PRODUCER, REGION, STREAM).map((r) => r.sequenceNumber).sort(),
    );
  });

  it('sends --count 1200 with PutRecords in batches of at most 500', async () => {
    const p = await start();
    expect(await p.harness.run('send-test-record', '--count', '1200')).toBe(ExitCode.Success);
    const calls = putCalls(p, 'PutRecords');
    expect(calls.map((c) => (c.input as { Records: unknown[] }).Records.length)).toEqual([500, 500, 200]);
    expect(putCalls(p, 'PutRecord')).toHaveLength(0);
    const stored = p.cloud.streamRecords(PRODUCER, REGION, STREAM);
    expect(stored).toHaveLength(1200);
    // Random partition keys spread the records over both shards.
    expect(new Set(stored.map((r) => r.shardId)).size).toBe(2);
    const ids = stored.map((r) => (JSON.parse(new TextDecoder().decode(r.data)) as { id: string }).id);
    expect(new Set(ids).size).toBe(1200);
    expect(lastResult(p).records).toHaveLength(1200);
  });

  it('keeps each PutRecords request under 5 MiB', async () => {
    const p = await start();
    const dir = mkdtempSync(path.join(tmpdir(), 'kds-xacct-send-'));
    const file = path.join(dir, 'payload.bin');
    writeFileSync(file, Buffer.alloc(900 * 1024, 'x'));
    expect(await p.harness.run('send-test-record', '--file', file, '--count', '12')).toBe(ExitCode.Success);
    const sizes = putCalls(p, 'PutRecords').map((c) =>
      (c.input as { Records: Array<{ Data: Uint8Array; PartitionKey: string }> }).Records.reduce((n, r) => n + r.Data.byteLength + r.PartitionKey.length, 0),
    );
    expect(sizes.length).toBe(3);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    expect(p.cloud.streamRecords(PRODUCER, REGION, STREAM)).toHaveLength(12);
  });

  it('retries the entries a partially failed PutRecords reports', async () => {
    const p = await start();
    p.cloud.failRecords(3);
    expect(await p.harness.run('send-test-record', '--count', '10')).toBe(ExitCode.Success);
    const calls = putCalls(p, 'PutRecords');
    expect(calls.map((c) => (c.input as { Records: unknown[] }).Records.length)).toEqual([10, 3]);
    expect(p.cloud.streamRecords(PRODUCER, REGION, STREAM)).toHaveLength(10);
    expect(lastResult(p).failed).toEqual([]);
  });

  it('lists the records still failing after the retries and exits 1', async () => {
    const p = await start();
    p.cloud.failRecords(10_000);
    expect(await p.harness.run('send-test-record', '--count', '4')).toBe(ExitCode.Failed);
    expect(p.harness.reporter.text).toContain('4 of 4 record(s) could not be sent');
    expect(p.harness.reporter.text).toContain('ProvisionedThroughputExceededException');
    expect(lastResult(p).failed.map((f) => f.index)).toEqual([0, 1, 2, 3]);
    expect(putCalls(p, 'PutRecords').length).toBeGreaterThan(1);
  });

  it('retries a throttled PutRecord', async () => {
    const p = await start();
    p.cloud.failRecords(2);
    expect(await p.harness.run('send-test-record')).toBe(ExitCode.Success);
    expect(putCalls(p, 'PutRecord')).toHaveLength(3);
    expect(p.cloud.streamRecords(PRODUCER, REGION, STREAM)).toHaveLength(1);
  });

  it('refuses data over 1 MiB before calling AWS', async () => {
    const p = await start();
    const before = p.cloud.calls.length;
    const code = await p.harness.run('send-test-record', '--data', 'x'.repeat(1024 * 1024));
    expect(code).toBe(ExitCode.Usage);
    expect(p.harness.reporter.text).toMatch(/at most 1048576 bytes \(1 MiB\)/);
    expect(p.cloud.calls.length).toBe(before);
  });

  it('explains a missing stream', async () => {
    const p = await start();
    p.cloud.regionState(PRODUCER, REGION)!.streams.delete(STREAM);
    expect(await p.harness.run('send-test-record')).toBe(ExitCode.Failed);
    expect(p.harness.reporter.text).toContain(`Stream ${STREAM} does not exist in the producer account ${PRODUCER}`);
    expect(p.harness.reporter.text).toContain('kds-xacct status --name orders');
    expect(putCalls(p, 'PutRecord')).toHaveLength(0);
  });

  it('explains a stream that is not ACTIVE', async () => {
    const p = await start();
    const stream = p.cloud.regionState(PRODUCER, REGION)!.streams.get(STREAM)!;
    stream.phase = { state: 'DELETING', until: p.clock.now() + 60_000, then: null };
    expect(await p.harness.run('send-test-record')).toBe(ExitCode.Failed);
    expect(p.harness.reporter.text).toContain(`Stream ${STREAM} is being deleted`);
  });

  it('--verify waits for the records in the consumer logs and prints the end-to-end latency', async () => {
    const p = await start();
    expect(await p.harness.run('send-test-record', '--count', '3', '--verify')).toBe(ExitCode.Success);
    const result = lastResult(p);
    expect(result.verify?.ok).toBe(true);
    expect(result.verify?.latencies).toHaveLength(3);
    for (const l of result.verify!.latencies) {
      // The fake delivers a record esmDelivery (1 s) after it arrives.
      expect(l.latencyMs).toBeGreaterThanOrEqual(p.cloud.latency.esmDelivery);
      expect(l.latencyMs).toBeLessThan(10_000);
    }
    expect(p.harness.reporter.text).toContain('Verified: all 3 record(s) reached the consumer function.');
    expect(p.harness.reporter.text).toMatch(/#1 sequence \d+: \d/);
    // Read from the consumer account's log group.
    const filters = p.cloud.calls.filter((c) => c.command === 'FilterLogEvents');
    expect(filters.length).toBeGreaterThan(0);
    expect(filters.every((c) => c.accountId === CONSUMER)).toBe(true);
  });

  it('--verify times out with the mapping state and last result when the mapping is disabled', async () => {
    const p = await start({ esmEnabled: false });
    const startedAt = p.clock.now();
    expect(await p.harness.run('send-test-record', '--verify', '--timeout', '90s')).toBe(ExitCode.Failed);
    expect(p.clock.now() - startedAt).toBeGreaterThanOrEqual(90_000);
    expect(p.clock.now() - startedAt).toBeLessThan(100_000);
    const text = p.harness.reporter.text;
    expect(text).toContain(`1 of 1 record(s) did not appear in /aws/lambda/${FUNCTION} within 1m30s`);
    expect(text).toContain(`Event source mapping ${p.esmUuid}: State Disabled`);
    expect(text).toContain('StateTransitionReason: User action');
    expect(text).toContain('LastProcessingResult: No records processed');
    expect(text).toContain(`aws lambda update-event-source-mapping --uuid ${p.esmUuid} --enabled --profile analytics --region eu-west-1`);
    expect(lastResult(p).verify?.diagnostics?.eventSourceMapping?.state).toBe('Disabled');
  });

  it('--verify shows the errors the function logged when the records do not arrive', async () => {
    const p = await start();
    p.cloud.setFunctionRuntime(async () => {
      throw new TypeError('Cannot read properties of undefined');
    });
    expect(await p.harness.run('send-test-record', '--verify', '--timeout', '30s')).toBe(ExitCode.Failed);
    const text = p.harness.reporter.text;
    expect(text).toContain('Function errors in');
    expect(text).toContain('Cannot read properties of undefined');
    expect(text).toContain('LastProcessingResult: PROBLEM: Function call failed');
    expect(lastResult(p).verify?.diagnostics?.functionErrors.length).toBeGreaterThan(0);
  });

  it('--verify says where a batch the function keeps failing is reported', async () => {
    const p = await start();
    const queueArn = `arn:aws:sqs:${REGION}:${CONSUMER}:orders-failed-batches`;
    [...p.cloud.regionState(CONSUMER, REGION)!.esms.values()][0]!.destinationConfig = { OnFailure: { Destination: queueArn } };
    p.cloud.setFunctionRuntime(async () => {
      throw new TypeError('Cannot read properties of undefined');
    });
    expect(await p.harness.run('send-test-record', '--verify', '--timeout', '30s')).toBe(ExitCode.Failed);
    expect(p.harness.reporter.text).toContain(`a batch it gives up on is reported to ${queueArn} (its shard and sequence numbers`);
  });

  it('--verify stops at Ctrl-C', async () => {
    const p = await start({ esmEnabled: false });
    const running = p.harness.run('send-test-record', '--verify');
    await p.clock.sleep(5_000);
    p.harness.interrupt.trigger();
    expect(await running).toBe(ExitCode.Interrupted);
    expect(p.harness.reporter.lines.filter((l) => l.level === 'error').map((l) => l.text)).toEqual(['Stopped waiting: 1 record(s) not seen yet.']);
  });
});

describe('send-test-record write errors', () => {
  it('explains a KMS failure instead of reporting a bug', async () => {
    const p = await createPipeline();
    try {
      p.cloud.failOn({ command: 'PutRecord' }, { code: 'KMSDisabledException', message: 'The key is disabled.' });
      expect(await p.harness.run('send-test-record')).toBe(ExitCode.Failed);
      expect(p.harness.reporter.text).toContain("could not encrypt the record with the stream's KMS key (KMSDisabledException)");
      expect(p.harness.reporter.text).not.toContain('probably a bug');
    } finally {
      p.restore();
    }
  });
});

describe('send-test-record when a whole PutRecords request keeps failing', () => {
  it('lists that batch as failed, still sends the other batches, and exits 1', async () => {
    const p = await start();
    // Every request for the first batch (500 records) fails for longer than the retry budget.
    p.cloud.failOn({ command: 'PutRecords', when: (input: { Records: unknown[] }) => input.Records.length === 500 }, { code: 'InternalFailure', message: 'We encountered an internal error.' }, 10_000);
    const startedAt = p.clock.now();
    expect(await p.harness.run('send-test-record', '--count', '600')).toBe(ExitCode.Failed);
    expect(p.clock.now() - startedAt).toBeGreaterThanOrEqual(30_000);

    const text = p.harness.reporter.text;
    expect(text).not.toContain('probably a bug');
    expect(text).toContain('500 of 600 record(s) could not be sent');
    expect(text).toContain('InternalFailure');
    const result = lastResult(p);
    expect(result.failed.map((f) => f.index)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(result.failed.every((f) => f.errorCode === 'InternalFailure')).toBe(true);
    // The second batch went through, and its records are printed with their shard and sequence number.
    const stored = p.cloud.streamRecords(PRODUCER, REGION, STREAM);
    expect(stored).toHaveLength(100);
    expect(result.records.map((r) => r.index)).toEqual(Array.from({ length: 100 }, (_, i) => 500 + i));
    expect(result.records.map((r) => r.sequenceNumber).sort()).toEqual(stored.map((r) => r.sequenceNumber).sort());
    expect(text).toMatch(new RegExp(`#501 ${result.records[0]!.shardId}, id \\S+\\n {5}sequence ${result.records[0]!.sequenceNumber}`));
  });

  it('lists the entries still pending when a retry request keeps being throttled', async () => {
    const p = await start();
    p.cloud.failRecords(2);
    // The first request stores 8 of 10; every later request (the retry of the other 2) is throttled.
    p.cloud.failOn({ command: 'PutRecords', when: (input: { Records: unknown[] }) => input.Records.length === 2 }, { code: 'ProvisionedThroughputExceededException' }, 10_000);
    expect(await p.harness.run('send-test-record', '--count', '10')).toBe(ExitCode.Failed);
    const result = lastResult(p);
    expect(result.records).toHaveLength(8);
    expect(result.failed).toHaveLength(2);
    expect(result.failed.every((f) => f.errorCode === 'ProvisionedThroughputExceededException')).toBe(true);
    expect(p.harness.reporter.text).toContain('2 of 10 record(s) could not be sent');
    expect(p.harness.reporter.text).not.toContain('probably a bug');
  });

  it('keeps the clear message of an error that retrying cannot fix', async () => {
    const p = await start();
    p.cloud.failOn({ command: 'PutRecords' }, { code: 'AccessDeniedException', message: 'User is not authorized to perform kinesis:PutRecords' }, 10_000);
    expect(await p.harness.run('send-test-record', '--count', '3')).toBe(ExitCode.Failed);
    expect(p.harness.reporter.text).toContain(`The producer profile may not write to stream ${STREAM}`);
    expect(p.harness.reporter.text).not.toContain('probably a bug');
    expect(putCalls(p, 'PutRecords')).toHaveLength(1);
  });
});

describe('send-test-record with every value given as a flag', () => {
  /** A harness on the same fake cloud and profiles, with no state file at all. */
  function withoutState(p: Pipeline) {
    return createHarness({ sessions: p.sessions, clock: p.clock, store: new MemoryStateStore() });
  }
  const producerFlags = ['--producer-profile', 'prod', '--region', REGION, '--stream-name', STREAM];
  const consumerFlags = ['--consumer-profile', 'analytics', '--function-name', FUNCTION];

  it('sends with only --producer-profile, --region and --stream-name', async () => {
    const p = await start();
    const h = withoutState(p);
    expect(await h.run('send-test-record', ...producerFlags)).toBe(ExitCode.Success);
    const stored = p.cloud.streamRecords(PRODUCER, REGION, STREAM);
    expect(stored).toHaveLength(1);
    expect(h.reporter.text).toMatch(new RegExp(`#1 ${stored[0]!.shardId}, id \\S+\\n {5}sequence ${stored[0]!.sequenceNumber}`));
    expect((h.reporter.results.at(-1) as { deployment?: string }).deployment).toBeUndefined();
  });

  it('--verify with --consumer-profile and --function-name', async () => {
    const p = await start();
    const h = withoutState(p);
    expect(await h.run('send-test-record', ...producerFlags, ...consumerFlags, '--count', '2', '--verify')).toBe(ExitCode.Success);
    expect(h.reporter.text).toContain('Verified: all 2 record(s) reached the consumer function.');
  });

  it('--verify without a state file finds the event source mapping for its diagnosis', async () => {
    const p = await start({ esmEnabled: false });
    const h = withoutState(p);
    expect(await h.run('send-test-record', ...producerFlags, ...consumerFlags, '--verify', '--timeout', '30s')).toBe(ExitCode.Failed);
    expect(h.reporter.text).toContain(`Event source mapping ${p.esmUuid}: State Disabled`);
    expect(h.reporter.text).toContain(`aws lambda update-event-source-mapping --uuid ${p.esmUuid} --enabled`);
  });

  it('--stream-name overrides the deployment\'s stream', async () => {
    const p = await start();
    p.cloud.seedStream(PRODUCER, REGION, { name: 'other-stream', shards: 1, mode: 'PROVISIONED' });
    expect(await p.harness.run('send-test-record', '--stream-name', 'other-stream', '--data', 'elsewhere')).toBe(ExitCode.Success);
    expect(p.cloud.streamRecords(PRODUCER, REGION, STREAM)).toHaveLength(0);
    const [record] = p.cloud.streamRecords(PRODUCER, REGION, 'other-stream');
    expect(new TextDecoder().decode(record!.data)).toBe('elsewhere');
  });

  it('--function-name overrides the function whose logs --verify watches', async () => {
    const p = await start();
    const startedAt = p.clock.now();
    expect(await p.harness.run('send-test-record', '--function-name', 'someone-else', '--verify', '--timeout', '10s')).toBe(ExitCode.Failed);
    expect(p.clock.now() - startedAt).toBeLessThan(20_000);
    expect(p.harness.reporter.text).toContain('did not appear in /aws/lambda/someone-else within 10.0s');
    expect(p.harness.reporter.text).toContain('No event source mapping connects function someone-else');
  });

  it('--function-name that the deployment does not map: says what it maps, and gives no setup hint, as setup would change nothing', async () => {
    const p = await start();
    expect(await p.harness.run('send-test-record', '--function-name', 'someone-else', '--verify', '--timeout', '10s')).toBe(ExitCode.Failed);
    const text = p.harness.reporter.text;
    expect(text).toContain(`deployment "orders" connects function ${FUNCTION} to stream ${STREAM}. Check --function-name and --stream-name, or leave them out to verify the deployment's own.`);
    expect(text).not.toContain('kds-xacct setup');
  });

  it('without a state file, says which flags are missing', async () => {
    const p = await start();
    const h = withoutState(p);
    expect(await h.run('send-test-record', '--producer-profile', 'prod', '--verify')).toBe(ExitCode.Usage);
    expect(h.reporter.text).toContain('--stream-name');
    expect(h.reporter.text).toContain('--consumer-profile');
    expect(h.reporter.text).toContain('--function-name');
    expect(putCalls(p, 'PutRecord')).toHaveLength(0);
  });
});

describe('send-test-record --verify and CloudWatch Logs throttling', () => {
  it('keeps watching when FilterLogEvents is throttled', async () => {
    const p = await start();
    p.cloud.throttle('FilterLogEvents', 3);
    expect(await p.harness.run('send-test-record', '--verify')).toBe(ExitCode.Success);
    expect(p.harness.reporter.text).toContain('Verified: all 1 record(s) reached the consumer function.');
    expect(p.cloud.calls.filter((c) => c.command === 'FilterLogEvents' && c.error === 'ThrottlingException').length).toBe(3);
  });
});

describe('send-test-record --verify and a new KMS grant', () => {
  const FIVE_MINUTES = 300_000;
  const pendingNote = /The KMS grant was created (\d+ min( \d+ s)?|\d+ s) ago and is not in effect yet: KMS grants are usually in effect within five minutes \(CreateGrant API reference\)\. Lambda keeps the records and retries them; still waiting…/;
  let world: ReturnType<typeof twoAccounts>;
  afterEach(() => world.cloud.restore());

  async function setUp(latency: Partial<LatencyModel> = {}) {
    world = twoAccounts({ latency });
    expect(await world.setup('--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
    world.harness.reporter.lines.length = 0;
  }

  it('says once that the grant is not in effect yet, keeps waiting, and verifies the record once it is', async () => {
    await setUp({ grantPropagation: FIVE_MINUTES });
    expect(await world.harness.run('send-test-record', '--name', 'orders', '--verify', '--timeout', '6m'), world.harness.reporter.text).toBe(ExitCode.Success);
    const lines = world.harness.reporter.lines.map((l) => l.text);
    const notes = lines.filter((l) => pendingNote.test(l));
    expect(notes).toHaveLength(1);
    expect(lines.indexOf(notes[0]!)).toBeLessThan(lines.indexOf('Verified: all 1 record(s) reached the consumer function.'));
    expect(world.harness.reporter.lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  });

  it('a timeout while the grant is not in effect says so, and to verify again in a few minutes; the record then arrives', async () => {
    await setUp({ grantPropagation: FIVE_MINUTES });
    // One partition key, so one shard: the second record is delivered only after the first, which makes
    // "the record then arrives" certain when the second is verified (across shards Lambda keeps no order).
    const sameShard = ['--partition-key', 'orders-verify'];
    expect(await world.harness.run('send-test-record', '--name', 'orders', ...sameShard, '--verify', '--timeout', '60s')).toBe(ExitCode.Failed);
    expect(world.harness.reporter.lines.filter((l) => l.level === 'warn')).toEqual([]);
    // Exit 1 is an error, worded as a wait that ran out rather than a broken pipeline.
    const [failure, ...others] = world.harness.reporter.lines.filter((l) => l.level === 'error');
    expect(others).toEqual([]);
    expect(failure!.text).toMatch(/^Not verified yet: 1 of 1 record\(s\) did not appear in \/aws\/lambda\/orders-consumer within 1m00s: the KMS grant was created (1 min( \d+ s)?|\d+ s) ago and is not in effect yet\./);
    expect(failure!.text).toContain('LastProcessingResult: PROBLEM: KMSAccessDeniedException');
    expect(failure!.hint).toContain(
      `KMS grants are usually in effect within five minutes (CreateGrant API reference). Lambda keeps the records and retries them for up to the mapping's maximum record age (1 h), then discards them and reports them to arn:aws:sqs:${REGION}:${CONSUMER}:orders-failed-batches: run \`kds-xacct send-test-record --name orders --verify\` again in a few minutes.`,
    );
    const result = world.harness.reporter.results.at(-1) as { verify: { ok: boolean; diagnostics: { grantPending?: { ageMs: number } } } };
    expect(result.verify.ok).toBe(false);
    expect(result.verify.diagnostics.grantPending?.ageMs).toBeLessThan(FIVE_MINUTES);

    expect(await world.harness.run('send-test-record', '--name', 'orders', ...sameShard, '--verify', '--timeout', '5m')).toBe(ExitCode.Success);
    const logged = (await world.cloud.logEvents(CONSUMER, REGION, '/aws/lambda/orders-consumer')).filter((e) => e.message.includes('"type":"kds-xacct.record"'));
    expect(logged).toHaveLength(2);
  });

  it('a grant still not in effect past five minutes: says once that it is late and unusual, with the error, keeps waiting, and verifies the record once it is', async () => {
    await setUp({ grantPropagation: 7 * 60_000 });
    expect(await world.harness.run('send-test-record', '--name', 'orders', '--verify', '--timeout', '10m'), world.harness.reporter.text).toBe(ExitCode.Success);
    const lines = world.harness.reporter.lines;
    const late = lines.filter((l) => l.level === 'warn');
    expect(late).toHaveLength(1);
    expect(late[0]!.text).toMatch(
      /^The KMS grant was created 5 min \d+ s ago and the mapping still cannot decrypt: KMS grants are usually in effect within five minutes \(CreateGrant API reference\), so this is unusual and may be a real problem \(the key, the grant or the role\)\. The mapping's last result: "PROBLEM: KMSAccessDeniedException: .+"\. Still waiting, in case the grant is only late…$/,
    );
    const texts = lines.map((l) => l.text);
    expect(texts.filter((t) => pendingNote.test(t))).toHaveLength(1);
    expect(texts.indexOf(late[0]!.text)).toBeLessThan(texts.indexOf('Verified: all 1 record(s) reached the consumer function.'));
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('a mapping that cannot decrypt with a grant older than five minutes is a real failure, with what to check', async () => {
    await setUp();
    await world.clock.sleep(2 * FIVE_MINUTES);
    const grant = (await world.store.load('orders'))!.steps['kms-grant']!.outputs;
    await new KMSClient({ region: REGION, credentials: world.cloud.credentialsFor(PRODUCER) }).send(new RevokeGrantCommand({ KeyId: grant.keyId, GrantId: grant.grantId }));
    await world.clock.sleep(world.cloud.latency.grantPropagation);

    expect(await world.harness.run('send-test-record', '--name', 'orders', '--verify', '--timeout', '60s')).toBe(ExitCode.Failed);
    const text = world.harness.reporter.text;
    expect(text).not.toMatch(pendingNote);
    expect(text).not.toContain('Not verified yet');
    const [failure] = world.harness.reporter.lines.filter((l) => l.level === 'error');
    expect(failure!.text).toContain('LastProcessingResult: PROBLEM: KMSAccessDeniedException');
    expect(failure!.hint).toMatch(
      /The mapping still cannot decrypt the stream's records, and the KMS grant was created 1\d min( \d+ s)? ago, later than grants usually take to work \(CreateGrant API reference: usually less than five minutes\)\. Check the key, the grant and the role with `kds-xacct status --name orders`; if they are right, the grant is only late: Lambda keeps the records/,
    );
  });
});
