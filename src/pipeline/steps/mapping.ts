import { CreateEventSourceMappingCommand, DeleteEventSourceMappingCommand, GetEventSourceMappingCommand, ListEventSourceMappingsCommand, UpdateEventSourceMappingCommand, type EventSourceMappingConfiguration } from '@aws-sdk/client-lambda';
import type { Step, StepContext } from '../../engine/types.js';
import { waitFor } from '../../engine/wait.js';
import { errorMessage } from '../../errors.js';
import { callAws, hasCode, ifExists } from '../retry.js';
import { STEP, type PipelineContext, waitOptions } from './context.js';
import { ignoreMissing } from './shared.js';

/** Lambda validates the role's access to the stream when the mapping is created; fresh policies and grants take a while. */
const accessNotYetVisible = (error: unknown) =>
  hasCode(error, 'InvalidParameterValueException') && /access|permission|not authorized|decrypt|assume/i.test(errorMessage(error));

/** The event source mapping on the EFO consumer's ARN, which is what makes Lambda read with enhanced fan-out. */
export function esmStep(ctx: PipelineContext): Step {
  const { consumer, names, config } = ctx;
  const lambda = consumer.clients.lambda;
  const find = async (step: StepContext, consumerArn: string) => {
    const out = await callAws(step.clock, () => lambda.send(new ListEventSourceMappingsCommand({ FunctionName: config.functionName, EventSourceArn: consumerArn })));
    return out.EventSourceMappings?.[0];
  };
  const getState = (step: StepContext, uuid: string) => ifExists(step.clock, () => lambda.send(new GetEventSourceMappingCommand({ UUID: uuid })));
  /** The settings an existing mapping can be brought back to (the starting position is fixed at creation). */
  const settings = {
    BatchSize: config.esm.batchSize,
    BisectBatchOnFunctionError: true,
    MaximumRetryAttempts: config.esm.maxRetries,
    MaximumRecordAgeInSeconds: config.esm.maxRecordAgeSeconds,
    FunctionResponseTypes: ['ReportBatchItemFailures' as const],
  };
  const differences = (esm: EventSourceMappingConfiguration): string[] => [
    ...(['BatchSize', 'BisectBatchOnFunctionError', 'MaximumRetryAttempts', 'MaximumRecordAgeInSeconds'] as const)
      .filter((key) => esm[key] !== settings[key])
      .map((key) => `${key} is ${String(esm[key])}, the config says ${String(settings[key])}`),
    ...(esm.FunctionResponseTypes?.includes('ReportBatchItemFailures') ? [] : ['ReportBatchItemFailures is off']),
    ...(esm.State === 'Disabled' ? [`it is Disabled (${esm.StateTransitionReason ?? 'no reason given'})`] : []),
  ];
  return {
    id: STEP.esm,
    title: `event source mapping ${config.functionName} ← ${config.consumerName}`,
    account: 'consumer',
    // The log group too: the role may not create it, so records delivered before it exists lose their log lines.
    dependsOn: [STEP.stream, STEP.function, STEP.consumer, STEP.rolePolicy, STEP.streamPolicy, STEP.consumerPolicy, STEP.grant, STEP.logGroup],
    async check(step) {
      const consumerArn = step.outputsOf(STEP.consumer).consumerArn!;
      const found = await find(step, consumerArn);
      if (!found) return { status: 'missing' };
      const outputs = { uuid: found.UUID!, eventSourceArn: consumerArn, functionName: config.functionName };
      const origin = step.previous?.origin ?? 'created';
      const changes = differences(found);
      return changes.length > 0 ? { status: 'update', origin, outputs, detail: changes.join('; ') } : { status: 'done', origin, outputs };
    },
    async apply(step) {
      const consumerArn = step.outputsOf(STEP.consumer).consumerArn!;
      const existing = await find(step, consumerArn);
      if (existing) {
        await callAws(step.clock, () => lambda.send(new UpdateEventSourceMappingCommand({ UUID: existing.UUID, ...settings, Enabled: true })));
        return { uuid: existing.UUID!, eventSourceArn: consumerArn, functionName: config.functionName };
      }
      const streamAdopted = step.outputsOf(STEP.stream).origin === 'adopted';
      try {
        const out = await callAws(
          step.clock,
          () =>
            lambda.send(
              new CreateEventSourceMappingCommand({
                FunctionName: config.functionName,
                EventSourceArn: consumerArn,
                StartingPosition: config.esm.startingPosition ?? (streamAdopted ? 'LATEST' : 'TRIM_HORIZON'),
                ...settings,
                Tags: names.tags,
              }),
            ),
          { propagating: accessNotYetVisible, onRetry: step.progress },
        );
        return { uuid: out.UUID!, eventSourceArn: consumerArn, functionName: config.functionName };
      } catch (error) {
        // An earlier attempt whose answer was lost may have created it: AWS names the existing UUID.
        const uuid = hasCode(error, 'ResourceConflictException') ? /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(errorMessage(error))?.[0] : undefined;
        if (!uuid) throw error;
        return { uuid, eventSourceArn: consumerArn, functionName: config.functionName };
      }
    },
    async wait(step, outputs) {
      await waitFor(async () => {
        const esm = await getState(step, outputs.uuid!);
        if (!esm) throw new Error(`Event source mapping ${outputs.uuid} disappeared while waiting for it to be Enabled.`);
        if (esm.State === 'Disabled') throw new Error(`Event source mapping ${outputs.uuid} is Disabled: ${esm.StateTransitionReason}`);
        return esm.State === 'Enabled' ? { done: true, value: undefined } : { done: false, detail: `mapping is ${esm.State}` };
      }, waitOptions(step, `event source mapping ${outputs.uuid} to be Enabled`));
    },
    async undo(step, outputs) {
      if ((await getState(step, outputs.uuid!))?.State !== 'Deleting') {
        await ignoreMissing(() => callAws(step.clock, () => lambda.send(new DeleteEventSourceMappingCommand({ UUID: outputs.uuid }))));
      }
      await waitFor(async () => {
        const esm = await getState(step, outputs.uuid!);
        return esm ? { done: false, detail: `mapping is ${esm.State}` } : { done: true, value: undefined };
      }, waitOptions(step, `event source mapping ${outputs.uuid} to be deleted`));
    },
  };
}
