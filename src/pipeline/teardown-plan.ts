import type { Consumer } from '@aws-sdk/client-kinesis';
import type { StepRecord } from '../engine/state.js';
import type { DeploymentState } from '../deployment/store.js';
import type { Outputs } from '../engine/types.js';
import { STEP } from './steps/context.js';
import type { KeyHold } from './steps/kms-key.js';
import { consumerList, planRemoval, type PlannedRemoval, type Removable } from './teardown.js';

/** What the user chose for a teardown. */
export interface TeardownOptions {
  keyPendingDays: number;
  keepKey?: boolean;
  keepLogs?: boolean;
  deleteStreamWithConsumers?: boolean;
  deleteFailureQueue?: boolean;
}

/** What teardown read from AWS before it plans: every decision below is made from these and the state alone. */
export interface TeardownReads {
  /** The deployment's stream no longer exists (read only when there is a state file to say which stream). */
  streamGone: boolean;
  /** Until when our key must stay Enabled for the records it encrypted in an adopted stream, if it must. */
  keyHold?: KeyHold;
  /** How many reports of failed batches the failure queue setup made holds (not read under --delete-failure-queue). */
  failureReports?: number;
  /** Consumers of the stream setup made that are neither ours nor already deregistering. */
  otherConsumers: Consumer[];
}

/**
 * Our KMS key when teardown keeps it: records it encrypted in an adopted stream can still be read (`hold`),
 * or --keep-key. It stays out of the removals, in the state file until the teardown is complete, and then in
 * the record of the teardown, so that a later teardown deletes it once it may.
 */
export interface KeptKey {
  outputs: Outputs;
  hold?: KeyHold;
  byFlag: boolean;
}

/** Why a resource of the deployment is not deleted. */
export type KeepReason =
  /** Not created by kds-xacct: never deleted. */
  | 'adopted'
  /** Our key, kept because the user passed --keep-key. */
  | 'keep-key'
  /** Our key, which must outlive the records it encrypted in an adopted stream. */
  | 'key-hold'
  /** Our failure queue, which holds reports of failed batches: the only record of which records were lost. */
  | 'failure-reports'
  /** Our log group, kept because the user passed --keep-logs. */
  | 'keep-logs';

export interface KeptResource extends PlannedRemoval {
  reason: KeepReason;
  /** For `failure-reports`: how many the queue holds. */
  reports?: number;
}

export interface TeardownPlan {
  /** Records with origin `created` that teardown deletes, in reverse setup order. */
  remove: PlannedRemoval[];
  /** What stays, each with why. */
  keep: KeptResource[];
  /** The key, when kept: what the plan and the record of the teardown say about it. */
  keptKey?: KeptKey;
  /** The stream deleted outside kds-xacct, with the records that went with it. */
  gone?: { streamName: string; stepIds: string[] };
  /** Removals that change nothing by themselves: not worth a line in the plan. */
  silent: Set<string>;
  /** Created records that no step knows how to remove (a newer kds-xacct wrote them): left alone, and keep the state file. */
  unknown: PlannedRemoval[];
  /**
   * Records that leave the state file without a removal: what went with the stream, and what is kept apart
   * from the deployment (--keep-logs, a queue that holds reports). The kept key is not among them: it stays
   * in the state file until the teardown is complete.
   */
  dropped: string[];
  /** Other consumers of our stream, which refuse its deletion (without --delete-stream-with-consumers). */
  blockedBy: Consumer[];
  /** Other consumers of our stream that teardown deregisters (--delete-stream-with-consumers). */
  deregister: Consumer[];
  /** What the user must know before anything is deleted. */
  warnings: string[];
}

export interface TeardownInput {
  /** The deployment: its state file, with what discovery found and the key an earlier teardown kept. */
  state: DeploymentState;
  /** The setup steps, whose undo the removals run. */
  removables: Removable[];
  options: TeardownOptions;
  reads: TeardownReads;
}

const isCreated = (record: StepRecord | undefined): record is StepRecord => record?.origin === 'created';

/** The records that go with a deleted stream, as their steps say. */
export function goneWithStream(state: DeploymentState, removables: Removable[]): { streamName: string; stepIds: string[] } | undefined {
  const streamName = state.steps[STEP.stream]?.outputs.streamName;
  if (streamName === undefined) return undefined;
  const stepIds = removables.filter((r) => r.goesWithStream && state.steps[r.id] !== undefined && state.steps[r.id]!.origin !== 'skipped').map((r) => r.id);
  return { streamName, stepIds };
}

