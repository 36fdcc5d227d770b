/**
 * The bundled consumer Lambda, shipped as `index.mjs` (ESM, Node 22/24, no dependencies).
 *
 * It is kept as a string rather than a file next to this module because the CLI is
 * bundled by tsup into dist/ chunks: a file path that works from src/ under vitest would
 * not exist beside the built chunk. The tests write this string to a temporary .mjs file
 * and import it, so the code that ships is the code that is tested.
 *
 * Written without backticks or dollar-brace, so the raw template literal holds it as is.
 */
export const HANDLER_SOURCE = String.raw`// kds-xacct consumer. Logs each Kinesis record as one JSON line and reports the
// records it cannot read as batch item failures, so Lambda retries only those.
// Lines go straight to stdout rather than through console.log so that each is exactly
// one JSON object, whatever the function's log format.

const MAX_DATA_CHARS = 4096;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export const handler = async (event) => {
  const batchItemFailures = [];
  const records = Array.isArray(event && event.Records) ? event.Records : [];
  for (const record of records) {
    const kinesis = (record && record.kinesis) || {};
    try {
      process.stdout.write(JSON.stringify(describeRecord(record)) + '\n');
    } catch (error) {
      process.stderr.write(
        JSON.stringify({
          type: 'kds-xacct.record-error',
          eventId: record && record.eventID,
          sequenceNumber: kinesis.sequenceNumber,
          error: error instanceof Error ? error.message : String(error),
        }) + '\n',
      );
      // An empty identifier makes Lambda retry the whole batch, which is right for a
      // record too malformed to name.
      batchItemFailures.push({ itemIdentifier: typeof kinesis.sequenceNumber === 'string' ? kinesis.sequenceNumber : '' });
    }
  }
  return { batchItemFailures };
};

function describeRecord(record) {
  const kinesis = record && record.kinesis;
  if (!kinesis || typeof kinesis.sequenceNumber !== 'string' || kinesis.sequenceNumber === '') {
    throw new Error('the record has no kinesis.sequenceNumber');
  }
  if (typeof kinesis.data !== 'string' || !BASE64.test(kinesis.data)) {
    throw new Error('kinesis.data is not valid base64');
  }
  const line = {
    type: 'kds-xacct.record',
    eventId: record.eventID,
    partitionKey: kinesis.partitionKey,
    sequenceNumber: kinesis.sequenceNumber,
    approximateArrivalTimestamp: isoTime(kinesis.approximateArrivalTimestamp),
  };
  const text = decodeUtf8(Buffer.from(kinesis.data, 'base64'));
  if (text === undefined) {
    // Binary payloads are logged as base64 rather than failed: retrying cannot make
    // them text, and failing them would stall the shard.
    return withData(line, kinesis.data, { encoding: 'base64' });
  }
  if (text.length > MAX_DATA_CHARS) return withData(line, text, {});
  return { ...line, data: parseJson(text) };
}

function withData(line, text, extra) {
  if (text.length <= MAX_DATA_CHARS) return { ...line, data: text, ...extra };
  let end = MAX_DATA_CHARS;
  // Do not cut a surrogate pair in half.
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return { ...line, data: text.slice(0, end), ...extra, truncated: true };
}

function decodeUtf8(bytes) {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined; // not UTF-8: the caller logs it as base64
  }
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text; // not JSON: logged as the text it is
  }
}

function isoTime(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return null;
  const date = new Date(Math.round(seconds * 1000));
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
`;
