/**
 * The hub of the model of AWS: accounts and regions, dispatch of every SDK call to its service model,
 * fault injection, lazily computed state, seeding of existing resources and reads for assertions. One
 * cohesive unit, kept in one file although it is longer than our usual limit; the services
 * themselves live in their own files.
 */
import { isPartitionRegion } from '../regions.js';
import type { Clock } from '../engine/clock.js';
import type { AccessDecision, AccessEvaluator, AccessRequest } from './access.js';
import type { CallContext, Cloud, ServiceModel } from './context.js';
import { defaultRuntime, deliverDue } from './delivery.js';
import type { FunctionRuntime } from './function-runtime.js';
import { type ServiceName, accessDeniedCode, awsError, serverError, throttlingError } from './errors.js';
import { iamModel, newRole } from './iam.js';
import { appendRecord, createStreamState, encryptingKeyArn, kinesisModel, streamStatus } from './kinesis.js';
import { kmsModel, newKey } from './kms.js';
import { functionArn, lambdaModel } from './lambda.js';
import { type LatencyModel, defaultLatency } from './latency.js';
import { logsModel, newLogGroup } from './logs.js';
import { queueIsGone, queuesOf, sqsModel } from './sqs.js';
import { snsModel, topicsOf } from './sns.js';
import { bucketsOf, s3Model } from './s3.js';
import { shippedAccessEvaluator } from './policy-evaluator.js';
import { type SdkCall, type SdkClient, attachClient, installOnClientClasses } from './sdk-adapter.js';
import { type AccountState, IdSource, type KinesisRecord, type LogEvent, type LogGroup, type RegionState, type Tag, Versioned, newRegionState, phaseNow } from './model.js';
import { stsModel } from './sts.js';

export interface RecordedCall {
  accountId: string;
  region: string;
  service: ServiceName;
  command: string;
  input: unknown;
  mutating: boolean;
  /** Virtual time the call was sent. */
  at: number;
  /** The error name (code) when the call failed. */
  error?: string;
}

interface FaultRule {
  command: string;
  accountId?: string;
  when?: (input: any) => boolean;
  /** `server`: the service's own 5xx (errors.ts `serverError`), whichever service the command belongs to. */
  error: { code: string; message?: string } | 'server';
  remaining: number;
}

/**
 * Everything a cloud needs to carry on where another left off (persistence.ts turns it into JSON): the
 * accounts with every resource, the counters behind ids and log event order, and the faults still armed.
 * Not in it: `calls`, a log for assertions about this process; and what the constructor and
 * `setFunctionRuntime` configure (clock, latency, access evaluator, runtimes).
 */
export interface CloudState {
  accounts: Map<string, AccountState>;
  idsIssued: number;
  logSequence: number;
  streamSuffixes: Map<string, string>;
  diagnostics: string[];
  faults: Array<Omit<FaultRule, 'when'>>;
  throttles: Map<string, number>;
  mutatingFailAt?: { n: number; code?: string };
  mutatingSeen: number;
  recordFailures: number;
  liveTailUnavailable: boolean | { code: string; message: string };
  liveTailSessionMs: number;
}

const MODELS: ServiceModel[] = [stsModel, kinesisModel, kmsModel, iamModel, lambdaModel, logsModel, sqsModel, snsModel, s3Model];
const ACCESS_KEY_PREFIX = 'AKIAFAKE';

function bareCommand(name: string): string {
  return name.endsWith('Command') ? name.slice(0, -'Command'.length) : name;
}

/**
 * A stateful, multi-account AWS fake behind the real SDK clients (sdk-adapter.ts). See README.md in this folder.
 *
 * Everything asynchronous (CREATING -> ACTIVE, propagation, record delivery) is computed from the
 * injected clock when it is observed; nothing runs in the background.
 */
export class FakeCloud implements Cloud {
  readonly clock: Clock;
  readonly latency: LatencyModel;
  readonly ids = new IdSource();
  /** Every account's state, by account id. Read it in assertions; prefer the seed methods to write it. */
  readonly accounts = new Map<string, AccountState>();
  /** Every call that reached the fake, in order, including failed ones. */
  readonly calls: RecordedCall[] = [];
  /** Why something the fake computed lazily did not happen (e.g. log lines dropped for lack of permission). */
  readonly diagnostics: string[] = [];
  /** Make StartLiveTail fail as an endpoint without Live Tail would (true: UnknownOperationException). */
  liveTailUnavailable: boolean | { code: string; message: string } = false;
  /** How long a Live Tail session lasts before it ends with SessionTimeoutException (AWS: 3 hours). */
  liveTailSessionMs = 3 * 60 * 60 * 1000;

