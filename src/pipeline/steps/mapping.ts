import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  ListEventSourceMappingsCommand,
  ListTagsCommand,
  UpdateEventSourceMappingCommand,
  type EventSourceMappingConfiguration,
} from '@aws-sdk/client-lambda';
import { awsCommand } from '../../aws/session.js';
import type { StepContext } from '../../engine/types.js';
import type { PipelineStep } from './pipeline-step.js';
import { waitFor, withRetry } from '../../engine/wait.js';
import { errorMessage } from '../../errors.js';
import { RETRY_BUDGET_MS, callAws, hasCode, ifExists } from '../../aws/retry.js';
import { STEP, type PipelineContext, waitOptions } from './context.js';
import { failureDestinationArn } from './failure-queue.js';
import { readFunctionConfiguration } from './function.js';
import { keyReference } from './kms-key.js';
import { unreadable, type HealthContext, type HealthReading } from '../health-reading.js';
import type { Finding } from '../health-report.js';
import { listGrants } from '../lookups.js';
import { readPipelineSignals } from '../mapping-signals.js';
import { arns } from '../names.js';
import { NotOursError, ignoreMissing, isOurs, originOf } from './shared.js';

/** Lambda validates the role's access to the stream when the mapping is created; fresh policies and grants take a while. */
export const accessNotYetVisible = (error: unknown) =>
  hasCode(error, 'InvalidParameterValueException') && /access|permission|not authorized|decrypt|assume/i.test(errorMessage(error));

/** The mapping a ResourceConflictException on CreateEventSourceMapping names as already existing ("… with UUID <uuid>"). */
export const existingMappingUuid = (error: unknown): string | undefined =>
  hasCode(error, 'ResourceConflictException') ? /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(errorMessage(error))?.[0] : undefined;

