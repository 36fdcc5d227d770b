import { backoffDelays } from '../engine/wait.js';
import { errorMessage } from '../errors.js';
import { POLL_INTERVAL_MS, pollLogGroup, printHistory, waitForGroup } from './history.js';
import { openLiveTailWithBackfill } from './live-tail.js';
import type { TailContext } from './tail-context.js';

/** After a live-tail reconnect, fetch this much before the disconnect, so nothing falls into the gap. */
const RECONNECT_LOOKBACK_MS = 30_000;
/** Live-tail failures in a row (without a session starting) before we poll instead. */
const MAX_LIVE_FAILURES = 3;

/**
 * Follows the log group until Ctrl-C: Live Tail, reconnected when a session ends, or polling when
 * Live Tail is unavailable or keeps failing. `historyFrom`: print events from then on first.
 */
export async function followLogGroup(tail: TailContext, historyFrom: number | undefined): Promise<void> {
  let from = historyFrom ?? tail.clock.now();
  let backfill = historyFrom === undefined ? undefined : () => printHistory(tail, historyFrom);
  let failures = 0;
  const delays = backoffDelays({ initialDelayMs: 1_000, maxDelayMs: 10_000 });

  while (!tail.stop.stopped) {
    const opened = await openLiveTailWithBackfill(tail, backfill);
    if (tail.stop.stopped) return;
    if (opened.kind === 'missing') {
      if (!(await waitForGroup(tail))) return;
      continue;
    }
    if (opened.kind === 'unavailable') {
      const polling = `Live Tail is not available here (${opened.reason}); polling FilterLogEvents every ${POLL_INTERVAL_MS / 1000}s instead.`;
      if (tail.liveTailExpected) tail.reporter.warn(polling);
      else tail.reporter.debug(polling);
      if (backfill && !(await backfill())) {
        if (!(await waitForGroup(tail))) return;
      }
      return pollLogGroup(tail, from);
    }

    const end = await opened.session.done;
    if (end.reason === 'stopped' || tail.stop.stopped) return;
    const disconnectedAt = tail.clock.now();
    if (opened.session.started) failures = 0;
    if (end.reason === 'timeout') {
      tail.reporter.debug('Live Tail session reached its time limit; reconnecting.');
    } else {
      failures++;
      const detail = end.reason === 'error' ? `: ${errorMessage(end.error)}` : '';
      tail.reporter.debug(`Live Tail session ended (${end.reason}${detail}); reconnecting.`);
      if (failures >= MAX_LIVE_FAILURES) {
        tail.reporter.warn(`Live Tail keeps disconnecting${detail}; polling FilterLogEvents every ${POLL_INTERVAL_MS / 1000}s instead.`);
        return pollLogGroup(tail, disconnectedAt - RECONNECT_LOOKBACK_MS);
      }
      await tail.stop.sleep(delays.next().value);
    }
    // Events from just before the disconnect until the new session starts are fetched again;
    // the printer drops the ones already shown.
    from = disconnectedAt - RECONNECT_LOOKBACK_MS;
    const gapFrom = from;
    backfill = () => printHistory(tail, gapFrom);
  }
}
