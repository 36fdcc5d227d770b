/**
 * The model of Kinesis Data Streams: streams, shards and records, EFO consumers, resource policies,
 * encryption and tags. One cohesive unit, kept in one file although it is longer than our usual
 * limit: every operation reads and changes the same stream state, and splitting it would scatter the
 * rules a reader checks against the Kinesis API reference.
 */
import { createHash } from 'node:crypto';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { adminPolicy } from './access.js';
import type { CallContext, Cloud, ServiceModel } from './context.js';
import { awsError } from './errors.js';
import { lookupKey, recordKeyError, resolveKeyForUse } from './kms.js';
import { type Consumer, type KinesisRecord, type Shard, type Stream, Versioned, parseArn, phaseNow } from './model.js';
import { KINESIS_CONSUMER_NOT_ACTIVE } from './aws-error-texts.js';

const err = (code: string, message: string): Error => awsError('Kinesis', code, message);

export const MAX_CONSUMERS_PER_STREAM = 20;
export const MAX_CREATING_CONSUMERS = 5;
export const MAX_POLICY_BYTES = 20 * 1024;
export const MAX_RECORD_BYTES = 1024 * 1024;
export const MAX_PUT_RECORDS_COUNT = 500;
export const MAX_PUT_RECORDS_BYTES = 5 * 1024 * 1024;

/** Actions a Kinesis resource policy can share with another account. */
const SHAREABLE_STREAM_ACTIONS = new Set(['DescribeStream', 'DescribeStreamSummary', 'GetRecords', 'GetShardIterator', 'ListShards', 'PutRecord', 'PutRecords', 'ListStreamConsumers', 'DescribeStreamConsumer']);
const SHAREABLE_CONSUMER_ACTIONS = new Set(['DescribeStreamConsumer', 'SubscribeToShard']);

export function streamArn(accountId: string, region: string, name: string): string {
  return `arn:aws:kinesis:${region}:${accountId}:stream/${name}`;
}

export function streamStatus(s: Stream, now: number): string {
  return phaseNow(s.phase, now) ?? 'DELETED';
}

export function consumerStatus(c: Consumer, now: number): string {
  return phaseNow(c.phase, now) ?? 'DELETED';
}

function notFound(name: string, account: string): Error {
  return err('ResourceNotFoundException', `Stream ${name} under account ${account} not found.`);
}

/** Splits a consumer ARN into its stream ARN, consumer name and creation epoch seconds. */
export function parseConsumerArn(arn: string): { streamArn: string; name: string; epoch: string } | undefined {
  const m = /^(arn:aws:kinesis:[^:]+:\d{12}:stream\/[^/]+)\/consumer\/([^:]+):(\d+)$/.exec(arn);
  return m ? { streamArn: m[1]!, name: m[2]!, epoch: m[3]! } : undefined;
}

function located(ctx: CallContext, arn: string | undefined, name: string | undefined): { accountId: string; region: string; name: string } {
  if (arn) {
    const p = parseArn(arn);
    const m = /^stream\/([^/]+)$/.exec(p?.resource ?? '');
    if (!p || p.service !== 'kinesis' || !m) throw err('InvalidArgumentException', `StreamARN ${arn} is not a valid stream ARN.`);
    if (name && name !== m[1]) throw err('InvalidArgumentException', 'StreamARN and StreamName do not refer to the same stream.');
    if (p.region !== ctx.region) throw notFound(m[1]!, p.account);
    return { accountId: p.account, region: p.region, name: m[1]! };
  }
  if (!name) throw err('ValidationException', 'Either StreamName or StreamARN must be provided.');
  return { accountId: ctx.accountId, region: ctx.region, name };
}

/** Looks a stream up for `action`, enforcing cross-account access through its resource policy. */
export async function findStream(ctx: CallContext, input: { StreamARN?: string; StreamName?: string }, action: string): Promise<Stream> {
  const loc = located(ctx, input.StreamARN, input.StreamName);
  const stream = ctx.cloud.regionState(loc.accountId, loc.region)?.streams.get(loc.name);
  if (loc.accountId !== ctx.accountId) {
    await authorizeCrossAccount(ctx, action, stream?.arn ?? streamArn(loc.accountId, loc.region, loc.name), loc.accountId, stream?.policy, SHAREABLE_STREAM_ACTIONS);
  }
  if (!stream) throw notFound(loc.name, loc.accountId);
  return stream;
}