/** The event source mapping on the EFO consumer's ARN, which is what makes Lambda read with enhanced fan-out. */
export function esmStep(ctx: PipelineContext): PipelineStep {
  const { consumer, names, config } = ctx;
  const lambda = consumer.clients.lambda;
  /** The UUID of the mapping the state file recorded: the record speaks for that mapping only. */
  const recordedUuid = ctx.previous.steps[STEP.esm]?.outputs.uuid;
  const find = async (step: StepContext, consumerArn: string) => {
    const out = await callAws(step.clock, () => lambda.send(new ListEventSourceMappingsCommand({ FunctionName: config.functionName, EventSourceArn: consumerArn })));
    const found = out.EventSourceMappings ?? [];
    return found.find((esm) => esm.UUID === recordedUuid) ?? found[0];
  };
  const getState = (step: StepContext, uuid: string) => ifExists(step.clock, () => lambda.send(new GetEventSourceMappingCommand({ UUID: uuid })));
  const tagsOf = async (step: StepContext, esm: EventSourceMappingConfiguration) =>
    esm.EventSourceMappingArn ? (await ifExists(step.clock, () => lambda.send(new ListTagsCommand({ Resource: esm.EventSourceMappingArn }))))?.Tags : undefined;
  const described = (uuid: string | undefined) => `Event source mapping ${uuid} (${config.functionName} ← ${config.consumerName})`;
  /**
   * Whether a mapping found on our function and consumer is ours: by its tags, or by the state file if it
   * recorded this UUID as created. Another UUID there (ours was deleted, and someone made one) is not.
   */
  const ours = async (step: StepContext, esm: EventSourceMappingConfiguration) => isOurs(ctx, await tagsOf(step, esm), STEP.esm, esm.UUID === recordedUuid);
  const notOurs = (uuid: string | undefined) =>
    new NotOursError(STEP.esm, `${described(uuid)} already exists but was not created by kds-xacct for deployment "${names.deployment}".`, '--consumer-name');
  const untilGone = (step: StepContext, uuid: string) =>
    waitFor(async () => {
      const esm = await getState(step, uuid);
      return esm ? { done: false, detail: `mapping is ${esm.State}` } : { done: true, value: undefined };
    }, waitOptions(step, `event source mapping ${uuid} to be deleted`));
  /**
   * Runs `change` once the mapping is Enabled or Disabled, and says whether it did: Lambda refuses an
   * update or a delete while a mapping is Creating, Enabling, Disabling, Updating or Deleting
   * (ResourceInUseException), which is what it is right after a create, an update, or a run that was
   * stopped. A mapping that is gone, or goes while we wait, needs no change. If it starts another
   * transition between our look and our call, wait for it again.
   */
  const whenSettled = (step: StepContext, uuid: string, change: () => Promise<unknown>): Promise<boolean> =>
    withRetry(
      async () => {
        const esm = await waitFor(async () => {
          const found = await getState(step, uuid);
          return !found || found.State === 'Enabled' || found.State === 'Disabled' ? { done: true, value: found } : { done: false, detail: `mapping is ${found.State}` };
        }, waitOptions(step, `event source mapping ${uuid} to be Enabled or Disabled`));
        if (!esm) return false;
        await change();
        return true;
      },
      {
        clock: step.clock,
        timeoutMs: RETRY_BUDGET_MS,
        retryable: (error) => (hasCode(error, 'ResourceInUseException') ? `mapping ${uuid} started another change; waiting for it to settle` : undefined),
        onRetry: step.progress,
      },
    );
  /**
   * Where a new mapping starts. Not LATEST for an adopted stream unless asked: a mapping can take minutes
   * to start polling once Enabled, and LATEST misses what is put meanwhile (Lambda developer guide, Kinesis
   * polling and stream starting position). AT_TIMESTAMP at the start of setup skips the stream's history
   * and misses nothing, even when a resumed run creates the mapping later: that is when the state file was
   * made, by the deployment's first setup run. A mapping the state recorded and that is gone now (deleted by
   * hand) read the stream until then: its replacement starts now, rather than feed the function again
   * everything since the first run.
   */
  const startingPosition = (step: StepContext) => {
    const position = config.esm.startingPosition ?? (step.outputsOf(STEP.stream).origin === 'adopted' ? 'AT_TIMESTAMP' : 'TRIM_HORIZON');
    if (position !== 'AT_TIMESTAMP') return { StartingPosition: position };
    const from = config.esm.startingPositionTimestamp ?? (recordedUuid ? step.clock.now() : ctx.previous.createdAt);
    return { StartingPosition: position, StartingPositionTimestamp: new Date(from) };
  };
  const destination = failureDestinationArn(ctx);
  /** The settings an existing mapping can be brought back to (the starting position is fixed at creation). */
  const settings = {
    BatchSize: config.esm.batchSize,
    BisectBatchOnFunctionError: true,
    MaximumRetryAttempts: config.esm.maxRetries,
    MaximumRecordAgeInSeconds: config.esm.maxRecordAgeSeconds,
    FunctionResponseTypes: ['ReportBatchItemFailures' as const],
    ...(destination && { DestinationConfig: { OnFailure: { Destination: destination } } }),
  };
  // An empty destination is how AWS takes one off a mapping (OnFailure API reference: length 0 is allowed):
  // a mapping left sending to a destination the role may no longer use loses every report.
  const updatedSettings = { ...settings, DestinationConfig: { OnFailure: { Destination: destination ?? '' } } };
  const differences = (esm: EventSourceMappingConfiguration): string[] => [
    ...(['BatchSize', 'BisectBatchOnFunctionError', 'MaximumRetryAttempts', 'MaximumRecordAgeInSeconds'] as const)
      .filter((key) => esm[key] !== settings[key])
      .map((key) => `${key} is ${String(esm[key])}, the config says ${String(settings[key])}`),
    ...(esm.FunctionResponseTypes?.includes('ReportBatchItemFailures') ? [] : ['ReportBatchItemFailures is off']),
    ...((esm.DestinationConfig?.OnFailure?.Destination || undefined) !== destination ? [`its on-failure destination is ${esm.DestinationConfig?.OnFailure?.Destination || 'none'}, the config says ${destination ?? 'none'}`] : []),
    ...(esm.State === 'Disabled' ? [`it is Disabled (${esm.StateTransitionReason ?? 'no reason given'})`] : []),
  ];
  return {
    id: STEP.esm,
    title: `event source mapping ${config.functionName} ← ${config.consumerName}`,
    idOutput: 'uuid',
    removal: ({ title, outputs }) => `delete ${title} (${outputs.uuid ?? ''})`,
    health: (live) => mappingHealth(live),
    account: 'consumer',
    // The log group too: the role may not create it, so records delivered before it exists lose their log lines.
    // The failure queue too: a batch given up on before it exists would leave no trace.
    dependsOn: [STEP.stream, STEP.function, STEP.consumer, STEP.rolePolicy, STEP.streamPolicy, STEP.consumerPolicy, STEP.grant, STEP.logGroup, STEP.failureQueue],
    // An existing mapping hangs on the consumer and the function only: it is compared with the config
    // even while a policy or the grant is still to be (re)made, so the plan says `update`, not `create`.
    checkNeeds: [STEP.consumer, STEP.function],
    async check(step) {
      const consumerArn = step.outputsOf(STEP.consumer).consumerArn!;
      const found = await find(step, consumerArn);
      if (!found) return { status: 'missing' };
      if (found.State === 'Deleting') return { status: 'missing', detail: `mapping ${found.UUID} is still being deleted; a new one is created once it is gone` };
      const outputs = { uuid: found.UUID!, eventSourceArn: consumerArn, functionName: config.functionName };
      const origin = originOf(ctx, STEP.esm, described(found.UUID), await tagsOf(step, found), '--consumer-name', found.UUID === recordedUuid);
      const changes = differences(found);
      // Only a mapping we made is kept in line with the config; an adopted one is the user's, and a Disabled one stays so.
      if (origin === 'adopted') {
        const enable = found.State === 'Disabled' ? [`it delivers nothing until it is enabled: \`${awsCommand(consumer, `lambda update-event-source-mapping --uuid ${found.UUID} --enabled`)}\``] : [];
        return { status: 'done', origin, outputs, ...(changes.length > 0 && { detail: `kept as it is: ${[...changes, ...enable].join('; ')}` }) };
      }
      return changes.length > 0 ? { status: 'update', origin, outputs, detail: changes.join('; ') } : { status: 'done', origin, outputs };
    },
    async apply(step) {
      const consumerArn = step.outputsOf(STEP.consumer).consumerArn!;
      const existing = await find(step, consumerArn);
      // One left Deleting by a stopped teardown or rollback is waited out rather than mistaken for
      // ours: CreateEventSourceMapping would refuse a second mapping and name the old one's UUID.
      if (existing?.State === 'Deleting') await untilGone(step, existing.UUID!);
      else if (existing) {
        // Found since the plan, or a check that judged it ours: only ours is changed.
        if (!(await ours(step, existing))) throw notOurs(existing.UUID);
        const updated = await whenSettled(step, existing.UUID!, () =>
          callAws(step.clock, () => lambda.send(new UpdateEventSourceMappingCommand({ UUID: existing.UUID, ...updatedSettings, Enabled: true }))),
        );
        if (updated) return { uuid: existing.UUID!, eventSourceArn: consumerArn, functionName: config.functionName };
      }
      try {
        const out = await callAws(
          step.clock,
          () =>
            lambda.send(
              new CreateEventSourceMappingCommand({
                FunctionName: config.functionName,
                EventSourceArn: consumerArn,
                ...startingPosition(step),
                ...settings,
                Tags: names.tags,
              }),
            ),
          { propagating: accessNotYetVisible, waitingFor: "the role's new permissions on the stream and consumer to reach Lambda", onRetry: step.progress },
        );
        return { uuid: out.UUID!, eventSourceArn: consumerArn, functionName: config.functionName };
      } catch (error) {
        // An earlier attempt whose answer was lost may have created it: AWS names the existing UUID. It is
        // ours only if its tags (given at creation) or the state file say so; someone else's is never taken.
        const uuid = existingMappingUuid(error);
        if (!uuid) throw error;
        const conflicting = await getState(step, uuid);
        if (!conflicting) throw error;
        if (!(await ours(step, conflicting))) throw notOurs(uuid);
        return { uuid, eventSourceArn: consumerArn, functionName: config.functionName };
      }
    },
    async wait(step, outputs) {
      await waitFor(async () => {
        const esm = await getState(step, outputs.uuid!);
        if (!esm) throw new Error(`Event source mapping ${outputs.uuid} disappeared while waiting for it to be Enabled.`);
        // An adopted mapping the user keeps Disabled is theirs to enable: its check says so and how.
        if (esm.State === 'Disabled' && !(await ours(step, esm))) return { done: true, value: undefined };
        if (esm.State === 'Disabled') throw new Error(`Event source mapping ${outputs.uuid} is Disabled: ${esm.StateTransitionReason}`);
        return esm.State === 'Enabled' ? { done: true, value: undefined } : { done: false, detail: `mapping is ${esm.State}` };
      }, waitOptions(step, `event source mapping ${outputs.uuid} to be Enabled`));
    },
    async undo(step, outputs) {
      // Already Deleting (an earlier run was stopped while waiting): whenSettled waits it out.
      await whenSettled(step, outputs.uuid!, () => ignoreMissing(() => callAws(step.clock, () => lambda.send(new DeleteEventSourceMappingCommand({ UUID: outputs.uuid })))));
      await untilGone(step, outputs.uuid!);
    },
  };
}

