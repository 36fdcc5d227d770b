import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';

/** The clock every test and the sandbox's waits run on: time moves only when all work is asleep. */
const start = Date.UTC(2026, 0, 1);

describe('VirtualClock', () => {
  it('wakes sleepers in order of their time, and those due at one time in the order they slept', async () => {
    const clock = new VirtualClock(start);
    const woke: string[] = [];
    const sleeper = (name: string, ms: number) => clock.sleep(ms).then(() => woke.push(`${name}@${clock.now() - start}`));
    await Promise.all([sleeper('late', 300), sleeper('first', 100), sleeper('second', 100), sleeper('past', -50)]);
    expect(woke).toEqual(['past@0', 'first@100', 'second@100', 'late@300']);
    expect(clock.pending).toBe(0);
  });

  it('moves by hand, waking only what falls due', async () => {
    const clock = new VirtualClock(start);
    let woke = false;
    void clock.sleep(1_000).then(() => (woke = true));
    void clock.sleep(5_000);
    clock.advance(1_000);
    await Promise.resolve();
    expect(woke).toBe(true);
    expect(clock.now()).toBe(start + 1_000);
    expect(clock.pending).toBe(1);
  });

  it('does not jump while work that is not asleep is still running', async () => {
    const clock = new VirtualClock(start);
    let busyTurns = 0;
    const busy = async () => {
      for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(() => (busyTurns++, resolve())));
      return clock.now();
    };
    const [, seen] = await Promise.all([clock.sleep(10_000), busy()]);
    expect(busyTurns).toBe(5);
    expect(seen).toBe(start);
    expect(clock.now()).toBe(start + 10_000);
  });

  it('wakes what a move by hand passes in order of time, not of sleeping, and keeps going once nothing is left', async () => {
    const clock = new VirtualClock(start);
    const woke: number[] = [];
    const done = Promise.all([clock.sleep(500).then(() => woke.push(500)), clock.sleep(300).then(() => woke.push(300))]);
    clock.advance(1_000);
    await done;
    expect(woke).toEqual([300, 500]);
    expect(clock.pending).toBe(0);
    // The advance the sleeps scheduled finds nothing left to wake, and the clock goes on working.
    for (let turn = 0; turn < 10; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
    await clock.sleep(10);
    expect(clock.now()).toBe(start + 1_010);
  });
});
