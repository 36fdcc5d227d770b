import { type Clock, systemClock } from '../engine/clock.js';

/**
 * Where sandbox time stood at one wall-clock moment and how fast it runs from there. Saved with the
 * sandbox, so every process computes the same time from its own wall clock.
 */
export interface ClockAnchor {
  /** Sandbox milliseconds since the epoch at `wall`. */
  virtual: number;
  /** Wall-clock milliseconds since the epoch. */
  wall: number;
  /** Sandbox milliseconds per wall-clock millisecond. */
  factor: number;
}

/**
 * Real time, compressed: with factor 10, a 20 s stream creation takes 2 s of wall time, and a
 * 1 s poll interval sleeps 100 ms. Unlike VirtualClock it never jumps, so a progress display shows
 * what a real run shows, only faster.
 */
export class ScaledClock implements Clock {
  private current: ClockAnchor;
  /** The latest time handed out: following another process's anchor never moves time backwards. */
  private last = Number.NEGATIVE_INFINITY;

  constructor(
    anchor: ClockAnchor,
    private readonly wall: Clock = systemClock,
  ) {
    this.current = checked(anchor);
  }

  /** A clock that starts at the wall clock's time and runs `factor` times faster. */
  static startingNow(factor: number, wall: Clock = systemClock): ScaledClock {
    const now = wall.now();
    return new ScaledClock({ virtual: now, wall: now, factor }, wall);
  }

  get anchor(): ClockAnchor {
    return { ...this.current };
  }

  now(): number {
    const a = this.current;
    this.last = Math.max(this.last, a.virtual + (this.wall.now() - a.wall) * a.factor);
    return this.last;
  }

  sleep(ms: number): Promise<void> {
    return this.wall.sleep(Math.max(0, ms) / this.current.factor);
  }

  /** Takes on the anchor another process saved. */
  follow(anchor: ClockAnchor): void {
    this.current = checked(anchor);
  }

  /** Runs `factor` times faster than the wall clock from now on, continuing from the current time. */
  setFactor(factor: number): void {
    this.current = checked({ virtual: this.now(), wall: this.wall.now(), factor });
  }
}

function checked(anchor: ClockAnchor): ClockAnchor {
  if (!(anchor.factor > 0) || !Number.isFinite(anchor.factor)) throw new Error(`ScaledClock: the speed factor must be a positive number, got ${anchor.factor}`);
  return { ...anchor };
}