async function authorizeCrossAccount(ctx: CallContext, action: string, resource: string, resourceAccount: string, policy: Versioned<string> | undefined, shareable: Set<string>): Promise<void> {
  const denied = (why: string): Error =>
    err('AccessDeniedException', `User: ${ctx.principal} is not authorized to perform: kinesis:${action} on resource: ${resource} because ${why}`);
  if (!shareable.has(action)) throw denied(`kinesis:${action} cannot be shared through a resource-based policy`);
  const doc = policy?.effective(ctx.now, ctx.cloud.latency.policyPropagation);
  if (!doc) throw denied(`no resource-based policy allows the kinesis:${action} action`);
  const decision = await ctx.cloud.evaluateAccess({
    principal: ctx.principal,
    action: `kinesis:${action}`,
    resource,
    resourceAccount,
    identityPolicies: [{ name: 'admin', policy: adminPolicy }],
    resourcePolicy: JSON.parse(doc),
  });
  if (!decision.allowed) throw denied(`no resource-based policy allows the kinesis:${action} action`);
}

/** Finds a consumer by ARN, or by stream ARN and name, enforcing cross-account access. */
export async function findConsumer(ctx: CallContext, input: { ConsumerARN?: string; StreamARN?: string; ConsumerName?: string }, action: string): Promise<{ stream: Stream; consumer: Consumer }> {
  let sArn: string;
  let name: string;
  let epoch: string | undefined;
  if (input.ConsumerARN) {
    const p = parseConsumerArn(input.ConsumerARN);
    if (!p) throw err('InvalidArgumentException', `ConsumerARN ${input.ConsumerARN} is not a valid consumer ARN.`);
    ({ streamArn: sArn, name, epoch } = p);
  } else {
    if (!input.StreamARN || !input.ConsumerName) throw err('InvalidArgumentException', 'Either ConsumerARN or both StreamARN and ConsumerName must be provided.');
    sArn = input.StreamARN;
    name = input.ConsumerName;
  }
  const loc = located(ctx, sArn, undefined);
  const stream = ctx.cloud.regionState(loc.accountId, loc.region)?.streams.get(loc.name);
  const consumer = stream?.consumers.get(name);
  const matches = consumer && (epoch === undefined || consumer.arn === input.ConsumerARN);
  const target = input.ConsumerARN ?? consumer?.arn ?? `${sArn}/consumer/${name}`;
  if (loc.accountId !== ctx.accountId) {
    await authorizeCrossAccount(ctx, action, target, loc.accountId, matches ? consumer.policy : undefined, SHAREABLE_CONSUMER_ACTIONS);
  }
  if (!stream || !consumer || !matches) throw err('ResourceNotFoundException', `Consumer ${target}, account ${loc.accountId} not found.`);
  return { stream, consumer };
}

function requireOwner(ctx: CallContext, stream: Stream, action: string): void {
  if (stream.accountId !== ctx.accountId) {
    throw err('AccessDeniedException', `User: ${ctx.principal} is not authorized to perform: kinesis:${action} on resource: ${stream.arn}`);
  }
}

function requireStatus(stream: Stream, now: number, allowed: string[]): void {
  const status = streamStatus(stream, now);
  if (!allowed.includes(status)) {
    throw err('ResourceInUseException', `Stream ${stream.name} under account ${stream.accountId} not ACTIVE, instead in state ${status}`);
  }
}

export function makeShards(count: number): Shard[] {
  const max = (1n << 128n) - 1n;
  const size = (max + 1n) / BigInt(count);
  return Array.from({ length: count }, (_, i) => ({
    shardId: `shardId-${String(i).padStart(12, '0')}`,
    startingHashKey: size * BigInt(i),
    endingHashKey: i === count - 1 ? max : size * BigInt(i + 1) - 1n,
    startingSequenceNumber: sequenceNumber(i, 0),
    records: [],
  }));
}

/** Real sequence numbers are 56-digit decimals that grow per shard. */
function sequenceNumber(shardIndex: number, n: number): string {
  return `4966${String(shardIndex).padStart(4, '0')}${String(n).padStart(48, '0')}`;
}

export function createStreamState(opts: { accountId: string; region: string; name: string; mode: 'ON_DEMAND' | 'PROVISIONED'; shards: number; now: number; activeAt: number; tags?: Record<string, string> }): Stream {
  return {
    name: opts.name,
    arn: streamArn(opts.accountId, opts.region, opts.name),
    accountId: opts.accountId,
    region: opts.region,
    createdAt: opts.now,
    mode: opts.mode,
    shards: makeShards(opts.shards),
    phase: { state: 'CREATING', until: opts.activeAt, then: 'ACTIVE' },
    encryption: { type: 'NONE' },
    consumers: new Map(),
    policy: new Versioned<string>(),
    tags: { ...(opts.tags ?? {}) },
    retentionHours: 24,
    sequence: 0,
  };
}

/**
 * The key that encrypts a record written now: the stream's key while it is ACTIVE with KMS, as the ARN it
 * resolves to, since a record keeps its key whatever later happens to an alias or to the stream's encryption.
 */