  private uninstall: (() => void) | undefined;
  private faults: FaultRule[] = [];
  private throttles = new Map<string, number>();
  private mutatingFailAt: { n: number; code?: string } | undefined;
  private mutatingSeen = 0;
  private recordFailures = 0;
  private runtimes = new Map<string, FunctionRuntime>();
  private runtime: FunctionRuntime = defaultRuntime;
  private delivering: Promise<void> = Promise.resolve();
  private streamSuffixes = new Map<string, string>();
  private logSeq = 0;

  private readonly access: AccessEvaluator;

  /** `access` judges IAM and resource policies; by default the evaluator that ships with the sandbox. */
  constructor(opts: { clock: Clock; latency?: Partial<LatencyModel>; access?: AccessEvaluator }) {
    this.clock = opts.clock;
    this.latency = { ...defaultLatency, ...(opts.latency ?? {}) };
    this.access = opts.access ?? shippedAccessEvaluator;
  }

  /** @internal how every modelled service decides whether a request is allowed. */
  evaluateAccess(req: AccessRequest): Promise<AccessDecision> {
    return this.access(req);
  }

  // ------------------------------------------------------------------ accounts and credentials

  addAccount(accountId: string): void {
    if (!/^\d{12}$/.test(accountId)) throw new Error(`FakeCloud: account id must be 12 digits, got ${accountId}`);
    if (!this.accounts.has(accountId)) this.accounts.set(accountId, { accountId, roles: new Map(), regions: new Map() });
  }

  /** Static fake keys that map back to the account. The account is added if it is new. */
  credentialsFor(accountId: string): { accessKeyId: string; secretAccessKey: string } {
    this.addAccount(accountId);
    return { accessKeyId: `${ACCESS_KEY_PREFIX}${accountId}`, secretAccessKey: `fake-secret-for-${accountId}` };
  }

  account(accountId: string): AccountState {
    const a = this.accounts.get(accountId);
    if (!a) throw new Error(`FakeCloud: unknown account ${accountId}; call addAccount first`);
    return a;
  }

  /** The account's state in one region (created on first use); undefined for an unknown account. */
  regionState(accountId: string, region: string): RegionState | undefined {
    const a = this.accounts.get(accountId);
    if (!a) return undefined;
    let rs = a.regions.get(region);
    if (!rs) {
      rs = newRegionState();
      a.regions.set(region, rs);
    }
    return rs;
  }

  // ------------------------------------------------------------------ persistence

  /** The cloud's state, by reference: encode it (persistence.ts) before the cloud changes again. */
  exportState(): CloudState {
    if (this.faults.some((f) => f.remaining > 0 && f.when)) throw new Error('FakeCloud: a fault armed with a `when` predicate cannot be persisted');
    return {
      accounts: this.accounts,
      idsIssued: this.ids.issued,
      logSequence: this.logSeq,
      streamSuffixes: this.streamSuffixes,
      diagnostics: this.diagnostics,
      faults: this.faults.filter((f) => f.remaining > 0),
      throttles: this.throttles,
      ...(this.mutatingFailAt ? { mutatingFailAt: this.mutatingFailAt } : {}),
      mutatingSeen: this.mutatingSeen,
      recordFailures: this.recordFailures,
      liveTailUnavailable: this.liveTailUnavailable,
      liveTailSessionMs: this.liveTailSessionMs,
    };
  }

  /** Replaces this cloud's state with `state`, which it takes over. */
  importState(state: CloudState): void {
    this.accounts.clear();
    for (const [id, account] of state.accounts) this.accounts.set(id, account);
    this.ids.resume(state.idsIssued);
    this.logSeq = state.logSequence;
    this.streamSuffixes = state.streamSuffixes;
    this.diagnostics.splice(0, this.diagnostics.length, ...state.diagnostics);
    this.faults = state.faults;
    this.throttles = state.throttles;
    this.mutatingFailAt = state.mutatingFailAt;
    this.mutatingSeen = state.mutatingSeen;
    this.recordFailures = state.recordFailures;
    this.liveTailUnavailable = state.liveTailUnavailable;
    this.liveTailSessionMs = state.liveTailSessionMs;
  }

