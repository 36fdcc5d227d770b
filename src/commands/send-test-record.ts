import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeStreamSummaryCommand,
  PutRecordCommand,
  PutRecordsCommand,
  type KinesisClient,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { GetEventSourceMappingCommand, paginateListEventSourceMappings } from '@aws-sdk/client-lambda';
import type { AccountSession } from '../aws/session.js';
import type { CommandContext, Environment } from '../context.js';
import { backoffDelays, withRetry } from '../engine/wait.js';
import { CommandFailedError, ExitCode, UserError, awsErrorCode, errorMessage } from '../errors.js';
import { callAws, hasCode, ifExists, isNotFound, isThrottling } from '../pipeline/retry.js';
import { STEP } from '../pipeline/steps.js';
import { formatDuration } from '../render/types.js';
import { connectAccount, requireStepOutput, resolveDeployment, resolveDeploymentName, stepOutput } from './deployment.js';
import { parseDuration } from './durations.js';
import { functionLogGroup } from '../logs/events.js';
import { isErrorLine, parseRecordLine } from '../logs/record-lines.js';

/** Kinesis limits: a record's data plus its partition key, and one PutRecords request. */
export const MAX_RECORD_BYTES = 1024 * 1024;
export const MAX_BATCH_RECORDS = 500;
export const MAX_BATCH_BYTES = 5 * 1024 * 1024;
const MAX_PARTITION_KEY_CHARS = 256;

/** Entries a partial PutRecords failure leaves are sent again this many times at most. */
const PUT_ATTEMPTS = 6;
/** Time budget for one request's throttling retries. */
const PUT_RETRY_BUDGET_MS = 30_000;
/** Records are looked for in the logs from a little before the send, for clock skew. */
const LOG_SKEW_MS = 60_000;
/** Later polls look back this far only: long enough for CloudWatch's ingestion delay. */
const LOG_LOOKBACK_MS = 2 * 60_000;
/** Lines printed per list before "... and N more". */
const MAX_LINES = 50;

/**
 * Besides throttling, the errors a write is worth repeating after: KMS throttling the stream's key,
 * and Kinesis's own server faults. Unlike the setup steps' calls, a write retries these too, because
 * nothing was changed when they happen and the user only wants the record stored.
 */
const TRANSIENT_PUT_CODES = ['KMSThrottlingException', 'InternalFailure', 'InternalFailureException', 'ServiceUnavailable', 'ServiceUnavailableException'];

const isTransientPutError = (error: unknown): boolean => isThrottling(error) || hasCode(error, ...TRANSIENT_PUT_CODES);

/** A record to send: its bytes, partition key, and our id when we wrote the payload. */
export interface OutgoingRecord {
  index: number;
  id?: string;
  partitionKey: string;
  data: Uint8Array;
}

export interface SentRecord {
  index: number;
  id?: string;
  partitionKey: string;
  shardId: string;
  sequenceNumber: string;
  /** Epoch ms of the request that stored it. */
  sentAt: number;
}

export interface FailedRecord {
  index: number;
  partitionKey: string;
  errorCode: string;
  errorMessage: string;
}

interface StreamRef {
  name: string;
  arn?: string | undefined;
}

/** With --verify: the consumer account, the function whose logs to watch, and its mapping when the state records it. */
interface Watch {
  consumer: AccountSession;
  functionName: string;
  mappingUuid?: string | undefined;
}

/** What the command works on: from the deployment's state file, from flags, or both. */
interface Target {
  /** The deployment, when one was named or found; undefined when every value came from flags. */
  deployment?: string | undefined;
  producer: AccountSession;
  stream: StreamRef;
  watch?: Watch | undefined;
}

/** The `--name …` to repeat in a suggested command, or nothing when no deployment is involved. */
const nameFlag = (deployment: string | undefined) => (deployment ? ` --name ${deployment}` : '');

const recordBytes = (r: { data: Uint8Array; partitionKey: string }) => r.data.byteLength + Buffer.byteLength(r.partitionKey);

