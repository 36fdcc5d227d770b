import { createHash } from 'node:crypto';

/**
 * A resource's asynchronous state, computed from the clock rather than driven by timers: the resource is
 * in `state` until `until`, then in `then` (null: the resource no longer exists), or in a further phase
 * when it passes through more than one transitional state (an event source mapping: Creating, Enabling).
 */
export interface Phase {
  state: string;
  until: number;
  then: string | null | Phase;
}

export function phaseNow(p: Phase, now: number): string | null {
  if (now < p.until) return p.state;
  return typeof p.then === 'object' && p.then !== null ? phaseNow(p.then, now) : p.then;
}

/** A settled phase: the resource is in `state` from now on. */
export function settled(state: string): Phase {
  return { state, until: Number.NEGATIVE_INFINITY, then: state };
}

/**
 * A value with a history of writes, so a reader can ask "what is enforced at time t, given that writes
 * take `delay` to propagate?" and get the previous version until the new one has propagated.
 */
export class Versioned<T> {
  private history: Array<{ value: T | undefined; at: number }> = [];

  constructor(initial?: T, at = Number.NEGATIVE_INFINITY) {
    if (initial !== undefined) this.history.push({ value: initial, at });
  }

  set(value: T | undefined, at: number): void {
    this.history.push({ value, at });
  }

  get current(): T | undefined {
    return this.history[this.history.length - 1]?.value;
  }

  /** Every write, oldest first: what persistence.ts saves. */
  get writes(): ReadonlyArray<{ value: T | undefined; at: number }> {
    return this.history;
  }

  static fromWrites<T>(writes: ReadonlyArray<{ value: T | undefined; at: number }>): Versioned<T> {
    const v = new Versioned<T>();
    v.history = [...writes];
    return v;
  }

  effective(now: number, delay: number): T | undefined {
    for (let i = this.history.length - 1; i >= 0; i--) {
      const h = this.history[i]!;
      if (h.at + delay <= now) return h.value;
    }
    return undefined;
  }
}

export interface Tag {
  Key: string;
  Value: string;
}

// ---------------------------------------------------------------- Kinesis

export interface KinesisRecord {
  sequenceNumber: string;
  partitionKey: string;
  data: Uint8Array;
  arrivedAt: number;
  shardId: string;
  /**
   * The ARN of the key that encrypted the record, when the stream was ACTIVE with KMS as it was written.
   * The record keeps it: StopStreamEncryption and a later key change leave records already written as they are.
   */
  keyArn?: string;
}

export interface Shard {
  shardId: string;
  startingHashKey: bigint;
  endingHashKey: bigint;
  startingSequenceNumber: string;
  records: KinesisRecord[];
}

export interface Consumer {
  name: string;
  arn: string;
  createdAt: number;
  phase: Phase;
  policy: Versioned<string>;
  tags: Record<string, string>;
}

export interface Stream {
  name: string;
  arn: string;
  accountId: string;
  region: string;
  createdAt: number;
  mode: 'ON_DEMAND' | 'PROVISIONED';
  shards: Shard[];
  phase: Phase;
  encryption: { type: 'NONE' | 'KMS'; keyId?: string };
  consumers: Map<string, Consumer>;
  policy: Versioned<string>;
  tags: Record<string, string>;
  retentionHours: number;
  sequence: number;
}

// ---------------------------------------------------------------- KMS

export interface Grant {
  grantId: string;
  grantToken: string;
  name?: string;
  granteePrincipal: string;
  retiringPrincipal?: string;
  operations: string[];
  constraints?: { EncryptionContextSubset?: Record<string, string>; EncryptionContextEquals?: Record<string, string> };
  issuingAccount: string;
  createdAt: number;
  /** When RetireGrant/RevokeGrant was called: the grant stays enforced until that has propagated. */
  removedAt?: number;
}

export interface Key {
  keyId: string;
  arn: string;
  accountId: string;
  region: string;
  createdAt: number;
  description: string;
  keyManager: 'CUSTOMER' | 'AWS';
  keySpec: string;
  keyUsage: string;
  policy: string;
  tags: Tag[];
  /** Set by CancelKeyDeletion: the key comes back Disabled. */
  disabled?: boolean;
  deletionDate?: number;
  pendingWindowInDays?: number;
  grants: Grant[];
}

