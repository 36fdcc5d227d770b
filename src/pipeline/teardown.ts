import { DeregisterStreamConsumerCommand, ListStreamConsumersCommand, type Consumer } from '@aws-sdk/client-kinesis';
import type { AccountSession } from '../aws/session.js';
import type { Clock } from '../engine/clock.js';
import type { DeploymentState } from '../deployment/store.js';
import type { StepRecord } from '../engine/state.js';
import type { Outputs, Step, StepContext } from '../engine/types.js';
import type { PipelineStep } from './steps/pipeline-step.js';
import { waitFor } from '../engine/wait.js';
import { UserError } from '../errors.js';
import { describeStream } from './lookups.js';
import { callAws, hasCode, ifExists, isNotFound } from '../aws/retry.js';
import { STEP } from './steps/context.js';

/** What teardown can remove: a setup step, of which it runs the undo. */
export type Removable = Pick<PipelineStep, 'id' | 'title' | 'account' | 'dependsOn' | 'undo' | 'removal' | 'removesNothing' | 'removedAfter' | 'goesWithStream'>;

/** One line of the teardown plan: a resource of the deployment, deleted or kept. */
export interface PlannedRemoval {
  stepId: string;
  account: string;
  /** What teardown does to it, e.g. "delete stream orders-stream", or the setup title for what is kept. */
  title: string;
  /** The resource itself, as setup names it: "stream orders-stream". */
  resource: string;
  outputs: Outputs;
}

export interface RemovalPlan {
  /** Records with origin `created`, in the order the removal steps are listed (reverse of setup). */
  remove: PlannedRemoval[];
  /** Adopted resources: never deleted, listed so the user sees what stays. */
  keep: PlannedRemoval[];
  /** Removals that change nothing by themselves (encryption of a stream that is deleted anyway): not worth a line in the plan. */
  silent: Set<string>;
  /** Created records that no step knows how to remove (a newer kds-xacct wrote them): left alone, and keep the state file. */
  unknown: PlannedRemoval[];
}

/** Engine step id of the removal of setup step `stepId`; distinct so no one mistakes it for the setup step. */
export function removalId(stepId: string): string {
  return `remove:${stepId}`;
}

/** What the removal of a record does, in the user's words: as its step says, or "remove <title>". */
export function removalTitle(removable: Pick<Removable, 'title' | 'removal'>, outputs: Outputs, keyPendingDays: number): string {
  return removable.removal?.({ title: removable.title, outputs }, keyPendingDays) ?? `remove ${removable.title}`;
}

const isCreated = (record: StepRecord | undefined): record is StepRecord => record?.origin === 'created';

/**
 * Splits a deployment's records into what teardown deletes and what it keeps. Pure: reads the
 * state only. Listed in reverse setup order, which is roughly the order the removals run in.
 */
export function planRemoval(removables: Removable[], state: DeploymentState, keyPendingDays: number): RemovalPlan {
  const byId = new Map(removables.map((r) => [r.id, r]));
  const plan: RemovalPlan = { remove: [], keep: [], unknown: [], silent: new Set() };
  for (const r of [...removables].reverse()) {
    const record = state.steps[r.id];
    if (!record || record.origin === 'skipped') continue;
    if (record.origin === 'adopted') plan.keep.push({ stepId: r.id, account: r.account, title: r.title, resource: r.title, outputs: record.outputs });
    else {
      plan.remove.push({ stepId: r.id, account: r.account, title: removalTitle(r, record.outputs, keyPendingDays), resource: r.title, outputs: record.outputs });
      if (r.removesNothing?.(record.outputs)) plan.silent.add(r.id);
    }
  }
  for (const [id, record] of Object.entries(state.steps)) {
    if (!byId.has(id) && isCreated(record)) plan.unknown.push({ stepId: id, account: '?', title: `unknown resource "${id}"`, resource: `unknown resource "${id}"`, outputs: record.outputs });
  }
  return plan;
}

/** Every removable that depends on `id`, directly or through others. */
function dependentsOf(removables: Removable[], id: string): Set<string> {
  const found = new Set<string>();
  const queue = [id];
  while (queue.length > 0) {
    const current = queue.pop()!;
    for (const r of removables) {
      if (r.dependsOn.includes(current) && !found.has(r.id)) {
        found.add(r.id);
        queue.push(r.id);
      }
    }
  }
  return found;
}

export interface RemovalStepOptions {
  /** Called after a record's resource is gone: the caller drops the record from the state and saves it. */
  onRemoved(stepId: string): Promise<void>;
  /** Runs before the removal of a record, e.g. to refuse deleting a stream others still read. */
  before?: Partial<Record<string, (ctx: StepContext) => Promise<void>>>;
  keyPendingDays: number;
}

