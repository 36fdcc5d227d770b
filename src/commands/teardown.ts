import { DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetRoleCommand, GetRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  DeregisterStreamConsumerCommand,
  DescribeStreamConsumerCommand,
  GetResourcePolicyCommand,
  ListStreamConsumersCommand,
  type Consumer,
} from '@aws-sdk/client-kinesis';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { GetFunctionCommand, ListEventSourceMappingsCommand, ListTagsCommand, type EventSourceMappingConfiguration } from '@aws-sdk/client-lambda';
import { randomUUID } from 'node:crypto';
import type { AccountSession } from '../aws/session.js';
import type { Clock } from '../engine/clock.js';
import type { CommandContext } from '../context.js';
import { exitCodeFor, runSteps, type Leftover } from '../engine/engine.js';
import { newState, type DeploymentState } from '../engine/state.js';
import { StepState, type EngineEvent, type Outputs, type StepContext } from '../engine/types.js';
import { waitFor } from '../engine/wait.js';
import { CommandFailedError, ExitCode, UserError } from '../errors.js';
import { configFromState } from '../pipeline/config.js';
import { TAG_DEPLOYMENT, defaultNames, lambdaLogGroupName } from '../pipeline/names.js';
import { hasStatements, parsePolicy } from '../pipeline/policies.js';
import { callAws, hasCode, ifExists, isNotFound } from '../pipeline/retry.js';
import { STEP, pipelineContext, primaryId } from '../pipeline/steps/context.js';
import { describeStream, kinesisTags, kmsKeyTags, listGrants } from '../pipeline/lookups.js';
import { setupSteps } from '../pipeline/steps/index.js';
import { LOG_GROUP, planRemoval, removalSteps, type PlannedRemoval, type Removable, type RemovalPlan } from '../pipeline/teardown.js';
import { resolveDeployment, resolveDeploymentName } from './deployment.js';
import { describeStepError, formatTable, leftoverLines } from './report.js';

interface TeardownFlags {
  keyPendingDays?: number;
  keepLogs?: boolean;
  deleteStreamWithConsumers?: boolean;
}

type Accounts = { producer: AccountSession; consumer: AccountSession };

const isOursTagged = (tags: Record<string, string | undefined> | undefined, deployment: string) => tags?.[TAG_DEPLOYMENT] === deployment;

// ---------------------------------------------------------------------------------------------
// Lost state file: find the deployment by its tags and deterministic names.

/** The stream name of a stream or consumer ARN in `producer`'s account and region, if it is one. */
function streamNameOf(arn: string | undefined, producer: AccountSession): string | undefined {
  const match = /^arn:[^:]+:kinesis:([^:]+):(\d{12}):stream\/([^/]+)/.exec(arn ?? '');
  return match && match[1] === producer.region && match[2] === producer.accountId ? match[3] : undefined;
}

/**
 * Rebuilds a deployment's state from what exists. Only resources tagged for this deployment are
 * recorded as created; statements, grants and inline policies are ours by their deterministic
 * Sid or name. Adopted resources that are found (the stream or function our pieces hang on) are
 * recorded as adopted, so that the plan shows them as kept.
 */