export interface Alias {
  name: string;
  keyId: string;
  createdAt: number;
}

// ---------------------------------------------------------------- IAM

export interface Role {
  name: string;
  arn: string;
  roleId: string;
  path: string;
  createdAt: number;
  description?: string;
  assumeRolePolicy: string;
  maxSessionDuration: number;
  tags: Tag[];
  /** Inline policies by name, with history so that new documents propagate. */
  inline: Versioned<Record<string, string>>;
  attached: Array<{ PolicyName: string; PolicyArn: string }>;
}

// ---------------------------------------------------------------- Lambda

export interface LambdaFunction {
  name: string;
  arn: string;
  role: string;
  runtime?: string;
  handler?: string;
  description: string;
  timeout: number;
  memorySize: number;
  codeSize: number;
  codeSha256: string;
  environment?: Record<string, string>;
  architectures: string[];
  packageType: string;
  createdAt: number;
  phase: Phase;
  tags: Record<string, string>;
  revision: number;
  /** Until when an UpdateFunctionCode or UpdateFunctionConfiguration is InProgress. */
  updatingUntil?: number;
  /** LoggingConfig.LogGroup when the function logs somewhere other than `/aws/lambda/<name>`. */
  logGroup?: string;
}

export interface EventSourceMapping {
  uuid: string;
  functionArn: string;
  eventSourceArn: string;
  createdAt: number;
  lastModified: number;
  phase: Phase;
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  parallelizationFactor: number;
  startingPosition: string;
  startingPositionTimestamp?: number;
  bisectBatchOnFunctionError: boolean;
  maximumRetryAttempts: number;
  maximumRecordAgeInSeconds: number;
  tumblingWindowInSeconds: number;
  functionResponseTypes: string[];
  destinationConfig?: unknown;
  /** MetricsConfig.Metrics: `EventCount` makes the mapping send its event-count metrics. */
  metrics?: string[];
  tags: Record<string, string>;
  stateTransitionReason: string;
  lastProcessingResult: string;
  /** Start of the current enabled window: when the mapping starts polling, `esmPollingStart` after it is Enabled. */
  enabledFrom?: number;
  /** End of the current enabled window (Disabling/Deleting started). */
  enabledUntil?: number;
  /** Arrival time from which LATEST starts reading, fixed when the mapping first starts polling. */
  latestFrom?: number;
  /** Next record index to deliver, per shard id. */
  positions: Map<string, number>;
  /** When a read that failed (access, KMS) is next tried, per shard id. */
  readRetryAt?: Map<string, number>;
}

// ---------------------------------------------------------------- Logs

export interface LogEvent {
  logStreamName: string;
  timestamp: number;
  ingestionTime: number;
  message: string;
  eventId: string;
  /** Insertion order across the whole cloud, used by live tail. */
  seq: number;
}

export interface LogGroup {
  name: string;
  arn: string;
  createdAt: number;
  retentionInDays?: number;
  tags: Record<string, string>;
  streams: Set<string>;
  events: LogEvent[];
}

// ---------------------------------------------------------------- SQS

export interface QueueMessage {
  messageId: string;
  body: string;
  sentAt: number;
  /** Sent with a delay (DelaySeconds, or the queue's): delayed, not yet receivable, until then. */
  availableAt?: number;
  /** Received with a visibility timeout: in flight, hidden from other receivers, until then. */
  hiddenUntil?: number;
}

export interface Queue {
  name: string;
  url: string;
  arn: string;
  createdAt: number;
  /** As CreateQueue was given them (Policy included); the computed ones are added when read. */
  attributes: Record<string, string>;
  tags: Record<string, string>;
  messages: QueueMessage[];
  /** When DeleteQueue was called: the queue is still found for `queueDelete`, its name refused for `queueNameReuse`. */
  deletedAt?: number;
}

// ---------------------------------------------------------------- SNS and S3 (failure destinations only)

