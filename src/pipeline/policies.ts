import type { CreateGrantRequest } from '@aws-sdk/client-kms';
import { ExitCode, UserError } from '../errors.js';
import { SID_KINDS, isOwnSid } from './names.js';
import { failureDestinationService } from './validate.js';

export type ConditionBlock = Record<string, Record<string, string | string[]>>;

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | { AWS?: string | string[]; Service?: string | string[] };
  Action: string | string[];
  Resource?: string | string[];
  Condition?: ConditionBlock;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/**
 * A statement read back from AWS. Statements someone else wrote can hold anything, so
 * they are carried as opaque objects and written back exactly as they were read.
 */
export type ForeignStatement = Record<string, unknown>;

/** A policy document read back from AWS: its other top-level fields (Id, Version) are kept. */
export interface ExistingPolicyDocument {
  [key: string]: unknown;
  Statement: ForeignStatement[];
}

export const POLICY_VERSION = '2012-10-17';

/** The largest Kinesis resource policy, in bytes. */
export const RESOURCE_POLICY_MAX_BYTES = 20 * 1024;

/**
 * What Lambda's event source mapping calls on the stream. The documented set for a
 * cross-account stream policy; `kinesis:ListStreams` is left out because it lists the
 * caller's own account and cannot be granted on another account's stream.
 */
export const STREAM_READ_ACTIONS = [
  'kinesis:DescribeStream',
  'kinesis:DescribeStreamSummary',
  'kinesis:GetRecords',
  'kinesis:GetShardIterator',
  'kinesis:ListShards',
] as const;

/** What the event source mapping calls on an enhanced fan-out consumer. */
export const CONSUMER_ACTIONS = ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'] as const;

/** Kinesis server-side encryption puts the stream ARN in the KMS encryption context under this key. */
export const KINESIS_ENCRYPTION_CONTEXT_KEY = 'aws:kinesis:arn';

/**
 * What Lambda calls to write the function's logs into the group setup made. Both are authorised against
 * `<log-group-arn>:log-stream:<stream>`, so the policy names `<log-group-arn>:*`: the bare group ARN matches nothing.
 */
export const LOG_STREAM_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'] as const;

// ---------------------------------------------------------------------------------------
// Resource policies (producer account)

/** Our statement in the stream's resource policy: the consumer role may read this stream. */
export function streamPolicyStatement(input: { sid: string; roleArn: string; streamArn: string }): PolicyStatement {
  return {
    Sid: input.sid,
    Effect: 'Allow',
    Principal: { AWS: input.roleArn },
    Action: [...STREAM_READ_ACTIONS],
    Resource: input.streamArn,
  };
}

/** Our statement in the EFO consumer's resource policy. */
export function consumerPolicyStatement(input: { sid: string; roleArn: string; consumerArn: string }): PolicyStatement {
  return {
    Sid: input.sid,
    Effect: 'Allow',
    Principal: { AWS: input.roleArn },
    Action: [...CONSUMER_ACTIONS],
    Resource: input.consumerArn,
  };
}

export function policyDocument(statements: PolicyStatement[]): PolicyDocument {
  return { Version: POLICY_VERSION, Statement: statements };
}

/**
 * The default key policy: the producer account's root, so IAM policies in that account
 * decide who manages the key. The consumer role gets access through a grant, not here.
 */