export function encryptingKeyArn(cloud: Cloud, stream: Stream, now: number): string | undefined {
  const ref = stream.encryption.keyId;
  if (stream.encryption.type !== 'KMS' || !ref || streamStatus(stream, now) !== 'ACTIVE') return undefined;
  const arn = parseArn(ref);
  return lookupKey(cloud, arn?.account ?? stream.accountId, arn?.region ?? stream.region, ref, now)?.arn ?? ref;
}

/** Where a shard's readable records start: records older than the stream's retention period are gone (trimmed). */
export function trimHorizon(stream: Stream, shard: Shard, now: number): number {
  const kept = shard.records.findIndex((r) => r.arrivedAt + stream.retentionHours * 3_600_000 > now);
  return kept < 0 ? shard.records.length : kept;
}

export function appendRecord(stream: Stream, now: number, partitionKey: string, data: Uint8Array, explicitHashKey: string | undefined, keyArn: string | undefined): KinesisRecord {
  const hash = explicitHashKey !== undefined ? BigInt(explicitHashKey) : BigInt('0x' + createHash('md5').update(partitionKey).digest('hex'));
  const index = Math.max(0, stream.shards.findIndex((s) => hash >= s.startingHashKey && hash <= s.endingHashKey));
  const shard = stream.shards[index]!;
  const record: KinesisRecord = {
    sequenceNumber: sequenceNumber(index, ++stream.sequence),
    partitionKey,
    data,
    arrivedAt: now,
    shardId: shard.shardId,
    ...(keyArn && { keyArn }),
  };
  shard.records.push(record);
  return record;
}

function validatePolicyDocument(policy: unknown): string {
  if (typeof policy !== 'string') throw err('InvalidArgumentException', 'Policy must be a JSON string.');
  if (Buffer.byteLength(policy, 'utf8') > MAX_POLICY_BYTES) {
    throw err('InvalidArgumentException', `Policy size exceeds the maximum allowed size of ${MAX_POLICY_BYTES} bytes.`);
  }
  let doc: { Statement?: unknown };
  try {
    doc = JSON.parse(policy) as { Statement?: unknown };
  } catch {
    throw err('InvalidArgumentException', 'Policy is not valid JSON.');
  }
  const statements = Array.isArray(doc?.Statement) ? doc.Statement : doc?.Statement ? [doc.Statement] : undefined;
  if (!statements || statements.length === 0) throw err('InvalidArgumentException', 'Policy must contain at least one Statement.');
  for (const s of statements as Array<Record<string, unknown>>) {
    if (!s || typeof s !== 'object' || (s.Effect !== 'Allow' && s.Effect !== 'Deny')) throw err('InvalidArgumentException', 'Each policy statement needs an Effect of Allow or Deny.');
    if (s.NotPrincipal !== undefined) throw err('InvalidArgumentException', 'NotPrincipal is not supported in Kinesis resource-based policies.');
    const principals: unknown[] = [];
    if (s.Principal === '*') principals.push('*');
    else if (s.Principal && typeof s.Principal === 'object') for (const v of Object.values(s.Principal as object)) principals.push(...[v].flat());
    else throw err('InvalidArgumentException', 'Each policy statement needs a Principal.');
    if (principals.some((p) => typeof p !== 'string' || p.includes('*'))) {
      throw err('InvalidArgumentException', 'Wildcard principals are not supported in Kinesis resource-based policies.');
    }
    const actions = [s.Action ?? []].flat();
    if (s.NotAction !== undefined || actions.length === 0) throw err('InvalidArgumentException', 'Each policy statement needs an Action list (NotAction is not supported).');
    if (actions.some((a) => typeof a !== 'string' || a.includes('*'))) {
      throw err('InvalidArgumentException', 'Wildcard actions are not supported in Kinesis resource-based policies.');
    }
  }
  return policy;
}

function consumerView(c: Consumer, now: number) {
  return { ConsumerName: c.name, ConsumerARN: c.arn, ConsumerStatus: consumerStatus(c, now), ConsumerCreationTimestamp: new Date(c.createdAt) };
}

function streamSummary(s: Stream, now: number) {
  return {
    StreamName: s.name,
    StreamARN: s.arn,
    StreamStatus: streamStatus(s, now),
    StreamModeDetails: { StreamMode: s.mode },
    RetentionPeriodHours: s.retentionHours,
    StreamCreationTimestamp: new Date(s.createdAt),
    EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
    EncryptionType: s.encryption.type,
    ...(s.encryption.keyId ? { KeyId: s.encryption.keyId } : {}),
    OpenShardCount: s.shards.length,
    ConsumerCount: s.consumers.size,
  };
}

