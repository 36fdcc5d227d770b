import {
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
  StartLiveTailCommand,
  type CloudWatchLogsClient,
  type StartLiveTailResponseStream,
} from '@aws-sdk/client-cloudwatch-logs';
import { Chalk, type ChalkInstance } from 'chalk';
import type { AccountSession } from '../aws/session.js';
import type { CommandContext } from '../context.js';
import type { Clock } from '../engine/clock.js';
import type { Interrupt } from '../engine/engine.js';
import { backoffDelays } from '../engine/wait.js';
import { CommandFailedError, ExitCode, UserError, awsErrorCode, errorMessage } from '../errors.js';
import { arns, lambdaLogGroupName } from '../pipeline/names.js';
import { callAws, hasCode, isNotFound, isThrottling } from '../pipeline/retry.js';
import { STEP } from '../pipeline/steps/context.js';
import type { Writer } from '../render/types.js';
import { connectAccount, requireStepOutput, resolveDeployment, resolveDeploymentName, stepOutput } from './deployment.js';
import { parseDuration } from './durations.js';

/** Without --since, --no-follow prints this much history (as `aws logs tail` does). */
const DEFAULT_HISTORY_MS = 10 * 60_000;
/** Polling fallback: how often, and how far back each poll looks again for late-ingested events. */
const POLL_INTERVAL_MS = 2_000;
const POLL_LOOKBACK_MS = 60_000;
/** After a live-tail reconnect, fetch this much before the disconnect, so nothing falls into the gap. */
const RECONNECT_LOOKBACK_MS = 30_000;
/** Live-tail failures in a row (without a session starting) before we poll instead. */
const MAX_LIVE_FAILURES = 3;
/** How often to look for a log group that does not exist yet. */
const GROUP_WAIT_MS = 5_000;

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

/** A log event from either FilterLogEvents or Live Tail (which carries no event id). */
export interface TailEvent {
  timestamp: number;
  ingestionTime?: number | undefined;
  logStreamName: string;
  message: string;
  eventId?: string | undefined;
}

/** `/aws/lambda/<function>`, and its ARN as StartLiveTail wants it (no trailing `:*`). */
export interface LogGroupRef {
  name: string;
  arn: string;
}

export function functionLogGroup(functionName: string, session: Pick<AccountSession, 'region' | 'accountId'>): LogGroupRef {
  const name = lambdaLogGroupName(functionName);
  return { name, arn: arns.logGroup(session.region, session.accountId, name) };
}

/** Resolves when Ctrl-C is pressed; lets every wait end early. */
class StopSignal {
  readonly promise: Promise<typeof STOPPED>;
  private readonly controller = new AbortController();

  constructor(private readonly interrupt: Interrupt) {
    this.promise = new Promise((resolve) => {
      if (interrupt.interrupted) resolve(STOPPED);
      interrupt.onTrigger(() => resolve(STOPPED));
    });
    void this.promise.then(() => this.controller.abort());
  }
  get stopped(): boolean {
    return this.interrupt.interrupted;
  }
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  /** `promise`, or STOPPED when Ctrl-C comes first. */
  race<T>(promise: Promise<T>): Promise<T | typeof STOPPED> {
    return Promise.race([promise, this.promise]);
  }
}
const STOPPED = Symbol('stopped');

/** Ends a read's retries at Ctrl-C; never escapes LogTail. */
class StoppedWhileRetrying extends Error {
  override name = 'StoppedWhileRetrying';
}

/**
 * Prints each event once. Live Tail events carry no event id, so an event is known by its stream,
 * timestamp and message: the same key whichever API delivered it.
 */
class EventPrinter {
  private readonly seen = new Map<string, number>();
  private newest = 0;
  private readonly chalk: ChalkInstance;

  constructor(
    private readonly out: Writer,
    private readonly json: boolean,
    color: boolean,
    private readonly logGroup: string,
  ) {
    this.chalk = new Chalk({ level: color && !json ? 1 : 0 });
  }

  printed = 0;

  print(event: TailEvent): void {
    const key = `${event.logStreamName}\u0000${event.timestamp}\u0000${event.message}`;
    if (this.seen.has(key)) return;
    this.seen.set(key, event.timestamp);
    this.newest = Math.max(this.newest, event.timestamp);
    if (this.seen.size > 20_000) this.prune();
    this.printed++;
    this.out.write(this.format(event) + '\n');
  }

  /** Events older than any window we fetch again can no longer come back. */
  private prune(): void {
    const horizon = this.newest - 15 * 60_000;
    for (const [key, timestamp] of this.seen) if (timestamp < horizon) this.seen.delete(key);
  }

