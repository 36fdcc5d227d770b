import { DescribeLogGroupsCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CommandFailedError, ExitCode, awsErrorCode, errorMessage } from '../errors.js';
import { callAws, hasCode, isNotFound, isThrottling } from '../aws/retry.js';
import { StoppedWhileRetrying, type TailContext } from './tail-context.js';

/** Polling fallback: how often, and how far back each poll looks again for late-ingested events. */
export const POLL_INTERVAL_MS = 2_000;
const POLL_LOOKBACK_MS = 60_000;
/** How often to look for a log group that does not exist yet. */
const GROUP_WAIT_MS = 5_000;

/** Errors after which the next poll is simply tried again. */
const isPassingFault = (error: unknown) => isThrottling(error) || hasCode(error, 'ServiceUnavailableException');

/**
 * One read, retrying throttling as every AWS call does, but not past Ctrl-C: the backoff ends when
 * it is pressed, and no request is sent after it (StoppedWhileRetrying is thrown instead).
 */
function read<T>(tail: TailContext, send: () => Promise<T>): Promise<T> {
  return callAws(tail.stop.retryClock, () => (tail.stop.stopped ? Promise.reject(new StoppedWhileRetrying()) : send()));
}

/** Whether the log group exists; false too when Ctrl-C ends the lookup. */
export async function groupExists(tail: TailContext): Promise<boolean> {
  let nextToken: string | undefined;
  try {
    do {
      const request = new DescribeLogGroupsCommand({ logGroupNamePrefix: tail.group.name, ...(nextToken && { nextToken }) });
      const page = await read(tail, () => tail.logs.send(request));
      if (page.logGroups?.some((g) => g.logGroupName === tail.group.name)) return true;
      nextToken = page.nextToken;
    } while (nextToken);
  } catch (error) {
    if (error instanceof StoppedWhileRetrying) return false;
    throw error;
  }
  return false;
}

/** Waits until the log group exists (the function's first invocation creates it). False when stopped. */
export async function waitForGroup(tail: TailContext): Promise<boolean> {
  tail.reporter.info(
    `Log group ${tail.group.name} does not exist yet: the function has not run yet (Lambda creates it on the first invocation). Waiting for it; Ctrl-C to stop.`,
  );
  while (!tail.stop.stopped) {
    await tail.stop.sleep(GROUP_WAIT_MS);
    if (tail.stop.stopped) return false;
    if (await groupExists(tail)) return true;
  }
  return false;
}

/** Prints the events from `startTime` on, page by page. Returns false when the log group is missing. */
export async function printHistory(tail: TailContext, startTime: number): Promise<boolean> {
  let nextToken: string | undefined;
  do {
    if (tail.stop.stopped) return true;
    let page;
    try {
      const request = new FilterLogEventsCommand({
        logGroupName: tail.group.name,
        startTime,
        ...(tail.filter && { filterPattern: tail.filter }),
        ...(nextToken && { nextToken }),
      });
      page = await read(tail, () => tail.logs.send(request));
    } catch (error) {
      if (error instanceof StoppedWhileRetrying) return true;
      if (isNotFound(error)) return false;
      if (awsErrorCode(error) === 'AccessDeniedException') {
        throw new CommandFailedError(
          `The consumer profile may not read ${tail.group.name}: ${errorMessage(error)}`,
          ExitCode.Failed,
          'Use a profile allowed logs:FilterLogEvents (and logs:StartLiveTail) on the log group.',
        );
      }
      throw error;
    }
    for (const event of page.events ?? []) {
      tail.printer.print({
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

/** The fallback when Live Tail is unavailable: FilterLogEvents every few seconds, looking back a little for late-ingested events. */
export async function pollLogGroup(tail: TailContext, from: number): Promise<void> {
  let windowStart = from;
  while (!tail.stop.stopped) {
    const pollStartedAt = tail.clock.now();
    try {
      if (!(await printHistory(tail, windowStart))) {
        if (!(await waitForGroup(tail))) return;
        continue;
      }
    } catch (error) {
      if (!isPassingFault(error)) throw error;
      tail.reporter.debug(`FilterLogEvents failed (${awsErrorCode(error)}); trying again at the next poll.`);
    }
    windowStart = Math.max(from, pollStartedAt - POLL_LOOKBACK_MS);
    await tail.stop.sleep(POLL_INTERVAL_MS);
  }
}
