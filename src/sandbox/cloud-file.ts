import { promises as nodeFs } from 'node:fs';
import path from 'node:path';
import { type StateFs, takeLockFile, writeFileAtomically } from '../files/atomic.js';
import { UserError } from '../errors.js';

export interface CloudFileOptions {
  fs?: StateFs;
  isAlive?: (pid: number) => boolean;
  /** Named in the lock file, so a process kept waiting can say who holds it. */
  command?: string;
  /** How long to wait for another process's load-modify-save before giving up. */
  lockTimeoutMs?: number;
}

/**
 * One JSON document in a file, changed only by load-modify-save under a lock, so that commands in
 * several processes can share it without losing each other's changes. It keeps the state file's
 * discipline (src/files/atomic.ts): an exclusive lock file whose dead holder is broken, and an atomic
 * write with mode 0600. Unlike a deployment's lock, which refuses a second run, this one waits: each
 * hold lasts one API call of the sandbox, not a whole command.
 */
export class CloudFile {
  private readonly fs: StateFs;
  private readonly isAlive: ((pid: number) => boolean) | undefined;
  private readonly command: string;
  private readonly lockTimeoutMs: number;
  /** Updates from this process queue here first, so they do not wait for the file lock on each other. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly file: string,
    options: CloudFileOptions = {},
  ) {
    this.fs = options.fs ?? nodeFs;
    this.isAlive = options.isAlive;
    this.command = options.command ?? 'sandbox';
    this.lockTimeoutMs = options.lockTimeoutMs ?? 30_000;
  }

  /** The saved document, or undefined when there is none yet. Not locked: a write is atomic. */
  async read(): Promise<unknown> {
    let text: string;
    try {
      text = await this.fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new UserError(`The sandbox file ${this.file} is not valid JSON.`, 'Reset the sandbox to start again with empty accounts.');
    }
  }

  /**
   * Reads the document, lets `change` compute the next one, and saves it, all under the lock. `change`
   * returns `save: undefined` to leave the file as it is. While there is no document, a change that
   * saves nothing takes no lock either, so that looking creates no folder and no file; a change that
   * does save is then run again under the lock, from whatever is there by then.
   */
  update<T>(change: (saved: unknown) => Promise<{ save: unknown; result: T }>): Promise<T> {
    return this.enqueue(async () => {
      if ((await this.read()) === undefined) {
        const unlocked = await change(undefined);
        if (unlocked.save === undefined) return unlocked.result;
      }
      return this.withLock(async () => {
        const { save, result } = await change(await this.read());
        if (save !== undefined) await writeFileAtomically(this.fs, path.dirname(this.file), this.file, JSON.stringify(save));
        return result;
      });
    });
  }

  /** Deletes the document, under the lock. */
  remove(): Promise<void> {
    return this.enqueue(() =>
      this.withLock(() =>
        this.fs.unlink(this.file).catch((error: unknown) => {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }),
      ),
    );
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async withLock<T>(work: () => Promise<T>): Promise<T> {
    await this.fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const lockFile = `${this.file}.lock`;
    const deadline = Date.now() + this.lockTimeoutMs;
    for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
      const attempt = await takeLockFile(this.fs, lockFile, this.command, this.isAlive);
      if ('release' in attempt) {
        try {
          return await work();
        } finally {
          await attempt.release();
        }
      }
      if (Date.now() >= deadline) {
        const who = attempt.heldBy ? `\`kds-xacct ${attempt.heldBy.command}\` (pid ${attempt.heldBy.pid} on ${attempt.heldBy.host})` : 'another process';
        throw new UserError(`The sandbox is busy: ${who} has held ${lockFile} for over ${this.lockTimeoutMs / 1000} s.`, `Wait for it to finish. If that process is gone, delete ${lockFile}.`);
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