function shardView(s: Shard) {
  return {
    ShardId: s.shardId,
    HashKeyRange: { StartingHashKey: s.startingHashKey.toString(), EndingHashKey: s.endingHashKey.toString() },
    SequenceNumberRange: { StartingSequenceNumber: s.startingSequenceNumber },
  };
}

function tagList(tags: Record<string, string>) {
  return Object.entries(tags)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([Key, Value]) => ({ Key, Value }));
}

function resolveTaggable(ctx: CallContext, arn: string): Promise<{ tags: Record<string, string> }> {
  if (parseConsumerArn(arn)) return findConsumer(ctx, { ConsumerARN: arn }, 'TagResource').then((r) => r.consumer);
  return findStream(ctx, { StreamARN: arn }, 'TagResource');
}

interface IteratorToken {
  s: string;
  shard: string;
  i: number;
  at: number;
}

export const kinesisModel: ServiceModel = {
  service: 'Kinesis',
  client: KinesisClient,
  operations: {
    CreateStream: {
      mutating: true,
      run(ctx, input) {
        const name: string | undefined = input.StreamName;
        if (!name || !/^[a-zA-Z0-9_.-]{1,128}$/.test(name)) throw err('ValidationException', `1 validation error detected: Value '${name}' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`);
        const mode = input.StreamModeDetails?.StreamMode ?? (input.ShardCount === undefined ? 'ON_DEMAND' : 'PROVISIONED');
        if (mode === 'PROVISIONED' && (input.ShardCount === undefined || input.ShardCount < 1)) throw err('InvalidArgumentException', 'ShardCount is required for a PROVISIONED stream and must be at least 1.');
        if (mode === 'ON_DEMAND' && input.ShardCount !== undefined) throw err('InvalidArgumentException', 'ShardCount cannot be specified for an ON_DEMAND stream.');
        const rs = ctx.cloud.regionState(ctx.accountId, ctx.region)!;
        if (rs.streams.has(name)) throw err('ResourceInUseException', `Stream ${name} under account ${ctx.accountId} already exists.`);
        // On-demand streams start with 4 shards.
        const stream = createStreamState({ accountId: ctx.accountId, region: ctx.region, name, mode, shards: mode === 'ON_DEMAND' ? 4 : input.ShardCount, now: ctx.now, activeAt: ctx.now + ctx.cloud.latency.streamCreate, tags: input.Tags });
        rs.streams.set(name, stream);
        return {};
      },
    },
    DescribeStreamSummary: {
      mutating: false,
      async run(ctx, input) {
        const s = await findStream(ctx, input, 'DescribeStreamSummary');
        return { StreamDescriptionSummary: streamSummary(s, ctx.now) };
      },
    },
    DescribeStream: {
      mutating: false,
      async run(ctx, input) {
        const s = await findStream(ctx, input, 'DescribeStream');
        const { OpenShardCount: _o, ConsumerCount: _c, ...summary } = streamSummary(s, ctx.now);
        const status = streamStatus(s, ctx.now);
        const shards = status === 'CREATING' ? [] : s.shards.map(shardView);
        return { StreamDescription: { ...summary, Shards: shards, HasMoreShards: false } };
      },
    },
    ListStreams: {
      mutating: false,
      run(ctx) {
        const streams = [...ctx.cloud.regionState(ctx.accountId, ctx.region)!.streams.values()].sort((a, b) => a.name.localeCompare(b.name));
        return {
          StreamNames: streams.map((s) => s.name),
          StreamSummaries: streams.map((s) => ({ StreamName: s.name, StreamARN: s.arn, StreamStatus: streamStatus(s, ctx.now), StreamModeDetails: { StreamMode: s.mode }, StreamCreationTimestamp: new Date(s.createdAt) })),
          HasMoreStreams: false,
        };
      },
    },
    ListShards: {
      mutating: false,
      async run(ctx, input) {
        const s = await findStream(ctx, input, 'ListShards');
        requireStatus(s, ctx.now, ['ACTIVE', 'UPDATING']);
        return { Shards: s.shards.map(shardView) };
      },
    },
    DeleteStream: {
      mutating: true,
      async run(ctx, input) {
        const s = await findStream(ctx, input, 'DeleteStream');
        requireOwner(ctx, s, 'DeleteStream');
        const status = streamStatus(s, ctx.now);
        if (status === 'CREATING' || status === 'DELETING') throw err('ResourceInUseException', `Stream ${s.name} under account ${s.accountId} is in ${status} state and cannot be deleted.`);
        if (s.consumers.size > 0 && !input.EnforceConsumerDeletion) {
          throw err('ResourceInUseException', `DeleteStream can't delete ${s.arn} because there are consumers associated with this data stream. To delete ${s.name} anyway, set the EnforceConsumerDeletion parameter to true to force the deletion of all the consumers that are associated with it.`);
        }
        const gone = ctx.now + ctx.cloud.latency.streamDelete;
        s.phase = { state: 'DELETING', until: gone, then: null };
        for (const c of s.consumers.values()) c.phase = { state: 'DELETING', until: Math.min(gone, ctx.now + ctx.cloud.latency.consumerDelete), then: null };
        return {};
      },
    },
    StartStreamEncryption: {
      mutating: true,
      async run(ctx, input) {
        const s = await findStream(ctx, input, 'StartStreamEncryption');
        requireOwner(ctx, s, 'StartStreamEncryption');
        if (input.EncryptionType !== 'KMS') throw err('InvalidArgumentException', 'EncryptionType must be KMS.');
        if (!input.KeyId) throw err('InvalidArgumentException', 'KeyId is required.');
        requireStatus(s, ctx.now, ['ACTIVE']);
        const problem = resolveKeyForUse(ctx, input.KeyId);
        if (problem) throw err(problem.code, problem.message);
        s.encryption = { type: 'KMS', keyId: input.KeyId };
        s.phase = { state: 'UPDATING', until: ctx.now + ctx.cloud.latency.encryption, then: 'ACTIVE' };
        return {};
      },
    },
    StopStreamEncryption: {
      mutating: true,
      async run(ctx, input) {
        const s = await findStream(ctx, input, 'StopStreamEncryption');
        requireOwner(ctx, s, 'StopStreamEncryption');
        if (input.EncryptionType !== 'KMS') throw err('InvalidArgumentException', 'EncryptionType must be KMS.');
        if (!input.KeyId) throw err('InvalidArgumentException', 'KeyId is required.');
        requireStatus(s, ctx.now, ['ACTIVE']);
        if (s.encryption.type === 'KMS') {
          s.encryption = { type: 'NONE' };
          s.phase = { state: 'UPDATING', until: ctx.now + ctx.cloud.latency.encryption, then: 'ACTIVE' };
        }
        return {};
      },
    },
    RegisterStreamConsumer: {
      mutating: true,
      async run(ctx, input) {
        if (!input.StreamARN) throw err('ValidationException', "1 validation error detected: Value null at 'streamARN' failed to satisfy constraint: Member must not be null");
        const name: string | undefined = input.ConsumerName;
        if (!name || !/^[a-zA-Z0-9_.-]{1,128}$/.test(name)) throw err('ValidationException', `1 validation error detected: Value '${name}' at 'consumerName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`);
        const s = await findStream(ctx, input, 'RegisterStreamConsumer');
        requireOwner(ctx, s, 'RegisterStreamConsumer');
        // The API reference: "For successful operation, the resource must be in the ACTIVE state."
        requireStatus(s, ctx.now, ['ACTIVE']);
        if (s.consumers.has(name)) throw err('ResourceInUseException', `Consumer ${name} under stream ${s.name} already exists for account ${s.accountId}.`);
        if (s.consumers.size >= MAX_CONSUMERS_PER_STREAM) throw err('LimitExceededException', `Consumer limit of ${MAX_CONSUMERS_PER_STREAM} for stream ${s.name} under account ${s.accountId} exceeded.`);
        const creating = [...s.consumers.values()].filter((c) => consumerStatus(c, ctx.now) === 'CREATING').length;
        if (creating >= MAX_CREATING_CONSUMERS) throw err('LimitExceededException', `Stream ${s.name} under account ${s.accountId} has ${creating} consumers in CREATING state; at most ${MAX_CREATING_CONSUMERS} may be CREATING at once.`);
        const epoch = Math.floor(ctx.now / 1000);
        const consumer: Consumer = {
          name,
          arn: `${s.arn}/consumer/${name}:${epoch}`,
          createdAt: epoch * 1000,
          phase: { state: 'CREATING', until: ctx.now + ctx.cloud.latency.consumerCreate, then: 'ACTIVE' },
          policy: new Versioned<string>(),
          tags: { ...(input.Tags ?? {}) },
        };
        s.consumers.set(name, consumer);
        return { Consumer: consumerView(consumer, ctx.now) };
      },
    },
    DescribeStreamConsumer: {
      mutating: false,
      async run(ctx, input) {
        const { stream, consumer } = await findConsumer(ctx, input, 'DescribeStreamConsumer');
        return { ConsumerDescription: { ...consumerView(consumer, ctx.now), StreamARN: stream.arn } };
      },
    },
    ListStreamConsumers: {
      mutating: false,
      async run(ctx, input) {
        if (!input.StreamARN) throw err('ValidationException', "1 validation error detected: Value null at 'streamARN' failed to satisfy constraint: Member must not be null");
        const s = await findStream(ctx, input, 'ListStreamConsumers');
        return { Consumers: [...s.consumers.values()].map((c) => consumerView(c, ctx.now)) };
      },
    },
    DeregisterStreamConsumer: {
      mutating: true,
      async run(ctx, input) {
        const { stream, consumer } = await findConsumer(ctx, input, 'DeregisterStreamConsumer');
        requireOwner(ctx, stream, 'DeregisterStreamConsumer');
        const status = consumerStatus(consumer, ctx.now);
        if (status === 'DELETING') throw err('ResourceInUseException', `Consumer ${consumer.name} under stream ${stream.name} is already DELETING.`);
        consumer.phase = { state: 'DELETING', until: ctx.now + ctx.cloud.latency.consumerDelete, then: null };
        return {};
      },
    },
    GetResourcePolicy: {
      mutating: false,
      async run(ctx, input) {
        const target = await policyTarget(ctx, input.ResourceARN, 'GetResourcePolicy');
        // With no policy attached, the real API answers with an empty document rather than an error.
        return { Policy: target.policy.current ?? '{}' };
      },
    },
    PutResourcePolicy: {
      mutating: true,
      async run(ctx, input) {
        const target = await policyTarget(ctx, input.ResourceARN, 'PutResourcePolicy');
        if (target.stream.accountId !== ctx.accountId) requireOwner(ctx, target.stream, 'PutResourcePolicy');
        const doc = validatePolicyDocument(input.Policy);
        validatePrincipalsExist(ctx, doc);
        requirePolicyTargetActive(target, ctx.now);
        target.policy.set(doc, ctx.now);
        return {};
      },
    },
    DeleteResourcePolicy: {
      mutating: true,
      async run(ctx, input) {
        const target = await policyTarget(ctx, input.ResourceARN, 'DeleteResourcePolicy');
        requireOwner(ctx, target.stream, 'DeleteResourcePolicy');
        requirePolicyTargetActive(target, ctx.now);
        if (target.policy.current === undefined) throw err('ResourceNotFoundException', `No resource policy found for resource ${input.ResourceARN}.`);
        target.policy.set(undefined, ctx.now);
        return {};
      },
    },
    AddTagsToStream: {
      mutating: true,
      async run(ctx, input) {
        const s = await findStream(ctx, input, 'AddTagsToStream');
        requireOwner(ctx, s, 'AddTagsToStream');
        Object.assign(s.tags, input.Tags ?? {});
        return {};
      },
    },
    RemoveTagsFromStream: {
      mutating: true,
      async run(ctx, input) {
        const s = await findStream(ctx, input, 'RemoveTagsFromStream');
        requireOwner(ctx, s, 'RemoveTagsFromStream');
        for (const k of input.TagKeys ?? []) delete s.tags[k];
        return {};
      },
    },
    ListTagsForStream: {
      mutating: false,
      async run(ctx, input) {
        const s = await findStream(ctx, input, 'ListTagsForStream');
        return { Tags: tagList(s.tags), HasMoreTags: false };
      },
    },
    TagResource: {
      mutating: true,
      async run(ctx, input) {
        const t = await resolveTaggable(ctx, input.ResourceARN);
        Object.assign(t.tags, input.Tags ?? {});
        return {};
      },
    },
    UntagResource: {
      mutating: true,
      async run(ctx, input) {
        const t = await resolveTaggable(ctx, input.ResourceARN);
        for (const k of input.TagKeys ?? []) delete t.tags[k];
        return {};
      },
    },
    ListTagsForResource: {
      mutating: false,
      async run(ctx, input) {
        const t = await resolveTaggable(ctx, input.ResourceARN);
        return { Tags: tagList(t.tags) };
      },
    },
    PutRecord: {
      mutating: true,
      async run(ctx, input) {
        const s = await findStream(ctx, input, 'PutRecord');
        validateRecord(input.Data, input.PartitionKey, 'data');
        if (!['ACTIVE', 'UPDATING'].includes(streamStatus(s, ctx.now))) throw notFound(s.name, s.accountId);
        if (ctx.cloud.takeRecordFailure()) {
          throw err('ProvisionedThroughputExceededException', `Rate exceeded for shard in stream ${s.name} under account ${s.accountId}.`);
        }
        const r = appendRecord(s, ctx.now, input.PartitionKey, input.Data, input.ExplicitHashKey, encryptingKeyArn(ctx.cloud, s, ctx.now));
        return { ShardId: r.shardId, SequenceNumber: r.sequenceNumber, EncryptionType: r.keyArn ? 'KMS' : 'NONE' };
      },
    },
    PutRecords: {
      mutating: true,
      async run(ctx, input) {
        const records: Array<{ Data: Uint8Array; PartitionKey: string; ExplicitHashKey?: string }> = input.Records ?? [];
        if (records.length === 0 || records.length > MAX_PUT_RECORDS_COUNT) {
          throw err('ValidationException', `1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PUT_RECORDS_COUNT} and greater than or equal to 1`);
        }
        records.forEach((r, i) => validateRecord(r.Data, r.PartitionKey, `records.${i + 1}.member.data`));
        const total = records.reduce((n, r) => n + (r.Data?.byteLength ?? 0) + Buffer.byteLength(r.PartitionKey ?? ''), 0);
        if (total > MAX_PUT_RECORDS_BYTES) throw err('InvalidArgumentException', `Records size exceeds ${MAX_PUT_RECORDS_BYTES / 1024 / 1024} MB limit`);
        const s = await findStream(ctx, input, 'PutRecords');
        if (!['ACTIVE', 'UPDATING'].includes(streamStatus(s, ctx.now))) throw notFound(s.name, s.accountId);
        let failed = 0;
        const keyArn = encryptingKeyArn(ctx.cloud, s, ctx.now);
        const out = records.map((r) => {
          if (ctx.cloud.takeRecordFailure()) {
            failed++;
            return { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: `Rate exceeded for shard in stream ${s.name} under account ${s.accountId}.` };
          }
          const rec = appendRecord(s, ctx.now, r.PartitionKey, r.Data, r.ExplicitHashKey, keyArn);
          return { ShardId: rec.shardId, SequenceNumber: rec.sequenceNumber };
        });
        return { FailedRecordCount: failed, Records: out, EncryptionType: keyArn ? 'KMS' : 'NONE' };
      },
    },
    GetShardIterator: {
      mutating: false,
      async run(ctx, input) {
        const s = await findStream(ctx, input, 'GetShardIterator');
        requireStatus(s, ctx.now, ['ACTIVE', 'UPDATING']);
        const shard = s.shards.find((x) => x.shardId === input.ShardId);
        if (!shard) throw err('ResourceNotFoundException', `Shard ${input.ShardId} in stream ${s.name} under account ${s.accountId} does not exist`);
        let i: number;
        switch (input.ShardIteratorType) {
          case 'TRIM_HORIZON':
            i = trimHorizon(s, shard, ctx.now);
            break;
          case 'LATEST':
            i = shard.records.length;
            break;
          case 'AT_SEQUENCE_NUMBER':
          case 'AFTER_SEQUENCE_NUMBER': {
            const at = shard.records.findIndex((r) => r.sequenceNumber === input.StartingSequenceNumber);
            if (at < 0) throw err('InvalidArgumentException', `StartingSequenceNumber ${input.StartingSequenceNumber} used in GetShardIterator on shard ${shard.shardId} in stream ${s.name} under account ${s.accountId} is invalid.`);
            i = input.ShardIteratorType === 'AT_SEQUENCE_NUMBER' ? at : at + 1;
            break;
          }
          case 'AT_TIMESTAMP': {
            const t = new Date(input.Timestamp).getTime();
            const at = shard.records.findIndex((r) => r.arrivedAt >= t);
            i = Math.max(at < 0 ? shard.records.length : at, trimHorizon(s, shard, ctx.now));
            break;
          }
          default:
            throw err('ValidationException', `1 validation error detected: Value '${input.ShardIteratorType}' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP]`);
        }
        const token: IteratorToken = { s: s.arn, shard: shard.shardId, i, at: ctx.now };
        return { ShardIterator: Buffer.from(JSON.stringify(token)).toString('base64') };
      },
    },
    GetRecords: {
      mutating: false,
      async run(ctx, input) {
        let token: IteratorToken;
        try {
          token = JSON.parse(Buffer.from(String(input.ShardIterator), 'base64').toString('utf8')) as IteratorToken;
        } catch {
          throw err('InvalidArgumentException', 'Invalid ShardIterator.');
        }
        // Shard iterators expire five minutes after they are returned.
        if (ctx.now - token.at > 5 * 60_000) throw err('ExpiredIteratorException', 'Iterator expired. The iterator was created at time ' + new Date(token.at).toISOString() + ' while right now it is ' + new Date(ctx.now).toISOString() + ' which is further in the future than the tolerated delay of 300000 milliseconds.');
        const s = await findStream(ctx, { StreamARN: token.s }, 'GetRecords');
        const shard = s.shards.find((x) => x.shardId === token.shard);
        if (!shard) throw err('ResourceNotFoundException', `Shard ${token.shard} does not exist`);
        const limit = Math.min(input.Limit ?? 10_000, 10_000);
        const from = Math.max(token.i, trimHorizon(s, shard, ctx.now));
        const slice = shard.records.slice(from, from + limit);
        await requireDecryptable(ctx, s, slice);
        const next: IteratorToken = { ...token, i: from + slice.length, at: ctx.now };
        const last = shard.records[shard.records.length - 1];
        return {
          Records: slice.map((r) => ({ SequenceNumber: r.sequenceNumber, ApproximateArrivalTimestamp: new Date(r.arrivedAt), Data: r.data, PartitionKey: r.partitionKey, EncryptionType: r.keyArn ? 'KMS' : 'NONE' })),
          NextShardIterator: Buffer.from(JSON.stringify(next)).toString('base64'),
          MillisBehindLatest: last && next.i < shard.records.length ? Math.max(0, ctx.now - last.arrivedAt) : 0,
        };
      },
    },
  },
};

