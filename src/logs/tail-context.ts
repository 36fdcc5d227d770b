import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { Clock } from '../engine/clock.js';
import type { Interrupt } from '../engine/engine.js';
import type { Reporter } from '../render/types.js';
import type { EventPrinter, LogGroupRef } from './events.js';

export const STOPPED = Symbol('stopped');

/** Resolves when Ctrl-C is pressed; lets every wait end early. */
export class StopSignal {
  readonly promise: Promise<typeof STOPPED>;
  private readonly controller = new AbortController();

  constructor(
    private readonly interrupt: Interrupt,
    private readonly clock: Clock,
  ) {
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
  sleep(ms: number): Promise<unknown> {
    return this.race(this.clock.sleep(ms));
  }
  /** The clock for retries: its sleeps end at Ctrl-C. */
  readonly retryClock: Clock = {
    now: () => this.clock.now(),
    sleep: async (ms) => {
      await this.sleep(ms);
    },
  };
}

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
}
