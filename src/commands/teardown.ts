import type { Consumer } from '@aws-sdk/client-kinesis';
import { randomUUID } from 'node:crypto';
import { awsCommand, type AccountSession } from '../aws/session.js';
import type { CommandContext } from '../context.js';
import type { TeardownFlags } from './flags.js';
import { exitCodeFor, runSteps, type Leftover } from '../engine/engine.js';
import { newState, type DeploymentState } from '../deployment/store.js';
import { StepState, type EngineEvent } from '../engine/types.js';
import { CommandFailedError, ExitCode, UserError } from '../errors.js';
import { configFromState } from '../pipeline/config.js';
import { discoverDeployment } from '../pipeline/discover.js';
import { readFailedBatches } from '../pipeline/failure-destination.js';
import { STEP, pipelineContext } from '../pipeline/steps/context.js';
import { setupSteps } from '../pipeline/steps/index.js';
import {
  consumerList,
  goneWithStream,
  guardStreamDeletion,
  otherConsumers,
  planRemoval,
  removalSteps,
  type PlannedRemoval,
  type Removable,
  type RemovalPlan,
} from '../pipeline/teardown.js';
import { openDeployment } from '../deployment/open.js';
import { commandLine } from './hints.js';
import { keptKey, keptKeyOutcome, keptKeyPlanLine, keptKeyPlanNote, restoreKeptKey, settleKeptKey, withoutKey, type KeptKey } from './kept-key.js';
import { describeStepError, leftoverLines } from './report.js';
import { formatResourceGroups } from './resource-list.js';

type Accounts = { producer: AccountSession; consumer: AccountSession };

function planText(plan: RemovalPlan, accounts: Accounts, keyPendingDays: number, kept: KeptKey | undefined, teardown: string): string {
  const lines: string[] = [];
  for (const account of ['producer', 'consumer'] as const) {
    const remove = plan.remove.filter((p) => p.account === account && !plan.silent.has(p.stepId));
    const keep = plan.keep.filter((p) => p.account === account);
    const keepKey = account === 'producer' && kept ? [keptKeyPlanLine(kept)] : [];
    lines.push(`${account === 'producer' ? 'Producer' : 'Consumer'} account ${accounts[account].accountId} (${accounts[account].region}):`);
    for (const p of remove) lines.push(`  - ${p.title}`);
    lines.push(...keepKey);
    for (const p of keep) lines.push(`  = keep ${p.title} (adopted)`);
    if (remove.length + keep.length + keepKey.length === 0) lines.push('  nothing');
  }
  // Said once, not on every kept line, where it made each one wrap at 80 columns.
  if (plan.keep.length > 0) lines.push('Adopted resources were not created by kds-xacct and are never deleted.');
  const key = plan.remove.find((p) => p.stepId === STEP.kmsKey);
  if (key) {
    const restore = awsCommand(accounts.producer, `kms cancel-key-deletion --key-id ${key.outputs.keyId}`);
    lines.push(
      `\nThe KMS key will be scheduled for deletion with a ${keyPendingDays}-day waiting period (--key-pending-days). Until it is deleted it can be restored with \`${restore}\`; after that, data encrypted with it can never be decrypted again.`,
    );
  }
  if (kept) lines.push(`\n${keptKeyPlanNote(kept, teardown)}`);
  return lines.join('\n');
}

/** The question before anything is deleted: what will happen, in the words of the plan above it. */
function confirmation(plan: RemovalPlan, { producer, consumer }: Accounts, keyPendingDays: number): string {
  const shown = plan.remove.filter((p) => !plan.silent.has(p.stepId));
  const deleted = shown.filter((p) => p.stepId !== STEP.kmsKey).length;
  const key = shown.length > deleted ? ` and schedule the KMS key for deletion in ${keyPendingDays} days` : '';
  return `Delete ${deleted} resource(s)${key} in accounts ${producer.accountId} and ${consumer.accountId}?`;
}

/**
 * A failure queue that holds reports is the only record of which records were lost: it is kept, with its
 * tags (a later setup takes it up again), unless --delete-failure-queue. An empty one goes with the deployment.
 */
async function keepFailedBatches(ctx: CommandContext, flags: TeardownFlags, state: DeploymentState, consumer: AccountSession): Promise<void> {
  const queue = state.steps[STEP.failureQueue];
  if (queue?.origin !== 'created' || flags.deleteFailureQueue) return;
  const { count } = await readFailedBatches(ctx.environment.clock, consumer.clients.sqs, queue.outputs.queueUrl!);
  if (count === 0) return;
  delete state.steps[STEP.failureQueue];
  ctx.reporter.warn(
    `Queue ${queue.outputs.queueName} holds ${count} report(s) of failed batches, so it is kept: ${queue.outputs.queueArn}. Look at them with \`${awsCommand(consumer, `sqs receive-message --queue-url ${queue.outputs.queueUrl} --visibility-timeout 0 --max-number-of-messages 10`)}\`; to delete it with the rest, pass --delete-failure-queue.`,
  );
}

