import type { AwsClients } from '../aws/session.js';
import { type Clock, systemClock } from '../engine/clock.js';
import { UserError } from '../errors.js';
import type { AccessEvaluator } from './access.js';
import { CloudFile } from './cloud-file.js';
import type { FunctionRuntime } from './function-runtime.js';
import { FakeCloud } from './fake-cloud.js';
import { type LatencyModel, shortenedLatency } from './latency.js';
import { type CloudImage, cloudImage, restoreCloudImage } from './persistence.js';
import { type SdkCall, attachedClients } from './sdk-adapter.js';

const KIND = 'kds-xacct sandbox';
/** 2: the sandbox keeps the wall clock and saves only its speed. Version 1 saved a clock that ran ahead of real time. */
const VERSION = 2;

/** What the sandbox file holds: the cloud, and how much shorter than AWS's its waits are. */
interface SandboxDocument {
  kind: typeof KIND;
  version: number;
  speed: number;
  cloud: CloudImage;
}

/** How many times shorter than AWS's a new sandbox's waits are: a setup's minute or so of AWS waiting takes seconds. */
export const DEFAULT_SANDBOX_SPEED = 10;

export interface SandboxOptions {
  /** The file the sandbox lives in, shared by every process that opens it. */
  file: string | CloudFile;
  /** The accounts a new (or reset) sandbox starts with. */
  accounts: string[];
  /** How many times shorter than AWS's the waits are. Given, it also changes a saved sandbox's speed; absent, the saved speed holds. */
  speed?: number;
  /** The wall clock, the sandbox's only time; tests inject one. */
  wall?: Clock;
  access?: AccessEvaluator;
  /** AWS's waits, before the speed shortens them. */
  latency?: Partial<LatencyModel>;
  /** What an invocation of any function does (the bundled handler, in the product). */
  runtime?: FunctionRuntime;
  /**
   * False: StartLiveTail fails as on an endpoint without Live Tail, so callers poll. A Live Tail stream
   * would go on reading the state it started with, outside any later call, and miss what other
   * processes do.
   */
  liveTail?: boolean;
}

/**
 * A fake cloud that lives in a file, so that separate commands, in separate processes, see the same
 * accounts. Every API call is one load-modify-save of the whole cloud under the file's lock: the
 * process loads the saved state into its FakeCloud, runs the call, and saves the result, so two
 * processes never lose each other's changes. Time is the wall clock: the sandbox shortens AWS's waits
 * (the latency model, divided by the speed saved in the same file) and never moves the clock, so every
 * timestamp it hands out is real.
 *
 * A Live Tail stream returned by a call goes on reading the state it was started with, outside any
 * later call, so it does not see events that later calls (or other processes) produce.
 */
export class Sandbox {
  readonly cloud: FakeCloud;
  readonly clock: Clock;
  readonly file: CloudFile;
  private readonly requestedSpeed: number | undefined;
  private readonly liveTail: boolean;
  private readonly fresh: CloudImage;
  /** AWS's waits, unshortened. */
  private readonly awsLatency: LatencyModel;
  private speedInEffect = DEFAULT_SANDBOX_SPEED;

  constructor(options: SandboxOptions) {
    this.file = typeof options.file === 'string' ? new CloudFile(options.file) : options.file;
    this.requestedSpeed = options.speed;
    this.liveTail = options.liveTail ?? true;
    this.clock = options.wall ?? systemClock;
    this.cloud = new FakeCloud({ clock: this.clock, ...(options.latency && { latency: options.latency }), ...(options.access && { access: options.access }) });
    this.awsLatency = { ...this.cloud.latency };
    if (options.runtime) this.cloud.setFunctionRuntime(options.runtime);
    for (const account of options.accounts) this.cloud.addAccount(account);
    this.fresh = cloudImage(this.cloud);
  }

