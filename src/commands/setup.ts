import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { AccountSession } from '../aws/session.js';
import type { CommandContext } from '../context.js';
import { StepError, exitCodeFor, runSteps } from '../engine/engine.js';
import { planSteps, type PlannedStep } from '../engine/plan.js';
import { checkDeploymentAccounts, deploymentMapping, functionAdopted, grantCreatedAt, requireFunction, requireStream } from '../deployment/open.js';
import { newState, type DeploymentState } from '../deployment/store.js';
import { ExitCode, InterruptedError, UserError } from '../errors.js';
import { completeConfig, loadAnswersFile, mergeAnswers, recordedAnswers, type SetupConfig } from '../pipeline/config.js';
import { failureDestinationWarning } from '../pipeline/failure-destination.js';
import { recordsRetried } from '../pipeline/mapping-signals.js';
import { failureDestinationArn } from '../pipeline/steps/failure-queue.js';
import { defaultNames } from '../pipeline/names.js';
import { NotOursError } from '../pipeline/steps/shared.js';
import { STEP, pipelineContext, type PipelineContext } from '../pipeline/steps/context.js';
import { primaryId } from '../pipeline/steps/pipeline-step.js';
import { setupSteps } from '../pipeline/steps/index.js';
import { sendTestRecords } from '../records/round-trip.js';
import { parseDuration } from './durations.js';
import type { SetupFlags } from './flags.js';
import { accountFlags, commandLine, suggestCommand } from './hints.js';
import { Wizard, answersRecordedIn, askTheRest, chooseProfiles, connect } from './setup-wizard.js';
import { restoreKeptKey } from './kept-key.js';
import { customisedSettings } from './plan-settings.js';
import { describeRunFailure, leftoverLines } from './report.js';
import { arnsFit, distinctArns, formatArns, formatResourceGroups } from './resource-list.js';

const planWords: Record<PlannedStep['action'], string> = { create: 'create', update: 'update', done: 'already done', adopt: 'adopt (kept on teardown)', skip: 'skip' };

function planLines(plan: PlannedStep[], accounts: { producer: AccountSession; consumer: AccountSession }, settings: Partial<Record<string, string>>): string {
  const lines: string[] = [];
  // As wide as the actions this plan uses, so that the titles keep the room; two spaces end it, where a wrapped title lines up.
  const actionWidth = Math.max(...plan.map((p) => planWords[p.action].length));
  for (const account of ['producer', 'consumer'] as const) {
    lines.push(`${account === 'producer' ? 'Producer' : 'Consumer'} account ${accounts[account].accountId} (${accounts[account].region}):`);
    for (const p of plan.filter((p) => p.step.account === account)) {
      // What this run applies includes the values chosen for it; what it leaves alone does not.
      const applied = p.action === 'create' || p.action === 'update' ? settings[p.step.id] : undefined;
      const detail = [p.detail, applied].filter(Boolean).join('; ');
      lines.push(`  ${planWords[p.action].padEnd(actionWidth)}  ${p.step.title}${detail ? ` (${detail})` : ''}`);
      for (const warning of p.warnings ?? []) lines.push(`    ! ${warning}`);
    }
  }
  return lines.join('\n');
}

function planJson(plan: PlannedStep[]) {
  return plan.map((p) => ({ step: p.step.id, account: p.step.account, title: p.step.title, action: p.action, detail: p.detail, ...(p.warnings && { warnings: p.warnings }) }));
}

/**
 * A new state for the deployment. After a teardown that kept our key (records it encrypted in an adopted stream
 * may still be read), the key goes back into the state with when it stopped encrypting, as a re-run of teardown
 * would put it: a setup that takes the key up again by its alias must not let the next teardown delete it early.
 */
async function afterTeardown(ctx: CommandContext, name: string, producer: AccountSession): Promise<DeploymentState> {
  const state = newState(name, 'setup', new Date(ctx.environment.clock.now()));
  const record = await ctx.store.tornDown(name);
  if (record?.key && record.accounts.producer?.accountId === producer.accountId) await restoreKeptKey(ctx.environment.clock, producer, state, record.key);
  return state;
}

/**
 * `setup --verify`: one test record through the pipeline just set up, the same way
 * `send-test-record --verify` sends and awaits it.
 */
