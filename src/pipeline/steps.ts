import {
  CreateStreamCommand,
  DeleteResourcePolicyCommand,
  DeleteStreamCommand,
  DeregisterStreamConsumerCommand,
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  GetResourcePolicyCommand,
  ListTagsForResourceCommand,
  PutResourcePolicyCommand,
  RegisterStreamConsumerCommand,
  StartStreamEncryptionCommand,
  StopStreamEncryptionCommand,
  type KinesisClient,
  type StreamDescriptionSummary,
} from '@aws-sdk/client-kinesis';
import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  ListGrantsCommand,
  ListResourceTagsCommand,
  RevokeGrantCommand,
  ScheduleKeyDeletionCommand,
  type GrantListEntry,
  type KeyMetadata,
  type KMSClient,
} from '@aws-sdk/client-kms';
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  DeleteEventSourceMappingCommand,
  DeleteFunctionCommand,
  GetEventSourceMappingCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type EventSourceMappingConfiguration,
  type FunctionConfiguration,
} from '@aws-sdk/client-lambda';
import type { AccountSession } from '../aws/session.js';
import type { Clock } from '../engine/clock.js';
import type { DeploymentState } from '../engine/state.js';
import type { Origin, Outputs, Step, StepContext } from '../engine/types.js';
import { waitFor } from '../engine/wait.js';
import { UserError, errorMessage } from '../errors.js';
import { buildHandlerZip, codeSha256, HANDLER_NAME } from './bundle.js';
import type { SetupConfig } from './config.js';
import { TAG_DEPLOYMENT, arns, defaultNames, lambdaLogGroupName, type DeploymentNames } from './names.js';
import {
  consumerPolicyStatement,
  consumerRoleInlinePolicy,
  kmsGrantRequest,
  lambdaTrustPolicy,
  mergeStatements,
  ownSids,
  parsePolicy,
  removeStatements,
  sameStatements,
  streamPolicyStatement,
  type PolicyStatement,
} from './policies.js';
import { callAws, hasCode, ifExists, isNotFound } from './retry.js';

/** How long each asynchronous AWS state change may take before the step fails. */
const WAIT_TIMEOUT_MS = 10 * 60_000;

/** Step ids, which are also the keys of the state file's `steps`. */
export const STEP = {
  kmsKey: 'kms-key',
  stream: 'stream',
  encryption: 'stream-encryption',
  consumer: 'efo-consumer',
  role: 'role',
  rolePolicy: 'role-policy',
  function: 'function',
  streamPolicy: 'stream-policy',
  consumerPolicy: 'consumer-policy',
  grant: 'kms-grant',
  esm: 'event-source-mapping',
} as const;

/** What the setup steps share. Each step closes over only what it uses. */
export interface PipelineContext {
  config: SetupConfig;
  names: DeploymentNames;
  producer: AccountSession;
  consumer: AccountSession;
  /** The state file as it was before this run: what is ours even without tags. */
  previous: DeploymentState;
  /** Waiting period for a KMS key this run deletes: 7 (the minimum) for a rollback, teardown's choice otherwise. */
  keyPendingDays: number;
  /** Steps whose same-named, not-ours resource the user chose to adopt in this run (all of them under --adopt). */
  adopted: Set<string>;
}

/** The one identifier worth showing for a step's outputs: its ARN, or its id where it has no ARN. */
export function primaryId(outputs: Outputs): string | undefined {
  return outputs.streamArn ?? outputs.consumerArn ?? outputs.keyArn ?? outputs.roleArn ?? outputs.functionArn ?? outputs.resourceArn ?? outputs.uuid ?? outputs.grantId ?? outputs.policyName;
}

/** A deployment's step context: names default from the deployment name and are overridden by the config. */
export function pipelineContext(options: Omit<PipelineContext, 'names' | 'keyPendingDays' | 'adopted'> & { keyPendingDays?: number }): PipelineContext {
  const { config } = options;
  return {
    ...options,
    keyPendingDays: options.keyPendingDays ?? MIN_KEY_PENDING_DAYS,
    adopted: new Set(),
    // The steps judge ownership by the state as it was before this run, not as the run changes it.
    previous: structuredClone(options.previous),
    names: {
      ...defaultNames(config.name, options.consumer.accountId),
      streamName: config.streamName,
      consumerName: config.consumerName,
      roleName: config.roleName,
      functionName: config.functionName,
      logGroupName: lambdaLogGroupName(config.functionName),
    },
  };
}

/** The shortest waiting period KMS allows: used when a rollback deletes a key made moments ago. */
export const MIN_KEY_PENDING_DAYS = 7;

/** Treats "already gone" (and any other end state named by `codes`) as success: undo and teardown must be safe to repeat. */
async function ignoreMissing(call: () => Promise<unknown>, ...codes: string[]): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (!isNotFound(error) && !hasCode(error, ...codes)) throw error;
  }
}

