import { DescribeStreamConsumerCommand, DescribeStreamSummaryCommand, GetResourcePolicyCommand, ListTagsForResourceCommand } from '@aws-sdk/client-kinesis';
import { DescribeKeyCommand, GetKeyPolicyCommand, ListAliasesCommand, ListGrantsCommand, ListResourceTagsCommand } from '@aws-sdk/client-kms';
import { GetRoleCommand, GetRolePolicyCommand, ListRoleTagsCommand } from '@aws-sdk/client-iam';
import { ListTagsForResourceCommand as ListLogTagsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetEventSourceMappingCommand, GetFunctionConfigurationCommand, ListTagsCommand } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, ListQueueTagsCommand } from '@aws-sdk/client-sqs';
import type { AccountSession } from '../aws/session.js';
import type { Clock } from '../engine/clock.js';
import type { Origin, Outputs } from '../engine/types.js';
import { describeLogGroup } from '../pipeline/lookups.js';
import { callAws } from '../aws/retry.js';
import { STEP } from '../pipeline/steps/context.js';

/** What the state file says about one step: how its resource came into the deployment, and its ids. */
export interface RecordedStep {
  origin: Origin | 'skipped';
  outputs: Outputs;
}

/** What `readDeployment` needs: the deployment's two sessions and its recorded steps. */
export interface ExportInput {
  name: string;
  clock: Clock;
  producer: AccountSession;
  consumer: AccountSession;
  steps: Record<string, RecordedStep>;
}

export type Tags = Record<string, string>;

/** A resource as AWS returns it now, and whether kds-xacct made it (a resource to own) or adopted it (to refer to). */
export type Live<T> = T & { origin: Origin };

export interface KeySnapshot { keyId: string; arn: string; description: string; keyUsage: string; keySpec: string; multiRegion: boolean; policy: string; tags: Tags; alias?: string }
export interface StreamSnapshot { name: string; arn: string; mode: 'ON_DEMAND' | 'PROVISIONED'; shardCount: number; retentionHours: number; encryptionType: string; keyId?: string; tags: Tags }
export interface ConsumerSnapshot { name: string; arn: string; streamArn: string }
/** A whole resource policy as AWS holds it, with the statement kds-xacct wrote in it. */
export interface PolicySnapshot { resourceArn: string; document: string; sid: string; otherSids: string[] }
export interface GrantSnapshot { keyId: string; grantId: string; name: string; granteePrincipal: string; operations: string[]; encryptionContextSubset: Record<string, string> }
export interface RoleSnapshot { name: string; arn: string; path: string; description?: string; maxSessionDuration: number; assumeRolePolicy: string; tags: Tags }
export interface RolePolicySnapshot { roleName: string; policyName: string; document: string }
export interface LogGroupSnapshot { name: string; arn: string; retentionInDays?: number; tags: Tags }
export interface QueueSnapshot { name: string; url: string; arn: string; attributes: Record<string, string>; tags: Tags }
export interface FunctionSnapshot {
  name: string;
  arn: string;
  runtime: string;
  handler: string;
  roleArn: string;
  memorySize: number;
  timeout: number;
  architectures: string[];
  codeSha256: string;
  environment: Record<string, string>;
  /** Where and how it logs (LoggingConfig), as Lambda reports it. */
  logging?: { logGroup: string; logFormat: string };
  tags: Tags;
}
export interface MappingSnapshot {
  uuid: string;
  eventSourceArn: string;
  functionArn: string;
  batchSize: number;
  startingPosition: string;
  maximumRetryAttempts: number;
  maximumRecordAgeInSeconds: number;
  bisectBatchOnFunctionError: boolean;
  functionResponseTypes: string[];
  parallelizationFactor: number;
  maximumBatchingWindowInSeconds: number;
  enabled: boolean;
  onFailureDestination?: string;
}

/** An account of the deployment: its id, the profile that reached it, and whether it is a sandbox account. */
export interface AccountOfSnapshot {
  accountId: string;
  profile: string;
  simulated?: boolean;
}

