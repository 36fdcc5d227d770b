import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { HANDLER_SOURCE } from '../../src/pipeline/handler/source.js';

type Handler = (event: unknown) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>;

const STREAM_ARN = 'arn:aws:kinesis:us-east-1:111111111111:stream/orders-stream';
const CONSUMER_ARN = `${STREAM_ARN}/consumer/orders-222222222222-efo:1700000000`;
let dir: string;
let handler: Handler;

beforeAll(async () => {
  // Import the very string that ships, from a real .mjs file, as Lambda's runtime would.
  dir = mkdtempSync(join(tmpdir(), 'kds-xacct-handler-'));
  const file = join(dir, 'index.mjs');
  writeFileSync(file, HANDLER_SOURCE);
  ({ handler } = (await import(pathToFileURL(file).href)) as { handler: Handler });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

let stdout: string[];
let stderr: string[];
function captureOutput() {
  stdout = [];
  stderr = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
}
afterEach(() => vi.restoreAllMocks());

let sequence = 49590338271490256608559692538361571095921575989136588898n;
function record(data: string, overrides: { partitionKey?: string; approximateArrivalTimestamp?: unknown } = {}) {
  const sequenceNumber = String(sequence++);
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: overrides.partitionKey ?? 'pk-1',
      sequenceNumber,
      data,
      approximateArrivalTimestamp: 'approximateArrivalTimestamp' in overrides ? overrides.approximateArrivalTimestamp : 1545084650.987,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `shardId-000000000006:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::222222222222:role/kds-xacct-orders-consumer',
    awsRegion: 'us-east-1',
    eventSourceARN: CONSUMER_ARN,
  };
}
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

async function run(records: unknown[]) {
  captureOutput();
  const result = await handler({ Records: records });
  const lines = stdout.join('').split('\n').filter((l) => l !== '');
  return { result, lines: lines.map((l) => JSON.parse(l) as Record<string, unknown>), raw: stdout.join('') };
}

describe('bundled consumer handler', () => {
  it('source is a plain ES module the raw template literal held intact', () => {
    expect(HANDLER_SOURCE).toContain('export const handler');
    expect(HANDLER_SOURCE).not.toMatch(/\bimport\b|\brequire\(/);
    expect(HANDLER_SOURCE).toContain("'\\n'");
  });

  it('logs one JSON line per record, with JSON payloads parsed', async () => {
    const json = record(b64(JSON.stringify({ orderId: 42, items: ['a', 'b'] })));
    const text = record(b64('Hello, this is a test.'), { partitionKey: 'pk-2' });
    const { result, lines, raw } = await run([json, text]);

    expect(result).toEqual({ batchItemFailures: [] });
    expect(raw.split('\n')).toHaveLength(3);
    expect(lines).toEqual([
      {
        type: 'kds-xacct.record',
        eventId: json.eventID,
        partitionKey: 'pk-1',
        sequenceNumber: json.kinesis.sequenceNumber,
        approximateArrivalTimestamp: '2018-12-17T22:10:50.987Z',
        data: { orderId: 42, items: ['a', 'b'] },
      },
      {
        type: 'kds-xacct.record',
        eventId: text.eventID,
        partitionKey: 'pk-2',
        sequenceNumber: text.kinesis.sequenceNumber,
        approximateArrivalTimestamp: '2018-12-17T22:10:50.987Z',
        data: 'Hello, this is a test.',
      },
    ]);
    expect(stderr).toEqual([]);
  });

  it('keeps multi-line and non-ASCII payloads on one line', async () => {
    const { lines, raw } = await run([record(b64('line one\nline two — ünïcödé 🚀'))]);
    expect(raw.trimEnd().split('\n')).toHaveLength(1);
    expect(lines[0]?.['data']).toBe('line one\nline two — ünïcödé 🚀');
  });

  it('parses any JSON value, and leaves text that only looks like JSON alone', async () => {
    const { lines } = await run([record(b64('123')), record(b64('"quoted"')), record(b64('{"broken":')), record('')]);
    expect(lines.map((l) => l['data'])).toEqual([123, 'quoted', '{"broken":', '']);
  });

  it('truncates long payloads to 4096 characters and says so', async () => {
    const long = JSON.stringify({ blob: 'x'.repeat(5000) });
    const exact = 'y'.repeat(4096);
    const { lines } = await run([record(b64(long)), record(b64(exact))]);
    expect(lines[0]?.['truncated']).toBe(true);
    expect(lines[0]?.['data']).toBe(long.slice(0, 4096));
    expect(lines[1]).not.toHaveProperty('truncated');
    expect(lines[1]?.['data']).toBe(exact);
  });

  it('does not cut a surrogate pair when truncating', async () => {
    const text = `${'a'.repeat(4095)}🚀tail`;
    const { lines } = await run([record(b64(text))]);
    expect(lines[0]?.['data']).toBe('a'.repeat(4095));
    expect(lines[0]?.['truncated']).toBe(true);
  });

  it('logs binary payloads as base64 instead of failing them', async () => {
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x80]).toString('base64');
    const { result, lines } = await run([record(binary)]);
    expect(result.batchItemFailures).toEqual([]);
    expect(lines[0]).toMatchObject({ data: binary, encoding: 'base64' });
  });

  it('reports records it cannot read as batch item failures, and logs the others', async () => {
    const good = record(b64('fine'));
    const badBase64 = record('not*base64!');
    const alsoGood = record(b64('{"ok":true}'));
    const { result, lines } = await run([good, badBase64, alsoGood]);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: badBase64.kinesis.sequenceNumber }] });
    expect(lines.map((l) => l['sequenceNumber'])).toEqual([good.kinesis.sequenceNumber, alsoGood.kinesis.sequenceNumber]);
    expect(stderr).toHaveLength(1);
    expect(JSON.parse(stderr[0]!)).toEqual({
      type: 'kds-xacct.record-error',
      eventId: badBase64.eventID,
      sequenceNumber: badBase64.kinesis.sequenceNumber,
      error: 'kinesis.data is not valid base64',
    });
  });

  it('fails the whole batch for a record without a sequence number', async () => {
    const broken = { eventSource: 'aws:kinesis', kinesis: { data: b64('x') } };
    const { result } = await run([broken]);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '' }] });
  });

  it('writes null for a missing or unreadable arrival time', async () => {
    const { lines } = await run([
      record(b64('a'), { approximateArrivalTimestamp: undefined }),
      record(b64('b'), { approximateArrivalTimestamp: 'yesterday' }),
    ]);
    expect(lines.map((l) => l['approximateArrivalTimestamp'])).toEqual([null, null]);
  });

  it('returns no failures for an event with no records', async () => {
    captureOutput();
    expect(await handler({})).toEqual({ batchItemFailures: [] });
    expect(await handler(undefined)).toEqual({ batchItemFailures: [] });
    expect(stdout).toEqual([]);
  });
});
