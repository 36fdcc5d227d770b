import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { WaitTimeoutError, backoffDelays, waitFor, withRetry } from '../../src/engine/wait.js';

const start = Date.UTC(2026, 0, 1);

describe('backoffDelays', () => {
  it('starts short, grows and caps, with jitter inside its bounds', () => {
    const exact = backoffDelays({ jitter: 0 });
    expect(Array.from({ length: 6 }, () => exact.next().value)).toEqual([250, 375, 563, 750, 750, 750]);
    const jittered = backoffDelays({ jitter: 0.2, random: () => 1 });
    expect(jittered.next().value).toBe(300);
  });
});

describe('waitFor', () => {
  it('polls until done, in virtual time', async () => {
    const clock = new VirtualClock(start);
    const seen: string[] = [];
    const value = await waitFor(
      async () => (clock.now() - start >= 30_000 ? { done: true, value: 'ACTIVE' } : { done: false, detail: 'CREATING' }),
      { clock, what: 'stream to be ACTIVE', timeoutMs: 60_000, jitter: 0, onPoll: (d) => seen.push(d) },
    );
    expect(value).toBe('ACTIVE');
    expect(seen).toEqual(['CREATING']);
    // Overshoot past the 30 s it took is at most one capped delay.
    expect(clock.now() - start).toBeLessThanOrEqual(31_000);
  });

  it('times out with what it was waiting for and the last state seen', async () => {
    const clock = new VirtualClock(start);
    const error = await waitFor(async () => ({ done: false, detail: 'CREATING' }), { clock, what: 'consumer to be ACTIVE', timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as Error).message).toBe('Timed out after 10s waiting for consumer to be ACTIVE (last seen: CREATING).');
    expect(clock.now() - start).toBe(10_000);
  });
});

describe('withRetry', () => {
  it('retries retryable errors and rethrows others at once', async () => {
    const clock = new VirtualClock(start);
    let calls = 0;
    const reasons: string[] = [];
    const result = await withRetry(
      async () => {
        if (++calls < 3) throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
        return 'ok';
      },
      { clock, timeoutMs: 60_000, retryable: (e) => ((e as Error).name === 'ThrottlingException' ? 'throttled' : undefined), onRetry: (r) => reasons.push(r) },
    );
    expect(result).toBe('ok');
    expect(reasons).toEqual(['throttled', 'throttled']);
    await expect(
      withRetry(async () => Promise.reject(new Error('AccessDenied')), { clock, timeoutMs: 60_000, retryable: () => undefined }),
    ).rejects.toThrow('AccessDenied');
  });

  it('gives up when the time budget is spent', async () => {
    const clock = new VirtualClock(start);
    await expect(
      withRetry(async () => Promise.reject(new Error('still propagating')), { clock, timeoutMs: 5_000, retryable: () => 'propagating' }),
    ).rejects.toThrow('still propagating');
    expect(clock.now() - start).toBe(5_000);
  });
});
