import type { Cloud } from './context.js';
import type { FunctionRuntime, KinesisStreamEvent } from './function-runtime.js';
import { consumerStatus, streamStatus } from './kinesis.js';
import { effectiveIdentityPolicies, functionLogGroupName, recordReadProblem, resolveEventSource, roleOf } from './lambda.js';
import { newLogGroup } from './logs.js';
import { enqueue, findQueue } from './sqs.js';
import { findTopic } from './sns.js';
import { findBucket } from './s3.js';
import { keyStateOf, lookupKey } from './kms.js';
import type { EventSourceMapping, KinesisRecord, LambdaFunction, Shard } from './model.js';
import { parseArn, phaseNow } from './model.js';

/** The stand-in for the bundled handler: one JSON line per record, no failures. */
export const defaultRuntime: FunctionRuntime = async (event, log) => {
  for (const r of event.Records) {
    log(JSON.stringify({ partitionKey: r.kinesis.partitionKey, sequenceNumber: r.kinesis.sequenceNumber, data: Buffer.from(r.kinesis.data, 'base64').toString('utf8') }));
  }
};

/** When -1 (retry until the record expires) the fake stops after this many retries, so delivery terminates. */
export const UNLIMITED_RETRIES_MODELLED_AS = 3;

function initialPosition(esm: EventSourceMapping, shard: Shard): number {
  if (esm.startingPosition === 'TRIM_HORIZON') return 0;
  const from = esm.startingPosition === 'AT_TIMESTAMP' ? (esm.startingPositionTimestamp ?? 0) : (esm.latestFrom ?? 0);
  const i = shard.records.findIndex((r) => r.arrivedAt >= from);
  return i < 0 ? shard.records.length : i;
}

/**
 * Delivers every record that is due by `now` to every Enabled event source mapping, in virtual time:
 * a record is due `esmDelivery` after max(its arrival, the mapping starting to poll). Invocation runs the
 * function runtime and writes START/END/REPORT plus the runtime's lines to the function's log group,
 * timestamped when the invocation would have happened.
 */
export async function deliverDue(cloud: Cloud): Promise<void> {
  const now = cloud.clock.now();
  for (const [accountId, account] of cloud.accounts) {
    for (const [region, rs] of account.regions) {
      for (const esm of [...rs.esms.values()].sort((a, b) => a.createdAt - b.createdAt)) {
        if (esm.enabledFrom === undefined || esm.enabledFrom > now) continue;
        const fnName = esm.functionArn.split(':').pop()!;
        const fn = rs.functions.get(fnName);
        if (!fn || fn.arn !== esm.functionArn || phaseNow(fn.phase, now) !== 'Active') continue;
        const { stream, consumer } = resolveEventSource(cloud, esm.eventSourceArn);
        if (!stream || !['ACTIVE', 'UPDATING'].includes(streamStatus(stream, now))) continue;
        if (esm.eventSourceArn.includes('/consumer/') && (!consumer || consumerStatus(consumer, now) !== 'ACTIVE')) continue;
        const until = esm.enabledUntil ?? Number.POSITIVE_INFINITY;
        for (const shard of stream.shards) {
          let pos = esm.positions.get(shard.shardId);
          if (pos === undefined) {
            pos = initialPosition(esm, shard);
            esm.positions.set(shard.shardId, pos);
          }
          while (pos < shard.records.length) {
            const dueAt = (r: KinesisRecord) => Math.max(r.arrivedAt, esm.enabledFrom!) + cloud.latency.esmDelivery;
            const batch: KinesisRecord[] = [];
            for (let i = pos; i < shard.records.length && batch.length < esm.batchSize; i++) {
              const r = shard.records[i]!;
              const t = dueAt(r);
              if (t > now || t >= until) break;
              batch.push(r);
            }
            if (batch.length === 0) break;
            const at = await firstReadableAt(cloud, fn, esm, shard.shardId, batch, Math.max(dueAt(batch[batch.length - 1]!), esm.readRetryAt?.get(shard.shardId) ?? Number.NEGATIVE_INFINITY), Math.min(now, until - 1));
            if (at === undefined) break;
            // Records are in arrival order, so the ones past the maximum record age are the batch's first.
            const fresh = esm.maximumRecordAgeInSeconds === -1 ? batch : batch.filter((r) => at - r.arrivedAt <= esm.maximumRecordAgeInSeconds * 1000);
            await reportDiscardedBatch(cloud, fn, esm, stream.arn, batch.slice(0, batch.length - fresh.length), { condition: 'RecordAgeExceeded', invokeCount: 0 }, at);
            if (fresh.length > 0) await invokeWithRetries(cloud, accountId, region, fn, esm, stream.arn, fresh, at);
            pos += batch.length;
            esm.positions.set(shard.shardId, pos);
          }
        }
      }
    }
  }
}