  /**
   * Runs `work` against the cloud as saved and saves what it changed, even when `work` throws (an AWS
   * error can follow a change, such as a consumed fault or records delivered on the way).
   */
  async transaction<T>(work: (cloud: FakeCloud) => Promise<T>): Promise<T> {
    const outcome = await this.file.update(async (saved) => {
      this.load(saved);
      const callsBefore = this.cloud.calls.length;
      let result: { ok: true; value: T } | { ok: false; error: unknown };
      try {
        result = { ok: true, value: await work(this.cloud) };
      } catch (error) {
        result = { ok: false, error };
      }
      // Read-only calls to a sandbox nobody has used yet leave no file (and no folder) behind: status and a dry run only look.
      const calls = this.cloud.calls.slice(callsBefore);
      if (saved === undefined && calls.length > 0 && calls.every((call) => !call.mutating)) return { save: undefined, result };
      const document: SandboxDocument = { kind: KIND, version: VERSION, speed: this.speedInEffect, cloud: cloudImage(this.cloud) };
      return { save: document, result };
    });
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /** One SDK call, as one transaction: what the sandbox's clients are attached to. */
  handle(call: SdkCall): Promise<object> {
    return this.transaction((cloud) => cloud.handle(call));
  }

  /** The six SDK clients of a sandbox account, which reach nothing but this sandbox. */
  clientsFor(accountId: string, region: string): AwsClients {
    return attachedClients((call) => this.handle(call), { region, credentials: this.cloud.credentialsFor(accountId) });
  }

  /**
   * The speed this process will run at, read without loading the cloud: a file that cannot be loaded (an
   * older format, another kind of file) still gets a banner, and can still be reset.
   */
  async speedToRunAt(): Promise<number> {
    if (this.requestedSpeed !== undefined) return this.requestedSpeed;
    const saved = (await this.file.read()) as Partial<SandboxDocument> | undefined;
    return saved?.kind === KIND && saved.version === VERSION && typeof saved.speed === 'number' ? saved.speed : DEFAULT_SANDBOX_SPEED;
  }

  /** Back to the accounts it started with, and nothing in them. */
  reset(): Promise<void> {
    return this.file.remove();
  }

  private load(saved: unknown): void {
    this.restore(saved);
    if (!this.liveTail) this.cloud.liveTailUnavailable = { code: 'UnknownOperationException', message: 'the sandbox has no Live Tail' };
  }

  private restore(saved: unknown): void {
    if (saved === undefined) {
      this.runAt(this.requestedSpeed ?? DEFAULT_SANDBOX_SPEED);
      restoreCloudImage(this.cloud, this.fresh);
      return;
    }
    const doc = saved as Partial<SandboxDocument>;
    if (doc.kind !== KIND || typeof doc.version !== 'number' || !doc.cloud) {
      throw new UserError(`${this.file.file} is not a kds-xacct sandbox.`, 'Move it aside, or reset the sandbox to start again with empty accounts.');
    }
    if (doc.version > VERSION) {
      throw new UserError(`${this.file.file} was written by a newer kds-xacct (sandbox format ${doc.version}; this one reads ${VERSION}).`, 'Upgrade kds-xacct, or reset the sandbox to start again with empty accounts.');
    }
    if (doc.version < VERSION || typeof doc.speed !== 'number') {
      throw new UserError(
        `${this.file.file} was written by an earlier kds-xacct whose sandbox clock ran ahead of real time: its times cannot be brought back to the wall clock.`,
        'Reset the sandbox to start again with empty accounts (its deployments are forgotten with it).',
      );
    }
    this.runAt(this.requestedSpeed ?? doc.speed);
    restoreCloudImage(this.cloud, doc.cloud);
  }

  /** The cloud's latency model is AWS's, `speed` times shorter; the clock is untouched. */
  private runAt(speed: number): void {
    this.speedInEffect = speed;
    Object.assign(this.cloud.latency, shortenedLatency(this.awsLatency, speed));
  }
}