/** The key is kept while it must outlive the records it encrypted, or because the user said so. */
function keptKeyOf(state: DeploymentState, options: TeardownOptions, hold: KeyHold | undefined): KeptKey | undefined {
  const key = state.steps[STEP.kmsKey];
  if (!isCreated(key) || (!hold && !options.keepKey)) return undefined;
  return { outputs: key.outputs, byFlag: options.keepKey === true, ...(hold && { hold }) };
}

/** Our own resources that teardown keeps apart from the deployment, each with why. */
function keptApart(state: DeploymentState, removables: Removable[], options: TeardownOptions, reads: TeardownReads): KeptResource[] {
  const kept: KeptResource[] = [];
  const keep = (stepId: string, reason: KeepReason, extra: Partial<KeptResource> = {}) => {
    const step = removables.find((r) => r.id === stepId);
    const record = state.steps[stepId];
    if (!step || !isCreated(record)) return;
    kept.push({ stepId, account: step.account, title: step.title, resource: step.title, outputs: record.outputs, reason, ...extra });
  };
  // It keeps its tags, so a later setup of this deployment takes it up again (and a later teardown finds it).
  if (options.keepLogs) keep(STEP.logGroup, 'keep-logs');
  // An empty queue goes with the deployment.
  const reports = reads.failureReports ?? 0;
  if (!options.deleteFailureQueue && reports > 0) keep(STEP.failureQueue, 'failure-reports', { reports });
  return kept;
}

export function withoutRecords(state: DeploymentState, ids: Iterable<string>): DeploymentState {
  const steps = { ...state.steps };
  for (const id of ids) delete steps[id];
  return { ...state, steps };
}

/** The state the removals work on: without what is dropped from the deployment, and without a kept key. */
export function removalState(state: DeploymentState, plan: Pick<TeardownPlan, 'dropped' | 'keptKey'>): DeploymentState {
  return withoutRecords(state, [...plan.dropped, ...(plan.keptKey ? [STEP.kmsKey] : [])]);
}

/** Never delete a stream that others still read, unless the user said so. */
function streamReaders(state: DeploymentState, options: TeardownOptions, others: Consumer[]): Pick<TeardownPlan, 'blockedBy' | 'deregister' | 'warnings'> {
  const stream = state.steps[STEP.stream];
  if (!isCreated(stream) || others.length === 0) return { blockedBy: [], deregister: [], warnings: [] };
  if (!options.deleteStreamWithConsumers) return { blockedBy: others, deregister: [], warnings: [] };
  return { blockedBy: [], deregister: others, warnings: [`--delete-stream-with-consumers: these consumers of stream ${stream.outputs.streamName} will be deregistered too:\n${consumerList(others)}`] };
}

/**
 * What a teardown will do, decided from the deployment, the user's choices and what was read from AWS, before
 * anything changes: what is removed, what is kept and why, and what the user must know. Pure: no AWS call.
 */
export function planTeardown({ state, removables, options, reads }: TeardownInput): TeardownPlan {
  const gone = reads.streamGone ? goneWithStream(state, removables) : undefined;
  const left = withoutRecords(state, gone?.stepIds ?? []);
  const keptKey = keptKeyOf(left, options, reads.keyHold);
  const apart = keptApart(left, removables, options, reads);
  const dropped = [...(gone?.stepIds ?? []), ...apart.map((k) => k.stepId)];
  const records = planRemoval(removables, removalState(state, { dropped, keptKey }), options.keyPendingDays);
  const key = keptKey && removables.find((r) => r.id === STEP.kmsKey);
  const keepKey: KeptResource[] = key ? [{ stepId: key.id, account: key.account, title: key.title, resource: key.title, outputs: keptKey.outputs, reason: keptKey.hold ? 'key-hold' : 'keep-key' }] : [];
  const readers = streamReaders(left, options, reads.otherConsumers);
  const unknown = records.unknown.length > 0 ? [`The state records resources this version of kds-xacct does not know; they are left alone: ${records.unknown.map((p) => p.stepId).join(', ')}.`] : [];
  return {
    remove: records.remove,
    keep: [...records.keep.map((p): KeptResource => ({ ...p, reason: 'adopted' })), ...keepKey, ...apart],
    ...(keptKey && { keptKey }),
    ...(gone && { gone }),
    silent: records.silent,
    unknown: records.unknown,
    dropped,
    blockedBy: readers.blockedBy,
    deregister: readers.deregister,
    warnings: [...readers.warnings, ...unknown],
  };
}

/** The adopted resources among those kept: never deleted, because kds-xacct did not create them. */
export function adoptedOf(plan: Pick<TeardownPlan, 'keep'>): PlannedRemoval[] {
  return plan.keep.filter((k) => k.reason === 'adopted');
}
