/** Time as the engine, waiters and the fake cloud see it. Injected so tests and the benchmark run in virtual time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** A duration on the clock as people read it: 850ms, 12.3s, 4m05s. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/**
 * A clock whose time moves only when every pending piece of work is asleep.
 *
 * Each `sleep` registers a timer. Once the event loop has been idle for a few turns, the clock
 * jumps to the earliest timer and wakes it, so a wait of ten minutes costs microseconds.
 */
export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: Timer[] = [];
  private advancing = false;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timers.push({ at: this.current + Math.max(0, ms), seq: this.seq++, resolve });
      this.scheduleAdvance();
    });
  }

  /** Moves time forward by hand, waking every timer that falls due. */
  advance(ms: number): void {
    this.current += ms;
    this.wakeDue();
  }

  /** Timers still waiting: a test can assert that nothing is left asleep. */
  get pending(): number {
    return this.timers.length;
  }

  private scheduleAdvance(): void {
    if (this.advancing) return;
    this.advancing = true;
    // Several macrotask turns let promise chains and fake calls that are already running settle,
    // so that time only jumps when everything left is waiting on the clock.
    const settle = (turns: number): void => {
      setImmediate(() => {
        if (turns > 0) return settle(turns - 1);
        this.advancing = false;
        const next = this.timers.reduce<Timer | undefined>((min, t) => (!min || t.at < min.at ? t : min), undefined);
        if (!next) return;
        this.current = Math.max(this.current, next.at);
        this.wakeDue();
        if (this.timers.length > 0) this.scheduleAdvance();
      });
    };
    settle(8);
  }

  private wakeDue(): void {
    const due = this.timers.filter((t) => t.at <= this.current).sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.timers = this.timers.filter((t) => t.at > this.current);
    for (const t of due) t.resolve();
  }
}
