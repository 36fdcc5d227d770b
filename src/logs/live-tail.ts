import { StartLiveTailCommand, type StartLiveTailResponseStream } from '@aws-sdk/client-cloudwatch-logs';
import { awsErrorCode, errorMessage } from '../errors.js';
import { isNotFound } from '../aws/retry.js';
import type { TailEvent } from './events.js';
import { STOPPED } from '../engine/stop-signal.js';
import type { TailContext } from './tail-context.js';

type LiveEnd =
  | { reason: 'stopped' }
  | { reason: 'timeout' }
  | { reason: 'ended' }
  | { reason: 'error'; error: unknown };

interface LiveSession {
  /** Where events go: a buffer while history is being fetched, then the printer. */
  sink: (event: TailEvent) => void;
  /** Whether sessionStart arrived, i.e. the session really worked. */
  started: boolean;
  done: Promise<LiveEnd>;
  /** Ends the session early (its log group vanished during the backfill). */
  close: () => void;
}

export type OpenResult = { kind: 'live'; session: LiveSession } | { kind: 'unavailable'; reason: string } | { kind: 'missing' };

type LiveTailContext = Pick<TailContext, 'logs' | 'group' | 'filter' | 'stop' | 'reporter'>;

/** StartLiveTail errors that mean "not here": no permission, quota, an endpoint that lacks it. Polling still works then. */
function liveTailUnavailableReason(error: unknown): string | undefined {
  const code = awsErrorCode(error) ?? (error as { code?: string } | undefined)?.code ?? (error as Error | undefined)?.name;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  if (isNotFound(error) || code === 'AbortError') return undefined;
  return `${code ?? 'error'}${status ? ` (HTTP ${status})` : ''}: ${errorMessage(error)}`;
}

/** Starts a Live Tail session and pumps its events into `session.sink` in the background. */
async function openLiveTail(tail: LiveTailContext): Promise<OpenResult> {
  const local = new AbortController();
  let response;
  try {
    response = await tail.logs.send(
      new StartLiveTailCommand({
        logGroupIdentifiers: [tail.group.arn],
        ...(tail.filter && { logEventFilterPattern: tail.filter }),
      }),
      { abortSignal: AbortSignal.any([tail.stop.signal, local.signal]) },
    );
  } catch (error) {
    if (isNotFound(error)) return { kind: 'missing' };
    if (tail.stop.stopped) {
      return { kind: 'live', session: { sink: () => {}, started: false, done: Promise.resolve({ reason: 'stopped' }), close: () => {} } };
    }
    const reason = liveTailUnavailableReason(error);
    if (reason === undefined) throw error;
    return { kind: 'unavailable', reason };
  }
  const stream = response.responseStream;
  if (!stream) return { kind: 'unavailable', reason: 'StartLiveTail returned no event stream' };
  const closed = new Promise<typeof STOPPED>((resolve) => local.signal.addEventListener('abort', () => resolve(STOPPED)));
  const session: LiveSession = { sink: () => {}, started: false, done: Promise.resolve({ reason: 'ended' }), close: () => local.abort() };
  session.done = pump(tail, stream[Symbol.asyncIterator](), session, closed);
  return { kind: 'live', session };
}

async function pump(
  tail: LiveTailContext,
  iterator: AsyncIterator<StartLiveTailResponseStream>,
  session: LiveSession,
  closed: Promise<typeof STOPPED>,
): Promise<LiveEnd> {
  let ended = false;
  try {
    for (;;) {
      const next = await tail.stop.race(Promise.race([iterator.next(), closed]));
      if (next === STOPPED) {
        ended = true;
        return { reason: 'stopped' };
      }
      if (next.done) return { reason: 'ended' };
      const item = next.value;
      if (item.sessionStart) {
        session.started = true;
        tail.reporter.debug(`Live Tail session ${item.sessionStart.sessionId ?? ''} started on ${tail.group.arn}`);
      } else if (item.sessionUpdate) {
        for (const event of item.sessionUpdate.sessionResults ?? []) {
          session.sink({
            timestamp: event.timestamp ?? 0,
            ingestionTime: event.ingestionTime,
            logStreamName: event.logStreamName ?? '',
            message: event.message ?? '',
          });
        }
      } else if (item.SessionTimeoutException) {
        return { reason: 'timeout' };
      } else if (item.SessionStreamingException) {
        return { reason: 'error', error: item.SessionStreamingException };
      }
    }
  } catch (error) {
    // The SDK throws exception events from the iterator rather than yielding them.
    if (tail.stop.stopped) return { reason: 'stopped' };
    if ((error as Error | undefined)?.name === 'SessionTimeoutException') return { reason: 'timeout' };
    return { reason: 'error', error };
  } finally {
    // Let go of the stream when we stop reading it; the abort signal closes the connection.
    if (ended) void iterator.return?.()?.catch(() => undefined);
  }
}

/**
 * Opens a live session whose events are held back while `backfill` runs, then printed after the
 * backfilled ones, so history and live events come out in order and each once.
 */
export async function openLiveTailWithBackfill(tail: LiveTailContext & Pick<TailContext, 'printer'>, backfill: (() => Promise<boolean>) | undefined): Promise<OpenResult> {
  const opened = await openLiveTail(tail);
  if (opened.kind !== 'live') return opened;
  const held: TailEvent[] = [];
  opened.session.sink = (event) => held.push(event);
  if (backfill && !(await backfill())) {
    opened.session.close();
    return { kind: 'missing' };
  }
  for (const event of held) tail.printer.print(event);
  opened.session.sink = (event) => tail.printer.print(event);
  return opened;
}