  private format(event: TailEvent): string {
    const message = event.message.replace(/\r?\n$/, '');
    const record = parseRecordLine(message);
    const shown = message.trimEnd();
    const time = new Date(event.timestamp).toISOString();
    if (this.json) {
      return JSON.stringify({
        timestamp: time,
        ...(event.ingestionTime !== undefined && { ingestionTime: new Date(event.ingestionTime).toISOString() }),
        logGroup: this.logGroup,
        logStream: event.logStreamName,
        ...(event.eventId && { eventId: event.eventId }),
        message,
        ...(record && { record }),
      });
    }
    const c = this.chalk;
    if (record) {
      const data = typeof record.data === 'string' ? record.data : JSON.stringify(record.data);
      return (
        `${c.dim(time)} ${c.green('record')} pk=${c.cyan(record.partitionKey ?? '?')} seq=${c.cyan(record.sequenceNumber ?? '?')} ` +
        `${record.encoding ? c.dim(`(${record.encoding}) `) : ''}${data}${record.truncated ? c.yellow(' …(truncated)') : ''}`
      );
    }
    return `${c.dim(time)} ${isErrorLine(shown) ? c.red(shown) : shown}`;
  }
}

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

type OpenResult = { kind: 'live'; session: LiveSession } | { kind: 'unavailable'; reason: string } | { kind: 'missing' };

/** StartLiveTail errors that mean "not here": no permission, quota, an endpoint that lacks it. Polling still works then. */
function liveTailUnavailableReason(error: unknown): string | undefined {
  const code = awsErrorCode(error) ?? (error as { code?: string } | undefined)?.code ?? (error as Error | undefined)?.name;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  if (isNotFound(error) || code === 'AbortError') return undefined;
  return `${code ?? 'error'}${status ? ` (HTTP ${status})` : ''}: ${errorMessage(error)}`;
}

/** Errors after which the next poll is simply tried again. */
const isPassingFault = (error: unknown) => isThrottling(error) || hasCode(error, 'ServiceUnavailableException');

/** Follows one log group: history with FilterLogEvents, then Live Tail, or polling when Live Tail is unavailable. */
class LogTail {
  constructor(
    private readonly ctx: CommandContext,
    private readonly logs: CloudWatchLogsClient,
    private readonly group: LogGroupRef,
    private readonly filter: string | undefined,
    private readonly printer: EventPrinter,
    private readonly stop: StopSignal,
  ) {}

  private get clock() {
    return this.ctx.environment.clock;
  }

  private sleep(ms: number): Promise<unknown> {
    return this.stop.race(this.clock.sleep(ms));
  }

  /** The clock for retries: its sleeps end at Ctrl-C. */
  private readonly retryClock: Clock = {
    now: () => this.clock.now(),
    sleep: async (ms) => {
      await this.sleep(ms);
    },
  };

  /**
   * One read, retrying throttling as every AWS call does, but not past Ctrl-C: the backoff ends when
   * it is pressed, and no request is sent after it (StoppedWhileRetrying is thrown instead).
   */
  private read<T>(send: () => Promise<T>): Promise<T> {
    return callAws(this.retryClock, () => (this.stop.stopped ? Promise.reject(new StoppedWhileRetrying()) : send()));
  }

  /** Whether the log group exists; false too when Ctrl-C ends the lookup. */
  async groupExists(): Promise<boolean> {
    let nextToken: string | undefined;
    try {
      do {
        const request = new DescribeLogGroupsCommand({ logGroupNamePrefix: this.group.name, ...(nextToken && { nextToken }) });
        const page = await this.read(() => this.logs.send(request));
        if (page.logGroups?.some((g) => g.logGroupName === this.group.name)) return true;
        nextToken = page.nextToken;
      } while (nextToken);
    } catch (error) {
      if (error instanceof StoppedWhileRetrying) return false;
      throw error;
    }
    return false;
  }

  /** Waits until the log group exists (the function's first invocation creates it). False when stopped. */
  async waitForGroup(): Promise<boolean> {
    this.ctx.reporter.info(
      `Log group ${this.group.name} does not exist yet: the function has not run yet (Lambda creates it on the first invocation). Waiting for it; Ctrl-C to stop.`,
    );
    while (!this.stop.stopped) {
      await this.sleep(GROUP_WAIT_MS);
      if (this.stop.stopped) return false;
      if (await this.groupExists()) return true;
    }
    return false;
  }