/** A deployment as AWS holds it now, in both accounts: what `export` writes out. */
export interface DeploymentSnapshot {
  name: string;
  region: string;
  producer: AccountOfSnapshot;
  consumer: AccountOfSnapshot;
  key: Live<KeySnapshot>;
  stream: Live<StreamSnapshot>;
  /** Whether kds-xacct turned on the stream's encryption (on an adopted stream), rather than finding it on. */
  encryptionStartedByUs: boolean;
  consumerOfStream: ConsumerSnapshot;
  streamPolicy: PolicySnapshot;
  consumerPolicy: PolicySnapshot;
  grant: GrantSnapshot;
  role: RoleSnapshot;
  rolePolicy: RolePolicySnapshot;
  logGroup?: Live<LogGroupSnapshot>;
  queue?: Live<QueueSnapshot>;
  fn: Live<FunctionSnapshot>;
  mapping: MappingSnapshot;
}

/** The steps a deployment cannot be exported without: each names a resource that every deployment has. */
export const REQUIRED_STEPS = [STEP.kmsKey, STEP.stream, STEP.consumer, STEP.streamPolicy, STEP.consumerPolicy, STEP.grant, STEP.role, STEP.rolePolicy, STEP.function, STEP.esm] as const;

/** The steps of a deployment that are missing from its record (not yet set up, or torn down). */
export function missingSteps(steps: Record<string, RecordedStep>): string[] {
  return REQUIRED_STEPS.filter((id) => !steps[id] || steps[id]!.origin === 'skipped');
}

const accountOf = (session: AccountSession): AccountOfSnapshot => ({ accountId: session.accountId, profile: session.profile, ...(session.simulated && { simulated: true }) });

const tagMap = (tags: Array<{ Key?: string; Value?: string }> | undefined): Tags => Object.fromEntries((tags ?? []).map((t) => [t.Key!, t.Value ?? '']));

/** What every reader shares: the deployment's recorded steps, both accounts' clients, and AWS calls with kds-xacct's retries. */
class Reading {
  readonly clock: Clock;
  readonly steps: Record<string, RecordedStep>;
  readonly producer: AccountSession['clients'];
  readonly consumer: AccountSession['clients'];

  constructor(input: ExportInput) {
    this.clock = input.clock;
    this.steps = input.steps;
    this.producer = input.producer.clients;
    this.consumer = input.consumer.clients;
  }

  out(step: string): Outputs {
    return this.steps[step]!.outputs;
  }

  /** Whether the deployment has this step's resource: a step can be skipped (no failure queue with --failure-destination). */
  has(step: string): boolean {
    return this.steps[step] !== undefined && this.steps[step]!.origin !== 'skipped';
  }

  origin(step: string): Origin {
    return this.steps[step]!.origin === 'created' ? 'created' : 'adopted';
  }

  aws<T>(call: () => Promise<T>): Promise<T> {
    return callAws(this.clock, call);
  }
}

async function readKey(r: Reading): Promise<Live<KeySnapshot>> {
  const keyId = r.out(STEP.kmsKey).keyId!;
  const [meta, policy, aliases, tags] = await Promise.all([
    r.aws(() => r.producer.kms.send(new DescribeKeyCommand({ KeyId: keyId }))),
    r.aws(() => r.producer.kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))),
    r.aws(() => r.producer.kms.send(new ListAliasesCommand({ KeyId: keyId }))),
    r.aws(() => r.producer.kms.send(new ListResourceTagsCommand({ KeyId: keyId }))),
  ]);
  const m = meta.KeyMetadata!;
  const recordedAlias = r.out(STEP.kmsKey).aliasName;
  const alias = aliases.Aliases?.find((a) => a.AliasName === recordedAlias)?.AliasName;
  return {
    origin: r.origin(STEP.kmsKey),
    keyId: m.KeyId!,
    arn: m.Arn!,
    description: m.Description ?? '',
    keyUsage: m.KeyUsage ?? 'ENCRYPT_DECRYPT',
    keySpec: m.KeySpec ?? 'SYMMETRIC_DEFAULT',
    multiRegion: m.MultiRegion ?? false,
    policy: policy.Policy!,
    tags: Object.fromEntries((tags.Tags ?? []).map((t) => [t.TagKey!, t.TagValue ?? ''])),
    ...(alias && { alias }),
  };
}

