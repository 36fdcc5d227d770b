import type { AwsClients } from '../aws/session.js';
import type { Clock } from '../engine/clock.js';
import { UserError } from '../errors.js';
import type { AccessEvaluator } from './access.js';
import { CloudFile } from './cloud-file.js';
import type { FunctionRuntime } from './delivery.js';
import { FakeCloud } from './fake-cloud.js';
import type { LatencyModel } from './latency.js';
import { type CloudImage, cloudImage, restoreCloudImage } from './persistence.js';
import { type ClockAnchor, ScaledClock } from './scaled-clock.js';
import { type SdkCall, attachedClients } from './sdk-adapter.js';

const KIND = 'kds-xacct sandbox';
const VERSION = 1;

/** What the sandbox file holds: the cloud, and the clock every process derives the time from. */
interface SandboxDocument {
  kind: typeof KIND;
  version: number;
  clock: ClockAnchor;
  cloud: CloudImage;
}

/** How much faster than real time a new sandbox runs: a setup's minute or so of AWS waiting takes seconds. */
export const DEFAULT_SANDBOX_SPEED = 10;

export interface SandboxOptions {
  /** The file the sandbox lives in, shared by every process that opens it. */
  file: string | CloudFile;
  /** The accounts a new (or reset) sandbox starts with. */
  accounts: string[];
  /** Sandbox ms per wall-clock ms. Given, it also changes a saved sandbox's speed; absent, the saved speed holds. */
  speed?: number;
  /** The wall clock the sandbox's time is derived from; tests inject one. */
  wall?: Clock;
  access?: AccessEvaluator;
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
 * processes never lose each other's changes. Time is a ScaledClock anchored in the same file.
 *
 * A Live Tail stream returned by a call goes on reading the state it was started with, outside any
 * later call, so it does not see events that later calls (or other processes) produce.
 */
export class Sandbox {
  readonly cloud: FakeCloud;
  readonly clock: ScaledClock;
  readonly file: CloudFile;
  private readonly speed: number | undefined;
  private readonly liveTail: boolean;
  private readonly fresh: CloudImage;

  constructor(options: SandboxOptions) {
    this.file = typeof options.file === 'string' ? new CloudFile(options.file) : options.file;
    this.speed = options.speed;
    this.liveTail = options.liveTail ?? true;
    this.clock = ScaledClock.startingNow(options.speed ?? DEFAULT_SANDBOX_SPEED, options.wall);
    this.cloud = new FakeCloud({ clock: this.clock, ...(options.latency && { latency: options.latency }), ...(options.access && { access: options.access }) });
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
      const document: SandboxDocument = { kind: KIND, version: VERSION, clock: this.clock.anchor, cloud: cloudImage(this.cloud) };
      return { save: document, result };
    });
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /** Runs `work` on the saved state and saves nothing: for what only reads, such as the banner. */
  look<T>(work: (cloud: FakeCloud) => Promise<T>): Promise<T> {
    return this.file.update(async (saved) => {
      this.load(saved);
      return { save: undefined, result: await work(this.cloud) };
    });
  }

  /** One SDK call, as one transaction: what the sandbox's clients are attached to. */
  handle(call: SdkCall): Promise<object> {
    return this.transaction((cloud) => cloud.handle(call));
  }

  /** The six SDK clients of a sandbox account, which reach nothing but this sandbox. */
  clientsFor(accountId: string, region: string): AwsClients {
    return attachedClients((call) => this.handle(call), { region, credentials: this.cloud.credentialsFor(accountId) });
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
      restoreCloudImage(this.cloud, this.fresh);
      return;
    }
    const doc = saved as Partial<SandboxDocument>;
    if (doc.kind !== KIND || typeof doc.version !== 'number' || !doc.clock || !doc.cloud) {
      throw new UserError(`${this.file.file} is not a kds-xacct sandbox.`, 'Move it aside, or reset the sandbox to start again with empty accounts.');
    }
    if (doc.version > VERSION) {
      throw new UserError(`${this.file.file} was written by a newer kds-xacct (sandbox format ${doc.version}; this one reads ${VERSION}).`, 'Upgrade kds-xacct, or reset the sandbox to start again with empty accounts.');
    }
    this.clock.follow(doc.clock);
    if (this.speed !== undefined && this.speed !== doc.clock.factor) this.clock.setFactor(this.speed);
    restoreCloudImage(this.cloud, doc.cloud);
  }
}
