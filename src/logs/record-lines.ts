/** One line the bundled handler logs per record (src/pipeline/handler). */
export interface RecordLine {
  type: 'kds-xacct.record';
  eventId?: string;
  partitionKey?: string;
  sequenceNumber?: string;
  approximateArrivalTimestamp?: number | string;
  data?: unknown;
  /** `base64` when the payload was not UTF-8 text. */
  encoding?: string;
  truncated?: boolean;
}

/**
 * The record a log message describes, or undefined. Accepts the Lambda text format
 * (`<time>\t<request id>\tINFO\t{...}`), the JSON log format (`{"level":..,"message":{...}}`),
 * and a bare JSON line.
 */
export function parseRecordLine(message: string): RecordLine | undefined {
  if (!message.includes('kds-xacct.record')) return undefined;
  const start = message.indexOf('{');
  if (start < 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.slice(start));
  } catch {
    return undefined;
  }
  const isRecord = (v: unknown): v is RecordLine =>
    typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'kds-xacct.record';
  if (isRecord(parsed)) return parsed;
  const inner = (parsed as { message?: unknown } | null)?.message;
  if (isRecord(inner)) return inner;
  if (typeof inner === 'string') return parseRecordLine(inner);
  return undefined;
}

const ERROR_LINE = /"type":\s*"kds-xacct\.record-error"|\tERROR\t|^ERROR\b|"level":\s*"(?:ERROR|FATAL)"|Task timed out|"errorType"|Runtime\.[A-Za-z]+Error|Unhandled Promise Rejection|Status: (?:error|timeout)|\bUncaught\b/;

/** Whether a Lambda log line reports a failure: an ERROR line, a timeout, a runtime error. */
export function isErrorLine(message: string): boolean {
  return ERROR_LINE.test(message);
}