function isOurs(ctx: PipelineContext, tags: Record<string, string> | undefined, stepId: string): boolean {
  return tags?.[TAG_DEPLOYMENT] === ctx.names.deployment || ctx.previous.steps[stepId]?.origin === 'created';
}

/**
 * The origin of an existing resource, or a refusal: a same-named resource that is neither in our
 * state nor tagged for this deployment is only used when the user chose to adopt it.
 */
function originOf(ctx: PipelineContext, stepId: string, what: string, tags: Record<string, string> | undefined, flag: string): Origin {
  // Adopted by an earlier run: the user chose it then, and it stays adopted (and never deleted).
  if (ctx.previous.steps[stepId]?.origin === 'adopted') return 'adopted';
  if (isOurs(ctx, tags, stepId)) return 'created';
  if (ctx.config.adopt || ctx.adopted.has(stepId)) return 'adopted';
  throw new NotOursError(stepId, `${what} already exists but was not created by kds-xacct for deployment "${ctx.names.deployment}".`, flag);
}

/** A same-named resource that is neither in our state nor tagged for this deployment: used only if the user says so. */
export class NotOursError extends UserError {
  override name = 'NotOursError';
  constructor(
    readonly stepId: string,
    message: string,
    flag: string,
  ) {
    super(message, `To use it as it is (it will never be deleted), pass --adopt. To create a new one instead, choose another name with ${flag}.`);
  }
}

function waitOptions(ctx: StepContext, what: string) {
  return { clock: ctx.clock, what, timeoutMs: WAIT_TIMEOUT_MS, onPoll: (detail: string) => ctx.progress(detail) };
}

// ---------------------------------------------------------------------------------------------
// Producer account

/** The stream's summary, or undefined when there is no such stream. */
export async function describeStream(clock: Clock, session: AccountSession, streamName: string): Promise<StreamDescriptionSummary | undefined> {
  return (await ifExists(clock, () => session.clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }))))?.StreamDescriptionSummary;
}

/** The tags of a Kinesis stream or consumer, as a map; empty when it is gone. */
export async function kinesisTags(clock: Clock, kinesis: KinesisClient, arn: string): Promise<Record<string, string>> {
  const tags = (await ifExists(clock, () => kinesis.send(new ListTagsForResourceCommand({ ResourceARN: arn }))))?.Tags ?? [];
  return Object.fromEntries(tags.map((t) => [t.Key!, t.Value ?? '']));
}

/** The tags of a KMS key, as a map; empty when it is gone. */
export async function kmsKeyTags(clock: Clock, kms: KMSClient, keyId: string): Promise<Record<string, string>> {
  const tags = (await ifExists(clock, () => kms.send(new ListResourceTagsCommand({ KeyId: keyId }))))?.Tags ?? [];
  return Object.fromEntries(tags.map((t) => [t.TagKey!, t.TagValue ?? '']));
}

async function waitForStream(ctx: StepContext, session: AccountSession, streamName: string, until: (s: StreamDescriptionSummary) => boolean, what: string) {
  await waitFor(async () => {
    const summary = await describeStream(ctx.clock, session, streamName);
    if (!summary) throw new Error(`Stream ${streamName} disappeared while waiting for it to be ${what}.`);
    return until(summary) ? { done: true, value: summary } : { done: false, detail: `stream is ${summary.StreamStatus}` };
  }, waitOptions(ctx, `stream ${streamName} to be ${what}`));
}

async function waitForStreamGone(ctx: StepContext, session: AccountSession, streamName: string) {
  await waitFor(async () => {
    const summary = await describeStream(ctx.clock, session, streamName);
    return summary ? { done: false, detail: `stream is ${summary.StreamStatus}` } : { done: true, value: undefined };
  }, waitOptions(ctx, `stream ${streamName} to be deleted`));
}

/** An AWS managed key (alias/aws/kinesis) can never be used from another account: refuse early and say why. */
export function awsManagedKeyError(streamName: string): UserError {
  return new UserError(
    `Stream ${streamName} is encrypted with the AWS managed key alias/aws/kinesis. The policy of an AWS managed key cannot be changed and grants on it cannot name another account, so a consumer in another account can never decrypt its records.`,
    'Re-encrypt the stream with a customer managed key (aws kinesis start-stream-encryption --encryption-type KMS --key-id <your key>) and pass that key with --kms-key, or use a stream encrypted with a customer managed key.',
  );
}