/** Splits records into PutRecords requests of at most 500 records and 5 MiB (data plus partition keys). */
export function batchRecords<T extends { data: Uint8Array; partitionKey: string }>(records: readonly T[]): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = recordBytes(record);
    if (current.length > 0 && (current.length >= MAX_BATCH_RECORDS || bytes + size > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

async function readPayload(options: Record<string, unknown>, environment: Pick<Environment, 'cwd' | 'stdin'>): Promise<Uint8Array | undefined> {
  const data = typeof options.data === 'string' ? options.data : undefined;
  const file = typeof options.file === 'string' ? options.file : undefined;
  if (data !== undefined && file !== undefined) {
    throw new UserError('--data and --file both give the payload.', 'Use one of them.');
  }
  if (data !== undefined) return new TextEncoder().encode(data);
  if (file === undefined) return undefined;
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of environment.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
      return new Uint8Array(Buffer.concat(chunks));
    }
    return new Uint8Array(await readFile(path.resolve(environment.cwd, file)));
  } catch (error) {
    throw new UserError(`Cannot read --file ${file}: ${errorMessage(error)}`, 'Check the path, or use --file - to read from stdin.');
  }
}

function partitionKeyOf(options: Record<string, unknown>): string | undefined {
  if (typeof options.partitionKey !== 'string') return undefined;
  const key = options.partitionKey;
  if (key.length < 1 || key.length > MAX_PARTITION_KEY_CHARS) {
    throw new UserError(`--partition-key must be 1 to ${MAX_PARTITION_KEY_CHARS} characters long (it is ${key.length}).`);
  }
  return key;
}

/** The default payload: one small JSON document per record, with an id that shows up in the consumer's logs. */
function testRecord(index: number, count: number, origin: string, producer: AccountSession, now: number): { id: string; data: Uint8Array } {
  const id = randomUUID();
  const body = {
    id,
    source: 'kds-xacct send-test-record',
    sentAt: new Date(now).toISOString(),
    producerAccountId: producer.accountId,
    message: count === 1 ? `Test record from kds-xacct (${origin}).` : `Test record ${index + 1} of ${count} from kds-xacct (${origin}).`,
  };
  return { id, data: new TextEncoder().encode(JSON.stringify(body)) };
}

function tooLarge(bytes: number): UserError {
  return new UserError(
    `The record is ${bytes} bytes with its partition key; Kinesis accepts at most ${MAX_RECORD_BYTES} bytes (1 MiB) per record.`,
    'Send a smaller payload.',
  );
}

/**
 * Checks that the stream exists and takes writes, with a message that says what to do when not.
 * Returns its ARN, by which a mapping that reads it is found.
 */
async function checkStream(ctx: CommandContext, stream: StreamRef, producer: AccountSession, deployment: string | undefined): Promise<string | undefined> {
  const summary = (
    await ifExists(ctx.environment.clock, () =>
      producer.clients.kinesis.send(new DescribeStreamSummaryCommand(stream.arn ? { StreamARN: stream.arn } : { StreamName: stream.name })),
    )
  )?.StreamDescriptionSummary;
  if (!summary) {
    throw new CommandFailedError(
      `Stream ${stream.name} does not exist in the producer account ${producer.accountId} (${producer.region}).`,
      ExitCode.Failed,
      deployment
        ? `It may have been deleted. Run \`kds-xacct status --name ${deployment}\` to see what is left, or \`kds-xacct setup --name ${deployment}\` to create it again.`
        : 'Check --stream-name, and that the producer profile and --region point at the account and region of the stream.',
    );
  }
  const status = summary.StreamStatus;
  // UPDATING (resharding, encryption) still takes writes.
  if (status === 'ACTIVE' || status === 'UPDATING') return summary.StreamARN ?? stream.arn;
  const what =
    status === 'CREATING' ? 'is still being created' : status === 'DELETING' ? 'is being deleted' : `is ${status ?? 'in an unknown state'}`;
  throw new CommandFailedError(
    `Stream ${stream.name} ${what}; it takes records only when ACTIVE.`,
    ExitCode.Failed,
    status === 'CREATING' ? 'Wait a few seconds and try again.' : `Run \`kds-xacct status${nameFlag(deployment)}\` to see its state.`,
  );
}

interface SendResult {
  sent: SentRecord[];
  failed: FailedRecord[];
}

