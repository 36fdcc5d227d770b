import type { CommandContext } from '../context.js';
import { STOPPED, StopSignal } from '../engine/stop-signal.js';
import { ExitCode } from '../errors.js';
import { type FlowRequest, readFlow } from '../monitoring/read.js';
import { type FlowHints, flowLine, formatFlow } from '../monitoring/render.js';

/** How often `status --watch` reads the metrics again: CloudWatch's periods are a minute, so a few seconds shows a new one promptly. */
export const WATCH_INTERVAL_MS = 5_000;
/** The sparklines' span: the last hour, one character a minute. */
export const WATCH_HISTORY_MS = 3_600_000;
/** Clears a terminal and puts the cursor home, so that each refresh replaces the last. */
const CLEAR_SCREEN = '\x1b[2J\x1b[H';

/**
 * `status --watch`: the flow's figures again every few seconds until Ctrl-C, which ends it with exit 0. A
 * terminal gets the figures redrawn in place with a sparkline of the last hour each and the time of the
 * refresh; anything else one line per refresh.
 */
export async function watchFlow(ctx: CommandContext, request: (now: number) => FlowRequest, hints: FlowHints): Promise<ExitCode> {
  const { environment, reporter } = ctx;
  const stop = new StopSignal(environment.interrupt, environment.clock);
  const terminal = environment.stdoutIsTTY && !ctx.options.json;
  if (!terminal) reporter.info(`Refreshing every ${WATCH_INTERVAL_MS / 1000} s, one line each. Ctrl-C to stop.`);
  let deniedSaid = false;
  while (!stop.stopped) {
    const now = environment.clock.now();
    const flow = await stop.race(readFlow({ ...request(now), historyMs: WATCH_HISTORY_MS }));
    if (flow === STOPPED) break;
    if (terminal) {
      const figures = formatFlow(flow, hints, { width: ctx.tableWidth, sparklines: { from: now - WATCH_HISTORY_MS, until: now } });
      environment.stdout.write(`${CLEAR_SCREEN}${figures}\n\nLast refresh ${new Date(now).toLocaleTimeString('en-GB')}, every ${WATCH_INTERVAL_MS / 1000} s; the lines show the last hour. Ctrl-C to stop.\n`);
    } else {
      if (!deniedSaid && flow.denied.length > 0) reporter.warn(formatFlow({ ...flow, figures: [] }, hints).split('\n').slice(1).join('\n'));
      deniedSaid ||= flow.denied.length > 0;
      reporter.info(flowLine(flow, now));
    }
    await stop.sleep(WATCH_INTERVAL_MS);
  }
  return ExitCode.Success;
}