  /** Prints the events from `startTime` on, page by page. Returns false when the log group is missing. */
  async history(startTime: number): Promise<boolean> {
    let nextToken: string | undefined;
    do {
      if (this.stop.stopped) return true;
      let page;
      try {
        const request = new FilterLogEventsCommand({
          logGroupName: this.group.name,
          startTime,
          ...(this.filter && { filterPattern: this.filter }),
          ...(nextToken && { nextToken }),
        });
        page = await this.read(() => this.logs.send(request));
      } catch (error) {
        if (error instanceof StoppedWhileRetrying) return true;
        if (isNotFound(error)) return false;
        if (awsErrorCode(error) === 'AccessDeniedException') {
          throw new CommandFailedError(
            `The consumer profile may not read ${this.group.name}: ${errorMessage(error)}`,
            ExitCode.Failed,
            'Use a profile allowed logs:FilterLogEvents (and logs:StartLiveTail) on the log group.',
          );
        }
        throw error;
      }
      for (const event of page.events ?? []) {
        this.printer.print({
          timestamp: event.timestamp ?? 0,
          ingestionTime: event.ingestionTime,
          logStreamName: event.logStreamName ?? '',
          message: event.message ?? '',
          eventId: event.eventId,
        });
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return true;
  }

  /** Starts a Live Tail session and pumps its events into `session.sink` in the background. */
  async openLive(): Promise<OpenResult> {
    const local = new AbortController();
    let response;
    try {
      response = await this.logs.send(
        new StartLiveTailCommand({
          logGroupIdentifiers: [this.group.arn],
          ...(this.filter && { logEventFilterPattern: this.filter }),
        }),
        { abortSignal: AbortSignal.any([this.stop.signal, local.signal]) },
      );
    } catch (error) {
      if (isNotFound(error)) return { kind: 'missing' };
      if (this.stop.stopped) {
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
    session.done = this.pump(stream[Symbol.asyncIterator](), session, closed);
    return { kind: 'live', session };
  }

  private async pump(iterator: AsyncIterator<StartLiveTailResponseStream>, session: LiveSession, closed: Promise<typeof STOPPED>): Promise<LiveEnd> {
    let ended = false;
    try {
      for (;;) {
        const next = await this.stop.race(Promise.race([iterator.next(), closed]));
        if (next === STOPPED) {
          ended = true;
          return { reason: 'stopped' };
        }
        if (next.done) return { reason: 'ended' };
        const item = next.value;
        if (item.sessionStart) {
          session.started = true;
          this.ctx.reporter.debug(`Live Tail session ${item.sessionStart.sessionId ?? ''} started on ${this.group.arn}`);
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
      if (this.stop.stopped) return { reason: 'stopped' };
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
  private async openWithBackfill(backfill: (() => Promise<boolean>) | undefined): Promise<OpenResult> {
    const opened = await this.openLive();
    if (opened.kind !== 'live') return opened;
    const held: TailEvent[] = [];
    opened.session.sink = (event) => held.push(event);
    if (backfill && !(await backfill())) {
      opened.session.close();
      return { kind: 'missing' };
    }
    for (const event of held) this.printer.print(event);
    opened.session.sink = (event) => this.printer.print(event);
    return opened;
  }

  /** Follows until Ctrl-C. `historyFrom`: print events from then on first. */
  async follow(historyFrom: number | undefined): Promise<void> {
    let from = historyFrom ?? this.clock.now();
    let backfill = historyFrom === undefined ? undefined : () => this.history(historyFrom);
    let failures = 0;
    const delays = backoffDelays({ initialDelayMs: 1_000, maxDelayMs: 10_000 });

    while (!this.stop.stopped) {
      const opened = await this.openWithBackfill(backfill);
      if (this.stop.stopped) return;
      if (opened.kind === 'missing') {
        if (!(await this.waitForGroup())) return;
        continue;
      }
      if (opened.kind === 'unavailable') {
        this.ctx.reporter.warn(`Live Tail is not available here (${opened.reason}); polling FilterLogEvents every ${POLL_INTERVAL_MS / 1000}s instead.`);
        if (backfill && !(await backfill())) {
          if (!(await this.waitForGroup())) return;
        }
        return this.poll(from);
      }

      const end = await opened.session.done;
      if (end.reason === 'stopped' || this.stop.stopped) return;
      const disconnectedAt = this.clock.now();
      if (opened.session.started) failures = 0;
      if (end.reason === 'timeout') {
        this.ctx.reporter.debug('Live Tail session reached its time limit; reconnecting.');
      } else {
        failures++;
        const detail = end.reason === 'error' ? `: ${errorMessage(end.error)}` : '';
        this.ctx.reporter.debug(`Live Tail session ended (${end.reason}${detail}); reconnecting.`);
        if (failures >= MAX_LIVE_FAILURES) {
          this.ctx.reporter.warn(`Live Tail keeps disconnecting${detail}; polling FilterLogEvents every ${POLL_INTERVAL_MS / 1000}s instead.`);
          return this.poll(disconnectedAt - RECONNECT_LOOKBACK_MS);
        }
        await this.sleep(delays.next().value);
      }
      // Events from just before the disconnect until the new session starts are fetched again;
      // the printer drops the ones already shown.
      from = disconnectedAt - RECONNECT_LOOKBACK_MS;
      const gapFrom = from;
      backfill = () => this.history(gapFrom);
    }
  }

  /** The fallback: FilterLogEvents every few seconds, looking back a little for late-ingested events. */
  async poll(from: number): Promise<void> {
    let windowStart = from;
    while (!this.stop.stopped) {
      const pollStartedAt = this.clock.now();
      try {
        if (!(await this.history(windowStart))) {
          if (!(await this.waitForGroup())) return;
          continue;
        }
      } catch (error) {
        if (!isPassingFault(error)) throw error;
        this.ctx.reporter.debug(`FilterLogEvents failed (${awsErrorCode(error)}); trying again at the next poll.`);
      }
      windowStart = Math.max(from, pollStartedAt - POLL_LOOKBACK_MS);
      await this.sleep(POLL_INTERVAL_MS);
    }
  }
}

/** The consumer account and the function to tail: `--function`, else the deployment's function. */
async function resolveTarget(ctx: CommandContext, functionFlag: string | undefined): Promise<{ consumer: AccountSession; functionName: string }> {
  if (functionFlag) {
    if (ctx.options.consumerProfile) {
      // Any function: no deployment needed, only the consumer profile (and its region or --region).
      return { consumer: await connectAccount(ctx, 'consumer'), functionName: functionFlag };
    }
    try {
      await resolveDeploymentName(ctx);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      throw new UserError(
        `tail-logs --function ${functionFlag} needs the consumer account's profile.`,
        'Pass --consumer-profile <profile> (and --region if the profile names none), or --name of a deployment whose consumer profile to use.',
      );
    }
    const { consumer } = await resolveDeployment(ctx, ['consumer']);
    return { consumer, functionName: functionFlag };
  }
  const { consumer, state } = await resolveDeployment(ctx, ['consumer']);
  const functionName = stepOutput(state, STEP.esm, 'functionName') ?? requireStepOutput(state, STEP.function, 'functionName');
  return { consumer, functionName };
}

export async function runTailLogs(ctx: CommandContext, options: Record<string, unknown>): Promise<ExitCode> {
  const since = typeof options.since === 'string' ? parseDuration(options.since, '--since') : undefined;
  const follow = options.follow !== false;
  const filter = typeof options.filter === 'string' && options.filter !== '' ? options.filter : undefined;
  const functionFlag = typeof options.function === 'string' ? options.function : undefined;

  const { consumer, functionName } = await resolveTarget(ctx, functionFlag);
  const group = functionLogGroup(functionName, consumer);
  const { environment } = ctx;
  const printer = new EventPrinter(environment.stdout, ctx.options.json, ctx.options.color && environment.stdoutIsTTY, group.name);
  const stop = new StopSignal(environment.interrupt);
  const tail = new LogTail(ctx, consumer.clients.logs, group, filter, printer, stop);

  if (!follow) {
    const from = environment.clock.now() - (since ?? DEFAULT_HISTORY_MS);
    if (!(await tail.history(from))) throw missingGroupError(group, functionName, consumer);
    if (printer.printed === 0 && !ctx.options.json) {
      ctx.reporter.info(`No log events in ${group.name} since ${new Date(from).toISOString()}${filter ? ` matching ${JSON.stringify(filter)}` : ''}.`);
    }
    return ExitCode.Success;
  }

  ctx.reporter.info(`Following ${group.name} in account ${consumer.accountId} (${consumer.region}). Ctrl-C to stop.`);
  const startedAt = environment.clock.now();
  let historyFrom = since === undefined ? undefined : startedAt - since;
  if (!(await tail.groupExists())) {
    if (!(await tail.waitForGroup())) return ExitCode.Success;
    // What the first invocations logged while we waited is shown too.
    historyFrom ??= startedAt;
  }
  await tail.follow(historyFrom);
  return ExitCode.Success;
}

function missingGroupError(group: LogGroupRef, functionName: string, consumer: AccountSession): CommandFailedError {
  return new CommandFailedError(
    `Log group ${group.name} does not exist in account ${consumer.accountId} (${consumer.region}): function ${functionName} has not run yet, or it logs elsewhere.`,
    ExitCode.Failed,
    'Lambda creates the log group on the first invocation. Send a record with `kds-xacct send-test-record`, or follow the logs without --no-follow to wait for it.',
  );
}
