import { randomUUID } from 'node:crypto';
import { awsCommand, type AccountSession } from '../aws/session.js';
import type { CommandContext } from '../context.js';
import type { TeardownFlags } from './flags.js';
import { exitCodeFor, runSteps, type Leftover, type RunResult } from '../engine/engine.js';
import { newState, type DeploymentState } from '../deployment/store.js';
import { StepState, type EngineEvent, type Outputs } from '../engine/types.js';
import { CommandFailedError, ExitCode, UserError } from '../errors.js';
import { configFromState } from '../pipeline/config.js';
import { discoverDeployment } from '../pipeline/discover.js';
import { STEP, pipelineContext, type PipelineContext } from '../pipeline/steps/context.js';
import { setupSteps } from '../pipeline/steps/index.js';
import type { PipelineStep } from '../pipeline/steps/pipeline-step.js';
import { consumerList, guardStreamDeletion, planRemoval, removalSteps, type PlannedRemoval } from '../pipeline/teardown.js';
import { adoptedOf, planTeardown, removalState, withoutRecords, type KeptKey, type TeardownOptions, type TeardownPlan } from '../pipeline/teardown-plan.js';
import { readForTeardown } from '../pipeline/teardown-reads.js';
import { openDeployment } from '../deployment/open.js';
import { commandLine } from './hints.js';
import { keptKeyOutcome, keptKeyPlanLine, keptKeyPlanNote, restoreKeptKey, settleKeptKey } from './kept-key.js';
import { describeStepError, leftoverLines } from './report.js';
import { formatResourceGroups } from './resource-list.js';

type Accounts = { producer: AccountSession; consumer: AccountSession };