  // ------------------------------------------------------------------ SDK clients

  /** Answers every call of every SDK client instance from this cloud, until `restore()`; idempotent. */
  install(): void {
    this.uninstall ??= installOnClientClasses(
      MODELS.map((m) => m.client),
      (call) => this.handle(call),
    );
  }

  restore(): void {
    this.uninstall?.();
    this.uninstall = undefined;
  }

  /** Answers this one client's calls from this cloud, installed or not. */
  attach<C extends SdkClient>(client: C): C {
    return attachClient(client, (call) => this.handle(call));
  }

  /** Runs one SDK call against the model: the single path every attached or installed client takes. */
  async handle(sdkCall: SdkCall): Promise<object> {
    const model = MODELS.find((m) => `${m.service}Client` === sdkCall.clientName);
    const command = bareCommand(sdkCall.commandName);
    const op = model?.operations[command];
    if (!model || !op) {
      const service = model?.service ?? sdkCall.clientName.replace(/Client$/, '');
      throw new Error(`FakeCloud does not model ${service}.${command} (unmodelled call on ${sdkCall.clientName} with input ${JSON.stringify(sdkCall.input)})`);
    }
    const { input, region, accessKeyId } = sdkCall as SdkCall & { input: any };
    // IAM is global (iam.amazonaws.com); every other service's host names the region, which DNS knows only for a partition's region.
    if (model.service !== 'IAM' && !isPartitionRegion(region)) throw unresolvedHost(`${ENDPOINT_PREFIX[model.service] ?? model.service.toLowerCase()}.${region}.amazonaws.com`);
    const accountId = accessKeyId.startsWith(ACCESS_KEY_PREFIX) ? accessKeyId.slice(ACCESS_KEY_PREFIX.length) : '';
    const call: RecordedCall = { accountId, region, service: model.service, command, input, mutating: op.mutating, at: this.clock.now() };
    this.calls.push(call);
    try {
      if (!this.accounts.has(accountId)) {
        throw model.service === 'STS' || model.service === 'IAM'
          ? awsError(model.service, 'InvalidClientTokenId', 'The security token included in the request is invalid.')
          : awsError(model.service, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
      }
      if (this.latency.apiCall > 0) await this.clock.sleep(this.latency.apiCall);
      this.injectFaults(model.service, command, accountId, input, op.mutating);
      await this.materialize();
      this.sweep();
      const ctx: CallContext = { cloud: this, accountId, region, principal: `arn:aws:iam::${accountId}:user/fake`, now: this.clock.now() };
      const out = await op.run(ctx, input);
      return { $metadata: { httpStatusCode: 200, requestId: 'fake-request-id', attempts: 1, totalRetryDelay: 0 }, ...(out as object) };
    } catch (e) {
      call.error = (e as Error).name;
      throw e;
    }
  }

  private injectFaults(service: ServiceName, command: string, accountId: string, input: unknown, mutating: boolean): void {
    const throttled = this.throttles.get(command) ?? 0;
    if (throttled > 0) {
      this.throttles.set(command, throttled - 1);
      throw throttlingError(service, accountId);
    }
    const rule = this.faults.find((f) => f.remaining > 0 && f.command === command && (!f.accountId || f.accountId === accountId) && (!f.when || f.when(input)));
    if (rule) {
      rule.remaining--;
      throw rule.error === 'server' ? serverError(service) : awsError(service, rule.error.code, rule.error.message ?? `Injected ${rule.error.code} for ${command}`);
    }
    if (mutating && this.mutatingFailAt) {
      this.mutatingSeen++;
      if (this.mutatingSeen === this.mutatingFailAt.n) {
        const code = this.mutatingFailAt.code ?? accessDeniedCode(service);
        this.mutatingFailAt = undefined;
        throw awsError(service, code, `Injected ${code} at mutating call ${this.mutatingSeen} (${service}.${command})`);
      }
    }
  }

  mutatingCalls(): RecordedCall[] {
    return this.calls.filter((c) => c.mutating);
  }

  // ------------------------------------------------------------------ fault injection

  /** The next `times` calls matching `match` throw `error` (command without the "Command" suffix, e.g. 'CreateStream'). */
  failOn(match: { command: string; accountId?: string; when?: (input: any) => boolean }, error: { code: string; message?: string }, times = 1): void {
    this.faults.push({ command: bareCommand(match.command), ...(match.accountId ? { accountId: match.accountId } : {}), ...(match.when ? { when: match.when } : {}), error, remaining: times });
  }

  /** The next `times` calls matching `match` fail with the service's 5xx, as AWS returns it (errors.ts `serverError`). */
  failWithServerError(match: { command: string; accountId?: string; when?: (input: any) => boolean }, times = 1): void {
    this.faults.push({ command: bareCommand(match.command), ...(match.accountId ? { accountId: match.accountId } : {}), ...(match.when ? { when: match.when } : {}), error: 'server', remaining: times });
  }

  /**
   * The n-th (1-based) mutating call from now throws the service's access denial (or `code`): an error that
   * no retry gets past, as a missing permission or an SCP gives, so the step fails.
   */
  failAtMutatingCall(n: number, code?: string): void {
    this.mutatingSeen = 0;
    this.mutatingFailAt = { n, ...(code ? { code } : {}) };
  }

  /** The next `times` calls of `command` throw the service's real throttling error. */
  throttle(command: string, times: number): void {
    const c = bareCommand(command);
    this.throttles.set(c, (this.throttles.get(c) ?? 0) + times);
  }

  /** The next `count` records written (PutRecords entries, or PutRecord calls) fail with ProvisionedThroughputExceededException. */
  failRecords(count: number): void {
    this.recordFailures += count;
  }

  /** @internal used by the Kinesis model. */
  takeRecordFailure(): boolean {
    if (this.recordFailures <= 0) return false;
    this.recordFailures--;
    return true;
  }

  // ------------------------------------------------------------------ lazily computed state

  /** Removes resources whose deletion has completed by now (streams, consumers, ESMs, keys past their deletion date). */
  sweep(): void {
    const now = this.clock.now();
    for (const account of this.accounts.values()) {
      for (const rs of account.regions.values()) {
        for (const [name, s] of rs.streams) {
          if (phaseNow(s.phase, now) === null) rs.streams.delete(name);
          else for (const [cn, c] of s.consumers) if (phaseNow(c.phase, now) === null) s.consumers.delete(cn);
        }
        for (const [id, e] of rs.esms) if (phaseNow(e.phase, now) === null) rs.esms.delete(id);
        for (const [id, k] of rs.keys) {
          if (k.deletionDate !== undefined && k.deletionDate <= now) {
            rs.keys.delete(id);
            for (const [an, a] of rs.aliases) if (a.keyId === id) rs.aliases.delete(an);
          }
        }
      }
    }
  }

  /** Delivers every record due by now to Enabled ESMs (serialised: concurrent callers wait for one pass). */
  materialize(): Promise<void> {
    const next = this.delivering.then(() => deliverDue(this));
    this.delivering = next.catch(() => undefined);
    return next;
  }

  /** What "running" a Lambda function does during delivery; per function when `functionName` is given. */
  setFunctionRuntime(fn: FunctionRuntime, functionName?: string): void {
    if (functionName) this.runtimes.set(functionName, fn);
    else this.runtime = fn;
  }

  /** @internal */
  runtimeFor(functionName: string): FunctionRuntime {
    return this.runtimes.get(functionName) ?? this.runtime;
  }

  /** @internal one log stream per function, as if one execution environment served every invocation. */
  streamSuffix(fnArn: string): string {
    let s = this.streamSuffixes.get(fnArn);
    if (!s) {
      s = this.ids.hex(32);
      this.streamSuffixes.set(fnArn, s);
    }
    return s;
  }

  /** @internal */
  get logSequence(): number {
    return this.logSeq;
  }

  /** @internal */
  appendLogEvent(group: LogGroup, logStreamName: string, message: string, at: number): void {
    const seq = ++this.logSeq;
    group.events.push({ logStreamName, timestamp: at, ingestionTime: at, message, eventId: String(seq).padStart(56, '0'), seq });
  }

  // ------------------------------------------------------------------ seeding brownfield resources

  /** An existing (ACTIVE) stream, optionally encrypted, holding `records` records, with a policy and tags. Returns its ARN. */
  seedStream(
    accountId: string,
    region: string,
    opts: { name: string; shards?: number; mode?: 'ON_DEMAND' | 'PROVISIONED'; encryption?: 'NONE' | { keyId: string }; records?: number; policy?: object; tags?: Record<string, string>; consumers?: string[]; retentionHours?: number },
  ): string {
    this.addAccount(accountId);
    const rs = this.regionState(accountId, region)!;
    if (rs.streams.has(opts.name)) throw new Error(`FakeCloud: stream ${opts.name} already exists in ${accountId}/${region}`);
    const mode = opts.mode ?? 'ON_DEMAND';
    const past = this.clock.now() - 86_400_000;
    const stream = createStreamState({ accountId, region, name: opts.name, mode, shards: opts.shards ?? (mode === 'ON_DEMAND' ? 4 : 1), now: past, activeAt: past, ...(opts.tags ? { tags: opts.tags } : {}) });
    if (opts.encryption && opts.encryption !== 'NONE') stream.encryption = { type: 'KMS', keyId: opts.encryption.keyId };
    if (opts.retentionHours) stream.retentionHours = opts.retentionHours;
    if (opts.policy) stream.policy.set(JSON.stringify(opts.policy), Number.NEGATIVE_INFINITY);
    for (const c of opts.consumers ?? []) {
      const epoch = Math.floor(past / 1000);
      stream.consumers.set(c, { name: c, arn: `${stream.arn}/consumer/${c}:${epoch}`, createdAt: epoch * 1000, phase: { state: 'ACTIVE', until: past, then: 'ACTIVE' }, policy: new Versioned<string>(), tags: {} });
    }
    rs.streams.set(opts.name, stream);
    const keyArn = encryptingKeyArn(this, stream, this.clock.now());
    for (let i = 0; i < (opts.records ?? 0); i++) appendRecord(stream, this.clock.now() - 60_000 + i, `seed-${i}`, new TextEncoder().encode(JSON.stringify({ seed: i })), undefined, keyArn);
    return stream.arn;
  }

  /** An existing customer managed key (optionally with an alias). Returns its key id. */
  seedKey(accountId: string, region: string, opts: { description?: string; policy?: object; alias?: string; tags?: Record<string, string> } = {}): string {
    this.addAccount(accountId);
    const rs = this.regionState(accountId, region)!;
    const key = newKey(this, accountId, region, {
      ...(opts.description !== undefined ? { description: opts.description } : {}),
      ...(opts.policy ? { policy: JSON.stringify(opts.policy) } : {}),
      tags: Object.entries(opts.tags ?? {}).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
      now: this.clock.now() - 86_400_000,
    });
    rs.keys.set(key.keyId, key);
    if (opts.alias) rs.aliases.set(opts.alias, { name: opts.alias, keyId: key.keyId, createdAt: key.createdAt });
    return key.keyId;
  }

  /** An existing, fully propagated role with inline policies. Returns its ARN. */
  seedRole(accountId: string, opts: { name: string; trust?: object; policies?: Record<string, object>; tags?: Tag[]; path?: string }): string {
    this.addAccount(accountId);
    const trust = opts.trust ?? { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
    const inline = Object.fromEntries(Object.entries(opts.policies ?? {}).map(([k, v]) => [k, JSON.stringify(v)]));
    const role = newRole(this, accountId, { name: opts.name, ...(opts.path ? { path: opts.path } : {}), assumeRolePolicy: JSON.stringify(trust), ...(opts.tags ? { tags: opts.tags } : {}), now: Number.NEGATIVE_INFINITY, inline });
    this.account(accountId).roles.set(opts.name, role);
    return role.arn;
  }

  /**
   * An existing Active function. Without `role`, a role `<name>-role` is seeded with the basic execution
   * permissions (logs on its own log group). `logGroup` is its LoggingConfig.LogGroup, when not
   * `/aws/lambda/<name>`. Returns the function ARN.
   */
  seedFunction(accountId: string, region: string, opts: { name: string; role?: string; runtime?: string; handler?: string; tags?: Record<string, string>; logGroup?: string }): string {
    this.addAccount(accountId);
    const rs = this.regionState(accountId, region)!;
    const role =
      opts.role ??
      this.seedRole(accountId, {
        name: `${opts.name}-role`,
        policies: { logs: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `arn:aws:logs:${region}:${accountId}:log-group:${opts.logGroup ?? `/aws/lambda/${opts.name}`}:*` }] } },
      });
    const past = this.clock.now() - 86_400_000;
    rs.functions.set(opts.name, {
      name: opts.name,
      arn: functionArn(accountId, region, opts.name),
      role,
      runtime: opts.runtime ?? 'nodejs22.x',
      handler: opts.handler ?? 'index.handler',
      description: '',
      timeout: 3,
      memorySize: 128,
      codeSize: 1024,
      codeSha256: 'c2VlZGVk',
      architectures: ['x86_64'],
      packageType: 'Zip',
      createdAt: past,
      phase: { state: 'Active', until: past, then: 'Active' },
      tags: { ...(opts.tags ?? {}) },
      revision: 1,
      ...(opts.logGroup !== undefined && { logGroup: opts.logGroup }),
    });
    return functionArn(accountId, region, opts.name);
  }

  /** An existing log group; without `retentionInDays` its events never expire, as CreateLogGroup leaves them. */
  /** An existing SNS topic; `kmsMasterKeyId` (a key id, ARN or alias) makes it SSE-KMS, `policy` is its topic policy. Returns its ARN. */
  seedTopic(accountId: string, region: string, opts: { name: string; kmsMasterKeyId?: string; policy?: object }): string {
    this.addAccount(accountId);
    const arn = `arn:aws:sns:${region}:${accountId}:${opts.name}`;
    const attributes = { ...(opts.kmsMasterKeyId !== undefined && { KmsMasterKeyId: opts.kmsMasterKeyId }), ...(opts.policy && { Policy: JSON.stringify(opts.policy) }) };
    topicsOf(this.regionState(accountId, region)!).set(opts.name, { name: opts.name, arn, attributes, published: [] });
    return arn;
  }

  /**
   * An existing S3 bucket with its default encryption: SSE-S3 unless `encryption` says otherwise (every new bucket
   * has SSE-S3 by default). Returns its ARN.
   */
  seedBucket(accountId: string, region: string, opts: { name: string; encryption?: { SSEAlgorithm: 'AES256' | 'aws:kms' | 'aws:kms:dsse'; KMSMasterKeyID?: string }; bucketKeyEnabled?: boolean }): string {
    this.addAccount(accountId);
    bucketsOf(this.regionState(accountId, region)!).set(opts.name, { name: opts.name, accountId, region, encryption: opts.encryption ?? { SSEAlgorithm: 'AES256' }, bucketKeyEnabled: opts.bucketKeyEnabled ?? false, objects: new Map() });
    return `arn:aws:s3:::${opts.name}`;
  }

  seedLogGroup(accountId: string, region: string, name: string, opts: { retentionInDays?: number; tags?: Record<string, string> } = {}): void {
    this.addAccount(accountId);
    const group = newLogGroup(accountId, region, name, this.clock.now());
    Object.assign(group.tags, opts.tags ?? {});
    if (opts.retentionInDays !== undefined) group.retentionInDays = opts.retentionInDays;
    this.regionState(accountId, region)!.logGroups.set(name, group);
  }

  // ------------------------------------------------------------------ direct reads for assertions

  /** Records in a stream, in shard then sequence order. */
  streamRecords(accountId: string, region: string, streamName: string): KinesisRecord[] {
    const s = this.regionState(accountId, region)?.streams.get(streamName);
    return s ? s.shards.flatMap((sh) => sh.records) : [];
  }

  /** Log events in a log group, after delivering everything due by now. */
  async logEvents(accountId: string, region: string, groupName: string): Promise<LogEvent[]> {
    await this.materialize();
    return [...(this.regionState(accountId, region)?.logGroups.get(groupName)?.events ?? [])];
  }

  /**
   * A deterministic, JSON-able description of every account's resources, without timestamps or ids that
   * vary, for "both accounts are exactly as before" assertions. Keys pending deletion are left out (AWS
   * can only schedule deletion); aliases are kept, so an alias left pointing at such a key shows up.
   * AWS managed keys (created lazily by AWS) are left out too.
   */
  snapshot(): unknown {
    this.sweep();
    const now = this.clock.now();
    const sortBy = <T>(xs: T[], key: (x: T) => string) => [...xs].sort((a, b) => key(a).localeCompare(key(b)));
    const parse = (doc: string | undefined) => (doc === undefined ? null : (JSON.parse(doc) as unknown));
    const out: Record<string, unknown> = {};
    for (const id of [...this.accounts.keys()].sort()) {
      const a = this.accounts.get(id)!;
      const regions: Record<string, unknown> = {};
      for (const r of [...a.regions.keys()].sort()) {
        const rs = a.regions.get(r)!;
        const keyDesc = (keyId: string) => {
          const k = rs.keys.get(keyId);
          return k ? { keyId, state: k.deletionDate !== undefined ? 'PendingDeletion' : k.disabled ? 'Disabled' : 'Enabled', manager: k.keyManager } : { keyId, state: 'Deleted' };
        };
        const region = {
          streams: sortBy([...rs.streams.values()], (s) => s.name).map((s) => ({
            name: s.name,
            status: streamStatus(s, now),
            mode: s.mode,
            shards: s.shards.length,
            encryption: s.encryption,
            policy: parse(s.policy.current),
            tags: s.tags,
            records: s.shards.reduce((n, sh) => n + sh.records.length, 0),
            consumers: sortBy([...s.consumers.values()], (c) => c.name).map((c) => ({ name: c.name, status: phaseNow(c.phase, now), policy: parse(c.policy.current), tags: c.tags })),
          })),
          keys: sortBy(
            [...rs.keys.values()].filter((k) => k.keyManager === 'CUSTOMER' && k.deletionDate === undefined),
            (k) => k.keyId,
          ).map((k) => ({
            keyId: k.keyId,
            description: k.description,
            state: k.disabled ? 'Disabled' : 'Enabled',
            policy: parse(k.policy),
            tags: sortBy(k.tags, (t) => t.Key),
            grants: sortBy(
              k.grants.filter((g) => g.removedAt === undefined),
              (g) => `${g.name ?? ''}|${g.granteePrincipal}`,
            ).map((g) => ({ name: g.name ?? null, grantee: g.granteePrincipal, operations: [...g.operations].sort(), constraints: g.constraints ?? null })),
          })),
          aliases: sortBy([...rs.aliases.values()].filter((al) => !al.name.startsWith('alias/aws/')), (al) => al.name).map((al) => ({ name: al.name, target: keyDesc(al.keyId) })),
          functions: sortBy([...rs.functions.values()], (f) => f.name).map((f) => ({ name: f.name, role: f.role, runtime: f.runtime ?? null, handler: f.handler ?? null, state: phaseNow(f.phase, now), tags: f.tags })),
          eventSourceMappings: sortBy([...rs.esms.values()], (e) => `${e.functionArn}|${e.eventSourceArn}`).map((e) => ({
            functionArn: e.functionArn,
            eventSourceArn: e.eventSourceArn.replace(/:\d+$/, ':<ts>'),
            state: phaseNow(e.phase, now),
            batchSize: e.batchSize,
            startingPosition: e.startingPosition,
            tags: e.tags,
          })),
          logGroups: sortBy([...rs.logGroups.values()], (g) => g.name).map((g) => ({ name: g.name, retentionInDays: g.retentionInDays ?? null, tags: g.tags })),
          queues: sortBy([...queuesOf(rs).values()].filter((q) => !queueIsGone(this, q, now)), (q) => q.name).map((q) => ({ name: q.name, attributes: q.attributes, tags: q.tags, messages: q.messages.length })),
        };
        const empty = Object.values(region).every((v) => Array.isArray(v) && v.length === 0);
        if (!empty) regions[r] = region;
      }
      out[id] = {
        iam: {
          roles: sortBy([...a.roles.values()], (r) => r.name).map((r) => ({
            name: r.name,
            path: r.path,
            trust: parse(r.assumeRolePolicy),
            description: r.description ?? null,
            tags: sortBy(r.tags, (t) => t.Key),
            inlinePolicies: Object.fromEntries(Object.entries(r.inline.current ?? {}).sort(([x], [y]) => x.localeCompare(y)).map(([n, d]) => [n, JSON.parse(d) as unknown])),
            attached: r.attached,
          })),
        },
        regions,
      };
    }
    return out;
  }
}

/** The first label of a service's host where it is not the service's name in lower case. */
const ENDPOINT_PREFIX: Record<string, string> = { CloudWatchLogs: 'logs' };

/** What the SDK passes on when a host does not resolve: Node's DNS error, no AWS error code, no HTTP status. */
function unresolvedHost(host: string): Error {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname: host });
}