function kmsKeyStep(ctx: PipelineContext): Step {
  const { producer, names, config } = ctx;
  const kms = producer.clients.kms;
  const found = (meta: KeyMetadata) => ({ keyId: meta.KeyId!, keyArn: meta.Arn! });
  return {
    id: STEP.kmsKey,
    title: config.kmsKey ? `KMS key ${config.kmsKey}` : `KMS key ${names.kmsAlias}`,
    account: 'producer',
    dependsOn: [],
    async check(step) {
      // An adopted stream that is already encrypted keeps its key: kds-xacct never re-encrypts a stream in use.
      const streamKey = config.useExistingStream && !config.kmsKey ? (await describeStream(step.clock, producer, config.streamName))?.KeyId : undefined;
      const existingKey = config.kmsKey ?? streamKey;
      if (existingKey) {
        const meta = (await ifExists(step.clock, () => kms.send(new DescribeKeyCommand({ KeyId: existingKey }))))?.KeyMetadata;
        if (!meta) throw new UserError(`KMS key ${existingKey} was not found in account ${producer.accountId} (${producer.region}).`, 'Check --kms-key, or leave it out to let kds-xacct create a key.');
        if (meta.KeyManager === 'AWS') throw awsManagedKeyError(config.streamName);
        if (meta.KeyState !== 'Enabled') throw new UserError(`KMS key ${existingKey} is ${meta.KeyState}, not Enabled.`, 'Enable the key or choose another with --kms-key.');
        // keyRef: the stream may name the key by the alias it was given, which DescribeKey does not return.
        return { status: 'done', origin: 'adopted', outputs: { ...found(meta), keyRef: existingKey }, detail: streamKey ? "the stream's own key" : 'existing customer managed key' };
      }
      const meta = (await ifExists(step.clock, () => kms.send(new DescribeKeyCommand({ KeyId: names.kmsAlias }))))?.KeyMetadata;
      if (!meta) return { status: 'missing' };
      const origin = originOf(ctx, STEP.kmsKey, `KMS alias ${names.kmsAlias}`, await kmsKeyTags(step.clock, kms, meta.KeyId!), '--kms-key');
      return { status: 'done', origin, outputs: { ...found(meta), aliasName: names.kmsAlias } };
    },
    async apply(step) {
      // A key an earlier run created before its alias failed is ours: give it the alias rather than leak it.
      const earlier = step.previous?.outputs.keyId;
      const leftover = earlier ? (await ifExists(step.clock, () => kms.send(new DescribeKeyCommand({ KeyId: earlier }))))?.KeyMetadata : undefined;
      const meta =
        leftover?.KeyState === 'Enabled'
          ? leftover
          : (
              await callAws(step.clock, () =>
                kms.send(
                  new CreateKeyCommand({
                    Description: `kds-xacct ${names.deployment}: encrypts stream ${config.streamName} for cross-account reads`,
                    KeyUsage: 'ENCRYPT_DECRYPT',
                    Tags: Object.entries(names.tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
                  }),
                ),
              )
            ).KeyMetadata!;
      const key = found(meta);
      await step.record(key);
      await callAws(step.clock, () => kms.send(new CreateAliasCommand({ AliasName: names.kmsAlias, TargetKeyId: key.keyId })));
      return { ...key, aliasName: names.kmsAlias };
    },
    async undo(step, outputs) {
      if (outputs.aliasName) await ignoreMissing(() => callAws(step.clock, () => kms.send(new DeleteAliasCommand({ AliasName: outputs.aliasName }))));
      // KMSInvalidStateException: already pending deletion from an earlier attempt, the end state we want.
      await ignoreMissing(
        () => callAws(step.clock, () => kms.send(new ScheduleKeyDeletionCommand({ KeyId: outputs.keyId, PendingWindowInDays: ctx.keyPendingDays }))),
        'KMSInvalidStateException',
      );
    },
  };
}

function streamStep(ctx: PipelineContext): Step {
  const { producer, names, config } = ctx;
  const streamArn = arns.stream(producer.region, producer.accountId, config.streamName);
  return {
    id: STEP.stream,
    title: `stream ${config.streamName}`,
    account: 'producer',
    dependsOn: [],
    async check(step) {
      const summary = await describeStream(step.clock, producer, config.streamName);
      if (!summary) {
        if (config.useExistingStream) {
          throw new UserError(
            `Stream ${config.streamName} was not found in account ${producer.accountId} (${producer.region}).`,
            'Check --stream-name and the region, or leave out --use-existing-stream to create it.',
          );
        }
        return { status: 'missing' };
      }
      if (summary.StreamStatus === 'DELETING') {
        throw new UserError(`Stream ${config.streamName} is being deleted.`, 'Wait until it is gone, then run setup again.');
      }
      if (summary.EncryptionType === 'KMS' && summary.KeyId === 'alias/aws/kinesis') throw awsManagedKeyError(config.streamName);
      const tagMap = await kinesisTags(step.clock, producer.clients.kinesis, summary.StreamARN!);
      const origin = config.useExistingStream && !isOurs(ctx, tagMap, STEP.stream) ? 'adopted' : originOf(ctx, STEP.stream, `Stream ${config.streamName}`, tagMap, '--stream-name');
      const mode = summary.StreamModeDetails?.StreamMode;
      const wanted = config.capacityMode === 'provisioned' ? 'PROVISIONED' : 'ON_DEMAND';
      const capacityDiffers = origin === 'created' && (mode !== wanted || (wanted === 'PROVISIONED' && summary.OpenShardCount !== config.shards));
      return {
        status: 'done',
        origin,
        outputs: { streamName: config.streamName, streamArn: summary.StreamARN!, origin },
        // Resharding a stream in use is the user's decision (aws kinesis update-stream-mode / update-shard-count), not setup's.
        detail:
          origin === 'adopted'
            ? `existing ${mode ?? ''} stream`.replace('  ', ' ')
            : capacityDiffers
              ? `it is ${mode}${mode === 'PROVISIONED' ? ` with ${summary.OpenShardCount} shards` : ''}; kds-xacct does not change the capacity of an existing stream`
              : undefined,
      };
    },
    async apply(step) {
      await callAws(step.clock, () =>
        producer.clients.kinesis.send(
          new CreateStreamCommand({
            StreamName: config.streamName,
            StreamModeDetails: { StreamMode: config.capacityMode === 'provisioned' ? 'PROVISIONED' : 'ON_DEMAND' },
            ...(config.capacityMode === 'provisioned' && { ShardCount: config.shards }),
            Tags: names.tags,
          }),
        ),
      );
      return { streamName: config.streamName, streamArn, origin: 'created' };
    },
    async wait(step) {
      await waitForStream(step, producer, config.streamName, (s) => s.StreamStatus === 'ACTIVE', 'ACTIVE');
    },
    async undo(step, outputs) {
      // Already DELETING (an earlier run was stopped while waiting): only the wait is left.
      if ((await describeStream(step.clock, producer, outputs.streamName!))?.StreamStatus !== 'DELETING') {
        await ignoreMissing(() => callAws(step.clock, () => producer.clients.kinesis.send(new DeleteStreamCommand({ StreamName: outputs.streamName }))));
      }
      await waitForStreamGone(step, producer, outputs.streamName!);
    },
  };
}

/** Kinesis reports the key as it was given: an id, an ARN or an alias. Any of ours matches. */
function isKey(keyIdFromStream: string | undefined, key: Outputs): boolean {
  return keyIdFromStream !== undefined && [key.keyId, key.keyArn, key.aliasName, key.keyRef].includes(keyIdFromStream);
}

function encryptionStep(ctx: PipelineContext): Step {
  const { producer, config } = ctx;
  const kinesis = producer.clients.kinesis;
  return {
    id: STEP.encryption,
    title: `SSE-KMS encryption of ${config.streamName}`,
    account: 'producer',
    dependsOn: [STEP.stream, STEP.kmsKey],
    async check(step) {
      const key = step.outputsOf(STEP.kmsKey);
      const summary = await describeStream(step.clock, producer, config.streamName);
      if (summary?.EncryptionType === 'KMS') {
        if (isKey(summary.KeyId, key)) return { status: 'done', origin: step.previous?.origin ?? 'adopted', outputs: { keyArn: key.keyArn! }, detail: 'already encrypted with the key' };
        throw new UserError(
          `Stream ${config.streamName} is encrypted with KMS key ${summary.KeyId}, not ${key.keyArn}.`,
          `Pass --kms-key ${summary.KeyId} to use the stream's own key; kds-xacct does not re-encrypt a stream in use.`,
        );
      }
      return {
        status: 'missing',
        detail:
          step.outputsOf(STEP.stream).origin === 'adopted'
            ? "the stream is not encrypted; SSE-KMS will be enabled with the key, after which the stream's existing producers need kms:GenerateDataKey and its other consumers kms:Decrypt on it"
            : 'the stream is not encrypted; SSE-KMS will be enabled',
      };
    },
    async apply(step) {
      const key = step.outputsOf(STEP.kmsKey);
      await callAws(step.clock, () => kinesis.send(new StartStreamEncryptionCommand({ StreamName: config.streamName, EncryptionType: 'KMS', KeyId: key.keyArn })));
      return { keyArn: key.keyArn!, streamOrigin: step.outputsOf(STEP.stream).origin! };
    },
    async wait(step) {
      await waitForStream(step, producer, config.streamName, (s) => s.StreamStatus === 'ACTIVE' && isKey(s.KeyId, step.outputsOf(STEP.kmsKey)), 'ACTIVE and encrypted');
    },
    async undo(step, outputs) {
      // A stream we created goes away whole; only an adopted stream is put back as it was.
      if (outputs.streamOrigin !== 'adopted') return;
      await callAws(step.clock, () => kinesis.send(new StopStreamEncryptionCommand({ StreamName: config.streamName, EncryptionType: 'KMS', KeyId: outputs.keyArn })));
      await waitForStream(step, producer, config.streamName, (s) => s.StreamStatus === 'ACTIVE', 'ACTIVE');
    },
  };
}

function consumerStep(ctx: PipelineContext): Step {
  const { producer, names, config } = ctx;
  const kinesis = producer.clients.kinesis;
  const describe = async (step: StepContext, input: { ConsumerARN: string } | { StreamARN: string; ConsumerName: string }) =>
    (await ifExists(step.clock, () => kinesis.send(new DescribeStreamConsumerCommand(input))))?.ConsumerDescription;
  return {
    id: STEP.consumer,
    title: `EFO consumer ${config.consumerName}`,
    account: 'producer',
    dependsOn: [STEP.stream, STEP.encryption],
    async check(step) {
      const streamArn = arns.stream(producer.region, producer.accountId, config.streamName);
      const found = await describe(step, { StreamARN: streamArn, ConsumerName: config.consumerName });
      if (!found) return { status: 'missing' };
      if (found.ConsumerStatus === 'DELETING') throw new UserError(`EFO consumer ${config.consumerName} is being deregistered.`, 'Wait a minute, then run setup again.');
      const tagMap = await kinesisTags(step.clock, kinesis, found.ConsumerARN!);
      const origin = originOf(ctx, STEP.consumer, `EFO consumer ${config.consumerName}`, tagMap, '--consumer-name');
      return { status: 'done', origin, outputs: { consumerName: config.consumerName, consumerArn: found.ConsumerARN! } };
    },
    async apply(step) {
      const streamArn = step.outputsOf(STEP.stream).streamArn!;
      const out = await callAws(step.clock, () =>
        kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: config.consumerName, Tags: names.tags })),
      );
      return { consumerName: config.consumerName, consumerArn: out.Consumer!.ConsumerARN! };
    },
    async wait(step, outputs) {
      await waitFor(async () => {
        const found = await describe(step, { ConsumerARN: outputs.consumerArn! });
        if (!found) throw new Error(`EFO consumer ${outputs.consumerName} disappeared while waiting for it to be ACTIVE.`);
        return found.ConsumerStatus === 'ACTIVE' ? { done: true, value: undefined } : { done: false, detail: `consumer is ${found.ConsumerStatus}` };
      }, waitOptions(step, `EFO consumer ${outputs.consumerName} to be ACTIVE`));
    },
    async undo(step, outputs) {
      await ignoreMissing(() => callAws(step.clock, () => kinesis.send(new DeregisterStreamConsumerCommand({ ConsumerARN: outputs.consumerArn }))));
      await waitFor(async () => {
        const found = await describe(step, { ConsumerARN: outputs.consumerArn! });
        return found ? { done: false, detail: `consumer is ${found.ConsumerStatus}` } : { done: true, value: undefined };
      }, waitOptions(step, `EFO consumer ${outputs.consumerName} to be deregistered`));
    },
  };
}