/**
 * GetRecords decrypts each record with the key that encrypted it, not the stream's key now, with the caller's
 * permissions: a record whose key is disabled, pending deletion or gone fails the whole call with the KMS
 * exception the GetRecords API reference lists (KMSDisabledException, KMSInvalidStateException,
 * KMSNotFoundException, KMSAccessDeniedException).
 */
async function requireDecryptable(ctx: CallContext, stream: Stream, records: KinesisRecord[]): Promise<void> {
  for (const keyArn of new Set(records.flatMap((r) => (r.keyArn ? [r.keyArn] : [])))) {
    const problem = await recordKeyError(ctx.cloud, stream, keyArn, { principal: ctx.principal, identityPolicies: [{ name: 'admin', policy: adminPolicy }] }, ctx.now);
    if (problem) throw err(problem.code, problem.message);
  }
}

async function policyTarget(ctx: CallContext, arn: string | undefined, action: string): Promise<{ stream: Stream; consumer?: Consumer; policy: Versioned<string> }> {
  if (!arn) throw err('ValidationException', "1 validation error detected: Value null at 'resourceARN' failed to satisfy constraint: Member must not be null");
  if (parseConsumerArn(arn)) {
    const { stream, consumer } = await findConsumer(ctx, { ConsumerARN: arn }, action);
    if (stream.accountId !== ctx.accountId) requireOwner(ctx, stream, action);
    return { stream, consumer, policy: consumer.policy };
  }
  const stream = await findStream(ctx, { StreamARN: arn }, action);
  if (stream.accountId !== ctx.accountId) requireOwner(ctx, stream, action);
  return { stream, policy: stream.policy };
}