/**
 * When the batch at `from` can first be read, trying at `from` and then every `esmReadRetry` until `until`; or
 * undefined, with the next attempt recorded, when no attempt by then succeeds. Lambda keeps a batch it cannot
 * read, without skipping it or moving on, and retries until the records expire or exceed the maximum record age
 * (Lambda developer guide, Kinesis error handling, "before invocation"); LastProcessingResult names the problem
 * meanwhile. Access is assumed to change at most once between two reads (a grant or policy taking effect), so
 * the first good attempt is found by bisection rather than by replaying every attempt.
 */
async function firstReadableAt(cloud: Cloud, fn: LambdaFunction, esm: EventSourceMapping, shardId: string, batch: KinesisRecord[], from: number, until: number): Promise<number | undefined> {
  if (from > until) return undefined;
  const keys = batch.flatMap((r) => (r.keyArn ? [r.keyArn] : []));
  const problemAt = (t: number) => recordReadProblem(cloud, fn, esm.eventSourceArn, t, keys);
  const first = await problemAt(from);
  if (!first) return from;
  const step = cloud.latency.esmReadRetry;
  const attempts = Math.floor((until - from) / step);
  const last = attempts > 0 ? await problemAt(from + attempts * step) : first;
  if (last) {
    esm.lastProcessingResult = `PROBLEM: ${last}`;
    (esm.readRetryAt ??= new Map()).set(shardId, from + (attempts + 1) * step);
    return undefined;
  }
  let [bad, good] = [0, attempts];
  while (good - bad > 1) {
    const mid = Math.floor((bad + good) / 2);
    if (await problemAt(from + mid * step)) bad = mid;
    else good = mid;
  }
  esm.readRetryAt?.delete(shardId);
  return from + good * step;
}

async function invokeWithRetries(cloud: Cloud, accountId: string, region: string, fn: LambdaFunction, esm: EventSourceMapping, streamArn: string, records: KinesisRecord[], at: number): Promise<void> {
  const retries = esm.maximumRetryAttempts === -1 ? UNLIMITED_RETRIES_MODELLED_AS : esm.maximumRetryAttempts;
  let pending = records;
  for (let attempt = 0; attempt <= retries && pending.length > 0; attempt++) {
    const failedFrom = await invoke(cloud, accountId, region, fn, esm, streamArn, pending, at);
    if (failedFrom === undefined) {
      esm.lastProcessingResult = 'OK';
      return;
    }
    esm.lastProcessingResult = 'PROBLEM: Function call failed';
    // With ReportBatchItemFailures, Lambda retries from the lowest failed sequence number.
    pending = esm.functionResponseTypes.includes('ReportBatchItemFailures') ? pending.slice(failedFrom) : pending;
  }
  await reportDiscardedBatch(cloud, fn, esm, streamArn, pending, { condition: 'RetryAttemptsExhausted', invokeCount: retries + 1 }, at);
}

/**
 * Lambda discards a batch whose retries are exhausted, or whose records are past the mapping's maximum record
 * age, and, with an on-failure destination, sends it a record of the batch, as the function's execution role
 * (the Lambda developer guide, "Retain discarded batch records for a Kinesis Data Streams event source": the
 * example invocation record, condition `RetryAttemptsExhausted`; sqs:SendMessage, sns:Publish or s3:PutObject
 * on the role, with the destination's KMS key when it has one). The age case's condition, `RecordAgeExceeded`,
 * is not in that guide's example; it is the name LocalStack's stream poller gives (localstack/localstack,
 * event_source_mapping/pollers/stream_poller.py). A destination Lambda may not send to loses the record, and
 * the reason goes to `cloud.diagnostics`.
 */
