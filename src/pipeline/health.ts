import type { AccountRole } from '../aws/session.js';
import type { Clock } from '../engine/clock.js';
import { checkNeeds, planSteps, type PlannedStep } from '../engine/plan.js';
import type { DeploymentState } from '../deployment/store.js';
import type { CheckResult, Outputs, Step } from '../engine/types.js';
import { UserError, errorMessage } from '../errors.js';
import type { Finding, HealthReport, ResourceHealth } from './health-report.js';
import { describeError, repairFix, sharedReads, type HealthContext, type HealthReading } from './health-reading.js';
import type { PipelineContext } from './steps/context.js';
import { setupSteps } from './steps/index.js';
import { primaryId, type PipelineStep } from './steps/pipeline-step.js';

export interface HealthOptions {
  clock: Clock;
  /** The setup command line that repairs this deployment, quoted in fixes. */
  repairCommand: string;
  /** The tail-logs command line that shows this deployment's function errors since a duration ago (e.g. "1h"), quoted in fixes. */
  tailLogsCommand: (since: string) => string;
}

/**
 * Setup's own read-only checks (planSteps over setupSteps). A check that throws (a permission error, a
 * same-named resource that is not ours) is reported, and planning goes on: its dependents are then left
 * unchecked rather than hiding every other result.
 */
async function checkAll(steps: PipelineStep[], previous: DeploymentState, clock: Clock): Promise<{ plan: PlannedStep[]; checkFailures: Map<string, unknown> }> {
  const checkFailures = new Map<string, unknown>();
  const guarded: Step[] = steps.map((step) => ({
    ...step,
    async check(ctx): Promise<CheckResult> {
      try {
        return await step.check(ctx);
      } catch (error) {
        checkFailures.set(step.id, error);
        return { status: 'missing', detail: errorMessage(error) };
      }
    },
  }));
  return { plan: await planSteps(guarded, previous, clock), checkFailures };
}

interface Checked {
  resource: ResourceHealth;
  finding?: Finding;
}

/** What a step's check says about its resource, as a line of the report and the finding it makes, if any. */
function checkedResource(planned: PlannedStep, step: PipelineStep | undefined, context: { pipeline: PipelineContext; plan: PlannedStep[]; failure: unknown; repair: string }): Checked {
  const { step: { id, title, account: label }, check } = planned;
  const { pipeline, repair, failure } = context;
  const account = label as AccountRole;
  const recorded = pipeline.previous.steps[id];
  const recordedOrigin = recorded && recorded.origin !== 'skipped' ? recorded.origin : undefined;
  const base = { step: id, account, title };
  const withOrigin = recordedOrigin && { origin: recordedOrigin };
  const finding = (message: string, fix: string): Finding => ({ severity: 'error', step: id, account, message, fix });
  if (failure !== undefined) {
    const fix = failure instanceof UserError && failure.hint ? failure.hint : `check that profile ${pipeline[account].profile} may read it, then run status again`;
    return { resource: { ...base, status: 'error', ...withOrigin, detail: errorMessage(failure) }, finding: finding(`${title} could not be checked: ${describeError(failure)}`, fix) };
  }
  if (check?.status === 'done') {
    const shown = primaryId(step, check.outputs);
    return { resource: { ...base, status: 'ok', origin: check.origin, ...(shown && { id: shown }), ...(check.detail && { detail: check.detail }) } };
  }
  if (check?.status === 'skip') return { resource: { ...base, status: 'skipped', detail: check.detail } };
  if (check?.status === 'update') return { resource: { ...base, status: 'drifted', origin: check.origin, detail: check.detail }, finding: finding(`${title} differs from what setup wrote (drift): ${check.detail}`, repair) };
  if (check?.status === 'missing') {
    // Drift is what setup had made and the check says how it changed (our statement removed, the
    // stream no longer encrypted); otherwise a check's detail only describes what setup would do.
    const drifted = check.detail !== undefined && recordedOrigin !== undefined;
    const resource: ResourceHealth = { ...base, status: drifted ? 'drifted' : 'missing', ...withOrigin, ...(check.detail && { detail: check.detail }) };
    if (drifted) return { resource, finding: finding(`${title} differs from what setup wrote (drift): ${check.detail}`, repair) };
    if (recordedOrigin === 'adopted') return { resource, finding: finding(`${title} is missing; it was adopted, so setup will not recreate it as it was`, `restore it, or ${repair} (which creates a new one where it can)`) };
    return { resource, finding: finding(`${title} is missing${recorded ? ' (setup had made it)' : ''}`, `${repair}: it will be created`) };
  }
  // Planned as create without a check: what its check needs is missing, so it cannot be right either.
  const missing = new Set(context.plan.filter((p) => p.action === 'create').map((p) => p.step.id));
  const needed = checkNeeds(planned.step).filter((d) => missing.has(d));
  const blockers = needed.filter((d) => context.plan.find((p) => p.step.id === d)?.check !== undefined);
  return { resource: { ...base, status: 'unchecked', ...withOrigin, detail: `not checked: ${(blockers.length > 0 ? blockers : needed).join(', ')} must be repaired first` } };
}