async function readStream(r: Reading): Promise<Live<StreamSnapshot>> {
  const name = r.out(STEP.stream).streamName!;
  const summary = (await r.aws(() => r.producer.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name })))).StreamDescriptionSummary!;
  const tags = await r.aws(() => r.producer.kinesis.send(new ListTagsForResourceCommand({ ResourceARN: summary.StreamARN })));
  return {
    origin: r.origin(STEP.stream),
    name,
    arn: summary.StreamARN!,
    mode: summary.StreamModeDetails?.StreamMode === 'PROVISIONED' ? 'PROVISIONED' : 'ON_DEMAND',
    shardCount: summary.OpenShardCount ?? 0,
    retentionHours: summary.RetentionPeriodHours ?? 24,
    encryptionType: summary.EncryptionType ?? 'NONE',
    ...(summary.KeyId && { keyId: summary.KeyId }),
    tags: tagMap(tags.Tags),
  };
}

async function readConsumer(r: Reading): Promise<ConsumerSnapshot> {
  const d = (await r.aws(() => r.producer.kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: r.out(STEP.consumer).consumerArn })))).ConsumerDescription!;
  return { name: d.ConsumerName!, arn: d.ConsumerARN!, streamArn: d.StreamARN! };
}

async function readPolicy(r: Reading, step: string): Promise<PolicySnapshot> {
  const { resourceArn, sid } = r.out(step);
  const document = (await r.aws(() => r.producer.kinesis.send(new GetResourcePolicyCommand({ ResourceARN: resourceArn })))).Policy ?? '';
  const statements = document ? ((JSON.parse(document) as { Statement?: Array<{ Sid?: string }> }).Statement ?? []) : [];
  return { resourceArn: resourceArn!, document, sid: sid!, otherSids: statements.map((s) => s.Sid ?? '(no Sid)').filter((s) => s !== sid) };
}

async function readGrant(r: Reading): Promise<GrantSnapshot> {
  const { keyId, grantId } = r.out(STEP.grant);
  // ListGrants takes a GrantId to return only that grant (KMS API reference, ListGrants).
  const grant = (await r.aws(() => r.producer.kms.send(new ListGrantsCommand({ KeyId: keyId, GrantId: grantId })))).Grants?.[0];
  if (!grant) throw new Error(`KMS grant ${grantId} on key ${keyId} is not listed by ListGrants.`);
  return {
    keyId: keyId!,
    grantId: grantId!,
    name: grant.Name ?? '',
    granteePrincipal: grant.GranteePrincipal!,
    operations: grant.Operations ?? [],
    encryptionContextSubset: grant.Constraints?.EncryptionContextSubset ?? {},
  };
}

async function readRole(r: Reading): Promise<RoleSnapshot> {
  const roleName = r.out(STEP.role).roleName!;
  const [role, tags] = await Promise.all([r.aws(() => r.consumer.iam.send(new GetRoleCommand({ RoleName: roleName }))), r.aws(() => r.consumer.iam.send(new ListRoleTagsCommand({ RoleName: roleName })))]);
  const found = role.Role!;
  return {
    name: found.RoleName!,
    arn: found.Arn!,
    path: found.Path ?? '/',
    ...(found.Description && { description: found.Description }),
    maxSessionDuration: found.MaxSessionDuration ?? 3600,
    // IAM returns policy documents URL-encoded (GetRole, GetRolePolicy API references).
    assumeRolePolicy: decodeURIComponent(found.AssumeRolePolicyDocument!),
    tags: tagMap(tags.Tags),
  };
}

async function readRolePolicy(r: Reading): Promise<RolePolicySnapshot> {
  const { roleName, policyName } = r.out(STEP.rolePolicy);
  const p = await r.aws(() => r.consumer.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })));
  return { roleName: p.RoleName!, policyName: p.PolicyName!, document: decodeURIComponent(p.PolicyDocument!) };
}

async function readLogGroup(r: Reading): Promise<Live<LogGroupSnapshot> | undefined> {
  if (!r.has(STEP.logGroup)) return undefined;
  const name = r.out(STEP.logGroup).logGroupName!;
  const group = await describeLogGroup(r.clock, r.consumer.logs, name);
  if (!group) throw new Error(`Log group ${name} does not exist.`);
  const arn = group.arn!.replace(/:\*$/, '');
  const tags = await r.aws(() => r.consumer.logs.send(new ListLogTagsCommand({ resourceArn: arn })));
  return { origin: r.origin(STEP.logGroup), name, arn, ...(group.retentionInDays !== undefined && { retentionInDays: group.retentionInDays }), tags: tags.tags ?? {} };
}

