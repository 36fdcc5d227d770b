import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { Clock } from '../engine/clock.js';
import type { StopSignal } from '../engine/stop-signal.js';
import type { Reporter } from '../render/types.js';
import type { EventPrinter, LogGroupRef } from './events.js';

/** Ends a read's retries at Ctrl-C; never escapes the logs domain. */
export class StoppedWhileRetrying extends Error {
  override name = 'StoppedWhileRetrying';
}

/** What reading and following one log group share: where to read, where to print, and when to stop. */
export interface TailContext {
  logs: CloudWatchLogsClient;
  group: LogGroupRef;
  filter: string | undefined;
  printer: EventPrinter;
  stop: StopSignal;
  clock: Clock;
  reporter: Pick<Reporter, 'info' | 'warn' | 'debug'>;
  /** False where Live Tail is known to be absent (the sandbox has none): polling then is no news worth a warning. */
  liveTailExpected: boolean;
}
