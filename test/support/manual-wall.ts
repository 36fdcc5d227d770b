import type { Clock } from '../../src/engine/clock.js';

/**
 * A wall clock for sandbox tests: it moves when told to, or by as much as someone sleeps (then
 * resolves on the next turn of the event loop), so the waits of a sandbox test cost no real time.
 */
export class ManualWall implements Clock {
  readonly slept: number[] = [];
  constructor(public time = Date.UTC(2026, 4, 1)) {}
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    this.slept.push(ms);
    this.time += ms;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
