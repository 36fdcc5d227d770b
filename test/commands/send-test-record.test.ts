import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { batchRecords, MAX_BATCH_BYTES } from '../../src/commands/send-test-record.js';
import { ExitCode } from '../../src/errors.js';
import { createHarness } from '../support/command-harness.js';
import { CONSUMER, createPipeline, FUNCTION, PRODUCER, REGION, STREAM, type Pipeline } from '../support/pipeline-fixture.js';

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
    expect(p.harness.reporter.text).toContain(`shard ${stored[0]!.shardId} sequence ${stored[0]!.sequenceNumber}`);
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
    expect(text).toContain(`aws lambda update-event-source-mapping --uuid ${p.esmUuid} --enabled`);
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

  it('--verify stops at Ctrl-C', async () => {
    const p = await start({ esmEnabled: false });
    const running = p.harness.run('send-test-record', '--verify');
    await p.clock.sleep(5_000);
    p.harness.interrupt.trigger();
    expect(await running).toBe(ExitCode.Interrupted);
  });
});

describe('batchRecords', () => {
  const rec = (bytes: number, key = 'k') => ({ data: new Uint8Array(bytes), partitionKey: key });

  it('splits at 500 records', () => {
    expect(batchRecords(Array.from({ length: 1001 }, () => rec(10))).map((b) => b.length)).toEqual([500, 500, 1]);
  });

  it('splits at 5 MiB counting partition keys', () => {
    const key = 'k'.repeat(256);
    const size = 1024 * 1024 - 256;
    // Exactly 5 MiB fits; one byte more does not.
    expect(batchRecords(Array.from({ length: 6 }, () => rec(size, key))).map((b) => b.length)).toEqual([5, 1]);
    expect(batchRecords([rec(MAX_BATCH_BYTES - 1), rec(1, 'kk')]).map((b) => b.length)).toEqual([1, 1]);
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
