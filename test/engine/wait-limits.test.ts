import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { backoffDelays, waitFor, withRetry, type Poll } from '../../src/engine/wait.js';

/**
 * What a wait does at its edges: the progress it shows, what its timeout says, and when a retry stops.
 * Each of these went unnoticed by the suite under a mutation of src/engine/wait.ts (README, Mutation testing).
 */
const start = Date.UTC(2026, 0, 1);

/** A check that reports `details` in turn (undefined: not done, without a detail), then stays at the last. */
function polls(details: Array<string | undefined>): () => Promise<Poll<never>> {
  let i = 0;
  return async () => {
    const detail = details[Math.min(i++, details.length - 1)];
    return detail === undefined ? { done: false } : { done: false, detail };
  };
}

describe('backoffDelays', () => {
  it('spreads each delay by up to the jitter either way', () => {
    expect(backoffDelays({ jitter: 0.2, random: () => 0 }).next().value).toBe(200);
    expect(backoffDelays({ jitter: 0.2, random: () => 0.5 }).next().value).toBe(250);
    const custom = backoffDelays({ initialDelayMs: 1_000, factor: 2, maxDelayMs: 3_000, jitter: 0 });
    expect(Array.from({ length: 4 }, () => custom.next().value)).toEqual([1_000, 2_000, 3_000, 3_000]);
  });
});

describe('waitFor', () => {
  it('shows each new state once, and names the last one seen when it times out even if later polls said nothing', async () => {
    const clock = new VirtualClock(start);
    const shown: string[] = [];
    const error = await waitFor(polls(['CREATING', 'CREATING', 'UPDATING', undefined]), { clock, what: 'stream s to be ACTIVE', timeoutMs: 90_400, jitter: 0, onPoll: (d) => shown.push(d) }).catch((e: Error) => e);
    expect(shown).toEqual(['CREATING', 'UPDATING']);
    expect(error.message).toBe('Timed out after 90s waiting for stream s to be ACTIVE (last seen: UPDATING).');
  });

  it('says only what it waited for when no poll said more, rounding the timeout to seconds', async () => {
    const clock = new VirtualClock(start);
    const error = await waitFor(polls([undefined]), { clock, what: 'the function to be Active', timeoutMs: 1_600 }).catch((e: Error) => e);
    expect(error.message).toBe('Timed out after 2s waiting for the function to be Active.');
  });

  it('polls once and gives up at once when it has no time', async () => {
    const clock = new VirtualClock(start);
    let polled = 0;
    const error = await waitFor<never>(async () => (polled++, { done: false }), { clock, what: 'x', timeoutMs: 0 }).catch((e: Error) => e);
    expect(error.name).toBe('WaitTimeoutError');
    expect(polled).toBe(1);
    expect(clock.now()).toBe(start);
  });

  it('waits longer between polls as it goes on', async () => {
    const clock = new VirtualClock(start);
    const at: number[] = [];
    await waitFor(async () => (at.push(clock.now() - start), at.length === 4 ? { done: true, value: 1 } : { done: false }), { clock, what: 'x', timeoutMs: 60_000, jitter: 0 });
    expect(at).toEqual([0, 250, 625, 1_188]);
  });
});

describe('withRetry', () => {
  it('retries with growing delays, and rethrows a retryable error once the budget is spent', async () => {
    const clock = new VirtualClock(start);
    const at: number[] = [];
    const error = await withRetry(async () => (at.push(clock.now() - start), Promise.reject(new Error('propagating'))), { clock, timeoutMs: 1_000, jitter: 0, retryable: () => 'wait' }).catch((e: Error) => e);
    expect(error.message).toBe('propagating');
    expect(at).toEqual([0, 250, 625, 1_000]);
  });

  it('rethrows an error it is not told to retry at once, without spending the budget', async () => {
    const clock = new VirtualClock(start);
    let calls = 0;
    await expect(withRetry(async () => (calls++, Promise.reject(new Error('AccessDenied'))), { clock, timeoutMs: 60_000, retryable: () => undefined })).rejects.toThrow('AccessDenied');
    expect(calls).toBe(1);
    expect(clock.now()).toBe(start);
  });

  it('makes one attempt with no budget', async () => {
    const clock = new VirtualClock(start);
    let calls = 0;
    await expect(withRetry(async () => (calls++, Promise.reject(new Error('throttled'))), { clock, timeoutMs: 0, retryable: () => 'throttled' })).rejects.toThrow('throttled');
    expect(calls).toBe(1);
  });
});
