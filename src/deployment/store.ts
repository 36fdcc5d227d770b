import { promises as nodeFs } from 'node:fs';
import path from 'node:path';
import type { AccountRole } from '../aws/session.js';
import type { StepLedger } from '../engine/state.js';
import type { Outputs } from '../engine/types.js';
import { UserError } from '../errors.js';
import { isMissing, parseJson, processIsAlive, readIfExists, takeLockFile, writeFileAtomically, type LockAttempt, type StateFs } from '../files/atomic.js';
import type { SetupAnswers } from '../pipeline/config.js';

/**
 * Bumped when the file's shape changes; a newer file is refused rather than misread. Version 1 kept each
 * profile twice, in `accounts` and in `inputs`; version 2 keeps it in `accounts` only (`decodeState` reads both).
 */
export const STATE_VERSION = 2;

export interface AccountRecord {
  profile: string;
  accountId: string;
  region: string;
}

/**
 * The answers a deployment was set up with, as setup's flags would give them. Their profiles are those of
 * `accounts`, where the file keeps them; the region is that of `accounts` too.
 */
export type RecordedAnswers = Omit<SetupAnswers, 'region'>;

/** One deployment, as persisted. Holds no credentials. */
export interface DeploymentState extends StepLedger {
  version: number;
  name: string;
  command: string;
  createdAt: string;
  inputs: RecordedAnswers;
  accounts: Partial<Record<AccountRole, AccountRecord>>;
}

/** How the record of a deployment's teardown is named: `<name>.torn-down`, beside the state files (not `.json`, which `list` would read as one). */
export const TORN_DOWN_SUFFIX = '.torn-down';

/**
 * What a complete teardown leaves in place of the state file: when it happened and which accounts
 * the deployment was in, so that a second teardown can look there without being given the profiles.
 */
export interface TornDownRecord {
  name: string;
  tornDownAt: string;
  accounts: Partial<Record<AccountRole, AccountRecord>>;
  /**
   * The KMS key teardown kept (in the producer account): its id, ARN and alias, and, while records it
   * encrypted in an adopted stream may still be read, that stream, when encryption stopped and `keptUntil`.
   * A later teardown schedules its deletion once that date has passed.
   */
  key?: Outputs;
}

export function newState(name: string, command: string, now: Date): DeploymentState {
  const at = now.toISOString();
  return { version: STATE_VERSION, name, command, createdAt: at, updatedAt: at, inputs: {}, accounts: {}, steps: {} };
}

type ProfileAnswer = 'producerProfile' | 'consumerProfile';
const PROFILE_ANSWER: Record<AccountRole, ProfileAnswer> = { producer: 'producerProfile', consumer: 'consumerProfile' };

/** The state as the file holds it: each profile once, in `accounts`. */
function encodeState(state: DeploymentState): DeploymentState {
  const { producerProfile: _p, consumerProfile: _c, ...answers } = state.inputs;
  return { ...state, inputs: answers };
}

/**
 * A state file as commands see it: the answers name the profiles of `accounts`, as setup's flags do. A version 1
 * file repeats them in its answers (setup wrote both at once); the account's copy wins.
 */
function decodeState(stored: DeploymentState): DeploymentState {
  const inputs: RecordedAnswers = { ...stored.inputs };
  for (const role of ['producer', 'consumer'] as const) {
    const profile = stored.accounts[role]?.profile;
    if (profile !== undefined) inputs[PROFILE_ANSWER[role]] = profile;
  }
  return { ...stored, version: STATE_VERSION, inputs };
}

/** The commands a state file's errors suggest, built by the command layer, which knows the run's flags. */
export interface StateHints {
  /** Teardown of a deployment whose state file cannot be used: it finds the resources by tags and names. */
  teardown(name: string): string;
}

/** Where deployments persist, and how they are persisted. The engine only needs `save`. */
export interface StateStore {
  load(name: string): Promise<DeploymentState | undefined>;
  save(state: DeploymentState): Promise<void>;
  remove(name: string): Promise<void>;
  /** Removes the state file of a deployment that is torn down, and records the teardown in its place. */
  retire(record: TornDownRecord): Promise<void>;
  /** The record of the deployment's last complete teardown, if there is one. */
  tornDown(name: string): Promise<TornDownRecord | undefined>;
  list(): Promise<string[]>;
  lock(name: string, command: string): Promise<() => Promise<void>>;
  /** Where a deployment's file lives, for messages. */
  describe(name: string): string;
}

/**
 * One JSON file per deployment in the state directory (`.kds-xacct/<name>.json`), written with
 * mode 0600 to a temporary file and renamed over the old one, so a crash at any moment leaves
 * either the old or the new file, never half of one.
 */
export class FileStateStore implements StateStore {
  private writes = Promise.resolve();
  private readonly fs: StateFs;
  private readonly isAlive: (pid: number) => boolean;
  private readonly hints: StateHints | undefined;

  constructor(
    readonly dir: string,
    options: { fs?: StateFs; isAlive?: (pid: number) => boolean; hints?: StateHints } = {},
  ) {
    this.fs = options.fs ?? nodeFs;
    this.isAlive = options.isAlive ?? processIsAlive;
    this.hints = options.hints;
  }

  describe(name: string): string {
    return path.join(this.dir, `${name}.json`);
  }

