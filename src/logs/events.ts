import type { AccountSession } from '../aws/session.js';
import type { Clock } from '../engine/clock.js';
import { functionLogGroupName } from '../pipeline/lookups.js';
import { arns } from '../pipeline/names.js';
import type { Writer } from '../render/types.js';
import { isErrorLine, parseRecordLine } from './record-lines.js';

/** A log event from either FilterLogEvents or Live Tail (which carries no event id). */
export interface TailEvent {
  timestamp: number;
  ingestionTime?: number | undefined;
  logStreamName: string;
  message: string;
  eventId?: string | undefined;
}

/** A function's log group, and its ARN as StartLiveTail wants it (no trailing `:*`). */
export interface LogGroupRef {
  name: string;
  arn: string;
}

export function logGroupRef(name: string, session: Pick<AccountSession, 'region' | 'accountId'>): LogGroupRef {
  return { name, arn: arns.logGroup(session.region, session.accountId, name) };
}

/** The group the function writes to: `/aws/lambda/<function>`, or the one its LoggingConfig names. */
export async function functionLogGroup(clock: Clock, session: AccountSession, functionName: string): Promise<LogGroupRef> {
  return logGroupRef(await functionLogGroupName(clock, session, functionName), session);
}

/** The colours of a printed event. The command passes a chalk instance, which prints plain text when colour is off. */
export interface EventStyle {
  dim(text: string): string;
  green(text: string): string;
  cyan(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
}

export interface EventFormat {
  /** One JSON object per event instead of a line of text. */
  json: boolean;
  logGroup: string;
  style: EventStyle;
}

/** An event as one line: the handler's record lines spelled out, error lines in red. */
function formatEvent(event: TailEvent, { json, logGroup, style: c }: EventFormat): string {
  const message = event.message.replace(/\r?\n$/, '');
  const record = parseRecordLine(message);
  const shown = message.trimEnd();
  const time = new Date(event.timestamp).toISOString();
  if (json) {
    return JSON.stringify({
      timestamp: time,
      ...(event.ingestionTime !== undefined && { ingestionTime: new Date(event.ingestionTime).toISOString() }),
      logGroup,
      logStream: event.logStreamName,
      ...(event.eventId && { eventId: event.eventId }),
      message,
      ...(record && { record }),
    });
  }
  if (record) {
    const data = typeof record.data === 'string' ? record.data : JSON.stringify(record.data);
    return (
      `${c.dim(time)} ${c.green('record')} pk=${c.cyan(record.partitionKey ?? '?')} seq=${c.cyan(record.sequenceNumber ?? '?')} ` +
      `${record.encoding ? c.dim(`(${record.encoding}) `) : ''}${data}${record.truncated ? c.yellow(' …(truncated)') : ''}`
    );
  }
  return `${c.dim(time)} ${isErrorLine(shown) ? c.red(shown) : shown}`;
}

/**
 * Prints each event once. Live Tail events carry no event id, so an event is known by its stream,
 * timestamp and message: the same key whichever API delivered it.
 */
export class EventPrinter {
  private readonly seen = new Map<string, number>();
  private newest = 0;

  constructor(
    private readonly out: Writer,
    private readonly format: EventFormat,
  ) {}

  printed = 0;

  print(event: TailEvent): void {
    const key = `${event.logStreamName}\u0000${event.timestamp}\u0000${event.message}`;
    if (this.seen.has(key)) return;
    this.seen.set(key, event.timestamp);
    this.newest = Math.max(this.newest, event.timestamp);
    if (this.seen.size > 20_000) this.prune();
    this.printed++;
    this.out.write(formatEvent(event, this.format) + '\n');
  }

  /** Events older than any window we fetch again can no longer come back. */
  private prune(): void {
    const horizon = this.newest - 15 * 60_000;
    for (const [key, timestamp] of this.seen) if (timestamp < horizon) this.seen.delete(key);
  }
}
