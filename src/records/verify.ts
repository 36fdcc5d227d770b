import { FilterLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { Clock } from '../engine/clock.js';
import type { Interrupt } from '../engine/engine.js';
import { STOPPED, StopSignal } from '../engine/stop-signal.js';
import { backoffDelays } from '../engine/wait.js';
import { awsErrorCode } from '../errors.js';
import { isErrorLine, parseRecordLine } from '../logs/record-lines.js';
import { isNotFound, isServerError, isThrottling } from '../aws/retry.js';
import type { Reporter } from '../render/types.js';
import type { SentRecord } from './put-records.js';

/** Records are looked for in the logs from a little before the send, for clock skew. */
const LOG_SKEW_MS = 60_000;
/** Later polls look back this far only: long enough for CloudWatch's ingestion delay. */
const LOG_LOOKBACK_MS = 2 * 60_000;

/** End-to-end latency of one record: from the request that stored it to the handler's log line. */
export interface Latency {
  index: number;
  sequenceNumber: string;
  latencyMs: number;
}

export interface VerifyOutcome {
  ok: boolean;
  interrupted: boolean;
  /** In the records' order. */
  latencies: Latency[];
  missing: SentRecord[];
  errorLines: string[];
}

/** Where in the consumer's logs the sent records can start to appear. */
export function logSearchStart(sent: readonly SentRecord[]): number {
  return Math.min(...sent.map((r) => r.sentAt)) - LOG_SKEW_MS;
}

/**
 * Watches the consumer function's log group until every sent sequence number has been logged by
 * the handler, or the timeout passes. Sequence numbers identify records whatever their payload.
 */
export async function verifyDelivery(
  deps: {
    clock: Clock;
    interrupt: Interrupt;
    reporter: Pick<Reporter, 'debug'>;
    /** Called after each look at the logs that still misses records: a chance to say why they are late. */
    whileWaiting?: () => Promise<void>;
  },
  logs: CloudWatchLogsClient,
  logGroupName: string,
  sent: SentRecord[],
  timeoutMs: number,
): Promise<VerifyOutcome> {
  const { clock, interrupt, reporter } = deps;
  const pending = new Map(sent.map((r) => [r.sequenceNumber, r]));
  const latencies: Latency[] = [];
  const errorLines: string[] = [];
  const seenErrors = new Set<string>();
  const deadline = clock.now() + timeoutMs;
  const delays = backoffDelays({ initialDelayMs: 1_000, maxDelayMs: 5_000 });
  let windowStart = logSearchStart(sent);
  let waitingNoted = false;
  const outcome = (ok: boolean, interrupted: boolean, missing: SentRecord[]): VerifyOutcome => ({
    ok,
    interrupted,
    latencies: latencies.sort((a, b) => a.index - b.index),
    missing,
    errorLines,
  });

  const stop = new StopSignal(interrupt, clock);

  for (;;) {
    const pollStartedAt = clock.now();
    let nextToken: string | undefined;
    let complete = true;
    try {
      do {
        const page = await logs.send(
          new FilterLogEventsCommand({
            logGroupName,
            startTime: windowStart,
            // Matches the handler's record lines and its record-error lines; other errors are
            // looked for only if the records do not arrive (see collectFunctionErrors).
            filterPattern: '"kds-xacct.record"',
            ...(nextToken && { nextToken }),
          }),
        );
        for (const event of page.events ?? []) {
          const message = event.message ?? '';
          const record = parseRecordLine(message);
          const sequenceNumber = record?.sequenceNumber ?? record?.eventId?.split(':').pop();
          const match = sequenceNumber ? pending.get(sequenceNumber) : undefined;
          if (match) {
            pending.delete(match.sequenceNumber);
            latencies.push({ index: match.index, sequenceNumber: match.sequenceNumber, latencyMs: (event.timestamp ?? clock.now()) - match.sentAt });
          } else if (!record && isErrorLine(message) && !seenErrors.has(message.trimEnd())) {
            seenErrors.add(message.trimEnd());
            errorLines.push(message.trimEnd());
          }
        }
        nextToken = page.nextToken;
      } while (nextToken);
    } catch (error) {
      if (isThrottling(error) || isServerError(error)) {
        // The next poll reads this poll's whole window again.
        complete = false;
        reporter.debug(`FilterLogEvents ${isThrottling(error) ? 'throttled' : 'failed on the AWS side'} (${awsErrorCode(error)}); trying again at the next poll.`);
      } else {
        // The function creates its log group on its first invocation.
        if (!isNotFound(error)) throw error;
        if (!waitingNoted) reporter.debug(`${logGroupName} does not exist yet: the function has not run yet.`);
        waitingNoted = true;
      }
    }
    if (complete) windowStart = Math.max(windowStart, pollStartedAt - LOG_LOOKBACK_MS);

    const missing = [...pending.values()];
    if (missing.length === 0) return outcome(true, false, missing);
    if (deadline - clock.now() > 0 && !interrupt.interrupted) await deps.whileWaiting?.();
    const remaining = deadline - clock.now();
    if (remaining <= 0 || interrupt.interrupted) return outcome(false, interrupt.interrupted, missing);
    if ((await stop.sleep(Math.min(delays.next().value, remaining))) === STOPPED) return outcome(false, true, missing);
  }
}

/** Min, median and max, for a summary line under many records' latencies. */
export function latencySpread(latencies: readonly Latency[]): { min: number; median: number; max: number } {
  const sorted = latencies.map((l) => l.latencyMs).sort((a, b) => a - b);
  return { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted[sorted.length - 1]! };
}