  async load(name: string): Promise<DeploymentState | undefined> {
    const file = this.describe(name);
    const text = await readIfExists(this.fs, file);
    if (text === undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new UserError(
        `The state file ${file} is not valid JSON, so kds-xacct cannot tell what this deployment owns.`,
        `Restore it from a backup, or move it aside and run ${this.hints ? `\`${this.hints.teardown(name)}\`` : 'teardown'} to find resources by their tags. kds-xacct will not overwrite it.`,
      );
    }
    const state = parsed as Partial<DeploymentState>;
    if (typeof state.version !== 'number' || typeof state.steps !== 'object' || state.name !== name) {
      throw new UserError(
        `The state file ${file} does not look like a kds-xacct state file for "${name}".`,
        'Move it aside if it is not ours. kds-xacct will not overwrite it.',
      );
    }
    if (state.version > STATE_VERSION) {
      throw new UserError(
        `The state file ${file} was written by a newer kds-xacct (state version ${state.version}; this one reads ${STATE_VERSION}).`,
        'Upgrade kds-xacct to manage this deployment. The file was left as it is.',
      );
    }
    return decodeState(state as DeploymentState);
  }

  save(state: DeploymentState): Promise<void> {
    // Saves are queued so two steps finishing together cannot rename over each other out of order.
    const snapshot = JSON.stringify(encodeState(state), null, 2) + '\n';
    const write = this.writes.then(() => writeFileAtomically(this.fs, this.dir, this.describe(state.name), snapshot));
    this.writes = write.catch(() => undefined);
    return write;
  }

  async remove(name: string): Promise<void> {
    await this.writes;
    await this.fs.unlink(this.describe(name)).catch((error: unknown) => {
      if (!isMissing(error)) throw error;
    });
  }

  async retire(record: TornDownRecord): Promise<void> {
    await writeFileAtomically(this.fs, this.dir, this.tombstone(record.name), JSON.stringify(record, null, 2) + '\n');
    await this.remove(record.name);
  }

  async tornDown(name: string): Promise<TornDownRecord | undefined> {
    const text = await readIfExists(this.fs, this.tombstone(name));
    if (text === undefined) return undefined;
    // Only a convenience (it saves passing the profiles again): one that cannot be read counts as none.
    const record = parseJson(text) as Partial<TornDownRecord> | undefined;
    return record?.name === name && typeof record.tornDownAt === 'string' && typeof record.accounts === 'object' ? (record as TornDownRecord) : undefined;
  }

  private tombstone(name: string): string {
    return path.join(this.dir, `${name}${TORN_DOWN_SUFFIX}`);
  }

  async list(): Promise<string[]> {
    try {
      const files = await this.fs.readdir(this.dir);
      return files.filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort();
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  }

  /** Takes the deployment's lock (see `takeLockFile`); a live holder is named in the error. */
  async lock(name: string, command: string): Promise<() => Promise<void>> {
    const file = path.join(this.dir, `${name}.lock`);
    const { attempt, created } = await this.takeLock(file, command);
    if ('release' in attempt) {
      return async () => {
        await attempt.release();
        // A run that wrote nothing (a dry run, a usage error) leaves no empty state folder behind.
        if (created !== undefined) await removeEmptyFolders(this.fs, this.dir, created);
      };
    }
    if (attempt.heldBy) {
      const other = attempt.heldBy;
      throw new UserError(
        `Deployment "${name}" is locked by another run: \`kds-xacct ${other.command}\` (pid ${other.pid} on ${other.host}, since ${other.startedAt}).`,
        `Wait for it to finish. If that process is gone, delete ${file}.`,
      );
    }
    throw new UserError(`Could not take the lock ${file}.`, 'Another run may be starting at the same moment; try again.');
  }

  /** Takes the lock file, making its folder first; `created` is the first folder this made, to remove again if it stays empty. */
  private async takeLock(file: string, command: string): Promise<{ attempt: LockAttempt; created: string | undefined }> {
    for (;;) {
      const created = await this.fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
      try {
        return { attempt: await takeLockFile(this.fs, file, command, this.isAlive), created };
      } catch (error) {
        // Another run removed the folder, empty, between our mkdir and our lock file: make it again.
        if (!isMissing(error)) throw error;
      }
    }
  }
}

/** Removes `dir` and its parents up to `top` while they are empty; a folder that holds anything stays. */
async function removeEmptyFolders(fs: StateFs, dir: string, top: string): Promise<void> {
  for (let folder = dir; ; folder = path.dirname(folder)) {
    const removed = await fs.rmdir(folder).then(
      () => true,
      () => false,
    );
    if (!removed || folder === top || path.dirname(folder) === folder) return;
  }
}

/** Keeps state in memory: for the benchmark, where file I/O would blur virtual time. */
export class MemoryStateStore implements StateStore {
  readonly files = new Map<string, string>();
  readonly tombstones = new Map<string, TornDownRecord>();
  private readonly locks = new Set<string>();

  describe(name: string): string {
    return `memory:${name}`;
  }
  async load(name: string): Promise<DeploymentState | undefined> {
    const text = this.files.get(name);
    return text === undefined ? undefined : decodeState(JSON.parse(text) as DeploymentState);
  }
  async save(state: DeploymentState): Promise<void> {
    this.files.set(state.name, JSON.stringify(encodeState(state)));
  }
  async remove(name: string): Promise<void> {
    this.files.delete(name);
  }
  async retire(record: TornDownRecord): Promise<void> {
    this.tombstones.set(record.name, record);
    this.files.delete(record.name);
  }
  async tornDown(name: string): Promise<TornDownRecord | undefined> {
    return this.tombstones.get(name);
  }
  async list(): Promise<string[]> {
    return [...this.files.keys()].sort();
  }
  async lock(name: string): Promise<() => Promise<void>> {
    if (this.locks.has(name)) throw new UserError(`Deployment "${name}" is locked by another run.`);
    this.locks.add(name);
    return async () => {
      this.locks.delete(name);
    };
  }
}
