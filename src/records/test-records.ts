import { randomUUID } from 'node:crypto';
import { UserError } from '../errors.js';
import { MAX_RECORD_BYTES, recordBytes, type OutgoingRecord } from './put-records.js';

function tooLarge(bytes: number): UserError {
  return new UserError(
    `The record is ${bytes} bytes with its partition key; Kinesis accepts at most ${MAX_RECORD_BYTES} bytes (1 MiB) per record.`,
    'Send a smaller payload.',
  );
}

/** Refuses a payload Kinesis would refuse, before any account is contacted. Without a fixed key, a random one's size counts. */
export function checkPayloadSize(payload: Uint8Array, partitionKey: string | undefined): void {
  const bytes = payload.byteLength + Buffer.byteLength(partitionKey ?? randomUUID());
  if (bytes > MAX_RECORD_BYTES) throw tooLarge(bytes);
}

/** The default payload: one small JSON document per record, with an id that shows up in the consumer's logs. */
function testRecord(index: number, count: number, origin: string, producerAccountId: string, now: number): { id: string; data: Uint8Array } {
  const id = randomUUID();
  const body = {
    id,
    source: 'kds-xacct send-test-record',
    sentAt: new Date(now).toISOString(),
    producerAccountId,
    message: count === 1 ? `Test record from kds-xacct (${origin}).` : `Test record ${index + 1} of ${count} from kds-xacct (${origin}).`,
  };
  return { id, data: new TextEncoder().encode(JSON.stringify(body)) };
}

export interface RecordsToBuild {
  count: number;
  /** Sent as it is in every record; without it, each record is a JSON test record. */
  payload?: Uint8Array | undefined;
  /** Without it, each record gets a random partition key. */
  partitionKey?: string | undefined;
  /** Where the test records say they come from: a deployment or a stream. */
  origin: string;
  producerAccountId: string;
  now: number;
}

/** The records to send, each within Kinesis's per-record limit. */
export function buildRecords({ count, payload, partitionKey: fixedKey, origin, producerAccountId, now }: RecordsToBuild): OutgoingRecord[] {
  const records: OutgoingRecord[] = Array.from({ length: count }, (_, index) => {
    const partitionKey = fixedKey ?? randomUUID();
    if (payload) return { index, partitionKey, data: payload };
    const { id, data } = testRecord(index, count, origin, producerAccountId, now);
    return { index, id, partitionKey, data };
  });
  const oversized = records.find((r) => recordBytes(r) > MAX_RECORD_BYTES);
  if (oversized) throw tooLarge(recordBytes(oversized));
  return records;
}