async function verifyRoundTrip(ctx: CommandContext, state: DeploymentState, accounts: { producer: AccountSession; consumer: AccountSession }, timeoutMs: number) {
  const { clock, interrupt } = ctx.environment;
  const functionName = requireFunction(ctx, state);
  ctx.reporter.info('\nVerifying the round trip with one test record…');
  if (functionAdopted(state)) {
    ctx.reporter.warn(`Function ${functionName} was adopted: the record is recognised by the line the bundled handler logs for it, so a function that does not log its records' sequence numbers cannot be verified.`);
  }
  return sendTestRecords(
    { clock, interrupt, reporter: ctx.reporter },
    {
      deployment: state.name,
      suggest: suggestCommand(ctx.options, state.name),
      producer: accounts.producer,
      stream: requireStream(ctx, state),
      watch: { consumer: accounts.consumer, functionName, mappingUuid: deploymentMapping(state), grantCreatedAt: grantCreatedAt(state) },
    },
    { count: 1, timeoutMs, timeoutFlag: '--verify-timeout' },
  );
}

/** What the mapping is configured to do with records it cannot process, as AWS would report it. */
function configuredRetries(pipeline: PipelineContext) {
  const destination = failureDestinationArn(pipeline);
  return { MaximumRecordAgeInSeconds: pipeline.config.esm.maxRecordAgeSeconds, DestinationConfig: { OnFailure: destination ? { Destination: destination } : {} } };
}

/** The plan of setup's steps; a same-named resource that is not ours is asked about, one at a time, and the plan made again. */
async function planAdopting(ctx: CommandContext, wizard: Wizard, pipeline: PipelineContext, previous: DeploymentState): Promise<PlannedStep[]> {
  for (;;) {
    try {
      return await planSteps(setupSteps(pipeline), previous, ctx.environment.clock);
    } catch (error) {
      const conflict = error instanceof StepError && error.cause instanceof NotOursError ? error.cause : undefined;
      if (!conflict || !ctx.interactive) throw error;
      ctx.reporter.warn(conflict.message);
      if (!(await wizard.confirm('Adopt it? kds-xacct will use it as it is and never delete it.'))) throw new InterruptedError('Not adopted. Nothing was changed.');
      pipeline.adopted.add(conflict.stepId);
    }
  }
}