/**
 * IAM principals in a fresh policy or grant are rejected as invalid until the new role has
 * propagated. AccessDenied is not among these: a caller without a permission will not get it by waiting.
 */
const principalNotYetVisible = (error: unknown) =>
  hasCode(error, 'InvalidArgumentException', 'MalformedPolicyDocumentException', 'InvalidArnException') && /principal|arn/i.test(errorMessage(error));

/**
 * Our statements in a resource policy that others may share (PutResourcePolicy replaces it whole):
 * read, merge by Sid, write back; undo removes only ours and deletes the policy when nothing is left.
 */
/** How long a write to a shared policy is given before it is read back: about one API round trip of another writer. */
const POLICY_SETTLE_MS = 1_000;
const POLICY_WRITE_ATTEMPTS = 5;

function resourcePolicyStep(
  ctx: PipelineContext,
  spec: {
    id: string;
    title: string;
    dependsOn: string[];
    resourceArn: (step: StepContext) => string;
    statement: (step: StepContext, arn: string) => PolicyStatement;
    /** Other deployments write to this policy too (the stream's): read back after writing, in case one of them just replaced it. */
    shared: boolean;
  },
): Step {
  const kinesis = ctx.producer.clients.kinesis;
  const read = async (step: StepContext, arn: string) => (await ifExists(step.clock, () => kinesis.send(new GetResourcePolicyCommand({ ResourceARN: arn }))))?.Policy;
  const outputsFor = (step: StepContext, arn: string) => ({ resourceArn: arn, sid: spec.statement(step, arn).Sid! });
  return {
    id: spec.id,
    title: spec.title,
    account: 'producer',
    dependsOn: spec.dependsOn,
    async check(step) {
      const arn = spec.resourceArn(step);
      const statement = spec.statement(step, arn);
      const current = await read(step, arn);
      if (!mergeStatements(current, [statement], ctx.names.sidPrefix).changed) return { status: 'done', origin: 'created', outputs: outputsFor(step, arn) };
      if (parsePolicy(current)?.Statement.some((s) => s['Sid'] === statement.Sid)) {
        return { status: 'update', origin: 'created', outputs: outputsFor(step, arn), detail: 'our statement differs from what setup writes; it will be rewritten' };
      }
      return { status: 'missing', detail: step.previous ? 'our statement was removed; it will be put back' : undefined };
    },
    async apply(step) {
      const arn = spec.resourceArn(step);
      const statement = spec.statement(step, arn);
      // PutResourcePolicy replaces the whole policy: two deployments writing one stream's policy at the
      // same moment can each drop the other's statement. Read it back, and merge again until ours holds.
      for (let attempt = 1; ; attempt++) {
        const { json } = mergeStatements(await read(step, arn), [statement], ctx.names.sidPrefix);
        await callAws(step.clock, () => kinesis.send(new PutResourcePolicyCommand({ ResourceARN: arn, Policy: json })), {
          propagating: principalNotYetVisible,
          onRetry: step.progress,
        });
        if (!spec.shared) return outputsFor(step, arn);
        await step.clock.sleep(POLICY_SETTLE_MS);
        if (parsePolicy(await read(step, arn))?.Statement.some((s) => s['Sid'] === statement.Sid)) return outputsFor(step, arn);
        if (attempt === POLICY_WRITE_ATTEMPTS) {
          throw new Error(`Statement ${statement.Sid} keeps disappearing from the resource policy of ${arn}: something else keeps replacing the policy. Run setup again once that is done.`);
        }
        step.progress('another writer replaced the policy; merging again');
      }
    },
    async undo(step, outputs) {
      const arn = outputs.resourceArn!;
      const current = await read(step, arn);
      const ours = ownSids(ctx.names.sidPrefix);
      if (!parsePolicy(current)?.Statement.some((s) => ours.includes(s['Sid'] as string))) return;
      const remaining = removeStatements(current, ours);
      await callAws(step.clock, () =>
        remaining
          ? kinesis.send(new PutResourcePolicyCommand({ ResourceARN: arn, Policy: JSON.stringify(remaining) }))
          : kinesis.send(new DeleteResourcePolicyCommand({ ResourceARN: arn })),
      );
    },
  };
}

