import type { Clock } from './clock.js';

export interface BackoffOptions {
  /** First delay. Short on purpose: the SDK's Kinesis waiters poll every 10 s, which is too slow here. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  factor?: number;
  /** Fraction of each delay added or removed at random, so concurrent pollers spread out. */
  jitter?: number;
  random?: () => number;
}

// Capped at 750 ms: each wait sees readiness at most about that late, which keeps setup within 5% of
// AWS's own asynchronous work (five waits in a row on its critical path) for a handful of extra reads.
const defaults = { initialDelayMs: 250, maxDelayMs: 750, factor: 1.5, jitter: 0.2 };

/** The delays of an exponential backoff with jitter: 250 ms, 375 ms, ... capped at maxDelayMs. */
export function* backoffDelays(options: BackoffOptions = {}): Generator<number, never> {
  const { initialDelayMs, maxDelayMs, factor, jitter } = { ...defaults, ...options };
  const random = options.random ?? Math.random;
  let delay = initialDelayMs;
  for (;;) {
    yield Math.round(delay * (1 + jitter * (2 * random() - 1)));
    delay = Math.min(maxDelayMs, delay * factor);
  }
}

export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError';
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly lastDetail?: string,
  ) {
    super(`Timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}${lastDetail ? ` (last seen: ${lastDetail})` : ''}.`);
  }
}

export type Poll<T> = { done: true; value: T } | { done: false; detail?: string };

export interface WaitOptions extends BackoffOptions {
  clock: Clock;
  /** What is awaited, for the timeout message: "stream orders-stream to be ACTIVE". */
  what: string;
  timeoutMs: number;
  /** Called with each not-yet-done detail, e.g. to update a spinner. */
  onPoll?: (detail: string) => void;
}

/** Polls `check` until it reports done, backing off between polls, or throws WaitTimeoutError. */
export async function waitFor<T>(check: () => Promise<Poll<T>>, options: WaitOptions): Promise<T> {
  const { clock } = options;
  const deadline = clock.now() + options.timeoutMs;
  const delays = backoffDelays(options);
  let lastDetail: string | undefined;
  for (;;) {
    const poll = await check();
    if (poll.done) return poll.value;
    if (poll.detail && poll.detail !== lastDetail) options.onPoll?.(poll.detail);
    lastDetail = poll.detail ?? lastDetail;
    const remaining = deadline - clock.now();
    if (remaining <= 0) throw new WaitTimeoutError(options.what, options.timeoutMs, lastDetail);
    await clock.sleep(Math.min(delays.next().value, remaining));
  }
}

export interface RetryOptions extends BackoffOptions {
  clock: Clock;
  /** A reason string when the error is worth retrying (shown as progress), otherwise undefined. */
  retryable: (error: unknown) => string | undefined;
  /** Total time budget across attempts. */
  timeoutMs: number;
  onRetry?: (reason: string) => void;
}

/** Runs `fn`, retrying retryable errors with backoff until the time budget is spent. */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { clock } = options;
  const deadline = clock.now() + options.timeoutMs;
  const delays = backoffDelays(options);
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      const reason = options.retryable(error);
      const remaining = deadline - clock.now();
      if (reason === undefined || remaining <= 0) throw error;
      options.onRetry?.(reason);
      await clock.sleep(Math.min(delays.next().value, remaining));
    }
  }
}
