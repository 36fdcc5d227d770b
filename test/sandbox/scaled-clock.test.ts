import { describe, expect, it } from 'vitest';
import { ScaledClock } from '../../src/sandbox/scaled-clock.js';
import { ManualWall } from '../support/manual-wall.js';

describe('ScaledClock', () => {
  it('runs `factor` times faster than the wall clock, from where it was anchored', () => {
    const wall = new ManualWall();
    const start = wall.time;
    const clock = ScaledClock.startingNow(10, wall);
    expect(clock.now()).toBe(start);
    wall.time += 2_000;
    expect(clock.now()).toBe(start + 20_000);
    expect(clock.anchor).toEqual({ virtual: start, wall: start, factor: 10 });
  });

  it('sleeps the scaled-down wall time', async () => {
    const wall = new ManualWall();
    const clock = ScaledClock.startingNow(10, wall);
    const before = clock.now();
    await clock.sleep(20_000);
    await clock.sleep(-5);
    expect(wall.slept).toEqual([2_000, 0]);
    expect(clock.now()).toBe(before + 20_000);
  });

  it('changes speed without a jump, and another process following the new anchor agrees', () => {
    const wall = new ManualWall();
    const clock = ScaledClock.startingNow(10, wall);
    wall.time += 1_000;
    const at = clock.now();
    clock.setFactor(60);
    expect(clock.now()).toBe(at);
    wall.time += 1_000;
    expect(clock.now()).toBe(at + 60_000);

    const other = ScaledClock.startingNow(10, wall);
    other.follow(clock.anchor);
    expect(other.now()).toBe(clock.now());
  });

  it('never goes backwards, even when it follows an anchor that is behind', () => {
    const wall = new ManualWall();
    const clock = ScaledClock.startingNow(10, wall);
    wall.time += 1_000;
    const seen = clock.now();
    clock.follow({ virtual: seen - 5_000, wall: wall.time, factor: 1 });
    expect(clock.now()).toBe(seen);
    wall.time += 6_000;
    expect(clock.now()).toBe(seen + 1_000);
  });

  it('refuses a speed that is not a positive number', () => {
    expect(() => ScaledClock.startingNow(0)).toThrow(/positive number/);
    expect(() => ScaledClock.startingNow(Number.NaN)).toThrow(/positive number/);
    expect(() => ScaledClock.startingNow(Number.POSITIVE_INFINITY)).toThrow(/positive number/);
  });
});
