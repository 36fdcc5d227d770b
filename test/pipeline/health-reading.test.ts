import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { sharedReads } from '../../src/pipeline/health-reading.js';

const awsError = (name: string) => Object.assign(new Error(`${name} says no`), { name, $metadata: {} });

describe("status's live reads", () => {
  it('are made once when two readings ask for the same thing, and apart when they ask for different things', async () => {
    const read = sharedReads(new VirtualClock());
    const calls: string[] = [];
    const describe = (what: string) => async () => void calls.push(what);
    await Promise.all([read('function configuration', describe('function')), read('function configuration', describe('function')), read('mapping', describe('mapping'))]);
    expect(calls.sort()).toEqual(['function', 'mapping']);
  });

  it('never throw: a resource that is not there is told from one that could not be read', async () => {
    const read = sharedReads(new VirtualClock());
    expect(await read('stream summary', async () => 'ACTIVE')).toEqual({ ok: true, value: 'ACTIVE' });
    expect(await read('key', () => Promise.reject(awsError('NotFoundException')))).toMatchObject({ ok: false, missing: true });
    expect(await read('consumer', () => Promise.reject(awsError('AccessDeniedException')))).toMatchObject({ ok: false, missing: false });
  });
});