function planText(plan: TeardownPlan, accounts: Accounts, keyPendingDays: number, teardown: string): string {
  const kept = plan.keptKey;
  const adopted = adoptedOf(plan);
  const lines: string[] = [];
  for (const account of ['producer', 'consumer'] as const) {
    const remove = plan.remove.filter((p) => p.account === account && !plan.silent.has(p.stepId));
    const keep = adopted.filter((p) => p.account === account);
    const keepKey = account === 'producer' && kept ? [keptKeyPlanLine(kept)] : [];
    lines.push(`${account === 'producer' ? 'Producer' : 'Consumer'} account ${accounts[account].accountId} (${accounts[account].region}):`);
    for (const p of remove) lines.push(`  - ${p.title}`);
    lines.push(...keepKey);
    for (const p of keep) lines.push(`  = keep ${p.title} (adopted)`);
    if (remove.length + keep.length + keepKey.length === 0) lines.push('  nothing');
  }
  // Said once, not on every kept line, where it made each one wrap at 80 columns.
  if (adopted.length > 0) lines.push('Adopted resources were not created by kds-xacct and are never deleted.');
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
function confirmation(plan: TeardownPlan, { producer, consumer }: Accounts, keyPendingDays: number): string {
  const shown = plan.remove.filter((p) => !plan.silent.has(p.stepId));
  const deleted = shown.filter((p) => p.stepId !== STEP.kmsKey).length;
  const key = shown.length > deleted ? ` and schedule the KMS key for deletion in ${keyPendingDays} days` : '';
  return `Delete ${deleted} resource(s)${key} in accounts ${producer.accountId} and ${consumer.accountId}?`;
}

function leftoverOf(p: PlannedRemoval): Leftover {
  return { stepId: p.stepId, title: p.resource, account: p.account, outputs: p.outputs };
}

export async function runTeardown(ctx: CommandContext, flags: TeardownFlags): Promise<ExitCode> {
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
  ctx.reporter.info(`Producer account ${producer.accountId} (profile ${producer.profile}, ${producer.region})\nConsumer account ${consumer.accountId} (profile ${consumer.profile}, ${consumer.region})`);

  const release = await ctx.store.lock(name, 'teardown');
  try {
    const { state, discovered } = await openForTeardown(ctx, name, tornDownAt, accounts, deployment.keptKey);
    const config = configFromState(state, consumer.accountId);
    const pipeline = pipelineContext({ config, producer, consumer, previous: state, keyPendingDays });
    const removables = setupSteps(pipeline);
    const teardownOptions: TeardownOptions = { ...flags, keyPendingDays };
    const reads = await readForTeardown(ctx.environment.clock, accounts, { state, discovered, config, removables }, teardownOptions);
    const plan = planTeardown({ state, removables, options: teardownOptions, reads });
    // The accounts are in the state file, or in the record of the teardown: the command needs no profiles.
    const again = commandLine(ctx.options, 'teardown', { name });
    const teardown: Teardown = { ctx, name, tornDownAt, accounts, discovered, state, pipeline, removables, options: teardownOptions, again, plan };

    announceKeptApart(teardown);
    if (plan.remove.length === 0) return await nothingToRemove(teardown);
    refuseOthersReaders(teardown);
    const declined = await showAndConfirm(teardown);
    if (declined !== undefined) return declined;
    return reportTeardown(teardown, await applyTeardown(teardown));
  } finally {
    await release();
  }
}

/** A teardown as planned: the deployment, how it was opened, and the plan. */
interface Teardown {
  ctx: CommandContext;
  name: string;
  tornDownAt: string | undefined;
  accounts: Accounts;
  /** No state file: the deployment was found by its tags and names. */
  discovered: boolean;
  state: DeploymentState;
  pipeline: PipelineContext;
  removables: PipelineStep[];
  options: TeardownOptions;
  /** This teardown's command line, to run again. */
  again: string;
  plan: TeardownPlan;
}

/**
 * The deployment as teardown sees it: its state file, or what its tags and names lead to, with what a run
 * created but had no time to record, and the key an earlier teardown kept.
 */
async function openForTeardown(ctx: CommandContext, name: string, tornDownAt: string | undefined, accounts: Accounts, keptKey: Outputs | undefined): Promise<{ state: DeploymentState; discovered: boolean }> {
  const clock = ctx.environment.clock;
  const recorded = await ctx.store.load(name);
  if (!recorded) {
    ctx.reporter.info(
      tornDownAt
        ? `Deployment "${name}" was torn down at ${tornDownAt}: looking again for anything tagged for it (or named for it).`
        : `No state file for deployment "${name}": looking for its resources by their tags and names.`,
    );
  }
  const found = await discoverDeployment(name, accounts, clock, new Date(clock.now()));
  const state = recorded ?? found;
  // What a run created but had no time to record (a second Ctrl-C right after a create) still
  // carries our tag: it is deleted too, rather than left behind.
  if (recorded) for (const [id, record] of Object.entries(found.steps)) if (record.origin === 'created' && !state.steps[id]) state.steps[id] = record;
  await restoreKeptKey(clock, accounts.producer, state, keptKey);
  return { state, discovered: !recorded };
}

/** What teardown keeps of its own apart from the deployment, said before anything else. */
function announceKeptApart({ ctx, plan, accounts }: Teardown): void {
  for (const kept of plan.keep) {
    if (kept.reason === 'keep-logs') ctx.reporter.info(`--keep-logs: log group ${kept.outputs.logGroupName} is kept.`);
    if (kept.reason === 'failure-reports') {
      const { queueName, queueArn, queueUrl } = kept.outputs;
      ctx.reporter.warn(
        `Queue ${queueName} holds ${kept.reports} report(s) of failed batches, so it is kept: ${queueArn}. Look at them with \`${awsCommand(accounts.consumer, `sqs receive-message --queue-url ${queueUrl} --visibility-timeout 0 --max-number-of-messages 10`)}\`; to delete it with the rest, pass --delete-failure-queue.`,
      );
    }
  }
}

/** The record of a complete teardown, with the key it kept: a later teardown finds the accounts and the key there. */
function retire({ ctx, name, state }: Teardown, key: KeptKey | undefined): Promise<void> {
  return ctx.store.retire({ name, tornDownAt: new Date(ctx.environment.clock.now()).toISOString(), accounts: state.accounts, ...(key && { key: key.outputs }) });
}

/** Nothing of ours to delete: say so, keep the record of what stays, and fail only on records no step knows. */
async function nothingToRemove(teardown: Teardown): Promise<ExitCode> {
  const { ctx, name, tornDownAt, accounts, discovered, plan, pipeline, again, options } = teardown;
  const { reporter, store, environment } = ctx;
  const { producer, consumer } = accounts;
  const gone = plan.gone;
  const adopted = adoptedOf(plan);
  if (plan.keptKey && plan.unknown.length === 0) {
    // Only the key is left, and it may not go yet: nothing changes. A record of an earlier teardown stays as it is.
    const settled = await settleKeptKey(environment.clock, producer, plan.keptKey, pipeline.config, undefined);
    if (!discovered) await retire(teardown, settled);
    reporter.info(sentences(`Nothing else is left of deployment "${name}".`, goneNote(gone), keptKeyOutcome(settled, environment.clock.now(), again, options.keyPendingDays)));
    reporter.result({ deployment: name, outcome: 'succeeded', removed: [], alreadyGone: gone?.stepIds ?? [], keptKey: settled.outputs, kept: adopted.map(leftoverOf), remaining: [] });
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
    reporter.result({ deployment: name, outcome: 'nothing-found', ...(tornDownAt && { tornDownAt }), ...(!tornDownAt && { knownDeployments: known }), removed: [], kept: adopted.map(leftoverOf), remaining: [] });
    return ExitCode.Success;
  }
  if (plan.unknown.length === 0) await retire(teardown, plan.keptKey);
  reporter.info(sentences(`Nothing to delete for deployment "${name}": kds-xacct created nothing that is still recorded.`, goneNote(gone), adopted.length ? 'Adopted resources are kept.' : undefined));
  reporter.result({ deployment: name, outcome: 'succeeded', removed: [], alreadyGone: gone?.stepIds ?? [], kept: adopted.map(leftoverOf), remaining: plan.unknown.map(leftoverOf) });
  if (plan.unknown.length === 0) return ExitCode.Success;
  reporter.error(
    `Deployment "${name}" still records resources this version of kds-xacct does not know (${plan.unknown.map((p) => p.stepId).join(', ')}): they were left alone, and the state file keeps them.`,
    'A newer kds-xacct recorded them: run teardown with that version.',
  );
  return ExitCode.Failed;
}

/** Never delete a stream that others still read, unless the user said so: refused before anything changes. */
function refuseOthersReaders({ plan, state }: Teardown): void {
  if (plan.blockedBy.length === 0) return;
  throw new CommandFailedError(
    `Stream ${state.steps[STEP.stream]!.outputs.streamName} has ${plan.blockedBy.length} other consumer(s), from other deployments or other owners:\n${consumerList(plan.blockedBy)}\nNothing was deleted.`,
    ExitCode.Failed,
    'Tear down those deployments first, or pass --delete-stream-with-consumers to deregister them and delete the stream anyway.',
  );
}

/** Shows the plan and asks: the exit code when the user declines or interrupts, undefined to go on. */
async function showAndConfirm({ ctx, name, discovered, plan, accounts, options, again }: Teardown): Promise<ExitCode | undefined> {
  const { reporter, environment } = ctx;
  reporter.info(`\nTeardown of deployment "${name}"${discovered ? ' (found by tags and names)' : ''}:\n${[planText(plan, accounts, options.keyPendingDays, again), goneNote(plan.gone)].filter(Boolean).join('\n')}`);
  for (const warning of plan.warnings) reporter.warn(warning);
  if (ctx.interactive) {
    const prompter = await environment.prompter();
    const yes = await prompter.confirm({ message: confirmation(plan, accounts, options.keyPendingDays), default: false });
    if (!yes) {
      reporter.info('Nothing was deleted.');
      return ExitCode.Success;
    }
  }
  if (environment.interrupt.interrupted) {
    reporter.error('Interrupted before any deletion. Nothing was deleted.');
    return ExitCode.Interrupted;
  }
  return undefined;
}

interface Applied {
  result: RunResult;
  /** The deployment's state as the removals left it. */
  live: DeploymentState;
  removed: string[];
  settled: KeptKey | undefined;
}

/** Runs the removals. The state file says what is left: each removal drops its record; a lost one is written first, so a failed run can be resumed. */
async function applyTeardown({ ctx, name, state, plan, removables, pipeline, accounts, options }: Teardown): Promise<Applied> {
  const { reporter, environment, store } = ctx;
  const clock = environment.clock;
  const live = withoutRecords(state, plan.dropped);
  await store.save(live);
  const removed: string[] = [];
  let settled = plan.keptKey;
  const steps = removalSteps(removables, removalState(live, plan), {
    keyPendingDays: options.keyPendingDays,
    async onRemoved(stepId) {
      delete live.steps[stepId];
      // From now on the key encrypts nothing new: the state keeps when, so that a re-run after a failure still keeps the key long enough.
      if (stepId === STEP.encryption && settled) {
        settled = await settleKeptKey(clock, accounts.producer, settled, pipeline.config, pipeline.encryptionStoppedAt);
        live.steps[STEP.kmsKey]!.outputs = settled.outputs;
      }
      live.updatedAt = new Date(clock.now()).toISOString();
      removed.push(stepId);
      await store.save(live);
    },
    before: { [STEP.stream]: guardStreamDeletion(live, accounts.producer, Boolean(options.deleteStreamWithConsumers)) },
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
  return { result, live, removed, settled };
}

/** What the removals did, what is left, and how to finish. */
async function reportTeardown(teardown: Teardown, { result, live, removed, settled }: Applied): Promise<ExitCode> {
  const { ctx, name, discovered, plan, removables, accounts, options, again } = teardown;
  const { reporter, store, environment } = ctx;
  const remaining = planRemoval(removables, removalState(live, plan), options.keyPendingDays);
  const left = [...remaining.remove, ...remaining.unknown];
  // Encryption of a stream that is still there is part of that stream, not a resource of its own.
  const shown = left.filter((p) => !remaining.silent.has(p.stepId));
  const adopted = adoptedOf(plan);
  if (left.length === 0) await retire(teardown, settled);
  reporter.result({
    deployment: name,
    outcome: result.outcome === 'succeeded' && left.length > 0 ? 'incomplete' : result.outcome,
    discovered,
    keyPendingDays: options.keyPendingDays,
    removed,
    alreadyGone: plan.gone?.stepIds ?? [],
    kept: adopted.map(leftoverOf),
    ...(settled && { keptKey: settled.outputs }),
    remaining: shown.map(leftoverOf),
    stateFile: left.length === 0 ? 'removed' : store.describe(name),
  });

  if (result.outcome !== 'succeeded') {
    const failure = result.failure ? describeStepError(result.failure, accounts) : { message: 'Interrupted.', hint: undefined };
    const rerun = `Run \`${again}\` again to finish.`;
    reporter.error(`${failure.message}${/[.!?]$/.test(failure.message) ? '' : '.'} ${shown.length} resource(s) are still there; the state file keeps them.`, [failure.hint, rerun].filter(Boolean).join(' '));
    for (const line of leftoverLines(shown.map(leftoverOf), removables)) reporter.info(line);
    return exitCodeFor({ ...result, leftovers: [] });
  }
  if (left.length > 0) {
    reporter.error(`Teardown of "${name}" left ${shown.length} resource(s) behind.`, 'See the list below; the state file keeps them.');
    for (const line of leftoverLines(shown.map(leftoverOf), removables)) reporter.info(line);
    return ExitCode.Failed;
  }
  // A state file found by discovery was only this run's own record of progress: not worth a word.
  reporter.info(`\n${sentences(`Deployment "${name}" is torn down${adopted.length ? '; adopted resources were kept' : ''}.`, goneNote(plan.gone), discovered ? undefined : 'The state file was removed.')}`);
  if (removed.includes(STEP.kmsKey)) reporter.info(`The KMS key is pending deletion for ${options.keyPendingDays} days.`);
  if (settled) reporter.info(keptKeyOutcome(settled, environment.clock.now(), again, options.keyPendingDays));
  if (adopted.length) reporter.info('\nKept:\n' + formatResourceGroups([], adopted.map((p) => ({ account: p.account, title: p.title, cells: [] })), accounts, ctx.tableWidth));
  return ExitCode.Success;
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

