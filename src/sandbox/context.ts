import type { Clock } from '../engine/clock.js';
import type { AccessDecision, AccessRequest } from './access.js';
import type { ServiceName } from './errors.js';
import type { FunctionRuntime } from './function-runtime.js';
import type { LatencyModel } from './latency.js';
import type { AccountState, IdSource, LogGroup, RegionState } from './model.js';

/**
 * What the service models need from the cloud (FakeCloud implements it). They depend on this, not on
 * FakeCloud, which imports every one of them: so no module of the sandbox imports itself, even by type.
 */
export interface Cloud {
  readonly clock: Clock;
  readonly latency: LatencyModel;
  readonly ids: IdSource;
  readonly accounts: Map<string, AccountState>;
  /** Why something computed lazily did not happen (e.g. log lines dropped for lack of permission). */
  readonly diagnostics: string[];
  readonly liveTailUnavailable: boolean | { code: string; message: string };
  readonly liveTailSessionMs: number;
  evaluateAccess(req: AccessRequest): Promise<AccessDecision>;
  account(accountId: string): AccountState;
  regionState(accountId: string, region: string): RegionState | undefined;
  takeRecordFailure(): boolean;
  /** Delivers every record due by now (delivery.ts). */
  materialize(): Promise<void>;
  runtimeFor(functionName: string): FunctionRuntime;
  streamSuffix(fnArn: string): string;
  appendLogEvent(group: LogGroup, logStreamName: string, message: string, at: number): void;
}

/** What a modelled command sees: who is calling, from where, and when. */
export interface CallContext {
  cloud: Cloud;
  accountId: string;
  region: string;
  /** The ARN the caller's credentials sign as (an admin user in its own account). */
  principal: string;
  now: number;
}

export interface Operation {
  /** Whether the call changes state (for `calls`, `mutatingCalls()` and `failAtMutatingCall`). */
  mutating: boolean;
  run(ctx: CallContext, input: any): unknown;
}

export interface ServiceModel {
  service: ServiceName;
  /** The SDK client class whose calls this model answers (`${service}Client`, as the SDK names it). */
  client: new (config: any) => unknown;
  operations: Record<string, Operation>;
}