export async function discoverDeployment(name: string, accounts: Accounts, clock: Clock, now: Date): Promise<DeploymentState> {
  const { producer, consumer } = accounts;
  const names = defaultNames(name, consumer.accountId);
  const policyName = `kds-xacct-${name}`;
  const state = newState(name, 'teardown', now);
  state.accounts = {
    producer: { profile: producer.profile, accountId: producer.accountId, region: producer.region },
    consumer: { profile: consumer.profile, accountId: consumer.accountId, region: consumer.region },
  };
  const record = (stepId: string, origin: 'created' | 'adopted', outputs: Outputs) => {
    state.steps[stepId] = { origin, phase: 'ready', outputs, runId: 'discovered', updatedAt: now.toISOString(), detail: 'found by tags and names' };
  };
  const { kinesis, kms } = producer.clients;
  const { iam, lambda } = consumer.clients;

  // Consumer account: role, function, their inline policy and mappings.
  const role = (await ifExists(clock, () => iam.send(new GetRoleCommand({ RoleName: names.roleName }))))?.Role;
  const roleTags = Object.fromEntries((role?.Tags ?? []).map((t) => [t.Key!, t.Value]));
  if (role && isOursTagged(roleTags, name)) record(STEP.role, 'created', { roleName: role.RoleName!, roleArn: role.Arn! });
  const fn = await ifExists(clock, () => lambda.send(new GetFunctionCommand({ FunctionName: names.functionName })));
  if (fn && isOursTagged(fn.Tags, name)) record(STEP.function, 'created', { functionName: fn.Configuration!.FunctionName!, functionArn: fn.Configuration!.FunctionArn! });

  const inlinePolicyOn = async (roleName: string) => {
    const doc = (await ifExists(clock, () => iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }))))?.PolicyDocument;
    if (doc === undefined) return undefined;
    record(STEP.rolePolicy, 'created', { roleName, policyName });
    return parsePolicy(decodeURIComponent(doc));
  };
  const inline = state.steps[STEP.role] ? await inlinePolicyOn(names.roleName) : undefined;

  // Mappings are found from either end: our function, or our consumer (by its deterministic name)
  // on any stream, which also leads to an adopted stream and function with names of their own.
  const mappings = new Map<string, EventSourceMappingConfiguration>();
  const ourConsumerSource = new RegExp(`^arn:[^:]+:kinesis:${producer.region}:${producer.accountId}:stream/[^/]+/consumer/${names.consumerName.replace(/[.]/g, '\\.')}:`);
  let marker: string | undefined;
  do {
    const page = await callAws(clock, () => lambda.send(new ListEventSourceMappingsCommand({ ...(marker && { Marker: marker }) })));
    for (const m of page.EventSourceMappings ?? []) {
      const mine = m.FunctionArn?.endsWith(`:function:${names.functionName}`) || ourConsumerSource.test(m.EventSourceArn ?? '');
      if (!mine || m.State === 'Deleting' || mappings.has(m.UUID!)) continue;
      const arn = m.EventSourceMappingArn ?? `arn:aws:lambda:${consumer.region}:${consumer.accountId}:event-source-mapping:${m.UUID}`;
      const tags = (await ifExists(clock, () => lambda.send(new ListTagsCommand({ Resource: arn }))))?.Tags;
      if (isOursTagged(tags, name)) mappings.set(m.UUID!, m);
    }
    marker = page.NextMarker;
  } while (marker);

  // Producer account: the stream is the default one, or the one our mappings or inline policy name.
  const candidates = [
    names.streamName,
    ...[...mappings.values()].map((m) => streamNameOf(m.EventSourceArn, producer)),
    ...(inline?.Statement ?? []).flatMap((s) => [s['Resource']].flat().map((r) => streamNameOf(typeof r === 'string' ? r : undefined, producer))),
  ].filter((n, i, all): n is string => n !== undefined && all.indexOf(n) === i);
  let stream: { name: string; arn: string; ours: boolean; keyId?: string } | undefined;
  let efo: { name: string; arn: string } | undefined;
  for (const candidate of candidates) {
    const summary = await describeStream(clock, producer, candidate);
    if (!summary || summary.StreamStatus === 'DELETING') continue;
    const ours = isOursTagged(await kinesisTags(clock, kinesis, summary.StreamARN!), name);
    const found = (await ifExists(clock, () => kinesis.send(new DescribeStreamConsumerCommand({ StreamARN: summary.StreamARN, ConsumerName: names.consumerName }))))?.ConsumerDescription;
    let consumerOurs = false;
    if (found && found.ConsumerStatus !== 'DELETING') {
      consumerOurs = isOursTagged(await kinesisTags(clock, kinesis, found.ConsumerARN!), name);
    }
    const named = candidate !== names.streamName;
    if (!ours && !consumerOurs && !named) continue;
    stream = { name: candidate, arn: summary.StreamARN!, ours, ...(summary.EncryptionType === 'KMS' && summary.KeyId ? { keyId: summary.KeyId } : {}) };
    if (consumerOurs) efo = { name: found!.ConsumerName!, arn: found!.ConsumerARN! };
    break;
  }

  if (stream) {
    record(STEP.stream, stream.ours ? 'created' : 'adopted', { streamName: stream.name, streamArn: stream.arn, origin: stream.ours ? 'created' : 'adopted' });
    const streamPolicy = (await ifExists(clock, () => kinesis.send(new GetResourcePolicyCommand({ ResourceARN: stream.arn }))))?.Policy;
    if (hasStatements(streamPolicy, [names.sids.streamRead])) record(STEP.streamPolicy, 'created', { resourceArn: stream.arn, sid: names.sids.streamRead });
  }
  if (efo) {
    record(STEP.consumer, 'created', { consumerName: efo.name, consumerArn: efo.arn });
    const consumerPolicy = (await ifExists(clock, () => kinesis.send(new GetResourcePolicyCommand({ ResourceARN: efo.arn }))))?.Policy;
    if (hasStatements(consumerPolicy, [names.sids.efoConsume])) record(STEP.consumerPolicy, 'created', { resourceArn: efo.arn, sid: names.sids.efoConsume });
  }

  const mapping = [...mappings.values()][0];
  if (mapping) {
    const functionName = mapping.FunctionArn!.split(':').pop()!;
    record(STEP.esm, 'created', { uuid: mapping.UUID!, eventSourceArn: mapping.EventSourceArn!, functionName });
    if (!state.steps[STEP.function]) {
      // Someone else's function: kept, but our inline policy on its role goes.
      const adopted = await ifExists(clock, () => lambda.send(new GetFunctionCommand({ FunctionName: functionName })));
      if (adopted) {
        record(STEP.function, 'adopted', { functionName, functionArn: adopted.Configuration!.FunctionArn! });
        const roleArn = adopted.Configuration!.Role!;
        const roleName = roleArn.split('/').pop()!;
        if (!state.steps[STEP.role]) record(STEP.role, 'adopted', { roleName, roleArn });
        if (!state.steps[STEP.rolePolicy]) await inlinePolicyOn(roleName);
      }
    }
  }

  // The key: ours by alias and tag, or the adopted key the stream is encrypted with (for our grant).
  const keyOf = async (keyId: string) => (await ifExists(clock, () => kms.send(new DescribeKeyCommand({ KeyId: keyId }))))?.KeyMetadata;
  const ourKey = await keyOf(names.kmsAlias);
  let grantKeyId: string | undefined;
  if (ourKey) {
    if (isOursTagged(await kmsKeyTags(clock, kms, ourKey.KeyId!), name)) {
      record(STEP.kmsKey, 'created', { keyId: ourKey.KeyId!, keyArn: ourKey.Arn!, aliasName: names.kmsAlias });
      grantKeyId = ourKey.KeyId!;
    }
  }
  if (stream?.keyId) {
    const streamKey = await keyOf(stream.keyId);
    if (streamKey && streamKey.KeyId === ourKey?.KeyId && state.steps[STEP.kmsKey] && !stream.ours) {
      // We encrypted someone else's stream with our key: turn that off before the key goes.
      record(STEP.encryption, 'created', { keyArn: streamKey.Arn!, streamOrigin: 'adopted' });
    } else if (streamKey && streamKey.KeyManager === 'CUSTOMER' && streamKey.KeyId !== ourKey?.KeyId) {
      if (!state.steps[STEP.kmsKey]) record(STEP.kmsKey, 'adopted', { keyId: streamKey.KeyId!, keyArn: streamKey.Arn! });
      grantKeyId ??= streamKey.KeyId!;
    }
  }
  // A grant by our name is only looked for once something else of this deployment was found.
  if (grantKeyId && Object.keys(state.steps).length > 0) {
    const keyId = grantKeyId;
    const grants = (await ifExists(clock, () => listGrants(clock, kms, keyId))) ?? [];
    const grant = grants.find((g) => g.Name === names.grantName);
    if (grant) record(STEP.grant, 'created', { keyId, grantId: grant.GrantId! });
  }

  state.inputs = {
    name,
    streamName: stream?.name ?? names.streamName,
    useExistingStream: stream !== undefined && !stream.ours,
    consumerName: efo?.name ?? names.consumerName,
    roleName: state.steps[STEP.role]?.outputs.roleName ?? names.roleName,
    functionName: state.steps[STEP.function]?.outputs.functionName ?? names.functionName,
    useExistingFunction: state.steps[STEP.function]?.origin === 'adopted',
    producerProfile: producer.profile,
    consumerProfile: consumer.profile,
  };
  return state;
}