/** Write failures the user can act on, worded for them; anything else stays unexpected. */
function describePutError(error: unknown, stream: StreamRef): unknown {
  const code = awsErrorCode(error);
  if (code === 'AccessDeniedException') {
    return new CommandFailedError(`The producer profile may not write to stream ${stream.name}: ${errorMessage(error)}`, ExitCode.Failed, 'Use a profile allowed kinesis:PutRecord and kinesis:PutRecords on the stream.');
  }
  if (code?.startsWith('KMS') && !isTransientPutError(error)) {
    return new CommandFailedError(
      `Kinesis could not encrypt the record with the stream's KMS key (${code}): ${errorMessage(error)}`,
      ExitCode.Failed,
      'The key may be disabled, pending deletion, or not usable by this profile. Check it with `kds-xacct status`.',
    );
  }
  return error;
}

/**
 * Runs one write request, retrying throttling and server faults with backoff within a time budget.
 * An error retrying cannot fix is thrown, worded for the user; a transient one that outlasted the
 * budget is thrown as it is, for the caller to report the records as failed.
 */
async function sendWithRetry<T>(ctx: CommandContext, stream: StreamRef, send: () => Promise<T>): Promise<T> {
  try {
    return await withRetry(send, {
      clock: ctx.environment.clock,
      timeoutMs: PUT_RETRY_BUDGET_MS,
      retryable: (error) => (isTransientPutError(error) ? awsErrorCode(error) : undefined),
      onRetry: (reason) => ctx.reporter.debug(`Kinesis: ${reason}; retrying`),
    });
  } catch (error) {
    throw isTransientPutError(error) ? error : describePutError(error, stream);
  }
}

/** A record whose request failed as a whole, for longer than the retry budget. */
function failedBy(record: OutgoingRecord, error: unknown): FailedRecord {
  return { index: record.index, partitionKey: record.partitionKey, errorCode: awsErrorCode(error) ?? 'Unknown', errorMessage: errorMessage(error) };
}

async function putOne(ctx: CommandContext, kinesis: KinesisClient, stream: StreamRef, record: OutgoingRecord): Promise<SendResult> {
  try {
    const out = await sendWithRetry(ctx, stream, () =>
      kinesis.send(
        new PutRecordCommand({
          ...(stream.arn ? { StreamARN: stream.arn } : { StreamName: stream.name }),
          Data: record.data,
          PartitionKey: record.partitionKey,
        }),
      ),
    );
    const sent: SentRecord = {
      index: record.index,
      ...(record.id && { id: record.id }),
      partitionKey: record.partitionKey,
      shardId: out.ShardId ?? '',
      sequenceNumber: out.SequenceNumber ?? '',
      sentAt: ctx.environment.clock.now(),
    };
    return { sent: [sent], failed: [] };
  } catch (error) {
    if (!isTransientPutError(error)) throw error;
    return { sent: [], failed: [failedBy(record, error)] };
  }
}

/**
 * Sends a batch with PutRecords. A partial failure leaves some entries with an ErrorCode (mostly
 * throttling): those are sent again with backoff, and what still fails after PUT_ATTEMPTS is returned.
 * A request that fails as a whole for longer than its retry budget fails the entries it carried: the
 * entries stored by earlier attempts stay sent, and the caller goes on with the next batch.
 */
async function putBatch(ctx: CommandContext, kinesis: KinesisClient, stream: StreamRef, batch: OutgoingRecord[]): Promise<SendResult> {
  const sent: SentRecord[] = [];
  let pending = batch;
  let failed: FailedRecord[] = [];
  const delays = backoffDelays({ initialDelayMs: 500, maxDelayMs: 5_000, factor: 2 });
  for (let attempt = 1; attempt <= PUT_ATTEMPTS && pending.length > 0; attempt++) {
    if (attempt > 1) {
      ctx.reporter.debug(`PutRecords: ${pending.length} record(s) failed (${[...new Set(failed.map((f) => f.errorCode))].join(', ')}); sending them again`);
      await ctx.environment.clock.sleep(delays.next().value);
    }
    const entries: PutRecordsRequestEntry[] = pending.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey }));
    let out;
    try {
      out = await sendWithRetry(ctx, stream, () =>
        kinesis.send(new PutRecordsCommand({ ...(stream.arn ? { StreamARN: stream.arn } : { StreamName: stream.name }), Records: entries })),
      );
    } catch (error) {
      if (!isTransientPutError(error)) throw error;
      ctx.reporter.debug(`PutRecords kept failing (${awsErrorCode(error)}) for ${PUT_RETRY_BUDGET_MS / 1000}s; ${pending.length} record(s) of this batch not sent`);
      failed = pending.map((record) => failedBy(record, error));
      break;
    }
    const at = ctx.environment.clock.now();
    const retry: OutgoingRecord[] = [];
    failed = [];
    pending.forEach((record, i) => {
      const result = out.Records?.[i];
      if (result?.SequenceNumber && !result.ErrorCode) {
        sent.push({
          index: record.index,
          ...(record.id && { id: record.id }),
          partitionKey: record.partitionKey,
          shardId: result.ShardId ?? '',
          sequenceNumber: result.SequenceNumber,
          sentAt: at,
        });
      } else {
        retry.push(record);
        failed.push({
          index: record.index,
          partitionKey: record.partitionKey,
          errorCode: result?.ErrorCode ?? 'Unknown',
          errorMessage: result?.ErrorMessage ?? 'PutRecords returned no result for this record.',
        });
      }
    });
    pending = retry;
  }
  return { sent, failed };
}

