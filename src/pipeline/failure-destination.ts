import { GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { awsCommand, type AccountSession } from '../aws/session.js';
import type { Clock } from '../engine/clock.js';
import type { FailureDestination } from './config.js';
import { errorMessage } from '../errors.js';
import type { Finding } from './health-report.js';
import { callAws, ifExists } from './retry.js';
import { STEP } from './steps/context.js';

/** What the user is told about a destination that is not the queue setup makes. */
export function failureDestinationWarning(destination: FailureDestination): string | undefined {
  if (destination.kind === 'none') {
    return 'No on-failure destination (--no-failure-destination): a batch the mapping gives up on, after its retries or its maximum record age, is dropped and nothing records which records were lost.';
  }
  if (destination.kind === 'existing' && !/^arn:[^:]+:s3:/.test(destination.arn)) {
    return `Failed batches are reported to ${destination.arn}: their shard and sequence numbers, not the records themselves (only an S3 bucket also keeps the records). Re-read them from the stream while it still holds them.`;
  }
  return undefined;
}

/** The queue setup makes in the consumer account. */
export function failureQueueName(deployment: string): string {
  return `${deployment}-failed-batches`;
}

export interface FailedBatches {
  /** Every report in the queue: available, in flight (received by someone, not deleted) and delayed. */
  count: number;
  /** The oldest report a look could see: why Lambda gave up, and which records it gave up on. */
  oldest?: { condition: string; shardId: string; startSequenceNumber: string; endSequenceNumber: string; timestamp: string };
}

/**
 * The GetQueueAttributes API reference: ApproximateNumberOfMessages leaves out the messages in flight
 * (ApproximateNumberOfMessagesNotVisible) and the delayed ones (ApproximateNumberOfMessagesDelayed), so a queue
 * is empty only when all three are 0.
 */
const MESSAGE_COUNTS = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const;

/** How many failed batches wait in the queue, and the first one's details, read without hiding any message. */
export async function readFailedBatches(clock: Clock, sqs: SQSClient, queueUrl: string): Promise<FailedBatches> {
  const attributes = await callAws(clock, () => sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...MESSAGE_COUNTS] })));
  const [visible, inFlight, delayed] = MESSAGE_COUNTS.map((name) => Number(attributes.Attributes?.[name] ?? 0));
  const count = visible! + inFlight! + delayed!;
  if (visible === 0) return { count };
  // VisibilityTimeout 0: looking must not hide the report from whoever processes the queue.
  const received = await callAws(clock, () => sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 0 })));
  const body = received.Messages?.[0]?.Body;
  if (!body) return { count };
  try {
    const report = JSON.parse(body) as { requestContext?: { condition?: string }; timestamp?: string; KinesisBatchInfo?: { shardId?: string; startSequenceNumber?: string; endSequenceNumber?: string } };
    const info = report.KinesisBatchInfo;
    if (!info?.shardId) return { count };
    return {
      count,
      oldest: { condition: report.requestContext?.condition ?? 'unknown', shardId: info.shardId, startSequenceNumber: info.startSequenceNumber ?? '?', endSequenceNumber: info.endSequenceNumber ?? '?', timestamp: report.timestamp ?? '?' },
    };
  } catch {
    // Someone else's message in the queue: counted, but it names no batch.
    return { count };
  }
}

/**
 * Why Lambda gave up on a batch, from the report's requestContext.condition: its retries ran out, or its records
 * passed the mapping's maximum record age (Lambda developer guide, "Retain discarded batch records for a Kinesis
 * Data Streams event source"; the age condition's name as LocalStack's stream poller gives it).
 */
function reportedBecause(condition: string): string {
  if (condition === 'RetryAttemptsExhausted') return `its retries ran out: ${condition}`;
  if (condition === 'RecordAgeExceeded') return `its records passed the mapping's maximum record age: ${condition}`;
  return condition;
}

/**
 * status's finding for the queue setup made: reports waiting there are batches Lambda gave up on, which
 * the user must look at (and re-read from the stream) before the stream's retention drops the records.
 */
export async function failedBatchesFinding(
  clock: Clock,
  consumer: AccountSession,
  where: { queueName: string; streamName: string },
  /** The command that shows the function's logs since a duration ago, built to work when pasted. */
  tailLogsCommand: (since: string) => string,
): Promise<Finding | undefined> {
  const { queueName, streamName } = where;
  const { sqs } = consumer.clients;
  const step = STEP.failureQueue;
  let batches: FailedBatches;
  let queueUrl: string | undefined;
  try {
    queueUrl = (await ifExists(clock, () => sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))))?.QueueUrl;
    if (!queueUrl) return undefined;
    batches = await readFailedBatches(clock, sqs, queueUrl);
  } catch (error) {
    return { severity: 'warning', step, account: 'consumer', message: `could not read failure queue ${queueName}: ${errorMessage(error)}`, fix: 'check that the consumer profile may sqs:GetQueueAttributes and sqs:ReceiveMessage on it' };
  }
  if (batches.count === 0) return undefined;
  const oldest = batches.oldest;
  const which = oldest ? `; the first (${oldest.timestamp}, ${reportedBecause(oldest.condition)}) covers ${oldest.shardId} sequence numbers ${oldest.startSequenceNumber} to ${oldest.endSequenceNumber}` : '';
  return {
    severity: 'error',
    step,
    account: 'consumer',
    message: `${batches.count} failed batch(es) waiting in queue ${queueName}: Lambda gave up on their records${which}`,
    fix: `find why in the function's logs (\`${tailLogsCommand(logsSince(oldest?.timestamp, clock.now()))}\`), re-read those records from stream ${streamName} while it still holds them, then delete the messages (\`${awsCommand(consumer, `sqs purge-queue --queue-url ${queueUrl}`)}\`)`,
  };
}

/**
 * How far back the logs must go to show why a batch failed: past the report's time, by whole hours
 * with one to spare, since Lambda retried the batch before it gave up (a report can be 14 days old).
 */
function logsSince(reportedAt: string | undefined, now: number): string {
  const at = Date.parse(reportedAt ?? '');
  return Number.isNaN(at) ? '1h' : `${Math.max(0, Math.ceil((now - at) / 3_600_000)) + 1}h`;
}