/** Every grant on a key, optionally only those of one grantee: ListGrants returns 50 a page. */
export async function listGrants(clock: Clock, kms: KMSClient, keyId: string, granteePrincipal?: string): Promise<GrantListEntry[]> {
  const grants: GrantListEntry[] = [];
  let marker: string | undefined;
  do {
    const page = await callAws(clock, () => kms.send(new ListGrantsCommand({ KeyId: keyId, ...(granteePrincipal && { GranteePrincipal: granteePrincipal }), ...(marker && { Marker: marker }) })));
    grants.push(...(page.Grants ?? []));
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return grants;
}

function grantStep(ctx: PipelineContext): Step {
  const { names } = ctx;
  const kms = ctx.producer.clients.kms;
  const request = (step: StepContext) =>
    kmsGrantRequest({
      keyId: step.outputsOf(STEP.kmsKey).keyId!,
      roleArn: step.outputsOf(STEP.role).roleArn!,
      streamArn: step.outputsOf(STEP.stream).streamArn!,
      name: names.grantName,
    });
  return {
    id: STEP.grant,
    title: `KMS grant ${names.grantName}`,
    account: 'producer',
    dependsOn: [STEP.kmsKey, STEP.role, STEP.stream],
    async check(step) {
      const wanted = request(step);
      const grants = await listGrants(step.clock, kms, wanted.KeyId!, wanted.GranteePrincipal);
      const found = grants.find(
        (g) =>
          g.Name === wanted.Name &&
          g.GranteePrincipal === wanted.GranteePrincipal &&
          sameStatements(g.Operations ?? [], wanted.Operations) &&
          g.Constraints?.EncryptionContextSubset?.['aws:kinesis:arn'] === wanted.Constraints?.EncryptionContextSubset?.['aws:kinesis:arn'],
      );
      if (!found) return { status: 'missing' };
      return { status: 'done', origin: 'created', outputs: { keyId: wanted.KeyId!, grantId: found.GrantId! } };
    },
    async apply(step) {
      const wanted = request(step);
      const out = await callAws(step.clock, () => kms.send(new CreateGrantCommand(wanted)), { propagating: principalNotYetVisible, onRetry: step.progress });
      return { keyId: wanted.KeyId!, grantId: out.GrantId! };
    },
    async undo(step, outputs) {
      await ignoreMissing(() => callAws(step.clock, () => kms.send(new RevokeGrantCommand({ KeyId: outputs.keyId, GrantId: outputs.grantId }))));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Consumer account

function roleStep(ctx: PipelineContext): Step {
  const { consumer, names, config } = ctx;
  const iam = consumer.clients.iam;
  return {
    id: STEP.role,
    title: config.useExistingFunction ? `execution role of ${config.functionName}` : `role ${config.roleName}`,
    account: 'consumer',
    dependsOn: [],
    async check(step) {
      if (config.useExistingFunction) {
        // The function keeps its own role; our inline policy goes on it, and the role is left otherwise alone.
        const fn = await getFunction(step, ctx);
        if (!fn) throw new UserError(`Function ${config.functionName} was not found in account ${consumer.accountId} (${consumer.region}).`, 'Check --function-name, or leave out --use-existing-function to deploy the bundled function.');
        const roleArn = fn.Configuration!.Role!;
        return { status: 'done', origin: 'adopted', outputs: { roleName: roleArn.split('/').pop()!, roleArn }, detail: 'the function keeps its own role' };
      }
      const role = (await ifExists(step.clock, () => iam.send(new GetRoleCommand({ RoleName: config.roleName }))))?.Role;
      if (!role) return { status: 'missing' };
      const tags = Object.fromEntries((role.Tags ?? []).map((t) => [t.Key!, t.Value!]));
      const origin = originOf(ctx, STEP.role, `IAM role ${config.roleName}`, tags, '--role-name');
      return { status: 'done', origin, outputs: { roleName: role.RoleName!, roleArn: role.Arn! } };
    },
    async apply(step) {
      const out = await callAws(step.clock, () =>
        iam.send(
          new CreateRoleCommand({
            RoleName: config.roleName,
            AssumeRolePolicyDocument: JSON.stringify(lambdaTrustPolicy()),
            Description: `kds-xacct ${names.deployment}: runs ${config.functionName}, reading ${config.streamName} in account ${ctx.producer.accountId}`,
            Tags: Object.entries(names.tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        ),
      );
      return { roleName: out.Role!.RoleName!, roleArn: out.Role!.Arn! };
    },
    async undo(step, outputs) {
      await ignoreMissing(() => callAws(step.clock, () => iam.send(new DeleteRoleCommand({ RoleName: outputs.roleName }))));
    },
  };
}

function rolePolicyStep(ctx: PipelineContext): Step {
  const { consumer, producer, names, config } = ctx;
  const iam = consumer.clients.iam;
  const policyName = `kds-xacct-${names.deployment}`;
  // The consumer ARN ends in its creation time, which is unknown until it exists; the identity
  // policy names every incarnation of our consumer so that this step need not wait for it.
  const document = (step: StepContext) =>
    consumerRoleInlinePolicy({
      streamArn: arns.stream(producer.region, producer.accountId, config.streamName),
      consumerArn: `${arns.stream(producer.region, producer.accountId, config.streamName)}/consumer/${config.consumerName}:*`,
      keyArn: step.outputsOf(STEP.kmsKey).keyArn!,
      logGroupArn: arns.logGroup(consumer.region, consumer.accountId, lambdaLogGroupName(config.functionName)),
    });
  return {
    id: STEP.rolePolicy,
    title: `inline policy ${policyName}`,
    account: 'consumer',
    dependsOn: [STEP.role, STEP.kmsKey],
    async check(step) {
      const roleName = step.outputsOf(STEP.role).roleName!;
      const current = (await ifExists(step.clock, () => iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }))))?.PolicyDocument;
      if (current === undefined) return { status: 'missing' };
      const existing = parsePolicy(decodeURIComponent(current));
      if (!existing || !sameStatements(existing.Statement, document(step).Statement)) {
        return { status: 'update', origin: 'created', outputs: { roleName, policyName }, detail: 'the policy differs from what setup writes; it will be rewritten' };
      }
      return { status: 'done', origin: 'created', outputs: { roleName, policyName } };
    },
    async apply(step) {
      const roleName = step.outputsOf(STEP.role).roleName!;
      await callAws(step.clock, () => iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policyName, PolicyDocument: JSON.stringify(document(step)) })));
      return { roleName, policyName };
    },
    async undo(step, outputs) {
      await ignoreMissing(() => callAws(step.clock, () => iam.send(new DeleteRolePolicyCommand({ RoleName: outputs.roleName, PolicyName: outputs.policyName }))));
    },
  };
}

function getFunction(step: StepContext, ctx: PipelineContext) {
  return ifExists(step.clock, () => ctx.consumer.clients.lambda.send(new GetFunctionCommand({ FunctionName: ctx.config.functionName })));
}

/** Lambda's words while a new role has not propagated to it yet. */
const roleNotYetAssumable = (error: unknown) => hasCode(error, 'InvalidParameterValueException') && /cannot be assumed by Lambda/i.test(errorMessage(error));

function functionStep(ctx: PipelineContext): Step {
  const { consumer, names, config } = ctx;
  const lambda = consumer.clients.lambda;
  const functionDifferences = async (conf: FunctionConfiguration): Promise<string[]> => [
    ...(conf.Runtime !== config.runtime ? [`runtime is ${conf.Runtime}, the config says ${config.runtime}`] : []),
    ...(conf.CodeSha256 !== codeSha256(await buildHandlerZip()) ? ['its code is not the bundled handler of this kds-xacct'] : []),
  ];
  /** Lambda takes one update at a time: each waits for the previous to finish. */
  const waitForUpdate = (step: StepContext) =>
    waitFor(async () => {
      const conf = await callAws(step.clock, () => lambda.send(new GetFunctionConfigurationCommand({ FunctionName: config.functionName })));
      if (conf.LastUpdateStatus === 'Failed') throw new Error(`Updating function ${config.functionName} failed: ${conf.LastUpdateStatusReason}`);
      return conf.LastUpdateStatus === 'InProgress' ? { done: false, detail: 'function update in progress' } : { done: true, value: undefined };
    }, waitOptions(step, `function ${config.functionName} to finish updating`));
  const updateFunction = async (step: StepContext, conf: FunctionConfiguration) => {
    const zip = await buildHandlerZip();
    if (conf.CodeSha256 !== codeSha256(zip)) {
      await callAws(step.clock, () => lambda.send(new UpdateFunctionCodeCommand({ FunctionName: config.functionName, ZipFile: zip })));
      await waitForUpdate(step);
    }
    if (conf.Runtime !== config.runtime) {
      await callAws(step.clock, () => lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: config.functionName, Runtime: config.runtime })));
      await waitForUpdate(step);
    }
  };
  return {
    id: STEP.function,
    title: `function ${config.functionName}`,
    account: 'consumer',
    dependsOn: [STEP.role],
    async check(step) {
      const fn = await getFunction(step, ctx);
      if (!fn) return { status: 'missing' };
      const outputs = { functionName: fn.Configuration!.FunctionName!, functionArn: fn.Configuration!.FunctionArn! };
      if (config.useExistingFunction) return { status: 'done', origin: 'adopted', outputs, detail: 'existing function' };
      const origin = originOf(ctx, STEP.function, `Function ${config.functionName}`, fn.Tags, '--function-name');
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
        { propagating: roleNotYetAssumable, onRetry: step.progress, backoff: { initialDelayMs: 1_000, maxDelayMs: 3_000 } },
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

/** Lambda validates the role's access to the stream when the mapping is created; fresh policies and grants take a while. */
const accessNotYetVisible = (error: unknown) =>
  hasCode(error, 'InvalidParameterValueException') && /access|permission|not authorized|decrypt|assume/i.test(errorMessage(error));

function esmStep(ctx: PipelineContext): Step {
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
    dependsOn: [STEP.stream, STEP.function, STEP.consumer, STEP.rolePolicy, STEP.streamPolicy, STEP.consumerPolicy, STEP.grant],
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

/** Every setup step, as a dependency graph: both accounts progress at once. */
export function setupSteps(ctx: PipelineContext): Step[] {
  const { names } = ctx;
  return [
    kmsKeyStep(ctx),
    streamStep(ctx),
    encryptionStep(ctx),
    consumerStep(ctx),
    roleStep(ctx),
    rolePolicyStep(ctx),
    functionStep(ctx),
    resourcePolicyStep(ctx, {
      id: STEP.streamPolicy,
      title: `stream policy statement ${names.sids.streamRead}`,
      dependsOn: [STEP.stream, STEP.role],
      resourceArn: (step) => step.outputsOf(STEP.stream).streamArn!,
      statement: (step, arn) => streamPolicyStatement({ sid: names.sids.streamRead, roleArn: step.outputsOf(STEP.role).roleArn!, streamArn: arn }),
      shared: true,
    }),
    resourcePolicyStep(ctx, {
      id: STEP.consumerPolicy,
      title: `consumer policy statement ${names.sids.efoConsume}`,
      dependsOn: [STEP.consumer, STEP.role],
      resourceArn: (step) => step.outputsOf(STEP.consumer).consumerArn!,
      statement: (step, arn) => consumerPolicyStatement({ sid: names.sids.efoConsume, roleArn: step.outputsOf(STEP.role).roleArn!, consumerArn: arn }),
      // The consumer is this deployment's own; an adopted one with other writers is rare enough to not
      // cost every setup a read-back on its critical path.
      shared: false,
    }),
    grantStep(ctx),
    esmStep(ctx),
  ];
}