interface VerifyOutcome {
  ok: boolean;
  interrupted: boolean;
  latencies: Array<{ index: number; sequenceNumber: string; latencyMs: number }>;
  missing: SentRecord[];
  errorLines: string[];
}

/**
 * Watches the consumer function's log group until every sent sequence number has been logged by
 * the handler, or the timeout passes. Sequence numbers identify records whatever their payload.
 */
async function verifyDelivery(ctx: CommandContext, consumer: AccountSession, logGroupName: string, sent: SentRecord[], timeoutMs: number): Promise<VerifyOutcome> {
  const { clock, interrupt } = ctx.environment;
  const pending = new Map(sent.map((r) => [r.sequenceNumber, r]));
  const latencies: VerifyOutcome['latencies'] = [];
  const errorLines: string[] = [];
  const seenErrors = new Set<string>();
  const firstSentAt = Math.min(...sent.map((r) => r.sentAt));
  const deadline = clock.now() + timeoutMs;
  const delays = backoffDelays({ initialDelayMs: 1_000, maxDelayMs: 5_000 });
  let windowStart = firstSentAt - LOG_SKEW_MS;
  let waitingNoted = false;

  ctx.reporter.info(`Waiting up to ${formatDuration(timeoutMs)} for ${sent.length === 1 ? 'the record' : `${sent.length} records`} to appear in ${logGroupName}…`);
  const stopped = new Promise<'stopped'>((resolve) => {
    if (interrupt.interrupted) resolve('stopped');
    interrupt.onTrigger(() => resolve('stopped'));
  });

  for (;;) {
    const pollStartedAt = clock.now();
    let nextToken: string | undefined;
    let complete = true;
    try {
      do {
        const page = await consumer.clients.logs.send(
          new FilterLogEventsCommand({
            logGroupName,
            startTime: windowStart,
            // Matches the handler's record lines and its record-error lines; other errors are
            // looked for only if the records do not arrive (see collectFunctionErrors).
            filterPattern: '"kds-xacct.record"',
            ...(nextToken && { nextToken }),
          }),
        );
        for (const event of page.events ?? []) {
          const message = event.message ?? '';
          const record = parseRecordLine(message);
          const sequenceNumber = record?.sequenceNumber ?? record?.eventId?.split(':').pop();
          const match = sequenceNumber ? pending.get(sequenceNumber) : undefined;
          if (match) {
            pending.delete(match.sequenceNumber);
            latencies.push({ index: match.index, sequenceNumber: match.sequenceNumber, latencyMs: (event.timestamp ?? clock.now()) - match.sentAt });
          } else if (!record && isErrorLine(message) && !seenErrors.has(message.trimEnd())) {
            seenErrors.add(message.trimEnd());
            errorLines.push(message.trimEnd());
          }
        }
        nextToken = page.nextToken;
      } while (nextToken);
    } catch (error) {
      if (isThrottling(error)) {
        // The next poll reads this poll's whole window again.
        complete = false;
        ctx.reporter.debug(`FilterLogEvents throttled (${awsErrorCode(error)}); trying again at the next poll.`);
      } else {
        // The function creates its log group on its first invocation.
        if (!isNotFound(error)) throw error;
        if (!waitingNoted) ctx.reporter.debug(`${logGroupName} does not exist yet: the function has not run yet.`);
        waitingNoted = true;
      }
    }
    if (complete) windowStart = Math.max(windowStart, pollStartedAt - LOG_LOOKBACK_MS);

    const missing = [...pending.values()];
    if (missing.length === 0) return { ok: true, interrupted: false, latencies, missing, errorLines };
    const remaining = deadline - clock.now();
    if (remaining <= 0 || interrupt.interrupted) return { ok: false, interrupted: interrupt.interrupted, latencies, missing, errorLines };
    const woke = await Promise.race([clock.sleep(Math.min(delays.next().value, remaining)), stopped]);
    if (woke === 'stopped') return { ok: false, interrupted: true, latencies, missing, errorLines };
  }
}

