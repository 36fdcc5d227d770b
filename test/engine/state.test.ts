import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { FileStateStore, STATE_VERSION, newState } from '../../src/deployment/store.js';
import type { StateFs } from '../../src/files/atomic.js';
import { UserError } from '../../src/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(tmpdir(), 'kds-xacct-state-'));
});

const sample = () => {
  const state = newState('orders', 'setup', new Date('2026-01-01T00:00:00Z'));
  state.accounts.producer = { profile: 'prod', accountId: '111111111111', region: 'eu-west-1' };
  state.inputs.producerProfile = 'prod';
  state.steps.stream = { origin: 'created', phase: 'ready', outputs: { streamArn: 'arn:x' }, runId: 'r1', updatedAt: state.createdAt };
  return state;
};

describe('FileStateStore', () => {
  it('round-trips a deployment with mode 0600', async () => {
    const store = new FileStateStore(dir);
    await store.save(sample());
    expect(await store.load('orders')).toEqual(sample());
    const stat = await fs.stat(path.join(dir, 'orders.json'));
    expect(stat.mode & 0o777).toBe(0o600);
    expect(await store.list()).toEqual(['orders']);
    expect(await store.load('absent')).toBeUndefined();
  });

  it('keeps the previous file whole when a crash comes between write and rename', async () => {
    const store = new FileStateStore(dir);
    await store.save(sample());
    const crashing: StateFs = {
      ...fs,
      readdir: (d) => fs.readdir(d),
      rename: async () => {
        throw Object.assign(new Error('killed'), { code: 'EINTR' });
      },
      unlink: async () => {
        // The process died: nothing cleans up the temporary file.
      },
    };
    const changed = sample();
    changed.steps.role = { ...changed.steps.stream!, outputs: { roleArn: 'arn:role' } };
    await expect(new FileStateStore(dir, { fs: crashing }).save(changed)).rejects.toThrow('killed');
    // The temporary file is there, the real one is the old version, and loading ignores the leftover.
    expect((await fs.readdir(dir)).some((f) => f.endsWith('.tmp'))).toBe(true);
    expect(await store.load('orders')).toEqual(sample());
    expect(await store.list()).toEqual(['orders']);
  });

  it('serialises concurrent saves so the last one wins', async () => {
    const store = new FileStateStore(dir);
    const states = Array.from({ length: 10 }, (_, i) => {
      const s = sample();
      s.updatedAt = `2026-01-01T00:00:0${i}Z`;
      return s;
    });
    await Promise.all(states.map((s) => store.save(s)));
    expect((await store.load('orders'))!.updatedAt).toBe('2026-01-01T00:00:09Z');
    expect((await fs.readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a corrupted file with a clear error and never overwrites it', async () => {
    const file = path.join(dir, 'orders.json');
    await fs.writeFile(file, '{"version": 1, "name": "ord');
    const store = new FileStateStore(dir);
    const error = await store.load('orders').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/not valid JSON/);
    expect((error as UserError).hint).toMatch(/will not overwrite/);
    expect(await fs.readFile(file, 'utf8')).toBe('{"version": 1, "name": "ord');
  });

  it('refuses a file from a newer version', async () => {
    await fs.writeFile(path.join(dir, 'orders.json'), JSON.stringify({ ...sample(), version: STATE_VERSION + 1 }));
    await expect(new FileStateStore(dir).load('orders')).rejects.toThrow(/newer kds-xacct/);
  });

  it('reads a file version 1 wrote, which kept each profile twice, and writes it back with each profile once', async () => {
    const file = path.join(dir, 'orders.json');
    await fs.copyFile(new URL('./fixtures/orders-v1.json', import.meta.url), file);
    const store = new FileStateStore(dir);
    const state = (await store.load('orders'))!;
    expect(state.accounts).toEqual({
      producer: { profile: 'prod', accountId: '111111111111', region: 'eu-west-1' },
      consumer: { profile: 'analytics', accountId: '222222222222', region: 'eu-west-1' },
    });
    expect(state.inputs).toMatchObject({ streamName: 'orders-stream', batchSize: 100, producerProfile: 'prod', consumerProfile: 'analytics' });
    expect(state.steps['event-source-mapping']?.outputs.uuid).toBe('00000000-0000-4000-a000-000000000000');

    await store.save(state);
    const written = JSON.parse(await fs.readFile(file, 'utf8')) as { version: number; inputs: Record<string, unknown>; accounts: Record<string, { profile: string }> };
    expect(written.version).toBe(STATE_VERSION);
    expect(written.inputs).not.toHaveProperty('producerProfile');
    expect(written.inputs).not.toHaveProperty('consumerProfile');
    expect(written.accounts.producer?.profile).toBe('prod');
    expect(await store.load('orders')).toEqual(state);
  });

  it('removes a deployment file', async () => {
    const store = new FileStateStore(dir);
    await store.save(sample());
    await store.remove('orders');
    await store.remove('orders');
    expect(await store.list()).toEqual([]);
  });
});

describe('deployment lock', () => {
  it('stops a second run while the first holds the lock, naming the holder', async () => {
    const store = new FileStateStore(dir);
    const release = await store.lock('orders', 'setup');
    const error = await store.lock('orders', 'teardown').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain(`kds-xacct setup\` (pid ${process.pid} on ${hostname()}`);
    await release();
    const again = await store.lock('orders', 'teardown');
    await again();
  });

  it('breaks a stale lock whose process is dead', async () => {
    // A pid that certainly existed and is now gone: a child that has already exited.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    await fs.writeFile(
      path.join(dir, 'orders.lock'),
      JSON.stringify({ pid: dead, host: hostname(), command: 'setup', startedAt: '2026-01-01T00:00:00Z' }),
    );
    const release = await new FileStateStore(dir).lock('orders', 'setup');
    const holder = JSON.parse(await fs.readFile(path.join(dir, 'orders.lock'), 'utf8'));
    expect(holder.pid).toBe(process.pid);
    await release();
  });

  it('puts back a fresh lock another run wrote while this one was breaking the same stale lock', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const file = path.join(dir, 'orders.lock');
    await fs.writeFile(file, JSON.stringify({ pid: dead, host: hostname(), command: 'setup', startedAt: '2026-01-01T00:00:00Z' }));
    const fresh = JSON.stringify({ pid: process.ppid, host: hostname(), command: 'teardown', startedAt: '2026-01-01T00:00:01Z' });
    // The other run broke the stale lock and wrote its own just before this one moves "the stale lock" aside.
    const racing: StateFs = {
      ...fs,
      readdir: (d) => fs.readdir(d),
      rename: async (from, to) => {
        if (from === file) await fs.writeFile(file, fresh);
        await fs.rename(from, to);
      },
    };
    await expect(new FileStateStore(dir, { fs: racing }).lock('orders', 'setup')).rejects.toThrow(/locked by another run: `kds-xacct teardown`/);
    expect(await fs.readFile(file, 'utf8')).toBe(fresh);
    expect((await fs.readdir(dir)).filter((f) => f.endsWith('.stale'))).toEqual([]);
  });

  it('gives the lock to one of two runs even when writing a file is slow: no run sees a lock without its holder', async () => {
    // Creating a file and writing its content are two steps: here another run gets in between every time.
    const slow: StateFs = {
      ...fs,
      readdir: (d) => fs.readdir(d),
      writeFile: async (file, data, options) => {
        await fs.writeFile(file, '', options);
        await new Promise((resolve) => setTimeout(resolve, 20));
        await fs.writeFile(file, data);
      },
    };
    const [a, b] = [new FileStateStore(dir, { fs: slow }), new FileStateStore(dir, { fs: slow })];
    const attempts = await Promise.allSettled([a.lock('orders', 'setup'), b.lock('orders', 'teardown')]);
    expect(attempts.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(String((attempts.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason)).toMatch(/locked by another run/);
    expect((await fs.readdir(dir)).filter((f) => !f.endsWith('.lock'))).toEqual([]);
  });

  it('retires a torn-down deployment: the state file goes, a record of the teardown stays, and no listing shows it', async () => {
    const store = new FileStateStore(dir);
    await store.save(sample());
    const record = { name: 'orders', tornDownAt: '2026-01-02T00:00:00.000Z', accounts: sample().accounts };
    await store.retire(record);
    expect(await store.load('orders')).toBeUndefined();
    expect(await store.tornDown('orders')).toEqual(record);
    expect(await store.list()).toEqual([]);
    expect(await store.tornDown('absent')).toBeUndefined();
  });

  it('a lock taken and released with nothing written leaves no folder; one with a state file in it stays', async () => {
    const folder = path.join(dir, 'a', '.kds-xacct');
    const store = new FileStateStore(folder);
    await (await store.lock('orders', 'setup'))();
    expect(await fs.readdir(dir)).toEqual([]);
    const release = await store.lock('orders', 'setup');
    await store.save(sample());
    await release();
    expect(await fs.readdir(folder)).toEqual(['orders.json']);
  });

  it('does not break a lock held from another host', async () => {
    await fs.writeFile(
      path.join(dir, 'orders.lock'),
      JSON.stringify({ pid: 1, host: 'elsewhere', command: 'setup', startedAt: '2026-01-01T00:00:00Z' }),
    );
    await expect(new FileStateStore(dir, { fs, isAlive: () => false }).lock('orders', 'setup')).rejects.toThrow(/on elsewhere/);
  });
});
