/**
 * The model of Lambda: functions, event source mappings with their state machine, and tags. One
 * cohesive unit, kept in one file although it is longer than our usual limit: the mapping rules
 * (states, access checked at creation, ownership by tags) read the functions and roles the same
 * operations manage.
 */
import { createHash } from 'node:crypto';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { CallContext, Cloud, ServiceModel } from './context.js';
import { awsError } from './errors.js';
import { LAMBDA_CANNOT_ACCESS_STREAM, LAMBDA_MAPPING_EXISTS, LAMBDA_ROLE_NOT_ASSUMABLE, LAMBDA_UPDATE_IN_PROGRESS, MAPPING_READ_DENIED } from './aws-error-texts.js';
import { LAMBDA_CONSUMER_ACTIONS, LAMBDA_STREAM_ACTIONS, actionsOf } from './aws-requirements.js';
import { trustsLambda } from './iam.js';
import { consumerStatus, parseConsumerArn, streamStatus } from './kinesis.js';
import { kinesisDecryptError } from './kms.js';
import type { Consumer, EventSourceMapping, LambdaFunction, Role, Stream } from './model.js';
import { parseArn, phaseNow } from './model.js';

const err = (code: string, message: string): Error => awsError('Lambda', code, message);

export function functionArn(accountId: string, region: string, name: string): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${name}`;
}

/** Accepts a function name, a full ARN or a partial ARN (account:function:name). */
function functionName(ctx: CallContext, ref: string | undefined): string {
  if (!ref) throw err('InvalidParameterValueException', 'FunctionName is required.');
  const full = /^arn:aws:lambda:([^:]+):(\d{12}):function:([^:]+)(?::\$LATEST)?$/.exec(ref);
  if (full) {
    if (full[1] !== ctx.region || full[2] !== ctx.accountId) throw err('ResourceNotFoundException', `Function not found: ${ref}`);
    return full[3]!;
  }
  const partial = /^(\d{12}):function:([^:]+)$/.exec(ref);
  if (partial) return partial[2]!;
  return ref;
}

function findFunction(ctx: CallContext, ref: string | undefined): LambdaFunction {
  const name = functionName(ctx, ref);
  const fn = ctx.cloud.regionState(ctx.accountId, ctx.region)!.functions.get(name);
  if (!fn) throw err('ResourceNotFoundException', `Function not found: ${functionArn(ctx.accountId, ctx.region, name)}`);
  return fn;
}

/**
 * Lambda refuses an update while the function is Pending ("any … API actions that operate on the function will
 * fail") or another update is InProgress ("During this time, you can't modify the function"), with the message
 * public reports quote; the update itself is InProgress for `functionUpdate`.
 */
function startUpdate(ctx: CallContext, ref: string | undefined): LambdaFunction {
  const fn = findFunction(ctx, ref);
  if (phaseNow(fn.phase, ctx.now) === 'Pending' || (fn.updatingUntil !== undefined && fn.updatingUntil > ctx.now)) {
    throw err(LAMBDA_UPDATE_IN_PROGRESS.code, LAMBDA_UPDATE_IN_PROGRESS.text(fn.arn));
  }
  fn.revision++;
  fn.updatingUntil = ctx.now + ctx.cloud.latency.functionUpdate;
  return fn;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

export function functionConfiguration(fn: LambdaFunction, now: number) {
  const state = phaseNow(fn.phase, now) ?? 'Inactive';
  return {
    FunctionName: fn.name,
    FunctionArn: fn.arn,
    ...(fn.runtime ? { Runtime: fn.runtime } : {}),
    Role: fn.role,
    ...(fn.handler ? { Handler: fn.handler } : {}),
    CodeSize: fn.codeSize,
    Description: fn.description,
    Timeout: fn.timeout,
    MemorySize: fn.memorySize,
    LastModified: iso(fn.createdAt),
    CodeSha256: fn.codeSha256,
    Version: '$LATEST',
    ...(fn.environment ? { Environment: { Variables: fn.environment } } : {}),
    TracingConfig: { Mode: 'PassThrough' },
    RevisionId: `${fn.revision.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`,
    State: state,
    ...(state === 'Pending' ? { StateReason: 'The function is being created.', StateReasonCode: 'Creating' } : {}),
    LastUpdateStatus: fn.updatingUntil !== undefined && fn.updatingUntil > now ? 'InProgress' : 'Successful',
    PackageType: fn.packageType,
    Architectures: fn.architectures,
    EphemeralStorage: { Size: 512 },
    LoggingConfig: { LogFormat: 'Text', LogGroup: functionLogGroupName(fn) },
  };
}

/** Where the function's logs go: `/aws/lambda/<name>` unless its LoggingConfig names another group (Lambda Developer Guide, "Configuring CloudWatch log groups"). */
export function functionLogGroupName(fn: LambdaFunction): string {
  return fn.logGroup ?? `/aws/lambda/${fn.name}`;
}

/**
 * The OnFailure API reference allows an empty Destination (length 0): it is how an update takes the
 * destination off a mapping, so an empty one is kept as none.
 */
function destinationConfigOf(input: { DestinationConfig?: { OnFailure?: { Destination?: string } } }): unknown {
  return input.DestinationConfig?.OnFailure?.Destination ? input.DestinationConfig : undefined;
}

export function esmState(esm: EventSourceMapping, now: number): string | null {
  return phaseNow(esm.phase, now);
}

/**
 * Lambda's ResourceInUseException for an update or delete of a mapping that is changing state. The API
 * reference gives examples (an update while Creating, a delete while Updating); the fake refuses every
 * transitional state of EventSourceMappingConfiguration.State, the strictest reading of that list.
 */
function requireSettledEsm(esm: EventSourceMapping, now: number, action: 'update' | 'delete'): string {
  const state = esmState(esm, now)!;
  if (state !== 'Enabled' && state !== 'Disabled') {
    throw err('ResourceInUseException', `Cannot ${action} the event source mapping because it is in use. Current state: ${state}`);
  }
  return state;
}

function esmView(ctx: CallContext, esm: EventSourceMapping) {
  return {
    UUID: esm.uuid,
    StartingPosition: esm.startingPosition,
    ...(esm.startingPositionTimestamp !== undefined ? { StartingPositionTimestamp: new Date(esm.startingPositionTimestamp) } : {}),
    BatchSize: esm.batchSize,
    MaximumBatchingWindowInSeconds: esm.maximumBatchingWindowInSeconds,
    ParallelizationFactor: esm.parallelizationFactor,
    EventSourceArn: esm.eventSourceArn,
    FunctionArn: esm.functionArn,
    LastModified: new Date(esm.lastModified),
    LastProcessingResult: esm.lastProcessingResult,
    State: esmState(esm, ctx.now) ?? 'Deleted',
    StateTransitionReason: esm.stateTransitionReason,
    DestinationConfig: esm.destinationConfig ?? { OnFailure: {} },
    MaximumRecordAgeInSeconds: esm.maximumRecordAgeInSeconds,
    BisectBatchOnFunctionError: esm.bisectBatchOnFunctionError,
    MaximumRetryAttempts: esm.maximumRetryAttempts,
    TumblingWindowInSeconds: esm.tumblingWindowInSeconds,
    FunctionResponseTypes: esm.functionResponseTypes,
    EventSourceMappingArn: `arn:aws:lambda:${ctx.region}:${ctx.accountId}:event-source-mapping:${esm.uuid}`,
  };
}

function findEsm(ctx: CallContext, uuid: string | undefined): EventSourceMapping {
  const esm = uuid ? ctx.cloud.regionState(ctx.accountId, ctx.region)!.esms.get(uuid) : undefined;
  if (!esm || esmState(esm, ctx.now) === null) throw err('ResourceNotFoundException', `The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: ${uuid})`);
  return esm;
}

/** The stream (and, for EFO, the consumer) an event source ARN points to, looked up in the owner's account. */
export function resolveEventSource(cloud: Cloud, arn: string): { stream?: Stream; consumer?: Consumer; streamArn: string } {
  const c = parseConsumerArn(arn);
  const sArn = c?.streamArn ?? arn;
  const p = parseArn(sArn);
  const name = /^stream\/([^/]+)$/.exec(p?.resource ?? '')?.[1];
  const stream = p && name ? cloud.regionState(p.account, p.region)?.streams.get(name) : undefined;
  if (!c) return { ...(stream ? { stream } : {}), streamArn: sArn };
  const consumer = stream?.consumers.get(c.name);
  return { ...(stream ? { stream } : {}), ...(consumer && consumer.arn === arn ? { consumer } : {}), streamArn: sArn };
}

/** The role's inline policies as IAM enforces them at `now` (new documents take `iamPropagation` to apply). */
export function effectiveIdentityPolicies(cloud: Cloud, role: Role, now: number): Array<{ name: string; policy: unknown }> {
  if (role.createdAt + cloud.latency.iamPropagation > now) return [];
  const docs = role.inline.effective(now, cloud.latency.iamPropagation) ?? {};
  return Object.entries(docs).map(([name, doc]) => ({ name, policy: JSON.parse(doc) }));
}

export function roleOf(cloud: Cloud, arn: string): Role | undefined {
  const p = parseArn(arn);
  const name = p?.resource.split('/').pop();
  return p && name ? cloud.accounts.get(p.account)?.roles.get(name) : undefined;
}

/**
 * The session Lambda reads the event source with, as IAM names it in a denial: `awslambda_<n>_<UTC time to the
 * millisecond>` under the execution role (the form quoted in functionalone/serverless-iam-roles-per-function#3).
 */
export function lambdaSessionArn(roleArn: string, at: number): string {
  const p = parseArn(roleArn)!;
  const stamp = new Date(at).toISOString().replace(/\D/g, '').slice(0, 17);
  return `arn:aws:sts::${p.account}:assumed-role/${p.resource.split('/').pop()}/awslambda_0_${stamp}`;
}

/**
 * What CreateEventSourceMapping checks of the function's execution role: every read action on the stream
 * and (EFO) consumer, with identity and resource policies as enforced now. Returns the failure message, or
 * undefined when access is complete. It does not check kms:Decrypt: Kinesis decrypts with the role's KMS
 * permissions only when records are read (`recordReadProblem`). A denied action is worded as
 * CreateEventSourceMapping words it, or, when `reading`, as IAM's denial of the role's session that
 * LastProcessingResult relays.
 */
export async function eventSourceAccessProblem(cloud: Cloud, fn: LambdaFunction, eventSourceArn: string, now: number, reading = false): Promise<string | undefined> {
  const { stream, consumer, streamArn } = resolveEventSource(cloud, eventSourceArn);
  const cannot = LAMBDA_CANNOT_ACCESS_STREAM.text(streamArn);
  const role = roleOf(cloud, fn.role);
  if (!role) return cannot;
  const denied = (action: string, resource: string, created: string) => (reading ? MAPPING_READ_DENIED.text(lambdaSessionArn(role.arn, now), action, resource) : created);
  const identity = effectiveIdentityPolicies(cloud, role, now);
  if (!stream || streamStatus(stream, now) === 'DELETING') return cannot;
  const roleAccount = parseArn(role.arn)!.account;
  const check = async (action: string, resource: string, policy: string | undefined) =>
    (
      await cloud.evaluateAccess({
        principal: role.arn,
        action,
        resource,
        resourceAccount: stream.accountId,
        identityPolicies: identity,
        ...(policy ? { resourcePolicy: JSON.parse(policy) } : {}),
        context: { 'aws:PrincipalArn': role.arn, 'aws:PrincipalAccount': roleAccount },
      })
    ).allowed;
  const streamPolicy = stream.policy.effective(now, cloud.latency.policyPropagation);
  for (const action of actionsOf(LAMBDA_STREAM_ACTIONS)) {
    if (!(await check(action, stream.arn, streamPolicy))) return denied(action, stream.arn, cannot);
  }
  if (parseConsumerArn(eventSourceArn)) {
    if (!consumer) return `Cannot access stream consumer ${eventSourceArn}: the consumer does not exist. Please ensure the role can perform the DescribeStreamConsumer and SubscribeToShard Actions on your stream consumer in IAM.`;
    if (consumerStatus(consumer, now) !== 'ACTIVE') return `Stream consumer ${eventSourceArn} is not in ACTIVE status.`;
    const consumerPolicy = consumer.policy.effective(now, cloud.latency.policyPropagation);
    for (const action of actionsOf(LAMBDA_CONSUMER_ACTIONS)) {
      if (!(await check(action, consumer.arn, consumerPolicy))) {
        return denied(action, consumer.arn, `Cannot access stream consumer ${eventSourceArn}. Please ensure the role can perform the DescribeStreamConsumer and SubscribeToShard Actions on your stream consumer in IAM.`);
      }
    }
  }
  return undefined;
}

/**
 * Why a read of the mapping's records (encrypted with `keyArns`) fails at `now`: what CreateEventSourceMapping
 * checks, then the KMS error Kinesis gives the role for those keys. Lambda has no grant token to pass, so a new
 * grant helps only once it is in effect (CreateGrant API reference: up to five minutes).
 */
export async function recordReadProblem(cloud: Cloud, fn: LambdaFunction, eventSourceArn: string, now: number, keyArns: Iterable<string>): Promise<string | undefined> {
  const access = await eventSourceAccessProblem(cloud, fn, eventSourceArn, now, true);
  if (access) return access;
  const { stream } = resolveEventSource(cloud, eventSourceArn);
  const role = roleOf(cloud, fn.role);
  if (!stream || !role) return undefined;
  const kms = await kinesisDecryptError(cloud, stream, keyArns, role.arn, effectiveIdentityPolicies(cloud, role, now), now);
  return kms && `${kms.code}: ${kms.message}`;
}

function int(v: unknown, def: number, min: number, max: number, field: string): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw err('InvalidParameterValueException', `${field} must be between ${min} and ${max}.`);
  return v;
}

export const lambdaModel: ServiceModel = {
  service: 'Lambda',
  client: LambdaClient,
  operations: {
    CreateFunction: {
      mutating: true,
      run(ctx, input) {
        const name: string | undefined = input.FunctionName;
        if (!name || !/^[a-zA-Z0-9-_]{1,64}$/.test(name)) throw err('InvalidParameterValueException', `1 validation error detected: Value '${name}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?`);
        const rs = ctx.cloud.regionState(ctx.accountId, ctx.region)!;
        if (rs.functions.has(name)) throw err('ResourceConflictException', `Function already exist: ${name}`);
        const packageType = input.PackageType ?? 'Zip';
        if (packageType === 'Zip' && (!input.Runtime || !input.Handler)) throw err('InvalidParameterValueException', 'Runtime and Handler are mandatory parameters for functions created with deployment packages.');
        const zip: Uint8Array | undefined = input.Code?.ZipFile;
        if (packageType === 'Zip' && !zip && !input.Code?.S3Bucket) throw err('InvalidParameterValueException', 'Please provide a source for function code.');
        const role = roleOf(ctx.cloud, input.Role ?? '');
        const roleAccount = parseArn(input.Role ?? '')?.account;
        if (!role || roleAccount !== ctx.accountId || !trustsLambda(role.assumeRolePolicy) || role.createdAt + ctx.cloud.latency.iamPropagation > ctx.now) {
          throw err(LAMBDA_ROLE_NOT_ASSUMABLE.code, LAMBDA_ROLE_NOT_ASSUMABLE.text());
        }
        const code = zip ?? new TextEncoder().encode(`${input.Code?.S3Bucket}/${input.Code?.S3Key}`);
        const fn: LambdaFunction = {
          name,
          arn: functionArn(ctx.accountId, ctx.region, name),
          role: input.Role,
          runtime: input.Runtime,
          handler: input.Handler,
          description: input.Description ?? '',
          timeout: input.Timeout ?? 3,
          memorySize: input.MemorySize ?? 128,
          codeSize: code.byteLength,
          codeSha256: createHash('sha256').update(code).digest('base64'),
          ...(input.Environment?.Variables ? { environment: { ...input.Environment.Variables } } : {}),
          architectures: input.Architectures ?? ['x86_64'],
          packageType,
          createdAt: ctx.now,
          phase: { state: 'Pending', until: ctx.now + ctx.cloud.latency.functionCreate, then: 'Active' },
          tags: { ...(input.Tags ?? {}) },
          revision: 1,
        };
        rs.functions.set(name, fn);
        return functionConfiguration(fn, ctx.now);
      },
    },
    UpdateFunctionCode: {
      mutating: true,
      run(ctx, input) {
        const fn = startUpdate(ctx, input.FunctionName);
        const zip: Uint8Array | undefined = input.ZipFile;
        if (!zip) throw err('InvalidParameterValueException', 'Please provide a source for function code.');
        fn.codeSize = zip.byteLength;
        fn.codeSha256 = createHash('sha256').update(zip).digest('base64');
        return functionConfiguration(fn, ctx.now);
      },
    },
    UpdateFunctionConfiguration: {
      mutating: true,
      run(ctx, input) {
        const fn = startUpdate(ctx, input.FunctionName);
        if (input.Runtime !== undefined) fn.runtime = input.Runtime;
        if (input.Handler !== undefined) fn.handler = input.Handler;
        if (input.Timeout !== undefined) fn.timeout = input.Timeout;
        if (input.MemorySize !== undefined) fn.memorySize = input.MemorySize;
        if (input.Description !== undefined) fn.description = input.Description;
        return functionConfiguration(fn, ctx.now);
      },
    },
    GetFunction: {
      mutating: false,
      run(ctx, input) {
        const fn = findFunction(ctx, input.FunctionName);
        return {
          Configuration: functionConfiguration(fn, ctx.now),
          Code: { RepositoryType: 'S3', Location: `https://awslambda-${ctx.region}-tasks.s3.${ctx.region}.amazonaws.com/snapshots/${ctx.accountId}/${fn.name}` },
          // No Tags: GetFunction returns them only to a caller with an explicit allow for lambda:ListTags
          // (GetFunction API reference). The fake does not model the caller's own permissions, so it answers
          // as to a caller without that allow, and tags are read with ListTags, as they must be on AWS.
        };
      },
    },
    GetFunctionConfiguration: {
      mutating: false,
      run(ctx, input) {
        return functionConfiguration(findFunction(ctx, input.FunctionName), ctx.now);
      },
    },
    DeleteFunction: {
      mutating: true,
      run(ctx, input) {
        const fn = findFunction(ctx, input.FunctionName);
        // Event source mappings outlive the function; the log group stays too, as on AWS.
        ctx.cloud.regionState(ctx.accountId, ctx.region)!.functions.delete(fn.name);
        return {};
      },
    },
    ListFunctions: {
      mutating: false,
      run(ctx) {
        const fns = [...ctx.cloud.regionState(ctx.accountId, ctx.region)!.functions.values()].sort((a, b) => a.name.localeCompare(b.name));
        return { Functions: fns.map((f) => functionConfiguration(f, ctx.now)) };
      },
    },
    ListTags: {
      mutating: false,
      run(ctx, input) {
        const ref: string = input.Resource ?? '';
        if (ref.includes(':event-source-mapping:')) return { Tags: { ...findEsm(ctx, ref.split(':').pop()).tags } };
        return { Tags: { ...findFunction(ctx, ref).tags } };
      },
    },
    TagResource: {
      mutating: true,
      run(ctx, input) {
        const ref: string = input.Resource ?? '';
        const target = ref.includes(':event-source-mapping:') ? findEsm(ctx, ref.split(':').pop()) : findFunction(ctx, ref);
        Object.assign(target.tags, input.Tags ?? {});
        return {};
      },
    },
    UntagResource: {
      mutating: true,
      run(ctx, input) {
        const ref: string = input.Resource ?? '';
        const target = ref.includes(':event-source-mapping:') ? findEsm(ctx, ref.split(':').pop()) : findFunction(ctx, ref);
        for (const k of input.TagKeys ?? []) delete target.tags[k];
        return {};
      },
    },
    CreateEventSourceMapping: {
      mutating: true,
      async run(ctx, input) {
        const source: string | undefined = input.EventSourceArn;
        if (!source || !/^arn:aws:kinesis:/.test(source)) throw err('InvalidParameterValueException', 'Unrecognized event source, must be kinesis, dynamodb stream, sqs, msk, mq or docdb. (The fake cloud models Kinesis event sources only.)');
        const fn = findFunction(ctx, input.FunctionName);
        const rs = ctx.cloud.regionState(ctx.accountId, ctx.region)!;
        const dup = [...rs.esms.values()].find((e) => e.functionArn === fn.arn && e.eventSourceArn === source && esmState(e, ctx.now) !== null);
        if (dup) {
          throw err(LAMBDA_MAPPING_EXISTS.code, LAMBDA_MAPPING_EXISTS.text(source, fn.name, dup.uuid));
        }
        const startingPosition: string | undefined = input.StartingPosition;
        if (!startingPosition || !['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'].includes(startingPosition)) throw err('InvalidParameterValueException', 'StartingPosition must be one of TRIM_HORIZON, LATEST or AT_TIMESTAMP for a Kinesis event source.');
        if (startingPosition === 'AT_TIMESTAMP' && !input.StartingPositionTimestamp) throw err('InvalidParameterValueException', 'StartingPositionTimestamp is required with AT_TIMESTAMP.');
        // The API reference's words: "StartingPositionTimestamp cannot be in the future."
        if (input.StartingPositionTimestamp && new Date(input.StartingPositionTimestamp).getTime() > ctx.now) throw err('InvalidParameterValueException', 'StartingPositionTimestamp cannot be in the future.');
        const batchSize = int(input.BatchSize, 100, 1, 10_000, 'BatchSize');
        const maximumRetryAttempts = int(input.MaximumRetryAttempts, -1, -1, 10_000, 'MaximumRetryAttempts');
        const maximumRecordAgeInSeconds = int(input.MaximumRecordAgeInSeconds, -1, -1, 604_800, 'MaximumRecordAgeInSeconds');
        if (maximumRecordAgeInSeconds !== -1 && maximumRecordAgeInSeconds < 60) throw err('InvalidParameterValueException', 'MaximumRecordAgeInSeconds must be -1 or between 60 and 604800.');
        const parallelizationFactor = int(input.ParallelizationFactor, 1, 1, 10, 'ParallelizationFactor');
        // Lambda validates the role's Kinesis permissions here, but not kms:Decrypt: a missing or new grant
        // shows only in LastProcessingResult once reads start.
        const problem = await eventSourceAccessProblem(ctx.cloud, fn, source, ctx.now);
        if (problem) throw err('InvalidParameterValueException', problem);
        const enabled = input.Enabled !== false;
        const settleAt = ctx.now + ctx.cloud.latency.esmCreate;
        // A new enabled mapping is Creating, then Enabling, then Enabled (the states terraform-provider-aws
        // waits through after CreateEventSourceMapping); the API reference gives no durations, so half each.
        const creatingUntil = ctx.now + ctx.cloud.latency.esmCreate / 2;
        // Enabled is not yet polling: LATEST reads from where the stream is when polling starts.
        const pollingFrom = settleAt + ctx.cloud.latency.esmPollingStart;
        const esm: EventSourceMapping = {
          uuid: ctx.cloud.ids.uuid(),
          functionArn: fn.arn,
          eventSourceArn: source,
          createdAt: ctx.now,
          lastModified: ctx.now,
          phase: { state: 'Creating', until: creatingUntil, then: enabled ? { state: 'Enabling', until: settleAt, then: 'Enabled' } : 'Disabled' },
          batchSize,
          maximumBatchingWindowInSeconds: int(input.MaximumBatchingWindowInSeconds, 0, 0, 300, 'MaximumBatchingWindowInSeconds'),
          parallelizationFactor,
          startingPosition,
          ...(input.StartingPositionTimestamp ? { startingPositionTimestamp: new Date(input.StartingPositionTimestamp).getTime() } : {}),
          bisectBatchOnFunctionError: input.BisectBatchOnFunctionError ?? false,
          maximumRetryAttempts,
          maximumRecordAgeInSeconds,
          tumblingWindowInSeconds: input.TumblingWindowInSeconds ?? 0,
          functionResponseTypes: input.FunctionResponseTypes ?? [],
          ...(destinationConfigOf(input) ? { destinationConfig: destinationConfigOf(input) } : {}),
          tags: { ...(input.Tags ?? {}) },
          stateTransitionReason: 'User action',
          lastProcessingResult: 'No records processed',
          ...(enabled ? { enabledFrom: pollingFrom, latestFrom: pollingFrom } : {}),
          positions: new Map(),
        };
        rs.esms.set(esm.uuid, esm);
        return esmView(ctx, esm);
      },
    },
    GetEventSourceMapping: {
      mutating: false,
      run(ctx, input) {
        return esmView(ctx, findEsm(ctx, input.UUID));
      },
    },
    ListEventSourceMappings: {
      mutating: false,
      run(ctx, input) {
        const rs = ctx.cloud.regionState(ctx.accountId, ctx.region)!;
        const fnArn = input.FunctionName ? functionArn(ctx.accountId, ctx.region, functionName(ctx, input.FunctionName)) : undefined;
        const list = [...rs.esms.values()]
          .filter((e) => esmState(e, ctx.now) !== null && (!fnArn || e.functionArn === fnArn) && (!input.EventSourceArn || e.eventSourceArn === input.EventSourceArn))
          .sort((a, b) => a.createdAt - b.createdAt);
        return { EventSourceMappings: list.map((e) => esmView(ctx, e)) };
      },
    },
    UpdateEventSourceMapping: {
      mutating: true,
      async run(ctx, input) {
        const esm = findEsm(ctx, input.UUID);
        const state = requireSettledEsm(esm, ctx.now, 'update');
        if (input.FunctionName) {
          const fn = findFunction(ctx, input.FunctionName);
          esm.functionArn = fn.arn;
        }
        if (input.BatchSize !== undefined) esm.batchSize = int(input.BatchSize, 100, 1, 10_000, 'BatchSize');
        if (input.MaximumRetryAttempts !== undefined) esm.maximumRetryAttempts = int(input.MaximumRetryAttempts, -1, -1, 10_000, 'MaximumRetryAttempts');
        if (input.MaximumRecordAgeInSeconds !== undefined) esm.maximumRecordAgeInSeconds = int(input.MaximumRecordAgeInSeconds, -1, -1, 604_800, 'MaximumRecordAgeInSeconds');
        if (input.BisectBatchOnFunctionError !== undefined) esm.bisectBatchOnFunctionError = input.BisectBatchOnFunctionError;
        if (input.FunctionResponseTypes !== undefined) esm.functionResponseTypes = input.FunctionResponseTypes;
        if (input.DestinationConfig !== undefined) {
          const destinationConfig = destinationConfigOf(input);
          if (destinationConfig) esm.destinationConfig = destinationConfig;
          else delete esm.destinationConfig;
        }
        if (input.Enabled === true && state === 'Disabled') {
          const at = ctx.now + ctx.cloud.latency.esmCreate;
          esm.phase = { state: 'Enabling', until: at, then: 'Enabled' };
          esm.enabledFrom = at + ctx.cloud.latency.esmPollingStart;
          esm.latestFrom ??= esm.enabledFrom;
          delete esm.enabledUntil;
        } else if (input.Enabled === false && state === 'Enabled') {
          esm.phase = { state: 'Disabling', until: ctx.now + ctx.cloud.latency.esmDelete, then: 'Disabled' };
          esm.enabledUntil = ctx.now;
        } else {
          esm.phase = { state: 'Updating', until: ctx.now + ctx.cloud.latency.esmCreate, then: state };
        }
        esm.lastModified = ctx.now;
        esm.stateTransitionReason = 'User action';
        return esmView(ctx, esm);
      },
    },
    DeleteEventSourceMapping: {
      mutating: true,
      run(ctx, input) {
        const esm = findEsm(ctx, input.UUID);
        requireSettledEsm(esm, ctx.now, 'delete');
        esm.phase = { state: 'Deleting', until: ctx.now + ctx.cloud.latency.esmDelete, then: null };
        esm.enabledUntil = Math.min(esm.enabledUntil ?? ctx.now, ctx.now);
        esm.lastModified = ctx.now;
        esm.stateTransitionReason = 'User action';
        return esmView(ctx, esm);
      },
    },
  },
};
