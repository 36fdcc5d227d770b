import { PutRecordCommand, PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import type { Clock } from '../engine/clock.js';
import { backoffDelays, withRetry } from '../engine/wait.js';
import { CommandFailedError, ExitCode, awsErrorCode, errorMessage } from '../errors.js';
import { hasCode, isServerError, isThrottling } from '../aws/retry.js';
import type { Reporter } from '../render/types.js';
import { streamTarget, type StreamRef } from './stream.js';

/** Kinesis limits: a record's data plus its partition key, and one PutRecords request. */
export const MAX_RECORD_BYTES = 1024 * 1024;
const MAX_BATCH_RECORDS = 500;
export const MAX_BATCH_BYTES = 5 * 1024 * 1024;
export const MAX_PARTITION_KEY_CHARS = 256;

/** Entries a partial PutRecords failure leaves are sent again this many times at most. */
const PUT_ATTEMPTS = 6;
/** Time budget for one request's throttling retries. */
const PUT_RETRY_BUDGET_MS = 30_000;

/** What a write is worth repeating after: throttling (of the stream, or of its KMS key) and server faults. */
const isTransientPutError = (error: unknown): boolean => isThrottling(error) || isServerError(error) || hasCode(error, 'KMSThrottlingException');

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

export interface SendResult {
  sent: SentRecord[];
  failed: FailedRecord[];
}

/** Backoff runs on `clock`; each retry is told under --debug. */
export interface PutDeps {
  clock: Clock;
  reporter: Pick<Reporter, 'debug'>;
}

/** The size Kinesis counts against its limits: data plus partition key. */
export const recordBytes = (r: { data: Uint8Array; partitionKey: string }) => r.data.byteLength + Buffer.byteLength(r.partitionKey);

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
      'The key may be disabled, pending deletion, or not usable by this profile: status on the deployment shows its state.',
    );
  }
  return error;
}

/**
 * Runs one write request, retrying throttling and server faults with backoff within a time budget.
 * An error retrying cannot fix is thrown, worded for the user; a transient one that outlasted the
 * budget is thrown as it is, for the caller to report the records as failed.
 */
async function sendWithRetry<T>(deps: PutDeps, stream: StreamRef, send: () => Promise<T>): Promise<T> {
  try {
    return await withRetry(send, {
      clock: deps.clock,
      timeoutMs: PUT_RETRY_BUDGET_MS,
      retryable: (error) => (isTransientPutError(error) ? awsErrorCode(error) : undefined),
      onRetry: (reason) => deps.reporter.debug(`Kinesis: ${reason}; retrying`),
    });
  } catch (error) {
    throw isTransientPutError(error) ? error : describePutError(error, stream);
  }
}

/** A record whose request failed as a whole, for longer than the retry budget. */
function failedBy(record: OutgoingRecord, error: unknown): FailedRecord {
  return { index: record.index, partitionKey: record.partitionKey, errorCode: awsErrorCode(error) ?? 'Unknown', errorMessage: errorMessage(error) };
}

async function putOne(deps: PutDeps, kinesis: KinesisClient, stream: StreamRef, record: OutgoingRecord): Promise<SendResult> {
  try {
    // Latency counts from the request that stored the record: the start of the attempt that succeeded.
    let sentAt = deps.clock.now();
    const out = await sendWithRetry(deps, stream, () => {
      sentAt = deps.clock.now();
      return kinesis.send(
        new PutRecordCommand({
          ...streamTarget(stream),
          Data: record.data,
          PartitionKey: record.partitionKey,
        }),
      );
    });
    const sent: SentRecord = {
      index: record.index,
      ...(record.id && { id: record.id }),
      partitionKey: record.partitionKey,
      shardId: out.ShardId ?? '',
      sequenceNumber: out.SequenceNumber ?? '',
      sentAt,
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
async function putBatch(deps: PutDeps, kinesis: KinesisClient, stream: StreamRef, batch: OutgoingRecord[]): Promise<SendResult> {
  const sent: SentRecord[] = [];
  let pending = batch;
  let failed: FailedRecord[] = [];
  const delays = backoffDelays({ initialDelayMs: 500, maxDelayMs: 5_000, factor: 2 });
  for (let attempt = 1; attempt <= PUT_ATTEMPTS && pending.length > 0; attempt++) {
    if (attempt > 1) {
      deps.reporter.debug(`PutRecords: ${pending.length} record(s) failed (${[...new Set(failed.map((f) => f.errorCode))].join(', ')}); sending them again`);
      await deps.clock.sleep(delays.next().value);
    }
    const entries: PutRecordsRequestEntry[] = pending.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey }));
    let out;
    let at = deps.clock.now();
    try {
      out = await sendWithRetry(deps, stream, () => {
        at = deps.clock.now();
        return kinesis.send(new PutRecordsCommand({ ...streamTarget(stream), Records: entries }));
      });
    } catch (error) {
      if (!isTransientPutError(error)) throw error;
      deps.reporter.debug(`PutRecords kept failing (${awsErrorCode(error)}) for ${PUT_RETRY_BUDGET_MS / 1000}s; ${pending.length} record(s) of this batch not sent`);
      failed = pending.map((record) => failedBy(record, error));
      break;
    }
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

/**
 * Sends the records: one with PutRecord, more in PutRecords batches one after the other. Returns
 * what was stored and what still failed after retrying, each in the records' order.
 */
export async function putRecords(deps: PutDeps, kinesis: KinesisClient, stream: StreamRef, records: readonly OutgoingRecord[]): Promise<SendResult> {
  const result: SendResult = { sent: [], failed: [] };
  if (records.length === 1) {
    const one = await putOne(deps, kinesis, stream, records[0]!);
    result.sent.push(...one.sent);
    result.failed.push(...one.failed);
  } else {
    const batches = batchRecords(records);
    deps.reporter.debug(`Sending ${records.length} records in ${batches.length} PutRecords request(s).`);
    for (const batch of batches) {
      const out = await putBatch(deps, kinesis, stream, batch);
      result.sent.push(...out.sent);
      result.failed.push(...out.failed);
    }
  }
  result.sent.sort((a, b) => a.index - b.index);
  result.failed.sort((a, b) => a.index - b.index);
  return result;
}

/** Why records could not be sent, and what to do, from the error codes they failed with. */
export function sendFailureHint(failed: readonly FailedRecord[]): string {
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