export interface Topic {
  name: string;
  arn: string;
  /** As seeded (KmsMasterKeyId, Policy); the computed ones are added when read. */
  attributes: Record<string, string>;
  /** What was published to it, newest last. */
  published: Array<{ messageId: string; message: string; at: number }>;
  /** Absent for a seeded topic and in a sandbox saved before CreateTopic was modelled. */
  tags?: Record<string, string>;
  /** Email subscriptions stay pending until the person confirms: the model never confirms them. */
  subscriptions?: Array<{ protocol: string; endpoint: string }>;
}

/** A CloudWatch metric alarm (PutMetricAlarm); its state is computed from the metrics when read. */
export interface MetricAlarm {
  name: string;
  arn: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  statistic: string;
  period: number;
  evaluationPeriods: number;
  threshold: number;
  comparison: string;
  treatMissingData: string;
  actions: string[];
  description?: string;
  tags: Record<string, string>;
  /** When PutMetricAlarm last created or overwrote it: it is INSUFFICIENT_DATA until a period has passed since. */
  updatedAt: number;
}

export interface Bucket {
  name: string;
  accountId: string;
  region: string;
  /** The bucket's default encryption (PutBucketEncryption's ApplyServerSideEncryptionByDefault). */
  encryption: { SSEAlgorithm: 'AES256' | 'aws:kms' | 'aws:kms:dsse'; KMSMasterKeyID?: string };
  bucketKeyEnabled: boolean;
  objects: Map<string, { body: string; at: number; kmsKeyArn?: string }>;
}

// ---------------------------------------------------------------- Accounts

export interface RegionState {
  streams: Map<string, Stream>;
  keys: Map<string, Key>;
  aliases: Map<string, Alias>;
  functions: Map<string, LambdaFunction>;
  esms: Map<string, EventSourceMapping>;
  logGroups: Map<string, LogGroup>;
  /** Absent in a sandbox saved before queues were modelled. */
  queues?: Map<string, Queue>;
  /** Absent in a sandbox saved before topics and buckets were modelled. */
  topics?: Map<string, Topic>;
  buckets?: Map<string, Bucket>;
  /** Absent in a sandbox saved before alarms were modelled. */
  alarms?: Map<string, MetricAlarm>;
  /** CloudWatch datapoints the services sent from this account and region (cloudwatch.ts); absent before any. */
  metrics?: MetricDatum[];
}

/** One value a service sent to CloudWatch. */
export interface MetricDatum {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  at: number;
  value: number;
}

export interface AccountState {
  accountId: string;
  /** IAM is global: roles are per account, not per region. */
  roles: Map<string, Role>;
  regions: Map<string, RegionState>;
  /** Actions the account's own caller (an admin otherwise) is not allowed, e.g. `cloudwatch:GetMetricData`. */
  callerDenied?: string[];
}

export function newRegionState(): RegionState {
  return { streams: new Map(), keys: new Map(), aliases: new Map(), functions: new Map(), esms: new Map(), logGroups: new Map(), queues: new Map() };
}

/** Deterministic identifiers, so two runs of the same scenario produce the same ARNs and UUIDs. */
export class IdSource {
  private n = 0;

  /** How many ids were handed out; a restored cloud resumes from there, so ids stay unique. */
  get issued(): number {
    return this.n;
  }

  resume(issued: number): void {
    this.n = issued;
  }

  private digest(kind: string): string {
    return createHash('md5').update(`${kind}:${++this.n}`).digest('hex');
  }

  uuid(): string {
    const h = this.digest('uuid');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  hex(length: number): string {
    let out = '';
    while (out.length < length) out += this.digest('hex');
    return out.slice(0, length);
  }

  /** IAM unique ids look like AROA + 17 upper-case alphanumerics. */
  iamId(prefix: string): string {
    return prefix + this.hex(17).toUpperCase();
  }
}

export function parseArn(arn: string): { partition: string; service: string; region: string; account: string; resource: string } | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return { partition: parts[1]!, service: parts[2]!, region: parts[3]!, account: parts[4]!, resource: parts.slice(5).join(':') };
}