async function readQueue(r: Reading): Promise<Live<QueueSnapshot> | undefined> {
  if (!r.has(STEP.failureQueue)) return undefined;
  const { queueName, queueUrl, queueArn } = r.out(STEP.failureQueue);
  const [attrs, tags] = await Promise.all([
    r.aws(() => r.consumer.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }))),
    r.aws(() => r.consumer.sqs.send(new ListQueueTagsCommand({ QueueUrl: queueUrl }))),
  ]);
  return { origin: r.origin(STEP.failureQueue), name: queueName!, url: queueUrl!, arn: queueArn!, attributes: attrs.Attributes ?? {}, tags: tags.Tags ?? {} };
}

async function readFunction(r: Reading): Promise<Live<FunctionSnapshot>> {
  const name = r.out(STEP.function).functionName!;
  const c = await r.aws(() => r.consumer.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name })));
  const tags = await r.aws(() => r.consumer.lambda.send(new ListTagsCommand({ Resource: c.FunctionArn })));
  return {
    origin: r.origin(STEP.function),
    name: c.FunctionName!,
    arn: c.FunctionArn!,
    runtime: c.Runtime ?? '',
    handler: c.Handler ?? '',
    roleArn: c.Role!,
    memorySize: c.MemorySize ?? 128,
    timeout: c.Timeout ?? 3,
    architectures: c.Architectures ?? ['x86_64'],
    codeSha256: c.CodeSha256!,
    environment: c.Environment?.Variables ?? {},
    ...(c.LoggingConfig?.LogGroup && { logging: { logGroup: c.LoggingConfig.LogGroup, logFormat: c.LoggingConfig.LogFormat ?? 'Text' } }),
    tags: tags.Tags ?? {},
  };
}

async function readMapping(r: Reading): Promise<MappingSnapshot> {
  const m = await r.aws(() => r.consumer.lambda.send(new GetEventSourceMappingCommand({ UUID: r.out(STEP.esm).uuid })));
  const destination = m.DestinationConfig?.OnFailure?.Destination;
  return {
    uuid: m.UUID!,
    eventSourceArn: m.EventSourceArn!,
    functionArn: m.FunctionArn!,
    batchSize: m.BatchSize ?? 100,
    startingPosition: m.StartingPosition ?? 'LATEST',
    maximumRetryAttempts: m.MaximumRetryAttempts ?? -1,
    maximumRecordAgeInSeconds: m.MaximumRecordAgeInSeconds ?? -1,
    bisectBatchOnFunctionError: m.BisectBatchOnFunctionError ?? false,
    functionResponseTypes: m.FunctionResponseTypes ?? [],
    parallelizationFactor: m.ParallelizationFactor ?? 1,
    maximumBatchingWindowInSeconds: m.MaximumBatchingWindowInSeconds ?? 0,
    enabled: m.State !== 'Disabled' && m.State !== 'Disabling',
    ...(destination && { onFailureDestination: destination }),
  };
}

/**
 * Reads every resource of a deployment as AWS returns it now, in both accounts at once. Only reads:
 * export changes nothing. A resource that is gone fails the read with AWS's own error.
 */
export async function readDeployment(input: ExportInput): Promise<DeploymentSnapshot> {
  const { producer, consumer, steps } = input;
  const r = new Reading(input);
  const [key, stream, consumerOfStream, streamPolicy, consumerPolicy, grant, role, rolePolicy, logGroup, queue, fn, mapping] = await Promise.all([
    readKey(r),
    readStream(r),
    readConsumer(r),
    readPolicy(r, STEP.streamPolicy),
    readPolicy(r, STEP.consumerPolicy),
    readGrant(r),
    readRole(r),
    readRolePolicy(r),
    readLogGroup(r),
    readQueue(r),
    readFunction(r),
    readMapping(r),
  ]);
  const encryption = steps[STEP.encryption];
  return {
    name: input.name,
    region: producer.region,
    producer: accountOf(producer),
    consumer: accountOf(consumer),
    key,
    stream,
    encryptionStartedByUs: encryption?.origin === 'created' && stream.origin === 'adopted',
    consumerOfStream,
    streamPolicy,
    consumerPolicy,
    grant,
    role,
    rolePolicy,
    ...(logGroup && { logGroup }),
    ...(queue && { queue }),
    fn,
    mapping,
  };
}