/** What the step readings may know of the checks: each step's outputs, whether it is missing, reported, adopted. */
function healthContext(pipeline: PipelineContext, options: HealthOptions, plan: PlannedStep[], checked: Checked[]): HealthContext {
  const planned = new Map(plan.map((p) => [p.step.id, p]));
  return {
    clock: options.clock,
    pipeline,
    // Identifiers for the live reads: from this check when it found them, else from the state file (else each reading uses names).
    outputsOf: (id): Outputs => {
      const check = planned.get(id)?.check;
      return check?.status === 'done' || check?.status === 'update' ? check.outputs : (pipeline.previous.steps[id]?.outputs ?? {});
    },
    missing: (id) => planned.get(id)?.action === 'create',
    reported: (id) => checked.some((c) => c.finding?.step === id),
    origin: (id) => checked.find((c) => c.resource.step === id)?.resource.origin,
    read: sharedReads(options.clock),
    repairCommand: options.repairCommand,
    tailLogsCommand: options.tailLogsCommand,
  };
}

/**
 * The health of a deployment: setup's own read-only checks say what exists and matches, our statements
 * compared exactly; then each step's live reading adds what a check does not look at (states, encryption),
 * and AWS's own signals (the mapping's state and last processing result, the function's state) say whether
 * Lambda can actually read, decrypt and deliver. Makes no mutating call.
 */
export async function assessHealth(pipeline: PipelineContext, options: HealthOptions): Promise<HealthReport> {
  const { producer, consumer } = pipeline;
  const steps = setupSteps(pipeline);
  const { plan, checkFailures } = await checkAll(steps, pipeline.previous, options.clock);
  const repair = repairFix(options);
  const checked = plan.map((p) => checkedResource(p, steps.find((s) => s.id === p.step.id), { pipeline, plan, failure: checkFailures.get(p.step.id), repair }));
  const live = healthContext(pipeline, options, plan, checked);
  const readings = await Promise.all(steps.map(async (step) => ({ step: step.id, reading: await step.health?.(live) })));

  const resources = checked.map((c) => c.resource);
  const findings = checked.flatMap((c) => (c.finding ? [c.finding] : []));
  let extra: HealthReading['report'] = {};
  for (const { step, reading } of readings) {
    const resource = resources.find((r) => r.step === step);
    if (resource && reading?.state) resource.state = reading.state;
    findings.push(...(reading?.findings ?? []));
    extra = { ...extra, ...reading?.report };
  }
  return {
    deployment: pipeline.names.deployment,
    healthy: !findings.some((f) => f.severity === 'error'),
    accounts: {
      producer: { accountId: producer.accountId, region: producer.region, profile: producer.profile },
      consumer: { accountId: consumer.accountId, region: consumer.region, profile: consumer.profile },
    },
    resources,
    ...extra,
    findings,
  };
}