// ---------------------------------------------------------------------------------------------
// Plan pieces that need AWS: the log group, and the other consumers on our stream.

function logGroupRemovable(consumer: AccountSession): Removable {
  return {
    id: LOG_GROUP,
    title: 'log group',
    account: 'consumer',
    dependsOn: [],
    async undo(ctx, outputs) {
      try {
        await callAws(ctx.clock, () => consumer.clients.logs.send(new DeleteLogGroupCommand({ logGroupName: outputs.logGroupName })));
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },
  };
}

/** Consumers on the stream that are not ours and not already on their way out. */
async function otherConsumers(clock: Clock, producer: AccountSession, streamArn: string, ourConsumerArn: string | undefined): Promise<Consumer[]> {
  const out = await ifExists(clock, () => producer.clients.kinesis.send(new ListStreamConsumersCommand({ StreamARN: streamArn })));
  return (out?.Consumers ?? []).filter((c) => c.ConsumerARN !== ourConsumerArn && c.ConsumerStatus !== 'DELETING');
}

function consumerList(consumers: Consumer[]): string {
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

// ---------------------------------------------------------------------------------------------
// The command

function planText(plan: RemovalPlan, accounts: Accounts, keyPendingDays: number): string {
  const lines: string[] = [];
  for (const account of ['producer', 'consumer'] as const) {
    const remove = plan.remove.filter((p) => p.account === account && !plan.silent.has(p.stepId));
    const keep = plan.keep.filter((p) => p.account === account);
    lines.push(`${account === 'producer' ? 'Producer' : 'Consumer'} account ${accounts[account].accountId} (${accounts[account].region}):`);
    for (const p of remove) lines.push(`  - ${p.title}`);
    for (const p of keep) lines.push(`  = keep ${p.title} (adopted: not created by kds-xacct, never deleted)`);
    if (remove.length + keep.length === 0) lines.push('  nothing');
  }
  if (plan.remove.some((p) => p.stepId === STEP.kmsKey)) {
    lines.push(
      `\nThe KMS key is scheduled for deletion with a ${keyPendingDays}-day waiting period (--key-pending-days). Until then it can be restored with \`aws kms cancel-key-deletion\`; after that, data encrypted with it can never be decrypted again.`,
    );
  }
  return lines.join('\n');
}

function leftoverOf(p: PlannedRemoval): Leftover {
  return { stepId: p.stepId, title: p.resource, account: p.account, outputs: p.outputs };
}

export async function runTeardown(ctx: CommandContext, options: Record<string, unknown>): Promise<ExitCode> {
  const { reporter, environment, store } = ctx;
  const flags = options as TeardownFlags;
  const keyPendingDays = flags.keyPendingDays ?? 30;
  if (!ctx.interactive && !ctx.options.yes) {
    const why = ctx.options.json ? 'and --json asks no questions' : 'and there is no terminal to ask';
    throw new UserError(`teardown deletes resources and needs a confirmation, ${why}.`, 'Pass --yes to delete unattended.');
  }

  const name = await resolveDeploymentName(ctx);
  if (!(await store.load(name)) && (!ctx.options.producerProfile || !ctx.options.consumerProfile)) {
    throw new UserError(
      `There is no state file for deployment "${name}" (${store.describe(name)}).`,
      'To find its resources by their tags and names instead, pass both --producer-profile and --consumer-profile (and --region if the profiles do not set it). Or pass --state-dir if the state lives elsewhere.',
    );
  }
  const deployment = await resolveDeployment(ctx, ['producer', 'consumer'], { allowMissingState: true });
  const accounts: Accounts = { producer: deployment.producer, consumer: deployment.consumer };
  const { producer, consumer } = accounts;
  reporter.info(`Producer account ${producer.accountId} (profile ${producer.profile}), consumer account ${consumer.accountId} (profile ${consumer.profile}), region ${producer.region}.`);

  const release = await store.lock(name, 'teardown');
  try {
    const clock = environment.clock;
    let state = await store.load(name);
    const discovered = !state;
    if (!state) reporter.info(`No state file for deployment "${name}": looking for its resources by their tags and names.`);
    const found = await discoverDeployment(name, accounts, clock, new Date(clock.now()));
    if (!state) state = found;
    else {
      // What a run created but had no time to record (a second Ctrl-C right after a create) still
      // carries our tag: it is deleted too, rather than left behind.
      for (const [id, record] of Object.entries(found.steps)) if (record.origin === 'created' && !state.steps[id]) state.steps[id] = record;
    }

    const config = configFromState(state, consumer.accountId);
    const pipeline = pipelineContext({ config, producer, consumer, previous: state, keyPendingDays });
    const removables: Removable[] = [logGroupRemovable(consumer), ...setupSteps(pipeline)];

    // The log group is ours when the function was; it is recorded so that a failed deletion is retried.
    const fnRecord = state.steps[STEP.function];
    if (flags.keepLogs) delete state.steps[LOG_GROUP];
    else if (fnRecord?.origin === 'created' && !state.steps[LOG_GROUP]) {
      state.steps[LOG_GROUP] = {
        origin: 'created',
        phase: 'ready',
        outputs: { logGroupName: lambdaLogGroupName(fnRecord.outputs.functionName ?? config.functionName) },
        runId: fnRecord.runId,
        updatedAt: new Date(clock.now()).toISOString(),
      };
    }

    const plan = planRemoval(removables, state, keyPendingDays);
    if (plan.remove.length === 0) {
      if (discovered) {
        reporter.info(
          `Nothing to tear down: no state file for deployment "${name}" (${store.describe(name)}), and no resource tagged for it (or named for it) in account ${producer.accountId} or ${consumer.accountId} in ${producer.region}.`,
        );
        reporter.result({ deployment: name, outcome: 'nothing-found', removed: [], kept: plan.keep.map(leftoverOf), remaining: [] });
        return ExitCode.Success;
      }
      if (plan.unknown.length === 0) await store.remove(name);
      reporter.info(`Nothing to delete for deployment "${name}": kds-xacct created nothing that is still recorded.${plan.keep.length ? ' Adopted resources are kept.' : ''}`);
      reporter.result({ deployment: name, outcome: 'succeeded', removed: [], kept: plan.keep.map(leftoverOf), remaining: plan.unknown.map(leftoverOf) });
      return plan.unknown.length === 0 ? ExitCode.Success : ExitCode.Failed;
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

    reporter.info(`\nTeardown of deployment "${name}"${discovered ? ' (found by tags and names)' : ''}:\n${planText(plan, accounts, keyPendingDays)}`);
    if (others.length > 0) reporter.warn(`--delete-stream-with-consumers: these consumers of stream ${streamRecord!.outputs.streamName} will be deregistered too:\n${consumerList(others)}`);
    if (plan.unknown.length > 0) reporter.warn(`The state records resources this version of kds-xacct does not know; they are left alone: ${plan.unknown.map((p) => p.stepId).join(', ')}.`);
    if (ctx.interactive) {
      const prompter = await environment.prompter();
      const count = plan.remove.filter((p) => !plan.silent.has(p.stepId)).length;
      const yes = await prompter.confirm({ message: `Delete ${count} resource(s) in accounts ${producer.accountId} and ${consumer.accountId}?`, default: false });
      if (!yes) {
        reporter.info('Nothing was deleted.');
        return ExitCode.Success;
      }
    }
    if (environment.interrupt.interrupted) {
      reporter.info('Interrupted before any deletion. Nothing was deleted.');
      return ExitCode.Interrupted;
    }

    // The state file says what is left: each removal drops its record; a lost one is written first, so a failed run can be resumed.
    const live = state;
    await store.save(live);
    const removed: string[] = [];
    const steps = removalSteps(removables, live, {
      keyPendingDays,
      async onRemoved(stepId) {
        delete live.steps[stepId];
        live.updatedAt = new Date(clock.now()).toISOString();
        removed.push(stepId);
        await store.save(live);
      },
      before: {
        async [STEP.stream](stepCtx) {
          const arn = live.steps[STEP.stream]!.outputs.streamArn!;
          const left = await otherConsumers(stepCtx.clock, producer, arn, undefined);
          if (left.length === 0) return;
          if (!flags.deleteStreamWithConsumers) {
            throw new UserError(`Stream ${live.steps[STEP.stream]!.outputs.streamName} has other consumers:\n${consumerList(left)}`, 'Pass --delete-stream-with-consumers to deregister them and delete the stream anyway.');
          }
          await deregisterOthers(stepCtx, producer, arn, left);
        },
      },
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

    const remaining = planRemoval(removables, live, keyPendingDays);
    const left = [...remaining.remove, ...remaining.unknown];
    // Encryption of a stream that is still there is part of that stream, not a resource of its own.
    const shown = left.filter((p) => !remaining.silent.has(p.stepId));
    if (left.length === 0) await store.remove(name);
    reporter.result({
      deployment: name,
      outcome: result.outcome === 'succeeded' && left.length > 0 ? 'incomplete' : result.outcome,
      discovered,
      keyPendingDays,
      removed,
      kept: plan.keep.map(leftoverOf),
      remaining: shown.map(leftoverOf),
      stateFile: left.length === 0 ? 'removed' : store.describe(name),
    });

    if (result.outcome !== 'succeeded') {
      const failure = result.failure ? describeStepError(result.failure, accounts) : { message: 'Interrupted.', hint: undefined };
      const rerun = `Run \`kds-xacct teardown --name ${name}\` again to finish.`;
      reporter.error(`${failure.message}${/[.!?]$/.test(failure.message) ? '' : '.'} ${shown.length} resource(s) are still there; the state file keeps them.`, [failure.hint, rerun].filter(Boolean).join(' '));
      for (const line of leftoverLines(shown.map(leftoverOf))) reporter.info(line);
      return exitCodeFor({ ...result, leftovers: [] });
    }
    if (left.length > 0) {
      reporter.error(`Teardown of "${name}" left ${shown.length} resource(s) behind.`, 'See the list below; the state file keeps them.');
      for (const line of leftoverLines(shown.map(leftoverOf))) reporter.info(line);
      return ExitCode.Failed;
    }
    reporter.info(`\nDeployment "${name}" is torn down${plan.keep.length ? '; adopted resources were kept' : ''}. The state file was removed.`);
    if (removed.includes(STEP.kmsKey)) reporter.info(`The KMS key is pending deletion for ${keyPendingDays} days.`);
    if (plan.keep.length) reporter.info(formatTable(['account', 'kept', 'id / ARN'], plan.keep.map((p) => [p.account, p.title, primaryId(p.outputs) ?? ''])));
    return ExitCode.Success;
  } finally {
    await release();
  }
}

/** Renderers know "undone" as "removed": a removal step that finished is reported that way, not as "created". */
function asRemovalEvent(event: EngineEvent): EngineEvent {
  if (event.type === 'step:done' && event.state === StepState.Created) return { type: 'step:undone', stepId: event.stepId, elapsedMs: event.elapsedMs };
  return event;
}

