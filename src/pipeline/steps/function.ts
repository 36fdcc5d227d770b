import { CreateFunctionCommand, DeleteFunctionCommand, GetFunctionConfigurationCommand, UpdateFunctionCodeCommand, UpdateFunctionConfigurationCommand, type FunctionConfiguration } from '@aws-sdk/client-lambda';
import type { StepContext } from '../../engine/types.js';
import type { PipelineStep } from './pipeline-step.js';
import { waitFor, withRetry } from '../../engine/wait.js';
import { errorMessage } from '../../errors.js';
import { buildHandlerZip, codeSha256, HANDLER_NAME } from '../bundle.js';
import { RETRY_BUDGET_MS, callAws, hasCode } from '../../aws/retry.js';
import { STEP, type PipelineContext, waitOptions } from './context.js';
import { unreadable, type HealthContext, type HealthReading } from '../health-reading.js';
import { ignoreMissing, originOf } from './shared.js';
import { functionTags, getFunction } from '../lookups.js';

/** Lambda's words for an update while the function is Pending or another update is InProgress. */
export const updateInProgress = (error: unknown) => hasCode(error, 'ResourceConflictException') && /update is in progress/i.test(errorMessage(error));

/** Lambda's words while a new role has not propagated to it yet. */
export const roleNotYetAssumable = (error: unknown) => hasCode(error, 'InvalidParameterValueException') && /cannot be assumed by Lambda/i.test(errorMessage(error));