interface Diagnostics {
  eventSourceMapping?: { uuid: string; state?: string; stateTransitionReason?: string; lastProcessingResult?: string; error?: string };
  functionErrors: string[];
  hints: string[];
}

/** Error lines the function logged since `from`: a few pages at most, since a busy function logs a lot. */
async function collectFunctionErrors(ctx: CommandContext, consumer: AccountSession, logGroupName: string, from: number, into: string[]): Promise<void> {
  const seen = new Set(into);
  let nextToken: string | undefined;
  let pages = 0;
  try {
    do {
      const page = await callAws(ctx.environment.clock, () =>
        consumer.clients.logs.send(new FilterLogEventsCommand({ logGroupName, startTime: from, ...(nextToken && { nextToken }) })),
      );
      for (const event of page.events ?? []) {
        const message = (event.message ?? '').trimEnd();
        if (isErrorLine(message) && !seen.has(message)) {
          seen.add(message);
          into.push(message);
        }
      }
      nextToken = page.nextToken;
    } while (nextToken && ++pages < 5 && into.length < 20);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/**
 * The mapping that feeds `functionName` from the stream: read from the stream itself (shared
 * throughput) or through an enhanced fan-out consumer of it, whose ARN starts with the stream's.
 */
async function findMapping(ctx: CommandContext, consumer: AccountSession, functionName: string, streamArn: string | undefined): Promise<string | undefined> {
  if (!streamArn) return undefined;
  const pages = paginateListEventSourceMappings({ client: consumer.clients.lambda }, { FunctionName: functionName });
  try {
    for await (const page of pages) {
      const mapping = page.EventSourceMappings?.find((m) => m.EventSourceArn === streamArn || m.EventSourceArn?.startsWith(`${streamArn}/consumer/`));
      if (mapping?.UUID) return mapping.UUID;
    }
  } catch (error) {
    // A function that does not exist has no mapping; the diagnosis says so.
    if (!isNotFound(error)) throw error;
  }
  ctx.reporter.debug(`No event source mapping of ${functionName} reads ${streamArn}.`);
  return undefined;
}

/** What to check when records did not arrive: the mapping's state and last result, and the function's errors. */
async function diagnose(ctx: CommandContext, target: Target, watch: Watch, streamArn: string | undefined, logGroupName: string, from: number, outcome: VerifyOutcome): Promise<Diagnostics> {
  const { deployment } = target;
  const { consumer, functionName } = watch;
  const { clock } = ctx.environment;
  const hints: string[] = [];
  await collectFunctionErrors(ctx, consumer, logGroupName, from, outcome.errorLines);
  const uuid = watch.mappingUuid ?? (await findMapping(ctx, consumer, functionName, streamArn));
  let esm: Diagnostics['eventSourceMapping'];
  if (!uuid) {
    hints.push(
      `No event source mapping connects function ${functionName} to stream ${target.stream.name} in account ${consumer.accountId} (${consumer.region}): ` +
        (deployment ? `run \`kds-xacct setup --name ${deployment}\` to create it.` : 'check --function-name and --stream-name, or create the pipeline with `kds-xacct setup`.'),
    );
  } else {
    try {
      const mapping = await callAws(clock, () => consumer.clients.lambda.send(new GetEventSourceMappingCommand({ UUID: uuid })));
      esm = {
        uuid,
        ...(mapping.State && { state: mapping.State }),
        ...(mapping.StateTransitionReason && { stateTransitionReason: mapping.StateTransitionReason }),
        ...(mapping.LastProcessingResult && { lastProcessingResult: mapping.LastProcessingResult }),
      };
      if (mapping.State === 'Disabled' || mapping.State === 'Disabling') {
        hints.push(`The event source mapping is ${mapping.State}, so the function receives nothing. Enable it: aws lambda update-event-source-mapping --uuid ${uuid} --enabled`);
      } else if (mapping.State === 'Creating' || mapping.State === 'Enabling' || mapping.State === 'Updating') {
        hints.push(`The event source mapping is still ${mapping.State}; a new mapping can take minutes to start polling. Try again with a longer --timeout.`);
      }
      if (mapping.LastProcessingResult?.startsWith('PROBLEM')) {
        hints.push(`The mapping reports a problem reading the stream: check the stream and consumer policies, the KMS grant and the role with \`kds-xacct status${nameFlag(deployment)}\`.`);
      } else if (mapping.LastProcessingResult === 'No records processed' && mapping.State === 'Enabled') {
        hints.push('The mapping has processed no records yet: a mapping that starts at LATEST skips records sent before it was enabled.');
      }
    } catch (error) {
      // Reported as part of the diagnosis: the records' absence is the failure being explained.
      esm = { uuid, error: `${awsErrorCode(error) ?? 'error'}: ${errorMessage(error)}` };
      if (isNotFound(error)) {
        hints.push(`The event source mapping ${uuid} no longer exists: run \`kds-xacct setup${nameFlag(deployment)}\` to create it again.`);
      }
    }
  }
  if (outcome.errorLines.length > 0) hints.push('The function logged errors (above): fix them, and the mapping retries the records.');
  return { ...(esm && { eventSourceMapping: esm }), functionErrors: outcome.errorLines, hints };
}

function limitLines<T>(items: readonly T[], render: (item: T) => string): string[] {
  const lines = items.slice(0, MAX_LINES).map(render);
  if (items.length > MAX_LINES) lines.push(`  … and ${items.length - MAX_LINES} more (--json lists them all)`);
  return lines;
}

const flagValue = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * The stream to write to and, with --verify, the function to watch. Flags win over the state file.
 * When flags name everything and --name is not given, no state file is read at all.
 */
async function resolveTarget(ctx: CommandContext, options: Record<string, unknown>, verify: boolean): Promise<Target> {
  const streamFlag = flagValue(options.streamName);
  const functionFlag = flagValue(options.functionName);
  const { producerProfile, consumerProfile, name } = ctx.options;
  const missing = [
    ...(producerProfile ? [] : ['--producer-profile']),
    ...(streamFlag ? [] : ['--stream-name']),
    ...(verify && !consumerProfile ? ['--consumer-profile'] : []),
    ...(verify && !functionFlag ? ['--function-name'] : []),
  ];

  if (missing.length === 0 && !name && streamFlag) {
    const producer = await connectAccount(ctx, 'producer');
    const watch = verify && functionFlag ? { consumer: await connectAccount(ctx, 'consumer'), functionName: functionFlag } : undefined;
    return { producer, stream: { name: streamFlag }, watch };
  }

  const withoutState = `Without a deployment, pass ${missing.join(', ')} (and --region if the profiles name none).`;
  if (!name) {
    try {
      await resolveDeploymentName(ctx);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      throw new UserError(error.message, [error.hint, withoutState].filter(Boolean).join('\n'));
    }
  }
  // With --name, a missing state file is fine when the flags give every value.
  const resolveOptions = { allowMissingState: missing.length === 0 };
  const resolved = verify ? await resolveDeployment(ctx, ['producer', 'consumer'], resolveOptions) : await resolveDeployment(ctx, ['producer'], resolveOptions);
  const { state } = resolved;
  const recorded = (flag: string | undefined, step: string, key: string): string => {
    if (flag) return flag;
    if (state) return requireStepOutput(state, step, key);
    throw new UserError(`Deployment "${resolved.name}" has no state file (${resolved.stateFile}).`, withoutState);
  };

  const recordedStream = stepOutput(state, STEP.stream, 'streamName');
  const streamName = recorded(streamFlag, STEP.stream, 'streamName');
  // The recorded ARN and mapping belong to the recorded stream and function only.
  const sameStream = streamName === recordedStream;
  const stream: StreamRef = { name: streamName, arn: sameStream ? stepOutput(state, STEP.stream, 'streamArn') : undefined };
  let watch: Watch | undefined;
  if (resolved.consumer) {
    const recordedFunction = stepOutput(state, STEP.esm, 'functionName') ?? stepOutput(state, STEP.function, 'functionName');
    const functionName = functionFlag ?? recordedFunction ?? recorded(undefined, STEP.function, 'functionName');
    const mappingUuid = sameStream && functionName === recordedFunction ? stepOutput(state, STEP.esm, 'uuid') : undefined;
    watch = { consumer: resolved.consumer, functionName, mappingUuid };
  }
  return { deployment: resolved.name, producer: resolved.producer, stream, watch };
}

/** Why records could not be sent, and what to do, from the error codes they failed with. */
function failureHint(failed: readonly FailedRecord[]): string {
  const codes = new Set(failed.map((f) => f.errorCode));
  const hints: string[] = [];
  if ([...codes].some((code) => /Throughput|Throttl|LimitExceeded/.test(code))) {
    hints.push("The stream is throttling writes. Send fewer records at once, or raise the stream's capacity (on-demand mode or more shards).");
  }
  if ([...codes].some((code) => /InternalFailure|ServiceUnavailable/.test(code))) {
    hints.push('Kinesis kept failing on its side: send the records again in a few minutes, and check the AWS Health Dashboard if it persists.');
  }
  return hints.length > 0 ? hints.join('\n') : 'Send the records again; run with --debug to see each attempt.';
}

export async function runSendTestRecord(ctx: CommandContext, options: Record<string, unknown>): Promise<ExitCode> {
  // Everything that can be wrong with the flags is checked before any account is contacted.
  const count = typeof options.count === 'number' ? options.count : 1;
  const verify = options.verify === true;
  const timeoutMs = parseDuration(typeof options.timeout === 'string' ? options.timeout : '120s', '--timeout');
  const payload = await readPayload(options, ctx.environment);
  const fixedKey = partitionKeyOf(options);
  if (payload) {
    const bytes = payload.byteLength + Buffer.byteLength(fixedKey ?? randomUUID());
    if (bytes > MAX_RECORD_BYTES) throw tooLarge(bytes);
  }

  const target = await resolveTarget(ctx, options, verify);
  const { deployment, producer, stream } = target;
  const kinesis = producer.clients.kinesis;
  const streamArn = await checkStream(ctx, stream, producer, deployment);

  const now = ctx.environment.clock.now();
  const origin = deployment ? `deployment ${deployment}` : `stream ${stream.name}`;
  const records: OutgoingRecord[] = Array.from({ length: count }, (_, index) => {
    const partitionKey = fixedKey ?? randomUUID();
    if (payload) return { index, partitionKey, data: payload };
    const { id, data } = testRecord(index, count, origin, producer, now);
    return { index, id, partitionKey, data };
  });
  const oversized = records.find((r) => recordBytes(r) > MAX_RECORD_BYTES);
  if (oversized) throw tooLarge(recordBytes(oversized));

  const result: SendResult = { sent: [], failed: [] };
  if (count === 1) {
    const one = await putOne(ctx, kinesis, stream, records[0]!);
    result.sent.push(...one.sent);
    result.failed.push(...one.failed);
  } else {
    const batches = batchRecords(records);
    ctx.reporter.debug(`Sending ${count} records in ${batches.length} PutRecords request(s).`);
    for (const batch of batches) {
      const out = await putBatch(ctx, kinesis, stream, batch);
      result.sent.push(...out.sent);
      result.failed.push(...out.failed);
    }
  }
  result.sent.sort((a, b) => a.index - b.index);
  result.failed.sort((a, b) => a.index - b.index);

  if (result.sent.length > 0) {
    ctx.reporter.info(
      `Sent ${result.sent.length} record(s) to stream ${stream.name} in account ${producer.accountId} (${producer.region}):`,
    );
    for (const line of limitLines(result.sent, (r) => `  #${r.index + 1} shard ${r.shardId} sequence ${r.sequenceNumber}${r.id ? ` id ${r.id}` : ''}`)) {
      ctx.reporter.info(line);
    }
  }
  const output: Record<string, unknown> = {
    ...(deployment && { deployment }),
    stream: { name: stream.name, ...(streamArn && { arn: streamArn }) },
    producerAccountId: producer.accountId,
    records: result.sent.map((r) => ({ ...r, sentAt: new Date(r.sentAt).toISOString() })),
    failed: result.failed,
  };

  if (result.failed.length > 0) {
    ctx.reporter.error(
      `${result.failed.length} of ${count} record(s) could not be sent, even after retrying:\n` +
        limitLines(result.failed, (f) => `  #${f.index + 1} partition key ${f.partitionKey}: ${f.errorCode}: ${f.errorMessage}`).join('\n'),
      failureHint(result.failed),
    );
    ctx.reporter.result(output);
    return ExitCode.Failed;
  }

  const { watch } = target;
  if (!watch) {
    ctx.reporter.result(output);
    return ExitCode.Success;
  }

  const { consumer, functionName } = watch;
  const group = functionLogGroup(functionName, consumer);
  const outcome = await verifyDelivery(ctx, consumer, group.name, result.sent, timeoutMs);
  outcome.latencies.sort((a, b) => a.index - b.index);
  const verifyOutput: Record<string, unknown> = {
    ok: outcome.ok,
    logGroup: group.name,
    latencies: outcome.latencies,
    missing: outcome.missing.map((r) => ({ index: r.index, sequenceNumber: r.sequenceNumber })),
  };
  output.verify = verifyOutput;

  if (outcome.latencies.length > 0) {
    ctx.reporter.info(`Arrived in ${functionName} (end-to-end latency, send to log line):`);
    for (const line of limitLines(outcome.latencies, (l) => `  #${l.index + 1} sequence ${l.sequenceNumber}: ${formatDuration(l.latencyMs)}`)) {
      ctx.reporter.info(line);
    }
    if (outcome.latencies.length > 1) {
      const sorted = outcome.latencies.map((l) => l.latencyMs).sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      ctx.reporter.info(`  min ${formatDuration(sorted[0]!)}, median ${formatDuration(median)}, max ${formatDuration(sorted[sorted.length - 1]!)}`);
    }
  }
  if (outcome.ok) {
    ctx.reporter.info(`Verified: all ${result.sent.length} record(s) reached the consumer function.`);
    ctx.reporter.result(output);
    return ExitCode.Success;
  }
  if (outcome.interrupted) {
    ctx.reporter.warn(`Stopped waiting: ${outcome.missing.length} record(s) not seen yet.`);
    ctx.reporter.result(output);
    return ExitCode.Interrupted;
  }

  const firstSentAt = Math.min(...result.sent.map((r) => r.sentAt));
  const diagnostics = await diagnose(ctx, target, watch, streamArn, group.name, firstSentAt - LOG_SKEW_MS, outcome);
  verifyOutput.diagnostics = diagnostics;
  const esm = diagnostics.eventSourceMapping;
  const lines = [
    `${outcome.missing.length} of ${result.sent.length} record(s) did not appear in ${group.name} within ${formatDuration(timeoutMs)}.`,
    ...(esm
      ? [
          `  Event source mapping ${esm.uuid}: ${esm.error ?? `State ${esm.state ?? '?'}`}`,
          ...(esm.stateTransitionReason ? [`  StateTransitionReason: ${esm.stateTransitionReason}`] : []),
          ...(esm.lastProcessingResult ? [`  LastProcessingResult: ${esm.lastProcessingResult}`] : []),
        ]
      : []),
    ...(diagnostics.functionErrors.length > 0
      ? [`  Function errors in ${group.name}:`, ...diagnostics.functionErrors.slice(0, 10).map((l) => `    ${l}`)]
      : [`  No function errors were logged in ${group.name}.`]),
  ];
  const follow = deployment
    ? `Follow the function's logs with \`kds-xacct tail-logs --name ${deployment}\`, and check the pipeline with \`kds-xacct status --name ${deployment}\`.`
    : `Follow the function's logs with \`kds-xacct tail-logs --consumer-profile ${consumer.profile} --region ${consumer.region} --function ${functionName}\`.`;
  ctx.reporter.error(lines.join('\n'), [...diagnostics.hints, follow].join('\n'));
  ctx.reporter.result(output);
  return ExitCode.Failed;
}
