import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { Interrupt } from '../../src/engine/engine.js';
import { STOPPED, StopSignal } from '../../src/engine/stop-signal.js';

/** How Ctrl-C ends the waits of tail-logs and --verify: at once, whatever they wait on. */
const start = Date.UTC(2026, 0, 1);

describe('StopSignal', () => {
  it('lets a wait finish when Ctrl-C does not come', async () => {
    const clock = new VirtualClock(start);
    const stop = new StopSignal(new Interrupt(), clock);
    expect(await stop.race(Promise.resolve('record'))).toBe('record');
    await stop.sleep(5_000);
    await stop.retryClock.sleep(1_000);
    expect(clock.now() - start).toBe(6_000);
    expect(stop.stopped).toBe(false);
    expect(stop.signal.aborted).toBe(false);
  });

  it('ends a sleep, a race and a retry at Ctrl-C, and aborts the calls in flight', async () => {
    const clock = new VirtualClock(start);
    const interrupt = new Interrupt();
    const stop = new StopSignal(interrupt, clock);
    const never = new Promise<string>(() => undefined);
    const raced = stop.race(never);
    const slept = stop.sleep(60_000);
    const retried = stop.retryClock.sleep(60_000);
    interrupt.trigger();
    expect(await raced).toBe(STOPPED);
    await slept;
    await retried;
    expect(clock.now()).toBe(start);
    expect(stop.stopped).toBe(true);
    expect(stop.signal.aborted).toBe(true);
    expect(stop.retryClock.now()).toBe(start);
  });

  it('is stopped from the start when Ctrl-C came before it was made', async () => {
    const interrupt = new Interrupt();
    interrupt.trigger();
    const stop = new StopSignal(interrupt, new VirtualClock(start));
    expect(await stop.race(new Promise(() => undefined))).toBe(STOPPED);
    expect(stop.stopped).toBe(true);
  });
});