/** The consumer function: the bundled handler, kept in line with the config, or an existing function adopted. */
export function functionStep(ctx: PipelineContext): PipelineStep {
  const { consumer, names, config } = ctx;
  const lambda = consumer.clients.lambda;
  const functionDifferences = async (conf: FunctionConfiguration): Promise<string[]> => [
    ...(conf.Runtime !== config.runtime ? [`runtime is ${conf.Runtime}, the config says ${config.runtime}`] : []),
    ...(conf.CodeSha256 !== codeSha256(await buildHandlerZip()) ? ['its code is not the bundled handler of this kds-xacct'] : []),
  ];
  /**
   * Lambda takes one update at a time, and none while the function is Pending ("Lambda function states"):
   * wait until it is settled, whoever's change it was (a run stopped mid-update, someone else's deploy).
   */
  const untilSettled = (step: StepContext) =>
    waitFor(async () => {
      const conf = await callAws(step.clock, () => lambda.send(new GetFunctionConfigurationCommand({ FunctionName: config.functionName })));
      if (conf.State === 'Failed') throw new Error(`Function ${config.functionName} failed to become Active: ${conf.StateReasonCode}: ${conf.StateReason}`);
      if (conf.State === 'Pending') return { done: false, detail: 'function is Pending' };
      return conf.LastUpdateStatus === 'InProgress' ? { done: false, detail: 'function update in progress' } : { done: true, value: conf };
    }, waitOptions(step, `function ${config.functionName} to finish changing`));
  /**
   * One update, once the function has settled (again if another change starts between our look and our
   * call), and then until Lambda has finished it.
   */
  const update = async (step: StepContext, send: () => Promise<unknown>) => {
    await withRetry(
      async () => {
        await untilSettled(step);
        await callAws(step.clock, send);
      },
      {
        clock: step.clock,
        timeoutMs: RETRY_BUDGET_MS,
        retryable: (error) => (updateInProgress(error) ? `function ${config.functionName} started another change; waiting for it to finish` : undefined),
        onRetry: step.progress,
      },
    );
    const updated = await untilSettled(step);
    if (updated.LastUpdateStatus === 'Failed') throw new Error(`Updating function ${config.functionName} failed: ${updated.LastUpdateStatusReason}`);
  };
  const updateFunction = async (step: StepContext, conf: FunctionConfiguration) => {
    const zip = await buildHandlerZip();
    if (conf.CodeSha256 !== codeSha256(zip)) await update(step, () => lambda.send(new UpdateFunctionCodeCommand({ FunctionName: config.functionName, ZipFile: zip })));
    if (conf.Runtime !== config.runtime) await update(step, () => lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: config.functionName, Runtime: config.runtime })));
  };
  return {
    id: STEP.function,
    title: `function ${config.functionName}`,
    idOutput: 'functionArn',
    removal: ({ outputs }) => `delete function ${outputs.functionName ?? ''}`,
    health: (live) => functionHealth(live),
    account: 'consumer',
    dependsOn: [STEP.role],
    // Looked up by its name: it can be there while its role is missing (and is then checked all the same).
    checkNeeds: [],
    async check(step) {
      const fn = await getFunction(step, ctx);
      if (!fn) return { status: 'missing' };
      const outputs = { functionName: fn.Configuration!.FunctionName!, functionArn: fn.Configuration!.FunctionArn! };
      if (config.useExistingFunction) return { status: 'done', origin: 'adopted', outputs, detail: 'existing function' };
      // The state file already says whose it is; only a function it does not record needs its tags read.
      const recorded = ctx.previous.steps[STEP.function]?.origin;
      const tags = recorded === 'created' || recorded === 'adopted' ? undefined : await functionTags(step.clock, consumer, outputs.functionArn);
      const origin = originOf(ctx, STEP.function, `Function ${config.functionName}`, tags, '--function-name');
      // Only the bundled function we deployed is kept in line with the config; an adopted one is the user's.
      const differences = origin === 'created' ? await functionDifferences(fn.Configuration!) : [];
      if (differences.length > 0) return { status: 'update', origin, outputs, detail: differences.join('; ') };
      return { status: 'done', origin, outputs };
    },
    async apply(step) {
      const existing = (await getFunction(step, ctx))?.Configuration;
      if (existing) {
        await updateFunction(step, existing);
        return { functionName: existing.FunctionName!, functionArn: existing.FunctionArn! };
      }
      const zip = await buildHandlerZip();
      const out = await callAws(
        step.clock,
        () =>
          lambda.send(
            new CreateFunctionCommand({
              FunctionName: config.functionName,
              Runtime: config.runtime,
              Role: step.outputsOf(STEP.role).roleArn,
              Handler: HANDLER_NAME,
              Code: { ZipFile: zip },
              Description: `kds-xacct ${names.deployment}: logs records from ${config.streamName}`,
              Timeout: 30,
              MemorySize: 256,
              Tags: names.tags,
            }),
          ),
        // Slower than the default: IAM takes seconds to propagate, the function is off the critical path,
        // and every early attempt is a failed mutating call in the user's CloudTrail.
        { propagating: roleNotYetAssumable, waitingFor: 'IAM to propagate the new role to Lambda', onRetry: step.progress, backoff: { initialDelayMs: 1_000 } },
      );
      return { functionName: out.FunctionName!, functionArn: out.FunctionArn! };
    },
    async wait(step, outputs) {
      await waitFor(async () => {
        const conf = await callAws(step.clock, () => lambda.send(new GetFunctionConfigurationCommand({ FunctionName: outputs.functionName })));
        if (conf.State === 'Failed') throw new Error(`Function ${outputs.functionName} failed to become Active: ${conf.StateReasonCode}: ${conf.StateReason}`);
        // Inactive: an idle adopted function that Lambda has parked; the first event wakes it.
        return conf.State === 'Active' || conf.State === 'Inactive' ? { done: true, value: undefined } : { done: false, detail: `function is ${conf.State}` };
      }, waitOptions(step, `function ${outputs.functionName} to be Active`));
    },
    async undo(step, outputs) {
      await ignoreMissing(() => callAws(step.clock, () => lambda.send(new DeleteFunctionCommand({ FunctionName: outputs.functionName }))));
    },
  };
}

/** The function's configuration, read once for its own health and for the mapping's signals. */
export const readFunctionConfiguration = ({ read, pipeline }: HealthContext) =>
  read('function configuration', () => pipeline.consumer.clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: pipeline.config.functionName })));

/** The function's state; what it says about delivery, the mapping's signals say with the mapping's. */
async function functionHealth(live: HealthContext): Promise<HealthReading> {
  const read = await readFunctionConfiguration(live);
  const findings = unreadable(live, read, STEP.function, 'consumer', `function ${live.pipeline.config.functionName}`);
  return { ...(read.ok && read.value.State && { state: read.value.State }), findings };
}