/**
 * PutResourcePolicy and DeleteResourcePolicy API references: ResourceInUseException, "for successful
 * operation, the resource must be in the ACTIVE state". For a stream ARN that is the stream (not while
 * StartStreamEncryption, StopStreamEncryption or a reshard makes it UPDATING); for a consumer ARN the
 * consumer, with the message seen on AWS (cloudformation-coverage-roadmap#2442).
 */
function requirePolicyTargetActive(target: { stream: Stream; consumer?: Consumer }, now: number): void {
  if (!target.consumer) return requireStatus(target.stream, now, ['ACTIVE']);
  if (consumerStatus(target.consumer, now) !== 'ACTIVE') {
    throw err(KINESIS_CONSUMER_NOT_ACTIVE.code, KINESIS_CONSUMER_NOT_ACTIVE.text(target.consumer.name, Math.floor(target.consumer.createdAt / 1000), target.stream.name, target.stream.accountId));
  }
}

function validateRecord(data: unknown, partitionKey: unknown, field: string): void {
  if (!(data instanceof Uint8Array)) throw err('ValidationException', `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
  if (typeof partitionKey !== 'string' || partitionKey.length < 1 || partitionKey.length > 256) {
    throw err('ValidationException', "1 validation error detected: Value at 'partitionKey' failed to satisfy constraint: Member must have length less than or equal to 256 and greater than or equal to 1");
  }
  if (data.byteLength + Buffer.byteLength(partitionKey) > MAX_RECORD_BYTES) {
    throw err('ValidationException', `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${MAX_RECORD_BYTES}`);
  }
}

/** Resource policies naming a role that does not exist (in an account the fake knows) are rejected, as IAM-backed policy validation does. */
function validatePrincipalsExist(ctx: CallContext, doc: string): void {
  const parsed = JSON.parse(doc) as { Statement: unknown };
  for (const s of [parsed.Statement].flat() as Array<{ Principal?: { AWS?: string | string[] } }>) {
    for (const p of [s.Principal?.AWS ?? []].flat()) {
      const m = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(p);
      if (!m) continue;
      const account = ctx.cloud.accounts.get(m[1]!);
      if (account && !account.roles.has(m[2]!)) throw err('InvalidArgumentException', `Invalid principal in policy: "AWS":"${p}"`);
    }
  }
}

