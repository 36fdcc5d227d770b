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

/**
 * Reads every resource of a deployment as AWS returns it now, in both accounts at once. Only reads:
 * export changes nothing. A resource that is gone fails the read with AWS's own error.
 */
export async function readDeployment(input: ExportInput): Promise<DeploymentSnapshot> {
  const { clock, producer, consumer, steps } = input;
  const out = (id: string): Outputs => steps[id]!.outputs;
  const origin = (id: string): Origin => (steps[id]!.origin === 'created' ? 'created' : 'adopted');
  const aws = <T>(call: () => Promise<T>) => callAws(clock, call);
  const { kinesis, kms } = producer.clients;
  const { iam, lambda, logs, sqs } = consumer.clients;

  const readKey = async (): Promise<Live<KeySnapshot>> => {
    const keyId = out(STEP.kmsKey).keyId!;
    const [meta, policy, aliases, tags] = await Promise.all([
      aws(() => kms.send(new DescribeKeyCommand({ KeyId: keyId }))),
      aws(() => kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))),
      aws(() => kms.send(new ListAliasesCommand({ KeyId: keyId }))),
      aws(() => kms.send(new ListResourceTagsCommand({ KeyId: keyId }))),
    ]);
    const m = meta.KeyMetadata!;
    const recordedAlias = out(STEP.kmsKey).aliasName;
    const alias = aliases.Aliases?.find((a) => a.AliasName === recordedAlias)?.AliasName;
    return {
      origin: origin(STEP.kmsKey),
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
  };

  const readStream = async (): Promise<Live<StreamSnapshot>> => {
    const name = out(STEP.stream).streamName!;
    const summary = (await aws(() => kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name })))).StreamDescriptionSummary!;
    const tags = await aws(() => kinesis.send(new ListTagsForResourceCommand({ ResourceARN: summary.StreamARN })));
    return {
      origin: origin(STEP.stream),
      name,
      arn: summary.StreamARN!,
      mode: summary.StreamModeDetails?.StreamMode === 'PROVISIONED' ? 'PROVISIONED' : 'ON_DEMAND',
      shardCount: summary.OpenShardCount ?? 0,
      retentionHours: summary.RetentionPeriodHours ?? 24,
      encryptionType: summary.EncryptionType ?? 'NONE',
      ...(summary.KeyId && { keyId: summary.KeyId }),
      tags: tagMap(tags.Tags),
    };
  };

  const readConsumer = async (): Promise<ConsumerSnapshot> => {
    const d = (await aws(() => kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: out(STEP.consumer).consumerArn })))).ConsumerDescription!;
    return { name: d.ConsumerName!, arn: d.ConsumerARN!, streamArn: d.StreamARN! };
  };

  const readPolicy = async (step: string): Promise<PolicySnapshot> => {
    const { resourceArn, sid } = out(step);
    const document = (await aws(() => kinesis.send(new GetResourcePolicyCommand({ ResourceARN: resourceArn })))).Policy ?? '';
    const statements = document ? ((JSON.parse(document) as { Statement?: Array<{ Sid?: string }> }).Statement ?? []) : [];
    return { resourceArn: resourceArn!, document, sid: sid!, otherSids: statements.map((s) => s.Sid ?? '(no Sid)').filter((s) => s !== sid) };
  };

  const readGrant = async (): Promise<GrantSnapshot> => {
    const { keyId, grantId } = out(STEP.grant);
    // ListGrants takes a GrantId to return only that grant (KMS API reference, ListGrants).
    const grant = (await aws(() => kms.send(new ListGrantsCommand({ KeyId: keyId, GrantId: grantId })))).Grants?.[0];
    if (!grant) throw new Error(`KMS grant ${grantId} on key ${keyId} is not listed by ListGrants.`);
    return {
      keyId: keyId!,
      grantId: grantId!,
      name: grant.Name ?? '',
      granteePrincipal: grant.GranteePrincipal!,
      operations: grant.Operations ?? [],
      encryptionContextSubset: grant.Constraints?.EncryptionContextSubset ?? {},
    };
  };

  const readRole = async (): Promise<RoleSnapshot> => {
    const roleName = out(STEP.role).roleName!;
    const [role, tags] = await Promise.all([aws(() => iam.send(new GetRoleCommand({ RoleName: roleName }))), aws(() => iam.send(new ListRoleTagsCommand({ RoleName: roleName })))]);
    const r = role.Role!;
    return {
      name: r.RoleName!,
      arn: r.Arn!,
      path: r.Path ?? '/',
      ...(r.Description && { description: r.Description }),
      maxSessionDuration: r.MaxSessionDuration ?? 3600,
      // IAM returns policy documents URL-encoded (GetRole, GetRolePolicy API references).
      assumeRolePolicy: decodeURIComponent(r.AssumeRolePolicyDocument!),
      tags: tagMap(tags.Tags),
    };
  };

  const readRolePolicy = async (): Promise<RolePolicySnapshot> => {
    const { roleName, policyName } = out(STEP.rolePolicy);
    const p = await aws(() => iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })));
    return { roleName: p.RoleName!, policyName: p.PolicyName!, document: decodeURIComponent(p.PolicyDocument!) };
  };

  const readLogGroup = async (): Promise<Live<LogGroupSnapshot> | undefined> => {
    if (!steps[STEP.logGroup] || steps[STEP.logGroup]!.origin === 'skipped') return undefined;
    const name = out(STEP.logGroup).logGroupName!;
    const group = await describeLogGroup(clock, logs, name);
    if (!group) throw new Error(`Log group ${name} does not exist.`);
    const arn = group.arn!.replace(/:\*$/, '');
    const tags = await aws(() => logs.send(new ListLogTagsCommand({ resourceArn: arn })));
    return { origin: origin(STEP.logGroup), name, arn, ...(group.retentionInDays !== undefined && { retentionInDays: group.retentionInDays }), tags: tags.tags ?? {} };
  };

  const readQueue = async (): Promise<Live<QueueSnapshot> | undefined> => {
    if (!steps[STEP.failureQueue] || steps[STEP.failureQueue]!.origin === 'skipped') return undefined;
    const { queueName, queueUrl, queueArn } = out(STEP.failureQueue);
    const [attrs, tags] = await Promise.all([
      aws(() => sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }))),
      aws(() => sqs.send(new ListQueueTagsCommand({ QueueUrl: queueUrl }))),
    ]);
    return { origin: origin(STEP.failureQueue), name: queueName!, url: queueUrl!, arn: queueArn!, attributes: attrs.Attributes ?? {}, tags: tags.Tags ?? {} };
  };

  const readFunction = async (): Promise<Live<FunctionSnapshot>> => {
    const name = out(STEP.function).functionName!;
    const c = await aws(() => lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name })));
    const tags = await aws(() => lambda.send(new ListTagsCommand({ Resource: c.FunctionArn })));
    return {
      origin: origin(STEP.function),
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
  };

  const readMapping = async (): Promise<MappingSnapshot> => {
    const m = await aws(() => lambda.send(new GetEventSourceMappingCommand({ UUID: out(STEP.esm).uuid })));
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
  };

  const [key, stream, consumerOfStream, streamPolicy, consumerPolicy, grant, role, rolePolicy, logGroup, queue, fn, mapping] = await Promise.all([
    readKey(),
    readStream(),
    readConsumer(),
    readPolicy(STEP.streamPolicy),
    readPolicy(STEP.consumerPolicy),
    readGrant(),
    readRole(),
    readRolePolicy(),
    readLogGroup(),
    readQueue(),
    readFunction(),
    readMapping(),
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