/** Our mapping as status reads it: by the UUID it found or recorded, else as the one on our consumer. */
function readMapping(live: HealthContext) {
  const lambda = live.pipeline.consumer.clients.lambda;
  const uuid = live.outputsOf(STEP.esm).uuid;
  const consumerArn = live.outputsOf(STEP.consumer).consumerArn;
  if (uuid) return live.read('mapping', () => lambda.send(new GetEventSourceMappingCommand({ UUID: uuid })));
  if (!consumerArn) return Promise.resolve(undefined);
  return live.read('mapping', async () => {
    const list = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: live.pipeline.config.functionName, EventSourceArn: consumerArn }));
    const found = list.EventSourceMappings?.[0];
    if (!found) throw Object.assign(new Error('no mapping'), { name: 'ResourceNotFoundException', $metadata: {} });
    return found;
  });
}

/** When our grant was made: a decryption failure younger than a grant's usual delay is not yet a problem. */
async function grantCreatedAt(live: HealthContext): Promise<Date | undefined> {
  const { producer, consumer, config, names } = live.pipeline;
  const role = live.outputsOf(STEP.role);
  const roleArn = role.roleArn ?? arns.role(consumer.region, consumer.accountId, role.roleName ?? config.roleName);
  const grants = await live.read('grants', () => listGrants(live.clock, producer.clients.kms, keyReference(live), roleArn));
  const grantId = live.outputsOf(STEP.grant).grantId;
  return grants.ok ? grants.value.find((g) => (grantId ? g.GrantId === grantId : g.Name === names.grantName))?.CreationDate : undefined;
}

