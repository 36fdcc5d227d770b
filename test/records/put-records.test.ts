import { describe, expect, it } from 'vitest';
import { batchRecords, MAX_BATCH_BYTES } from '../../src/records/put-records.js';

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
