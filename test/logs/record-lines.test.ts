import { describe, expect, it } from 'vitest';
import { isErrorLine, parseRecordLine } from '../../src/logs/record-lines.js';

describe('parseRecordLine', () => {
  const line = { type: 'kds-xacct.record', eventId: 'shardId-0:1', partitionKey: 'k', sequenceNumber: '1', data: { a: 1 } };

  it('reads a bare JSON line, the Lambda text format and the JSON log format', () => {
    expect(parseRecordLine(JSON.stringify(line))).toEqual(line);
    expect(parseRecordLine(`2026-01-01T00:00:00.000Z\treq\tINFO\t${JSON.stringify(line)}\n`)).toEqual(line);
    expect(parseRecordLine(JSON.stringify({ timestamp: 'x', level: 'INFO', requestId: 'r', message: line }))).toEqual(line);
  });

  it('ignores other lines', () => {
    expect(parseRecordLine('START RequestId: 1 Version: $LATEST')).toBeUndefined();
    expect(parseRecordLine('{"type":"kds-xacct.record-error","error":"x"}')).toBeUndefined();
    expect(parseRecordLine('kds-xacct.record {not json')).toBeUndefined();
  });

  it('recognises error lines', () => {
    expect(isErrorLine('2026-01-01T00:00:00.000Z\treq\tERROR\tInvoke Error')).toBe(true);
    expect(isErrorLine('2026-01-01T00:00:00.000Z req Task timed out after 3.00 seconds')).toBe(true);
    expect(isErrorLine('{"type":"kds-xacct.record-error","error":"x"}')).toBe(true);
    expect(isErrorLine('REPORT RequestId: 1\tDuration: 5.00 ms')).toBe(false);
  });
});