export function keyPolicy(producerAccountId: string, partition = 'aws'): PolicyDocument {
  return policyDocument([
    {
      Sid: 'Enable IAM User Permissions',
      Effect: 'Allow',
      Principal: { AWS: `arn:${partition}:iam::${producerAccountId}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
  ]);
}

/** CreateGrant input: the consumer role may Decrypt, only for records of this stream. */
export function kmsGrantRequest(input: {
  keyId: string;
  roleArn: string;
  streamArn: string;
  name: string;
}): CreateGrantRequest & { Operations: ['Decrypt'] } {
  return {
    KeyId: input.keyId,
    GranteePrincipal: input.roleArn,
    Operations: ['Decrypt'],
    Constraints: { EncryptionContextSubset: { [KINESIS_ENCRYPTION_CONTEXT_KEY]: input.streamArn } },
    Name: input.name,
  };
}

// ---------------------------------------------------------------------------------------
// The consumer role (consumer account)

/**
 * Trust policy of the consumer role. `sourceAccount` adds an `aws:SourceAccount`
 * condition; it is off unless asked for, because Lambda's documented execution-role
 * trust policy has no condition and a role Lambda cannot assume breaks the function.
 */
export function lambdaTrustPolicy(options: { sourceAccount?: string } = {}): PolicyDocument {
  const statement: PolicyStatement = {
    Effect: 'Allow',
    Principal: { Service: 'lambda.amazonaws.com' },
    Action: 'sts:AssumeRole',
  };
  if (options.sourceAccount) {
    statement.Condition = { StringEquals: { 'aws:SourceAccount': options.sourceAccount } };
  }
  return policyDocument([statement]);
}

/**
 * The role's inline policy, scoped to this deployment's stream, consumer, key and log
 * group. Cross-account access also needs the stream and consumer policies above.
 */
export function consumerRoleInlinePolicy(input: {
  streamArn: string;
  consumerArn: string;
  keyArn: string;
  logGroupArn: string;
  /** The mapping's on-failure destination, if it has one. */
  failureDestinationArn?: string;
  /** The KMS key that encrypts that destination, if the role needs one. */
  failureDestinationKey?: DestinationKeyAccess;
}): PolicyDocument {
  return policyDocument([
    { Sid: 'ReadStream', Effect: 'Allow', Action: [...STREAM_READ_ACTIONS], Resource: input.streamArn },
    { Sid: 'ReadEfoConsumer', Effect: 'Allow', Action: [...CONSUMER_ACTIONS], Resource: input.consumerArn },
    {
      Sid: 'DecryptStreamRecords',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: input.keyArn,
      Condition: {
        StringEquals: { [`kms:EncryptionContext:${KINESIS_ENCRYPTION_CONTEXT_KEY}`]: input.streamArn },
      },
    },
    { Sid: 'WriteLogs', Effect: 'Allow', Action: [...LOG_STREAM_ACTIONS], Resource: `${input.logGroupArn}:*` },
    ...(input.failureDestinationArn ? failureDestinationStatements(input.failureDestinationArn, input.failureDestinationKey) : []),
  ]);
}

/**
 * What Lambda calls, as the execution role, to report a failed batch (the Lambda developer guide, Kinesis
 * on-failure destinations): SendMessage on a queue, Publish on a topic, PutObject and ListBucket on a bucket.
 */
export function failureDestinationStatements(arn: string, key?: DestinationKeyAccess): PolicyStatement[] {
  const service = failureDestinationService(arn);
  if (service === 'sqs') return [{ Sid: 'ReportFailedBatches', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arn }, ...destinationKeyStatements(key, ['kms:GenerateDataKey', 'kms:Decrypt'])];
  if (service === 'sns') return [{ Sid: 'ReportFailedBatches', Effect: 'Allow', Action: 'sns:Publish', Resource: arn }, ...destinationKeyStatements(key, ['kms:GenerateDataKey', 'kms:Decrypt'])];
  if (service === 's3') {
    return [
      { Sid: 'ReportFailedBatches', Effect: 'Allow', Action: 's3:PutObject', Resource: `${arn}/*` },
      { Sid: 'ListFailedBatches', Effect: 'Allow', Action: 's3:ListBucket', Resource: arn },
      ...destinationKeyStatements(key, ['kms:GenerateDataKey']),
    ];
  }
  throw new UserError(`"${arn}" is not an SQS queue, SNS topic or S3 bucket ARN.`);
}

/**
 * The key a destination is encrypted with, as the role's policy names it: its ARN, or, for a destination
 * of another account whose encryption the consumer profile cannot read, every key of that account used
 * through the destination's service only (`viaService`, the kms:ViaService condition).
 */
export interface DestinationKeyAccess {
  resource: string;
  viaService?: string;
}

/**
 * What the role needs of the key that encrypts the destination (Lambda Developer Guide, on-failure
 * destinations): GenerateDataKey for an S3 bucket, GenerateDataKey and Decrypt for a queue or topic.
 */
function destinationKeyStatements(key: DestinationKeyAccess | undefined, actions: string[]): PolicyStatement[] {
  if (!key) return [];
  return [{ Sid: 'EncryptFailedBatchReports', Effect: 'Allow', Action: actions, Resource: key.resource, ...(key.viaService && { Condition: { StringEquals: { 'kms:ViaService': key.viaService } } }) }];
}

// ---------------------------------------------------------------------------------------
// Merging our statements into a policy someone else may share

/** Every Sid a deployment may own, including kinds from older versions. */
export function ownSids(sidPrefix: string): string[] {
  return SID_KINDS.map((kind) => `${sidPrefix}${kind}`);
}

export interface MergedPolicy {
  policy: ExistingPolicyDocument;
  /** What to send to PutResourcePolicy. */
  json: string;
  /** False when the existing policy already holds exactly our statements: no Put needed. */
  changed: boolean;
}

/**
 * Puts `ours` into an existing resource policy (PutResourcePolicy replaces the whole
 * policy). Statements whose Sid belongs to `ourSidPrefix` are replaced in place or
 * dropped when no longer wanted; every other statement, and every other top-level field,
 * is kept as read and in its order. Our new statements go at the end.
 */
export function mergeStatements(
  existingPolicyJson: string | undefined,
  ours: PolicyStatement[],
  ourSidPrefix: string,
): MergedPolicy {
  for (const statement of ours) {
    if (!isOwnSid(statement.Sid, ourSidPrefix)) {
      throw new Error(`mergeStatements: Sid ${String(statement.Sid)} does not belong to prefix ${ourSidPrefix}`);
    }
  }
  const existing = parsePolicy(existingPolicyJson);
  const base: ExistingPolicyDocument = existing ?? { Version: POLICY_VERSION, Statement: [] };
  const oursBySid = new Map(ours.map((s) => [s.Sid as string, s]));
  const placed = new Set<string>();
  const statements: ForeignStatement[] = [];
  for (const statement of base.Statement) {
    const sid = statement['Sid'];
    if (!isOwnSid(sid, ourSidPrefix)) {
      statements.push(statement);
      continue;
    }
    const replacement = oursBySid.get(sid as string);
    if (replacement && !placed.has(sid as string)) {
      statements.push(replacement as unknown as ForeignStatement);
      placed.add(sid as string);
    }
  }
  for (const statement of ours) {
    if (!placed.has(statement.Sid as string)) statements.push(statement as unknown as ForeignStatement);
  }
  const policy: ExistingPolicyDocument = { ...base, Statement: statements };
  if (policy['Version'] === undefined) policy['Version'] = POLICY_VERSION;
  const json = JSON.stringify(policy);
  assertPolicySize(json, statements.length);
  const changed = !existing || !sameStatements(existing.Statement, statements);
  return { policy, json, changed };
}

/**
 * The policy left after removing the statements with these Sids, or undefined when
 * nothing is left (then delete the policy rather than put an empty one).
 */
export function removeStatements(
  existingPolicyJson: string | undefined,
  ourSids: readonly string[],
): ExistingPolicyDocument | undefined {
  const existing = parsePolicy(existingPolicyJson);
  if (!existing) return undefined;
  const remaining = existing.Statement.filter((s) => !ourSids.includes(s['Sid'] as string));
  if (remaining.length === 0) return undefined;
  return { ...existing, Statement: remaining };
}

/** Whether the policy holds any statement with one of these Sids. */
export function hasStatements(existingPolicyJson: string | undefined, sids: readonly string[]): boolean {
  const existing = parsePolicy(existingPolicyJson);
  return existing !== undefined && existing.Statement.some((s) => sids.includes(s['Sid'] as string));
}

/**
 * Parses a policy as returned by AWS. Undefined for no policy (absent, empty, `{}` or no
 * statements). Refuses what it cannot read: writing over it would lose someone's access.
 */
export function parsePolicy(json: string | undefined): ExistingPolicyDocument | undefined {
  if (json === undefined || json.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw unreadablePolicy(`it is not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw unreadablePolicy('it is not a JSON object');
  }
  const document = parsed as Record<string, unknown>;
  const statement = document['Statement'];
  if (statement === undefined) return undefined;
  // IAM accepts a single statement object in place of an array.
  const list = Array.isArray(statement) ? statement : [statement];
  if (!list.every((s) => typeof s === 'object' && s !== null && !Array.isArray(s))) {
    throw unreadablePolicy('its Statement is not a list of objects');
  }
  if (list.length === 0) return undefined;
  return { ...document, Statement: list as ForeignStatement[] };
}

function unreadablePolicy(why: string): UserError {
  return new UserError(
    `The existing resource policy cannot be read: ${why}. kds-xacct will not replace a policy it cannot merge into.`,
    'Fix or remove the policy (`aws kinesis get-resource-policy`, `aws kinesis put-resource-policy`), then run again.',
    ExitCode.Failed,
  );
}

/** The resource policy would exceed {@link RESOURCE_POLICY_MAX_BYTES}. */
export class PolicyTooLargeError extends UserError {
  override name = 'PolicyTooLargeError';
  constructor(
    readonly bytes: number,
    readonly statementCount: number,
  ) {
    super(
      `The resource policy would be ${bytes} bytes, over the ${RESOURCE_POLICY_MAX_BYTES}-byte (20 KB) limit for Kinesis resource policies. It would hold ${statementCount} statements.`,
      'Remove statements that are no longer used (for example of deployments torn down by hand), or use another stream for further consumer accounts.',
      ExitCode.Failed,
    );
  }
}

function assertPolicySize(json: string, statementCount: number): void {
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > RESOURCE_POLICY_MAX_BYTES) throw new PolicyTooLargeError(bytes, statementCount);
}

/**
 * Statement lists equal in meaning: AWS may hand a policy back with single values where
 * we sent one-element lists, with lists reordered, or with keys in another order.
 */
export function sameStatements(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((s, i) => canonical(s) === canonical(b[i]));
}

function canonical(value: unknown): string {
  return JSON.stringify(normalize(value));
}

function normalize(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(normalize);
    return items.every((v) => typeof v === 'string') ? [...(items as string[])].sort() : items;
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = normalize((value as Record<string, unknown>)[key]);
      // "a" and ["a"] mean the same in a policy.
      out[key] = typeof v === 'string' && key !== 'Sid' && key !== 'Effect' && key !== 'Version' ? [v] : v;
    }
    return out;
  }
  return value;
}

/**
 * How a statement read back from AWS differs from ours, in words a fix can act on: the actions it
 * no longer allows (what the mapping then cannot do) or also allows, and which other parts changed.
 */
export function statementDrift(wanted: PolicyStatement, found: ForeignStatement): string {
  const list = (value: unknown) => (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(String);
  const foundActions = new Set(list(found['Action']));
  const wantedActions = list(wanted.Action);
  const missing = wantedActions.filter((a) => !foundActions.has(a));
  const extra = [...foundActions].filter((a) => !wantedActions.includes(a));
  const parts = [
    ...(missing.length > 0 ? [`it no longer allows ${missing.join(', ')}`] : []),
    ...(extra.length > 0 ? [`it also allows ${extra.join(', ')}`] : []),
  ];
  const others = (['Effect', 'Principal', 'NotPrincipal', 'NotAction', 'Resource', 'NotResource', 'Condition'] as const).filter(
    (key) => canonical({ [key]: (wanted as unknown as ForeignStatement)[key] }) !== canonical({ [key]: found[key] }),
  );
  if (others.length > 0) parts.push(`its ${others.join(', ')} changed`);
  return parts.length > 0 ? parts.join('; ') : 'it differs from what setup writes';
}

/** How a whole policy of ours (the role's inline policy) differs, statement by statement (by Sid). */
export function policyDrift(wanted: readonly PolicyStatement[], found: readonly ForeignStatement[]): string {
  const bySid = new Map(found.map((s) => [s['Sid'], s]));
  const parts = wanted.flatMap((statement) => {
    const current = bySid.get(statement.Sid);
    if (!current) return [`statement ${statement.Sid} is gone (it allowed ${[statement.Action].flat().join(', ')})`];
    return sameStatements([current], [statement]) ? [] : [`statement ${statement.Sid}: ${statementDrift(statement, current)}`];
  });
  const ours = new Set(wanted.map((s) => s.Sid));
  const added = found.filter((s) => !ours.has(s['Sid'] as string | undefined));
  if (added.length > 0) parts.push(`${added.length} statement(s) not written by setup: ${added.map((s) => s['Sid'] ?? '(no Sid)').join(', ')}`);
  return parts.length > 0 ? parts.join('; ') : 'it differs from what setup writes';
}