/**
 * AWS's own verdict on the pipeline: the mapping's state and last processing result and the function's
 * state say whether Lambda can actually read, decrypt and deliver.
 */
async function mappingHealth(live: HealthContext): Promise<HealthReading> {
  const { consumer } = live.pipeline;
  const [read, functionRead, grantAt] = await Promise.all([readMapping(live), readFunctionConfiguration(live), grantCreatedAt(live)]);
  const mapping = read?.ok ? read.value : undefined;
  const findings = unreadable(live, read, STEP.esm, 'consumer', `event source mapping ${live.outputsOf(STEP.esm).uuid ?? ''}`.trim());
  const delivery = readPipelineSignals({
    mapping,
    function: functionRead.ok ? functionRead.value : undefined,
    grantCreatedAt: grantAt,
    mappingAdopted: live.origin(STEP.esm) === 'adopted',
    now: live.clock.now(),
    commands: { repair: live.repairCommand, tailLogs: live.tailLogsCommand('1h'), enableMapping: (uuid) => awsCommand(consumer, `lambda update-event-source-mapping --uuid ${uuid} --enabled`) },
  });
  // The mapping's own check already reports a mapping that is disabled or being deleted, as drift.
  const checked = live.reported(STEP.esm);
  for (const signal of delivery.signals) {
    if (signal.source === 'mapping' && checked && signal.cause.startsWith('mapping-')) continue;
    findings.push({ severity: signal.severity === 'problem' ? 'error' : 'warning', step: signal.source === 'mapping' ? STEP.esm : STEP.function, account: 'consumer', message: signal.diagnosis, fix: signal.fix });
  }
  if (!mapping) return { findings };
  if (!checked) findings.push(...unusableDestination(live, mapping));
  const eventSourceMapping = {
    uuid: mapping.UUID ?? live.outputsOf(STEP.esm).uuid ?? '',
    ...(mapping.State && { state: mapping.State }),
    ...(mapping.StateTransitionReason && { stateTransitionReason: mapping.StateTransitionReason }),
    ...(mapping.LastProcessingResult && { lastProcessingResult: mapping.LastProcessingResult }),
    ...(mapping.EventSourceArn && { eventSourceArn: mapping.EventSourceArn }),
  };
  return { ...(mapping.State && { state: mapping.State }), findings, report: { eventSourceMapping, delivery } };
}

/** The role's policy names only the configured destination: Lambda reports a failed batch as the role, and a report it may not send is lost. */
function unusableDestination(live: HealthContext, mapping: EventSourceMappingConfiguration): Finding[] {
  const { consumer, config } = live.pipeline;
  const reportedTo = mapping.DestinationConfig?.OnFailure?.Destination;
  if (!reportedTo || reportedTo === failureDestinationArn(live.pipeline)) return [];
  const roleName = live.outputsOf(STEP.role).roleName ?? config.roleName;
  const uuid = mapping.UUID;
  return [
    {
      severity: 'error',
      step: STEP.esm,
      account: 'consumer',
      message: `event source mapping ${uuid} reports failed batches to ${reportedTo}, which role ${roleName} is not allowed to use: those reports are lost`,
      fix: `take the destination off the mapping (\`${awsCommand(consumer, `lambda update-event-source-mapping --uuid ${uuid} --destination-config '{"OnFailure":{"Destination":""}}'`)}\`), or let the role use it (\`${live.repairCommand} --failure-destination ${reportedTo}\`)`,
    },
  ];
}