function leftoverOf(p: PlannedRemoval): Leftover {
  return { stepId: p.stepId, title: p.resource, account: p.account, outputs: p.outputs };
}

export async function runTeardown(ctx: CommandContext, flags: TeardownFlags): Promise<ExitCode> {
  const { reporter, environment, store } = ctx;
  const keyPendingDays = flags.keyPendingDays ?? 30;
  if (!ctx.interactive && !ctx.options.yes) {
    const why = ctx.options.json ? 'and --json asks no questions' : 'and there is no terminal to ask';
    throw new UserError(`teardown deletes resources and needs a confirmation, ${why}.`, 'Pass --yes to delete unattended.');
  }

  const deployment = await openDeployment(ctx, ['producer', 'consumer'], { allowMissingState: true, unknownAccounts: (name) => noStateError(ctx, name) });
  const { name, tornDownAt } = deployment;
  const accounts: Accounts = { producer: deployment.producer, consumer: deployment.consumer };
  const { producer, consumer } = accounts;
  // A line per account, as setup shows them: one line for both wraps at 80 columns.
  reporter.info(`Producer account ${producer.accountId} (profile ${producer.profile}, ${producer.region})\nConsumer account ${consumer.accountId} (profile ${consumer.profile}, ${consumer.region})`);

  const release = await store.lock(name, 'teardown');
  try {
    const clock = environment.clock;
    let state = await store.load(name);
    const discovered = !state;
    if (!state) {
      reporter.info(
        tornDownAt
          ? `Deployment "${name}" was torn down at ${tornDownAt}: looking again for anything tagged for it (or named for it).`
          : `No state file for deployment "${name}": looking for its resources by their tags and names.`,
      );
    }
    const found = await discoverDeployment(name, accounts, clock, new Date(clock.now()));
    if (!state) state = found;
    else {
      // What a run created but had no time to record (a second Ctrl-C right after a create) still
      // carries our tag: it is deleted too, rather than left behind.
      for (const [id, record] of Object.entries(found.steps)) if (record.origin === 'created' && !state.steps[id]) state.steps[id] = record;
    }

    await restoreKeptKey(clock, producer, state, deployment.keptKey);

    const gone = discovered ? undefined : await goneWithStream(clock, producer, state);
    for (const id of gone?.stepIds ?? []) delete state.steps[id];

    const config = configFromState(state, consumer.accountId);
    // The accounts are in the state file, or in the record of the teardown: the command needs no profiles.
    const again = commandLine(ctx.options, 'teardown', { name });
    const kept = await keptKey(clock, producer, state, config, flags.keepKey === true);
    const unkept = (s: DeploymentState) => (kept ? withoutKey(s) : s);
    const pipeline = pipelineContext({ config, producer, consumer, previous: state, keyPendingDays });
    const removables: Removable[] = setupSteps(pipeline);

    // --keep-logs: the log group setup made stays, and leaves the deployment's records. It keeps its tags,
    // so a later setup of this deployment takes it up again (and a later teardown finds it).
    const keptLogs = flags.keepLogs && state.steps[STEP.logGroup]?.origin === 'created' ? state.steps[STEP.logGroup] : undefined;
    if (keptLogs) {
      delete state.steps[STEP.logGroup];
      reporter.info(`--keep-logs: log group ${keptLogs.outputs.logGroupName} is kept.`);
    }

    await keepFailedBatches(ctx, flags, state, consumer);

    const plan = planRemoval(removables, unkept(state), keyPendingDays);
    const retire = (key = kept) => store.retire({ name, tornDownAt: new Date(clock.now()).toISOString(), accounts: state.accounts, ...(key && { key: key.outputs }) });
    if (plan.remove.length === 0) {
      if (kept && plan.unknown.length === 0) {
        // Only the key is left, and it may not go yet: nothing changes. A record of an earlier teardown stays as it is.
        const settled = await settleKeptKey(clock, producer, kept, config, undefined);
        if (!discovered) await retire(settled);
        reporter.info(sentences(`Nothing else is left of deployment "${name}".`, goneNote(gone), keptKeyOutcome(settled, clock.now(), again, keyPendingDays)));
        reporter.result({ deployment: name, outcome: 'succeeded', removed: [], alreadyGone: gone?.stepIds ?? [], keptKey: settled.outputs, kept: plan.keep.map(leftoverOf), remaining: [] });
        return ExitCode.Success;
      }
      if (discovered) {
        const where = `in account ${producer.accountId} or ${consumer.accountId} in ${producer.region}`;
        // A misspelt --name finds nothing, which is success: the deployments that do exist show it in a CI log.
        const known = tornDownAt ? [] : await store.list();
        reporter.info(
          tornDownAt
            ? `Nothing left of deployment "${name}": no resource tagged for it (or named for it) is ${where}.`
            : sentences(
                `Nothing to tear down: no state file for deployment "${name}" (${store.describe(name)}), and no resource tagged for it (or named for it) ${where}.`,
                known.length > 0 ? `The deployments in ${ctx.options.stateDir} are ${known.map((k) => `"${k}"`).join(', ')}: check --name.` : undefined,
              ),
        );
        reporter.result({ deployment: name, outcome: 'nothing-found', ...(tornDownAt && { tornDownAt }), ...(!tornDownAt && { knownDeployments: known }), removed: [], kept: plan.keep.map(leftoverOf), remaining: [] });
        return ExitCode.Success;
      }
      if (plan.unknown.length === 0) await retire();
      reporter.info(sentences(`Nothing to delete for deployment "${name}": kds-xacct created nothing that is still recorded.`, goneNote(gone), plan.keep.length ? 'Adopted resources are kept.' : undefined));
      reporter.result({ deployment: name, outcome: 'succeeded', removed: [], alreadyGone: gone?.stepIds ?? [], kept: plan.keep.map(leftoverOf), remaining: plan.unknown.map(leftoverOf) });
      if (plan.unknown.length === 0) return ExitCode.Success;
      reporter.error(
        `Deployment "${name}" still records resources this version of kds-xacct does not know (${plan.unknown.map((p) => p.stepId).join(', ')}): they were left alone, and the state file keeps them.`,
        'A newer kds-xacct recorded them: run teardown with that version.',
      );
      return ExitCode.Failed;
    }

    // Never delete a stream that others still read, unless the user said so.
    const streamRecord = state.steps[STEP.stream];
    const ourConsumerArn = state.steps[STEP.consumer]?.origin === 'created' ? state.steps[STEP.consumer]!.outputs.consumerArn : undefined;
    let others: Consumer[] = [];
    if (streamRecord?.origin === 'created' && streamRecord.outputs.streamArn) {
      others = await otherConsumers(clock, producer, streamRecord.outputs.streamArn, ourConsumerArn);
      if (others.length > 0 && !flags.deleteStreamWithConsumers) {
        throw new CommandFailedError(
          `Stream ${streamRecord.outputs.streamName} has ${others.length} other consumer(s), from other deployments or other owners:\n${consumerList(others)}\nNothing was deleted.`,
          ExitCode.Failed,
          'Tear down those deployments first, or pass --delete-stream-with-consumers to deregister them and delete the stream anyway.',
        );
      }
    }

    reporter.info(`\nTeardown of deployment "${name}"${discovered ? ' (found by tags and names)' : ''}:\n${[planText(plan, accounts, keyPendingDays, kept, again), goneNote(gone)].filter(Boolean).join('\n')}`);
    if (others.length > 0) reporter.warn(`--delete-stream-with-consumers: these consumers of stream ${streamRecord!.outputs.streamName} will be deregistered too:\n${consumerList(others)}`);
    if (plan.unknown.length > 0) reporter.warn(`The state records resources this version of kds-xacct does not know; they are left alone: ${plan.unknown.map((p) => p.stepId).join(', ')}.`);
    if (ctx.interactive) {
      const prompter = await environment.prompter();
      const yes = await prompter.confirm({ message: confirmation(plan, accounts, keyPendingDays), default: false });
      if (!yes) {
        reporter.info('Nothing was deleted.');
        return ExitCode.Success;
      }
    }
    if (environment.interrupt.interrupted) {
      reporter.error('Interrupted before any deletion. Nothing was deleted.');
      return ExitCode.Interrupted;
    }

    // The state file says what is left: each removal drops its record; a lost one is written first, so a failed run can be resumed.
    const live = state;
    await store.save(live);
    const removed: string[] = [];
    let settled = kept;
    const steps = removalSteps(removables, unkept(live), {
      keyPendingDays,
      async onRemoved(stepId) {
        delete live.steps[stepId];
        // From now on the key encrypts nothing new: the state keeps when, so that a re-run after a failure still keeps the key long enough.
        if (stepId === STEP.encryption && settled) {
          settled = await settleKeptKey(clock, producer, settled, config, pipeline.encryptionStoppedAt);
          live.steps[STEP.kmsKey]!.outputs = settled.outputs;
        }
        live.updatedAt = new Date(clock.now()).toISOString();
        removed.push(stepId);
        await store.save(live);
      },
      before: { [STEP.stream]: guardStreamDeletion(live, producer, Boolean(flags.deleteStreamWithConsumers)) },
    });
    // The engine's own bookkeeping goes to a scratch state: the deployment's state is updated by onRemoved.
    const scratch = newState(name, 'teardown', new Date(clock.now()));
    const result = await runSteps({
      steps,
      state: scratch,
      save: async () => undefined,
      clock,
      runId: randomUUID(),
      emit: (event) => reporter.event(asRemovalEvent(event)),
      rollback: false,
      continueAfterFailure: true,
      interrupt: environment.interrupt,
    });

    const remaining = planRemoval(removables, unkept(live), keyPendingDays);
    const left = [...remaining.remove, ...remaining.unknown];
    // Encryption of a stream that is still there is part of that stream, not a resource of its own.
    const shown = left.filter((p) => !remaining.silent.has(p.stepId));
    if (left.length === 0) await retire(settled);
    reporter.result({
      deployment: name,
      outcome: result.outcome === 'succeeded' && left.length > 0 ? 'incomplete' : result.outcome,
      discovered,
      keyPendingDays,
      removed,
      alreadyGone: gone?.stepIds ?? [],
      kept: plan.keep.map(leftoverOf),
      ...(settled && { keptKey: settled.outputs }),
      remaining: shown.map(leftoverOf),
      stateFile: left.length === 0 ? 'removed' : store.describe(name),
    });

    if (result.outcome !== 'succeeded') {
      const failure = result.failure ? describeStepError(result.failure, accounts) : { message: 'Interrupted.', hint: undefined };
      const rerun = `Run \`${again}\` again to finish.`;
      reporter.error(`${failure.message}${/[.!?]$/.test(failure.message) ? '' : '.'} ${shown.length} resource(s) are still there; the state file keeps them.`, [failure.hint, rerun].filter(Boolean).join(' '));
      for (const line of leftoverLines(shown.map(leftoverOf))) reporter.info(line);
      return exitCodeFor({ ...result, leftovers: [] });
    }
    if (left.length > 0) {
      reporter.error(`Teardown of "${name}" left ${shown.length} resource(s) behind.`, 'See the list below; the state file keeps them.');
      for (const line of leftoverLines(shown.map(leftoverOf))) reporter.info(line);
      return ExitCode.Failed;
    }
    // A state file found by discovery was only this run's own record of progress: not worth a word.
    reporter.info(`\n${sentences(`Deployment "${name}" is torn down${plan.keep.length ? '; adopted resources were kept' : ''}.`, goneNote(gone), discovered ? undefined : 'The state file was removed.')}`);
    if (removed.includes(STEP.kmsKey)) reporter.info(`The KMS key is pending deletion for ${keyPendingDays} days.`);
    if (settled) reporter.info(keptKeyOutcome(settled, clock.now(), again, keyPendingDays));
    if (plan.keep.length) reporter.info('\nKept:\n' + formatResourceGroups([], plan.keep.map((p) => ({ account: p.account, title: p.title, cells: [] })), accounts, ctx.tableWidth));
    return ExitCode.Success;
  } finally {
    await release();
  }
}

