import { describe, expect, it } from 'vitest';
import { isErrorLine, parseRecordLine } from '../../src/logs/record-lines.js';
import * as texts from '../../src/sandbox/aws-error-texts.js';

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

describe("the log reading, against Lambda's and the Node.js runtime's own lines (src/sandbox/aws-error-texts.ts, LAMBDA_LOG_LINES)", () => {
  const record = { type: 'kds-xacct.record', eventId: 'shardId-000000000006:4959', partitionKey: '1', sequenceNumber: '4959', data: { a: 1 } };

  it('each have a source', () => {
    for (const line of texts.LAMBDA_LOG_LINES) expect(line.source, line.example).toMatch(/Guide|aws\/aws-lambda-nodejs-runtime-interface-client/);
  });

  it('calls a line a failure exactly when it reports one, in either log format', () => {
    const judged = texts.LAMBDA_LOG_LINES.map((line) => ({ example: line.example, failure: isErrorLine(line.example) }));
    expect(judged).toEqual(texts.LAMBDA_LOG_LINES.map(({ example, failure }) => ({ example, failure })));
  });

  it('finds no record in any of them', () => {
    for (const line of texts.LAMBDA_LOG_LINES) expect(parseRecordLine(line.example), line.example).toBeUndefined();
  });

  it("reads a record in each framing the runtime gives a handler's line: console.log in the text and the JSON format, of a string or an object", () => {
    const text = texts.LOG_WARN.example.replace('WARN\tEvent not processed.', `INFO\t${JSON.stringify(record)}`);
    const jsonString = texts.LOG_JSON_INFO.example.replace('"custom serialized"', JSON.stringify(JSON.stringify(record)));
    const jsonObject = texts.LOG_JSON_INFO.example.replace('"custom serialized"', JSON.stringify(record));
    for (const line of [JSON.stringify(record), text, jsonString, jsonObject]) expect(parseRecordLine(line), line).toEqual(record);
  });
});
