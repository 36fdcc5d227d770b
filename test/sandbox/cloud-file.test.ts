import { spawn } from 'node:child_process';
import { mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { CloudFile } from '../../src/sandbox/cloud-file.js';

const scratch = () => mkdtemp(path.join(tmpdir(), 'kds-xacct-cloud-file-'));

const increment = (store: CloudFile) =>
  store.update(async (saved) => {
    const count = (saved as { count?: number } | undefined)?.count ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 1));
    return { save: { count: count + 1 }, result: count + 1 };
  });

describe('CloudFile', () => {
  it('loses no update when two stores (two processes, as far as the lock can tell) change it at once', async () => {
    const file = path.join(await scratch(), 'sandbox', 'cloud.json');
    const [a, b] = [new CloudFile(file), new CloudFile(file)];
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => increment(i % 2 === 0 ? a : b)));
    expect(await a.read()).toEqual({ count: 40 });
    expect([...results].sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect(await readdir(path.dirname(file))).toEqual(['cloud.json']);
  });

  it('loses no update between two real processes', async () => {
    const file = path.join(await scratch(), 'cloud.json');
    const script = fileURLToPath(new URL('./fixtures/increment-cloud-file.ts', import.meta.url));
    const run = () =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script, file, '15'], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`child exited ${code}: ${err}`))));
      });
    await Promise.all([run(), run()]);
    expect(await new CloudFile(file).read()).toEqual({ count: 30 });
  }, 60_000);

  it('saves nothing when the change says so, and keeps the file when the change throws', async () => {
    const store = new CloudFile(path.join(await scratch(), 'cloud.json'));
    await increment(store);
    expect(await store.update(async () => ({ save: undefined, result: 'read only' }))).toBe('read only');
    await expect(store.update(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await store.read()).toEqual({ count: 1 });
    expect(await increment(store)).toBe(2);
  });

  it('waits for a live holder, then says who holds it', async () => {
    const file = path.join(await scratch(), 'cloud.json');
    await writeFile(`${file}.lock`, JSON.stringify({ pid: 4242, host: hostname(), command: 'setup --sandbox', startedAt: '2026-01-01T00:00:00.000Z' }));
    const store = new CloudFile(file, { isAlive: () => true, lockTimeoutMs: 50 });
    const error = await increment(store).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/The sandbox is busy: `kds-xacct setup --sandbox` \(pid 4242 on .*\) has held .*cloud\.json\.lock/);
  });

  it('breaks the lock of a process that died holding it', async () => {
    const file = path.join(await scratch(), 'cloud.json');
    await writeFile(`${file}.lock`, JSON.stringify({ pid: 4242, host: hostname(), command: 'setup --sandbox', startedAt: '2026-01-01T00:00:00.000Z' }));
    expect(await increment(new CloudFile(file, { isAlive: () => false }))).toBe(1);
  });

  it('refuses a file that is not JSON, and removes the file on request', async () => {
    const file = path.join(await scratch(), 'cloud.json');
    await writeFile(file, '{not json');
    const store = new CloudFile(file);
    await expect(store.read()).rejects.toThrow(/is not valid JSON/);
    await store.remove();
    await store.remove();
    expect(await store.read()).toBeUndefined();
  });
});