/** Without a state file or a record of a teardown, only the profiles lead to the accounts: say exactly what to pass. */
function noStateError(ctx: CommandContext, name: string): UserError {
  const { producerProfile, consumerProfile, region } = ctx.options;
  const teardown = commandLine(ctx.options, 'teardown', { name, accounts: { producerProfile, consumerProfile, region } });
  return new UserError(
    `There is no state file for deployment "${name}" (${ctx.store.describe(name)}), and no record that it was torn down.`,
    `To find its resources by their tags and names instead, pass both profiles: \`${teardown}\`${region ? '' : ' (and --region if the profiles do not set it)'}. Or pass --state-dir if the state lives elsewhere.`,
  );
}

/** A stream deleted outside kds-xacct, said in the plan and the result rather than listed as deleted or kept. */
function goneNote(gone: { streamName: string } | undefined): string | undefined {
  return gone && `Stream ${gone.streamName} was already gone, and its EFO consumer and policies with it.`;
}

function sentences(...parts: Array<string | undefined>): string {
  return parts.filter(Boolean).join(' ');
}

/** Renderers know "undone" as "removed": a removal step that finished is reported that way, not as "created". */
function asRemovalEvent(event: EngineEvent): EngineEvent {
  if (event.type === 'step:done' && event.state === StepState.Created) return { type: 'step:undone', stepId: event.stepId, elapsedMs: event.elapsedMs };
  return event;
}