export async function runSetup(ctx: CommandContext, flags: SetupFlags): Promise<ExitCode> {
  const { options, reporter, environment, store } = ctx;
  const fromFile = flags.config ? await loadAnswersFile(path.resolve(environment.cwd, flags.config)) : {};
  const { config: _config, rollback, dryRun, verify, verifyTimeout, ...answerFlags } = flags;
  const verifyTimeoutMs = parseDuration(verifyTimeout, '--verify-timeout');
  const given = mergeAnswers(fromFile, { ...answerFlags, producerProfile: options.producerProfile, consumerProfile: options.consumerProfile, region: options.region, name: options.name });
  // A re-run of a known deployment starts from what it recorded, in its region: `setup --name orders --yes` repairs it as it was set up.
  const deployed = given.name ? await store.load(given.name) : undefined;
  const recorded = deployed && answersRecordedIn(deployed);
  const wizard = new Wizard(ctx, mergeAnswers(recorded ?? {}, given), recorded !== undefined);
  // Without a terminal the answers are final: say what is missing or wrong before touching the network.
  if (!ctx.interactive) {
    for (const key of ['producerProfile', 'consumerProfile', 'name'] as const) await wizard.ask(key, async () => undefined, true);
    completeConfig({ ...wizard.answers, name: wizard.answers.name! }, defaultNames(wizard.answers.name!, '000000000000'), environment.clock.now());
  }
  if (!ctx.interactive && !options.yes && !dryRun) {
    const why = options.json ? 'and --json asks no questions' : 'and there is no terminal to ask';
    throw new UserError(`setup needs a confirmation, ${why}.`, 'Pass --yes to apply the plan unattended, or --dry-run to only print it.');
  }

  await chooseProfiles(ctx, wizard);
  let accounts = await connect(ctx, wizard);
  await askTheRest(ctx, wizard, accounts.producer, accounts.consumer);
  if (wizard.answers.region && wizard.answers.region !== accounts.producer.region) accounts = await connect(ctx, wizard);
  const { producer, consumer } = accounts;
  const config: SetupConfig = completeConfig({ ...wizard.answers, name: wizard.answers.name! }, defaultNames(wizard.answers.name!, consumer.accountId), environment.clock.now());
  const destinationWarning = failureDestinationWarning(config.failureDestination, consumer.accountId);
  if (destinationWarning) reporter.warn(destinationWarning);
  const release = await store.lock(config.name, 'setup');
  try {
    const previous = (await store.load(config.name)) ?? (await afterTeardown(ctx, config.name, producer));
    checkDeploymentAccounts(ctx, previous, { producer, consumer });
    const pipeline = pipelineContext({ config, producer, consumer, previous });
    const plan = await planAdopting(ctx, wizard, pipeline, previous);
    reporter.info(`\nPlan for deployment "${config.name}":\n${planLines(plan, accounts, customisedSettings(config))}`);
    const toApply = plan.filter((p) => p.action === 'create' || p.action === 'update').length;
    if (dryRun) {
      reporter.result({ deployment: config.name, dryRun: true, plan: planJson(plan) });
      reporter.info('\nDry run: nothing was changed.');
      return ExitCode.Success;
    }
    // Said again right before the question (or the run, under --yes), where it cannot scroll out of sight.
    if (toApply > 0) for (const warning of plan.flatMap((p) => p.warnings ?? [])) reporter.warn(warning);
    if (toApply > 0 && ctx.interactive && !(await wizard.confirm(`Apply ${toApply} change(s) in accounts ${producer.accountId} and ${consumer.accountId}?`))) {
      reporter.info('Nothing was changed.');
      return ExitCode.Success;
    }
    if (environment.interrupt.interrupted) throw new InterruptedError('Interrupted before any change.');

    const state = previous;
    state.inputs = { ...recordedAnswers(config), producerProfile: producer.profile, consumerProfile: consumer.profile };
    state.accounts = {
      producer: { profile: producer.profile, accountId: producer.accountId, region: producer.region },
      consumer: { profile: consumer.profile, accountId: consumer.accountId, region: consumer.region },
    };
    const result = await runSteps({
      steps: setupSteps(pipeline),
      state,
      save: (s) => store.save(s),
      clock: environment.clock,
      runId: randomUUID(),
      emit: (e) => reporter.event(e),
      rollback,
      interrupt: environment.interrupt,
      checked: new Map(plan.flatMap((p) => (p.check ? [[p.step.id, p.check] as const] : []))),
    });
    // Nothing of ours left (a rolled-back first run): no state file either.
    const stateKept = Object.values(state.steps).some((s) => s.origin === 'created');
    if (!stateKept) await store.remove(config.name);

    const resources = (['producer', 'consumer'] as const).flatMap((account) =>
      plan
        .filter((p) => p.step.account === account && state.steps[p.step.id] && state.steps[p.step.id]!.origin !== 'skipped')
        .map((p) => ({ step: p.step.id, account, origin: state.steps[p.step.id]!.origin, outputs: state.steps[p.step.id]!.outputs })),
    );
    const summary = { deployment: config.name, outcome: result.outcome, applied: result.applied, accounts: state.accounts, resources, leftovers: result.leftovers.map(({ error: _e, ...l }) => l) };
    if (result.outcome !== 'succeeded') {
      reporter.result(summary);
      const rerun = commandLine(options, 'setup', { name: config.name, ...(!stateKept && { accounts: accountFlags(producer, consumer) }) });
      const failure = describeRunFailure(result, { producer, consumer }, rollback, rerun);
      reporter.error(failure.message, failure.hint);
      for (const line of leftoverLines(result.leftovers, setupSteps(pipeline))) reporter.info(line);
      if (result.leftovers.some((l) => l.kept)) reporter.info(`The state file keeps what is kept: once its date has passed, \`${commandLine(options, 'teardown', { name: config.name })}\` removes it.`);
      return exitCodeFor(result);
    }
    // Lambda cannot pass the grant token, so a new grant helps its reads only once KMS has propagated it
    // (CreateGrant API reference: usually less than five minutes); no API call says when that is.
    reporter.info(
      result.applied.includes(STEP.grant)
        ? `\nDeployment "${config.name}" is set up. Its KMS grant is new: AWS usually puts a grant into effect within five minutes, and until then the mapping cannot decrypt records. ${recordsRetried(configuredRetries(pipeline))}.\n`
        : `\nDeployment "${config.name}" is ready${result.applied.length === 0 ? ' (no changes were needed)' : ''}.\n`,
    );
    const titles = new Map(plan.map((p) => [p.step.id, p.step.title]));
    const listed = resources.map((r) => ({ account: r.account, title: titles.get(r.step)!, cells: [r.origin] }));
    reporter.info(formatResourceGroups(['origin'], listed, { producer, consumer }, ctx.tableWidth));
    const steps = setupSteps(pipeline);
    const arns = distinctArns(resources.map((r) => primaryId(steps.find((s) => s.id === r.step), r.outputs)));
    reporter.info(arnsFit(arns, ctx.tableWidth) ? formatArns(arns) : `Full ARNs: \`${commandLine(options, 'status', { name: config.name, args: ['--arns'] })}\`, or --json.`);
    const roundTrip = verify ? await verifyRoundTrip(ctx, state, { producer, consumer }, verifyTimeoutMs) : undefined;
    reporter.result({ ...summary, ...(roundTrip && { verify: roundTrip.output }) });
    reporter.info(`\nNext:\n  ${commandLine(options, 'send-test-record', { name: config.name, args: ['--verify'] })}\n  ${commandLine(options, 'tail-logs', { name: config.name })}`);
    return roundTrip?.code ?? ExitCode.Success;
  } finally {
    await release();
  }
}
