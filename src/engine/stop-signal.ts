import type { Clock } from './clock.js';
import type { Interrupt } from './engine.js';

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
