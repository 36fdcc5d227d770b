/**
 * The shape of what `status` reports, as `--json` prints it and the status table reads it.
 * `assessHealth` in health.ts fills it.
 */
import type { AccountRole } from '../aws/session.js';
import type { Origin } from '../engine/types.js';
import type { PipelineVerdict } from './mapping-signals.js';

/** What status found for one resource (one setup step). */
export type ResourceStatus =
  /** Exists and matches what setup would make. */
  | 'ok'
  /** Does not exist (setup would create it). */
  | 'missing'
  /** Exists, but our statement, policy or grant differs from what setup writes (setup would rewrite it). */
  | 'drifted'
  /** Not checked, because something its check needs is missing or could not be checked (the detail names it). */
  | 'unchecked'
  /** The check itself failed (no permission, a same-named resource that is not ours, ...). */
  | 'error'
  /** Not needed for this deployment. */
  | 'skipped';

export interface ResourceHealth {
  step: string;
  account: AccountRole;
  title: string;
  status: ResourceStatus;
  /** Created by kds-xacct, or adopted (never deleted); from the live check, else the state file. */
  origin?: Origin;
  /** The live state AWS reports: ACTIVE, Enabled, PendingDeletion, ... */
  state?: string;
  /** The one identifier worth showing. */
  id?: string;
  detail?: string;
}

/** One problem: a one-line diagnosis and what to do about it. */
export interface Finding {
  /** `error` makes the deployment unhealthy; `warning` is transient (e.g. still CREATING). */
  severity: 'error' | 'warning';
  step: string;
  account: AccountRole;
  message: string;
  fix: string;
}

export interface EsmHealth {
  uuid: string;
  state?: string;
  stateTransitionReason?: string;
  lastProcessingResult?: string;
  eventSourceArn?: string;
}

export interface HealthReport {
  deployment: string;
  healthy: boolean;
  accounts: Record<AccountRole, { accountId: string; region: string; profile: string }>;
  resources: ResourceHealth[];
  stream?: { status?: string; encryption: { type: string; keyId?: string; ours: boolean } };
  eventSourceMapping?: EsmHealth;
  /** AWS's own verdict from the mapping's and the function's signals, when the mapping could be read; its signals are among the findings too. */
  delivery?: PipelineVerdict;
  findings: Finding[];
}
