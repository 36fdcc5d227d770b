import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** The few fs calls the state store and the sandbox's cloud file make, injectable so tests can crash them between write and rename. */
export interface StateFs {
  readFile(file: string, encoding: 'utf8'): Promise<string>;
  writeFile(file: string, data: string, options: { mode: number; flag?: string }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  link(existing: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
  /** Resolves to the first folder it created, or undefined when the folder was there (as node:fs does). */
  mkdir(dir: string, options: { recursive: true; mode: number }): Promise<string | undefined>;
  rmdir(dir: string): Promise<void>;
  readdir(dir: string): Promise<string[]>;
}

export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
}

export const isMissing = (error: unknown) => (error as NodeJS.ErrnoException)?.code === 'ENOENT';

/** A file's text, or undefined when there is no such file. */
export function readIfExists(fs: StateFs, file: string): Promise<string | undefined> {
  return fs.readFile(file, 'utf8').catch((error: unknown) => {
    if (isMissing(error)) return undefined;
    throw error;
  });
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Writes `data` to a temporary file with mode 0600 and renames it over `file`, so a crash at any
 * moment leaves either the old or the new file, never half of one.
 */
export async function writeFileAtomically(fs: StateFs, dir: string, file: string, data: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await fs.writeFile(temp, data, { mode: 0o600 });
  try {
    await fs.rename(temp, file);
  } catch (error) {
    await fs.unlink(temp).catch(() => undefined);
    throw error;
  }
}

/** Either the lock is ours (and this releases it), or a live holder has it, or others kept racing for it. */
export type LockAttempt = { release: () => Promise<void> } | { heldBy?: LockHolder };

/**
 * Creates the lock file exclusively, naming this process as its holder. A lock whose holder process
 * is gone (same host, dead pid) is stale and broken; a live holder, or one on another host, keeps it.
 */
export async function takeLockFile(fs: StateFs, file: string, command: string, isAlive: (pid: number) => boolean = processIsAlive): Promise<LockAttempt> {
  const holder: LockHolder = { pid: process.pid, host: hostname(), command, startedAt: new Date().toISOString() };
  // The lock appears whole, by a hard link to a file already written: created empty and then written
  // (open with 'wx'), another run could read it in between, judge it half-written by a crash and break it.
  const ready = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.new`;
  await fs.writeFile(ready, JSON.stringify(holder) + '\n', { mode: 0o600, flag: 'wx' });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await fs.link(ready, file);
        return {
          release: async () => {
            await fs.unlink(file).catch(() => undefined);
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const seen = await readIfExists(fs, file);
      if (seen === undefined) continue;
      const other = parseHolder(seen);
      if (other && (other.host !== holder.host || isAlive(other.pid))) return { heldBy: other };
      await breakStaleLock(fs, file, seen);
    }
    return {};
  } finally {
    await fs.unlink(ready).catch(() => undefined);
  }
}

/**
 * Moves a dead holder's lock aside, then makes sure what moved is the lock judged stale: another
 * run breaking the same lock may have written its own fresh one in between, and that one goes back.
 */
async function breakStaleLock(fs: StateFs, file: string, stale: string): Promise<void> {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    await fs.rename(file, aside);
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  const moved = await fs.readFile(aside, 'utf8').catch(() => undefined);
  if (moved !== stale) await fs.link(aside, file).catch(() => undefined);
  await fs.unlink(aside).catch(() => undefined);
}

/** The holder a lock file names, or undefined when it cannot be read (corrupt, or left half-written by an older kds-xacct that crashed). */
function parseHolder(text: string): LockHolder | undefined {
  const holder = parseJson(text) as Partial<LockHolder> | null | undefined;
  return typeof holder?.pid === 'number' ? (holder as LockHolder) : undefined;
}

