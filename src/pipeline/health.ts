import { DescribeStreamConsumerCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { GetEventSourceMappingCommand, GetFunctionConfigurationCommand, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { awsCommand, type AccountRole } from '../aws/session.js';
import type { Clock } from '../engine/clock.js';
import { checkNeeds, planSteps } from '../engine/plan.js';
import type { CheckResult, Outputs, Step } from '../engine/types.js';
import { UserError, awsErrorCode, errorMessage } from '../errors.js';
import type { EsmHealth, Finding, HealthReport, ResourceHealth } from './health-report.js';
import { readPipelineSignals } from './mapping-signals.js';
import { arns } from './names.js';
import { callAws, isNotFound } from '../aws/retry.js';
import { STEP, primaryId, type PipelineContext } from './steps/context.js';
import { listGrants } from './lookups.js';
import { failedBatchesFinding, failureQueueName } from './failure-destination.js';
import { failureDestinationArn } from './steps/failure-queue.js';
import { setupSteps } from './steps/index.js';

export interface HealthOptions {
  clock: Clock;
  /** The setup command line that repairs this deployment, quoted in fixes. */
  repairCommand: string;
  /** The tail-logs command line that shows this deployment's function errors since a duration ago (e.g. "1h"), quoted in fixes. */
  tailLogsCommand: (since: string) => string;
}

type Read<T> = { ok: true; value: T } | { ok: false; missing: boolean; error: unknown };

/** A read that never throws: status reports what it could not read instead of stopping. */
async function read<T>(clock: Clock, call: () => Promise<T>): Promise<Read<T>> {
  try {
    return { ok: true, value: await callAws(clock, call) };
  } catch (error) {
    return { ok: false, missing: isNotFound(error), error };
  }
}

const describeError = (error: unknown) => `${awsErrorCode(error) ? `${awsErrorCode(error)}: ` : ''}${errorMessage(error)}`;

/**
 * The health of a deployment: setup's own read-only checks (planSteps over setupSteps) say what
 * exists and matches, our statements compared exactly; then live reads add what a check does not look
 * at (states, encryption), and AWS's own signals (the mapping's state and last processing result, the
 * function's state) say whether Lambda can actually read, decrypt and deliver. Makes no mutating call.
 */
export async function assessHealth(pipeline: PipelineContext, options: HealthOptions): Promise<HealthReport> {
  const { clock, repairCommand, tailLogsCommand } = options;
  const { config, producer, consumer, previous } = pipeline;
  const repair = `run \`${repairCommand}\` again to repair`;
  const findings: Finding[] = [];
  const add = (finding: Finding) => findings.push(finding);

  // A check that throws (a permission error, a same-named resource that is not ours) is reported,
  // and planning goes on: its dependents are then left unchecked rather than hiding every other result.
  const checkFailures = new Map<string, unknown>();
  const steps: Step[] = setupSteps(pipeline).map((step) => ({
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
  const plan = await planSteps(steps, previous, clock);
  const planned = new Map(plan.map((p) => [p.step.id, p]));
  const missingIds = new Set(plan.filter((p) => p.action === 'create').map((p) => p.step.id));

  const resources: ResourceHealth[] = plan.map(({ step, action, check }) => {
    const account = step.account as AccountRole;
    const recorded = previous.steps[step.id];
    const recordedOrigin = recorded && recorded.origin !== 'skipped' ? recorded.origin : undefined;
    const base = { step: step.id, account, title: step.title };
    const failure = checkFailures.get(step.id);
    if (failure !== undefined) {
      add({
        severity: 'error',
        step: step.id,
        account,
        message: `${step.title} could not be checked: ${describeError(failure)}`,
        fix: failure instanceof UserError && failure.hint ? failure.hint : `check that profile ${pipeline[account].profile} may read it, then run status again`,
      });
      return { ...base, status: 'error', ...(recordedOrigin && { origin: recordedOrigin }), detail: errorMessage(failure) };
    }
    if (check?.status === 'done') return { ...base, status: 'ok', origin: check.origin, ...(primaryId(check.outputs) && { id: primaryId(check.outputs) }), ...(check.detail && { detail: check.detail }) };
    if (check?.status === 'skip') return { ...base, status: 'skipped', detail: check.detail };
    if (check?.status === 'update') {
      add({ severity: 'error', step: step.id, account, message: `${step.title} differs from what setup wrote (drift): ${check.detail}`, fix: repair });
      return { ...base, status: 'drifted', origin: check.origin, detail: check.detail };
    }
    if (check?.status === 'missing') {
      // Drift is what setup had made and the check says how it changed (our statement removed, the
      // stream no longer encrypted); otherwise a check's detail only describes what setup would do.
      const drifted = check.detail !== undefined && recordedOrigin !== undefined;
      if (drifted) {
        add({ severity: 'error', step: step.id, account, message: `${step.title} differs from what setup wrote (drift): ${check.detail}`, fix: repair });
      } else if (recordedOrigin === 'adopted') {
        add({
          severity: 'error',
          step: step.id,
          account,
          message: `${step.title} is missing; it was adopted, so setup will not recreate it as it was`,
          fix: `restore it, or ${repair} (which creates a new one where it can)`,
        });
      } else {
        add({ severity: 'error', step: step.id, account, message: `${step.title} is missing${recorded ? ' (setup had made it)' : ''}`, fix: `${repair}: it will be created` });
      }
      return { ...base, status: drifted ? 'drifted' : 'missing', ...(recordedOrigin && { origin: recordedOrigin }), ...(check.detail && { detail: check.detail }) };
    }
    // Planned as create without a check: what its check needs is missing, so it cannot be right either.
    const needed = checkNeeds(step).filter((d) => missingIds.has(d));
    const blockers = needed.filter((d) => planned.get(d)?.check !== undefined);
    return {
      ...base,
      status: 'unchecked',
      ...(recordedOrigin && { origin: recordedOrigin }),
      detail: `not checked: ${(blockers.length > 0 ? blockers : needed).join(', ')} must be repaired first`,
    };
  });
  const byStep = new Map(resources.map((r) => [r.step, r]));
  const hasFinding = (step: string) => findings.some((f) => f.step === step);

  // Identifiers for the live reads: from this check when it found them, else from the state file, else from names.
  const outputsOf = (id: string): Outputs => {
    const check = planned.get(id)?.check;
    return check?.status === 'done' || check?.status === 'update' ? check.outputs : (previous.steps[id]?.outputs ?? {});
  };
  const streamArn = outputsOf(STEP.stream).streamArn ?? arns.stream(producer.region, producer.accountId, config.streamName);
  const consumerArn = outputsOf(STEP.consumer).consumerArn;
  const keyRef = outputsOf(STEP.kmsKey).keyId ?? config.kmsKey ?? pipeline.names.kmsAlias;
  const roleName = outputsOf(STEP.role).roleName ?? config.roleName;
  const roleArn = outputsOf(STEP.role).roleArn ?? arns.role(consumer.region, consumer.accountId, roleName);
  const esmUuid = outputsOf(STEP.esm).uuid;

  const { kinesis, kms } = producer.clients;
  const { lambda } = consumer.clients;
  const [streamRead, consumerRead, keyRead, grantsRead, functionRead, esmRead] = await Promise.all([
    read(clock, () => kinesis.send(new DescribeStreamSummaryCommand({ StreamName: config.streamName }))),
    consumerArn
      ? read(clock, () => kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerArn })))
      : read(clock, () => kinesis.send(new DescribeStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: config.consumerName }))),
    read(clock, () => kms.send(new DescribeKeyCommand({ KeyId: keyRef }))),
    read(clock, () => listGrants(clock, kms, keyRef, roleArn)),
    read(clock, () => lambda.send(new GetFunctionConfigurationCommand({ FunctionName: config.functionName }))),
    esmUuid
      ? read(clock, () => lambda.send(new GetEventSourceMappingCommand({ UUID: esmUuid })))
      : consumerArn
        ? read(clock, async () => {
            const list = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: config.functionName, EventSourceArn: consumerArn }));
            const found = list.EventSourceMappings?.[0];
            if (!found) throw Object.assign(new Error('no mapping'), { name: 'ResourceNotFoundException', $metadata: {} });
            return found;
          })
        : Promise.resolve(undefined),
  ]);

  /** A read that failed for a reason other than "not there" is worth a warning: status could not see it. */
  const unreadable = (r: Read<unknown> | undefined, step: string, account: AccountRole, what: string) => {
    if (r && !r.ok && !r.missing) {
      add({ severity: 'warning', step, account, message: `could not read ${what}: ${describeError(r.error)}`, fix: `check that profile ${pipeline[account].profile} may read it, then run status again` });
    }
  };
  const setState = (step: string, state: string | undefined) => {
    const resource = byStep.get(step);
    if (resource && state) resource.state = state;
  };

  // Stream: status and encryption.
  let stream: HealthReport['stream'];
  unreadable(streamRead, STEP.stream, 'producer', `stream ${config.streamName}`);
  if (streamRead.ok) {
    const summary = streamRead.value.StreamDescriptionSummary;
    const status = summary?.StreamStatus;
    setState(STEP.stream, status);
    const key = outputsOf(STEP.kmsKey);
    const keyId = summary?.KeyId;
    const ours = summary?.EncryptionType === 'KMS' && keyId !== undefined && [key.keyId, key.keyArn, key.aliasName, config.kmsKey].includes(keyId);
    stream = { ...(status && { status }), encryption: { type: summary?.EncryptionType ?? 'NONE', ...(keyId && { keyId }), ours } };
    setState(STEP.encryption, summary?.EncryptionType === 'KMS' ? 'KMS' : 'NONE');
    if (status === 'CREATING' || status === 'UPDATING') {
      add({ severity: 'warning', step: STEP.stream, account: 'producer', message: `stream ${config.streamName} is ${status}`, fix: 'wait a minute and run status again' });
    } else if (status === 'DELETING') {
      add({ severity: 'error', step: STEP.stream, account: 'producer', message: `stream ${config.streamName} is being deleted`, fix: `once it is gone, ${repair} (a new stream is created; its data is lost)` });
    }
    if (!hasFinding(STEP.encryption)) {
      if (summary?.EncryptionType !== 'KMS') {
        add({ severity: 'error', step: STEP.encryption, account: 'producer', message: `stream ${config.streamName} is not encrypted`, fix: repair });
      } else if (keyId === 'alias/aws/kinesis') {
        add({
          severity: 'error',
          step: STEP.encryption,
          account: 'producer',
          message: `stream ${config.streamName} is encrypted with the AWS managed key alias/aws/kinesis, which another account can never use`,
          fix: 're-encrypt it with a customer managed key (`aws kinesis start-stream-encryption --encryption-type KMS --key-id <key>`), then run setup with --kms-key <key>',
        });
      } else if (!ours && !missingIds.has(STEP.kmsKey)) {
        add({
          severity: 'error',
          step: STEP.encryption,
          account: 'producer',
          message: `stream ${config.streamName} is encrypted with KMS key ${keyId}, not the deployment's key ${key.keyArn ?? keyRef}`,
          fix: `run setup with --kms-key ${keyId} to use the stream's own key`,
        });
      }
    }
  }

  // EFO consumer.
  unreadable(consumerRead, STEP.consumer, 'producer', `EFO consumer ${config.consumerName}`);
  if (consumerRead.ok) {
    const status = consumerRead.value.ConsumerDescription?.ConsumerStatus;
    setState(STEP.consumer, status);
    if (status === 'CREATING') add({ severity: 'warning', step: STEP.consumer, account: 'producer', message: `EFO consumer ${config.consumerName} is CREATING`, fix: 'wait a minute and run status again' });
    if (status === 'DELETING') add({ severity: 'error', step: STEP.consumer, account: 'producer', message: `EFO consumer ${config.consumerName} is being deregistered`, fix: `once it is gone, ${repair}` });
  }

  // KMS key.
  unreadable(keyRead, STEP.kmsKey, 'producer', `KMS key ${keyRef}`);
  if (keyRead.ok) {
    const meta = keyRead.value.KeyMetadata;
    setState(STEP.kmsKey, meta?.KeyState);
    if (meta?.KeyState === 'PendingDeletion') {
      add({
        severity: 'error',
        step: STEP.kmsKey,
        account: 'producer',
        message: `KMS key ${meta.KeyId} is scheduled for deletion: the stream's records become unreadable when it is deleted`,
        fix: `\`${awsCommand(producer, `kms cancel-key-deletion --key-id ${meta.KeyId}`)} && ${awsCommand(producer, `kms enable-key --key-id ${meta.KeyId}`)}\``,
      });
    } else if (meta?.KeyState && meta.KeyState !== 'Enabled') {
      add({ severity: 'error', step: STEP.kmsKey, account: 'producer', message: `KMS key ${meta.KeyId} is ${meta.KeyState}, not Enabled`, fix: `\`${awsCommand(producer, `kms enable-key --key-id ${meta.KeyId}`)}\`` });
    }
  }

  // Function and event source mapping: their states, and AWS's own verdict on the pipeline.
  unreadable(functionRead, STEP.function, 'consumer', `function ${config.functionName}`);
  if (functionRead.ok) setState(STEP.function, functionRead.value.State);
  let eventSourceMapping: EsmHealth | undefined;
  unreadable(esmRead, STEP.esm, 'consumer', `event source mapping ${esmUuid ?? ''}`.trim());
  if (esmRead?.ok) {
    const esm = esmRead.value;
    eventSourceMapping = {
      uuid: esm.UUID ?? esmUuid ?? '',
      ...(esm.State && { state: esm.State }),
      ...(esm.StateTransitionReason && { stateTransitionReason: esm.StateTransitionReason }),
      ...(esm.LastProcessingResult && { lastProcessingResult: esm.LastProcessingResult }),
      ...(esm.EventSourceArn && { eventSourceArn: esm.EventSourceArn }),
    };
    setState(STEP.esm, esm.State);
  }
  const grantId = outputsOf(STEP.grant).grantId;
  const grant = grantsRead.ok ? grantsRead.value.find((g) => (grantId ? g.GrantId === grantId : g.Name === pipeline.names.grantName)) : undefined;
  const delivery = readPipelineSignals({
    mapping: esmRead?.ok ? esmRead.value : undefined,
    function: functionRead.ok ? functionRead.value : undefined,
    grantCreatedAt: grant?.CreationDate,
    mappingAdopted: byStep.get(STEP.esm)?.origin === 'adopted',
    now: clock.now(),
    commands: { repair: repairCommand, tailLogs: tailLogsCommand('1h'), enableMapping: (uuid) => awsCommand(consumer, `lambda update-event-source-mapping --uuid ${uuid} --enabled`) },
  });
  // The mapping's own check already reports a mapping that is disabled or being deleted, as drift.
  const mappingChecked = hasFinding(STEP.esm);
  for (const signal of delivery.signals) {
    if (signal.source === 'mapping' && mappingChecked && signal.cause.startsWith('mapping-')) continue;
    add({
      severity: signal.severity === 'problem' ? 'error' : 'warning',
      step: signal.source === 'mapping' ? STEP.esm : STEP.function,
      account: 'consumer',
      message: signal.diagnosis,
      fix: signal.fix,
    });
  }

  const reportedTo = esmRead?.ok ? esmRead.value.DestinationConfig?.OnFailure?.Destination : undefined;
  if (reportedTo && reportedTo !== failureDestinationArn(pipeline) && !mappingChecked) {
    // The role's policy names only the configured destination: Lambda reports a failed batch as the role, and a report it may not send is lost.
    const uuid = esmRead?.ok ? esmRead.value.UUID : esmUuid;
    add({
      severity: 'error',
      step: STEP.esm,
      account: 'consumer',
      message: `event source mapping ${uuid} reports failed batches to ${reportedTo}, which role ${roleName} is not allowed to use: those reports are lost`,
      fix: `take the destination off the mapping (\`${awsCommand(consumer, `lambda update-event-source-mapping --uuid ${uuid} --destination-config '{"OnFailure":{"Destination":""}}'`)}\`), or let the role use it (\`${repairCommand} --failure-destination ${reportedTo}\`)`,
    });
  }

  if (config.failureDestination.kind === 'queue') {
    const failed = await failedBatchesFinding(clock, consumer, { queueName: failureQueueName(pipeline.names.deployment), streamName: config.streamName }, tailLogsCommand);
    if (failed) add(failed);
  }

  return {
    deployment: pipeline.names.deployment,
    healthy: !findings.some((f) => f.severity === 'error'),
    accounts: {
      producer: { accountId: producer.accountId, region: producer.region, profile: producer.profile },
      consumer: { accountId: consumer.accountId, region: consumer.region, profile: consumer.profile },
    },
    resources,
    ...(stream && { stream }),
    ...(eventSourceMapping && { eventSourceMapping, delivery }),
    findings,
  };
}