async function reportDiscardedBatch(
  cloud: Cloud,
  fn: LambdaFunction,
  esm: EventSourceMapping,
  streamArn: string,
  batch: KinesisRecord[],
  why: { condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded'; invokeCount: number },
  at: number,
): Promise<void> {
  const destination = (esm.destinationConfig as { OnFailure?: { Destination?: string } } | undefined)?.OnFailure?.Destination;
  if (!destination || batch.length === 0) return;
  const stamp = (t: number) => new Date(t).toISOString();
  const problem = (why: string) => cloud.diagnostics.push(`${stamp(at)} ${esm.uuid}: the record of a discarded batch was not sent to ${destination}: ${why}`);
  const first = batch[0]!;
  const target = destinationTarget(cloud, destination, esm.uuid, first.shardId, at);
  if (typeof target === 'string') return void problem(target);
  const role = roleOf(cloud, fn.role);
  const identityPolicies = role ? effectiveIdentityPolicies(cloud, role, at) : [];
  const decision = await cloud.evaluateAccess({
    principal: fn.role,
    action: target.action,
    resource: target.resource,
    resourceAccount: target.account,
    identityPolicies,
    ...(target.policy && { resourcePolicy: JSON.parse(target.policy) }),
  });
  if (!decision.allowed) return void problem(`role ${fn.role} may not ${target.action} (${decision.detail})`);
  let keyArn: string | undefined;
  if (target.key) {
    const used = await destinationKeyUse(cloud, fn.role, target.key, identityPolicies, at);
    if (typeof used === 'string') return void problem(used);
    keyArn = used.keyArn;
  }
  const last = batch[batch.length - 1]!;
  const record = {
    requestContext: { requestId: cloud.ids.uuid(), functionArn: fn.arn, condition: why.condition, approximateInvokeCount: why.invokeCount },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: stamp(at),
    KinesisBatchInfo: {
      shardId: first.shardId,
      startSequenceNumber: first.sequenceNumber,
      endSequenceNumber: last.sequenceNumber,
      approximateArrivalOfFirstRecord: stamp(first.arrivedAt),
      approximateArrivalOfLastRecord: stamp(last.arrivedAt),
      batchSize: batch.length,
      streamArn,
    },
  };
  target.deliver(JSON.stringify(record), keyArn);
}

/** Where a failure report goes, what Lambda needs to send it there, and the KMS key that encrypts it there. */
interface DestinationTarget {
  action: string;
  resource: string;
  account: string;
  policy?: string | undefined;
  key?: DestinationKey;
  deliver(body: string, keyArn: string | undefined): void;
}

interface DestinationKey {
  /** As the destination names it: a key id, key ARN or alias, in the destination's account and region unless an ARN says otherwise. */
  ref: string;
  account: string;
  region: string;
  /** The service that calls KMS for the sender (kms:ViaService). */
  service: 'sqs' | 'sns' | 's3';
  actions: string[];
  what: string;
}

/** The queue, topic or bucket a destination ARN names, or why there is none to send to. */
function destinationTarget(cloud: Cloud, destination: string, uuid: string, shardId: string, at: number): DestinationTarget | string {
  const both = ['kms:GenerateDataKey', 'kms:Decrypt'];
  const arn = parseArn(destination);
  if (arn?.service === 'sqs') {
    const queue = findQueue(cloud, destination);
    if (!queue) return 'the queue does not exist';
    const keyId = queue.attributes.KmsMasterKeyId;
    return {
      action: 'sqs:SendMessage',
      resource: queue.arn,
      account: arn.account,
      policy: queue.attributes.Policy,
      ...(keyId && { key: { ref: keyId, account: arn.account, region: arn.region, service: 'sqs', actions: both, what: 'the queue' } }),
      deliver: (body) => void enqueue(cloud, queue, body, at),
    };
  }
  if (arn?.service === 'sns') {
    const topic = findTopic(cloud, destination);
    if (!topic) return 'the topic does not exist';
    const keyId = topic.attributes.KmsMasterKeyId;
    return {
      action: 'sns:Publish',
      resource: topic.arn,
      account: arn.account,
      policy: topic.attributes.Policy,
      ...(keyId && { key: { ref: keyId, account: arn.account, region: arn.region, service: 'sns', actions: both, what: 'the topic' } }),
      deliver: (body) => void topic.published.push({ messageId: cloud.ids.uuid(), message: body, at }),
    };
  }
  if (arn?.service === 's3') {
    const bucket = findBucket(cloud, arn.resource);
    if (!bucket) return 'the bucket does not exist';
    // The developer guide's object name: aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>.
    const time = new Date(at).toISOString();
    const objectKey = `aws/lambda/${uuid}/${shardId}/${time.slice(0, 10).replace(/-/g, '/')}/${time.slice(0, 19).replace(/:/g, '.')}-${cloud.ids.uuid()}`;
    // SSE-KMS without a key of its own uses the AWS managed aws/s3 of the bucket's account.
    const kms = bucket.encryption.SSEAlgorithm !== 'AES256';
    return {
      action: 's3:PutObject',
      resource: `arn:aws:s3:::${bucket.name}/${objectKey}`,
      account: bucket.accountId,
      ...(kms && { key: { ref: bucket.encryption.KMSMasterKeyID ?? 'alias/aws/s3', account: bucket.accountId, region: bucket.region, service: 's3', actions: ['kms:GenerateDataKey'], what: 'the bucket' } }),
      deliver: (body, keyArn) => void bucket.objects.set(objectKey, { body, at, ...(keyArn && { kmsKeyArn: keyArn }) }),
    };
  }
  return `${destination} is not a queue, topic or bucket`;
}

/**
 * A destination encrypted with a KMS key takes the report only from a sender that may use that key: kms:GenerateDataKey
 * and kms:Decrypt for a queue or topic, kms:GenerateDataKey for a bucket (Lambda Developer Guide, "Capturing discarded
 * batches": "if you configured a KMS key on your destination, Lambda needs the following permissions"). The service
 * calls KMS for the sender, so the key policy sees kms:ViaService and the sender's account: an AWS managed key
 * (alias/aws/<service>) serves every principal of its own account and no other. Returns the key ARN, or why not.
 */
async function destinationKeyUse(cloud: Cloud, roleArn: string, dk: DestinationKey, identityPolicies: Array<{ name: string; policy: unknown }>, at: number): Promise<{ keyArn: string } | string> {
  const key = lookupKey(cloud, parseArn(dk.ref)?.account ?? dk.account, parseArn(dk.ref)?.region ?? dk.region, dk.ref, at);
  if (!key) return `KMS key ${dk.ref} of ${dk.what} does not exist`;
  if (keyStateOf(key) !== 'Enabled') return `KMS key ${key.arn} of ${dk.what} is ${keyStateOf(key)}`;
  const roleAccount = parseArn(roleArn)?.account ?? '';
  for (const action of dk.actions) {
    const decision = await cloud.evaluateAccess({
      principal: roleArn,
      action,
      resource: key.arn,
      resourceAccount: key.accountId,
      identityPolicies,
      resourcePolicy: JSON.parse(key.policy),
      context: { 'kms:ViaService': `${dk.service}.${dk.region}.amazonaws.com`, 'kms:CallerAccount': roleAccount, 'aws:PrincipalArn': roleArn, 'aws:PrincipalAccount': roleAccount },
    });
    if (!decision.allowed) return `role ${roleArn} may not ${action} with KMS key ${key.arn}, which encrypts ${dk.what} (${decision.detail})`;
  }
  return { keyArn: key.arn };
}

/** Runs the function once; returns the index to retry from, or undefined on success. */
async function invoke(cloud: Cloud, accountId: string, region: string, fn: LambdaFunction, esm: EventSourceMapping, streamArn: string, records: KinesisRecord[], at: number): Promise<number | undefined> {
  const requestId = cloud.ids.uuid();
  const roleArn = fn.role;
  const event: KinesisStreamEvent = {
    Records: records.map((r) => ({
      kinesis: { kinesisSchemaVersion: '1.0', partitionKey: r.partitionKey, sequenceNumber: r.sequenceNumber, data: Buffer.from(r.data).toString('base64'), approximateArrivalTimestamp: r.arrivedAt / 1000 },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${r.shardId}:${r.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: roleArn,
      awsRegion: region,
      eventSourceARN: streamArn,
    })),
  };
  const stamp = new Date(at).toISOString();
  const lines: string[] = [`START RequestId: ${requestId} Version: $LATEST\n`];
  let failedFrom: number | undefined;
  try {
    const result = await cloud.runtimeFor(fn.name)(event, (line) => lines.push(`${stamp}\t${requestId}\tINFO\t${line}\n`), { functionName: fn.name, accountId, region, requestId });
    const failures = result?.batchItemFailures ?? [];
    if (failures.length > 0 && esm.functionResponseTypes.includes('ReportBatchItemFailures')) {
      const idx = failures.map((f) => records.findIndex((r) => r.sequenceNumber === f.itemIdentifier)).filter((i) => i >= 0);
      failedFrom = idx.length > 0 ? Math.min(...idx) : 0;
    }
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    lines.push(`${stamp}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify({ errorType: error.name, errorMessage: error.message })}\n`);
    failedFrom = 0;
  }
  lines.push(`END RequestId: ${requestId}\n`);
  lines.push(`REPORT RequestId: ${requestId}\tDuration: 5.00 ms\tBilled Duration: 5 ms\tMemory Size: ${fn.memorySize} MB\tMax Memory Used: 64 MB\t\n`);
  await writeFunctionLogs(cloud, accountId, region, fn, lines, at);
  return failedFrom;
}

/**
 * Writes as Lambda does with the execution role: the log group is created on first use (logs:CreateLogGroup),
 * then the lines go to a stream (logs:CreateLogStream, logs:PutLogEvents). Without those permissions the
 * lines are dropped, as on AWS, and the reason goes to `cloud.diagnostics`.
 *
 * All three are authorised against a log-stream ARN (CreateLogGroup's with an empty stream name), never the
 * bare log-group ARN: Lambda's CreateLogGroup is denied on `…:log-group:/aws/lambda/FN:log-stream:` (the CloudTrail record in
 * aws-solutions/instance-scheduler-on-aws#578), which is why the CloudWatch Logs API reference (LogGroup.arn)
 * says to name log groups with a trailing `:*` in IAM policies.
 */
async function writeFunctionLogs(cloud: Cloud, accountId: string, region: string, fn: LambdaFunction, lines: string[], at: number): Promise<void> {
  const rs = cloud.regionState(accountId, region)!;
  const groupName = functionLogGroupName(fn);
  const groupArn = `arn:aws:logs:${region}:${accountId}:log-group:${groupName}`;
  const role = roleOf(cloud, fn.role);
  const identity = role ? effectiveIdentityPolicies(cloud, role, at) : [];
  const allowed = async (action: string, resource: string) =>
    (await cloud.evaluateAccess({ principal: fn.role, action, resource, resourceAccount: accountId, identityPolicies: identity })).allowed;
  let group = rs.logGroups.get(groupName);
  if (!group) {
    if (!(await allowed('logs:CreateLogGroup', `${groupArn}:log-stream:`))) {
      cloud.diagnostics.push(`${new Date(at).toISOString()} ${fn.arn}: role ${fn.role} may not logs:CreateLogGroup ${groupName}; log lines dropped`);
      return;
    }
    group = newLogGroup(accountId, region, groupName, at);
    rs.logGroups.set(groupName, group);
  }
  const day = new Date(at).toISOString().slice(0, 10).replace(/-/g, '/');
  // The developer guide, "Configuring CloudWatch log groups": a custom group's streams also name the function.
  const streamName = `${day}/${fn.logGroup === undefined ? '' : fn.name}[$LATEST]${cloud.streamSuffix(fn.arn)}`;
  const streamArn = `${groupArn}:log-stream:${streamName}`;
  if (!(await allowed('logs:CreateLogStream', streamArn)) || !(await allowed('logs:PutLogEvents', streamArn))) {
    cloud.diagnostics.push(`${new Date(at).toISOString()} ${fn.arn}: role ${fn.role} may not logs:CreateLogStream/PutLogEvents on ${groupName}; log lines dropped`);
    return;
  }
  group.streams.add(streamName);
  for (const message of lines) cloud.appendLogEvent(group, streamName, message, at);
}