/**
 * The teardown graph, derived from the setup graph: one step per record with origin `created`,
 * whose apply runs that setup step's own `undo` with the recorded outputs. Dependencies are
 * reversed, and transitive, so that the removal of X waits for the removal of everything that
 * was built on X even when a step in between was adopted or skipped: the mapping goes first,
 * the stream and consumer last, and independent removals in both accounts run at once. A step's
 * `removedAfter` adds what the reversed graph does not give (the key outlives the stream). Setup's
 * `startsAfter` (the consumer registered before StartStreamEncryption) is not reversed: no removal
 * needs it, as DeregisterStreamConsumer is not refused while StopStreamEncryption keeps the stream
 * UPDATING (its API reference lists no ResourceInUseException), so the two run at once.
 */
export function removalSteps(removables: Removable[], state: DeploymentState, options: RemovalStepOptions): Step[] {
  const toRemove = removables.filter((r) => isCreated(state.steps[r.id]));
  const removing = new Set(toRemove.map((r) => r.id));
  return toRemove.map((r): Step => {
    const outputs = state.steps[r.id]!.outputs;
    return {
      id: removalId(r.id),
      title: removalTitle(r, outputs, options.keyPendingDays),
      account: r.account,
      dependsOn: [...dependentsOf(removables, r.id), ...(r.removedAfter ?? [])].filter((id) => removing.has(id)).map(removalId),
      // Undo tolerates "already gone", so there is nothing worth reading first.
      check: async () => ({ status: 'missing' }),
      async apply(ctx) {
        await options.before?.[r.id]?.(ctx);
        await r.undo?.(ctx, outputs);
        await options.onRemoved(r.id);
        return {};
      },
    };
  });
}

/**
 * Whether the deployment's stream was deleted outside kds-xacct: then nothing is left to delete, keep or put
 * back of it or of what went with it, and teardown says they are already gone instead.
 */
export async function streamGone(clock: Clock, producer: AccountSession, state: DeploymentState): Promise<boolean> {
  const streamName = state.steps[STEP.stream]?.outputs.streamName;
  return streamName !== undefined && (await describeStream(clock, producer, streamName)) === undefined;
}

/** Consumers on the stream that are not ours and not already on their way out. */
export async function otherConsumers(clock: Clock, producer: AccountSession, streamArn: string, ourConsumerArn: string | undefined): Promise<Consumer[]> {
  const out = await ifExists(clock, () => producer.clients.kinesis.send(new ListStreamConsumersCommand({ StreamARN: streamArn })));
  return (out?.Consumers ?? []).filter((c) => c.ConsumerARN !== ourConsumerArn && c.ConsumerStatus !== 'DELETING');
}

export function consumerList(consumers: Consumer[]): string {
  return consumers.map((c) => `  ${c.ConsumerName} (${c.ConsumerStatus}) ${c.ConsumerARN}`).join('\n');
}

/** Deregisters the other consumers (the user asked for it) and waits until they are gone, so DeleteStream can succeed. */
async function deregisterOthers(ctx: StepContext, producer: AccountSession, streamArn: string, consumers: Consumer[]): Promise<void> {
  const kinesis = producer.clients.kinesis;
  for (const c of consumers) {
    try {
      await callAws(ctx.clock, () => kinesis.send(new DeregisterStreamConsumerCommand({ ConsumerARN: c.ConsumerARN })));
    } catch (error) {
      if (!isNotFound(error) && !hasCode(error, 'ResourceInUseException')) throw error;
    }
  }
  await waitFor(
    async () => {
      const left = (await ifExists(ctx.clock, () => kinesis.send(new ListStreamConsumersCommand({ StreamARN: streamArn }))))?.Consumers ?? [];
      return left.length === 0 ? { done: true, value: undefined } : { done: false, detail: `${left.length} consumer(s) deregistering` };
    },
    { clock: ctx.clock, what: `the consumers of ${streamArn} to be deregistered`, timeoutMs: 10 * 60_000, onPoll: (d) => ctx.progress(d) },
  );
}

/**
 * Runs right before our stream is deleted: consumers registered since the plan was shown block
 * the deletion too, unless the user allowed deregistering them.
 */
export function guardStreamDeletion(state: DeploymentState, producer: AccountSession, deregister: boolean): (ctx: StepContext) => Promise<void> {
  return async (stepCtx) => {
    const arn = state.steps[STEP.stream]!.outputs.streamArn!;
    const left = await otherConsumers(stepCtx.clock, producer, arn, undefined);
    if (left.length === 0) return;
    if (!deregister) {
      throw new UserError(`Stream ${state.steps[STEP.stream]!.outputs.streamName} has other consumers:\n${consumerList(left)}`, 'Pass --delete-stream-with-consumers to deregister them and delete the stream anyway.');
    }
    await deregisterOthers(stepCtx, producer, arn, left);
  };
}
