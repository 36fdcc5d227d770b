import type { ServiceName } from './errors.js';
import type { FakeCloud } from './fake-cloud.js';

/** What a modelled command sees: who is calling, from where, and when. */
export interface CallContext {
  cloud: FakeCloud;
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
