import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { awsCommand, type AccountSession } from '../aws/session.js';
import type { Clock } from '../engine/clock.js';
import type { FailureDestination } from './config.js';
import { ExitCode, UserError, awsErrorCode, errorMessage } from '../errors.js';
import type { Finding } from './health-report.js';
import { callAws, ifExists } from './retry.js';
import { STEP } from './steps/context.js';
import { failureDestinationService } from './validate.js';

/** What the user is told about a destination that is not the queue setup makes. */
export function failureDestinationWarning(destination: FailureDestination, consumerAccountId: string): string | undefined {
  if (destination.kind === 'none') {
    return 'No on-failure destination (--no-failure-destination): a batch the mapping gives up on, after its retries or its maximum record age, is dropped and nothing records which records were lost.';
  }
  if (destination.kind !== 'existing') return undefined;
  const what = /^arn:[^:]+:s3:/.test(destination.arn)
    ? undefined
    : `Failed batches are reported to ${destination.arn}: their shard and sequence numbers, not the records themselves (only an S3 bucket also keeps the records). Re-read them from the stream while it still holds them.`;
  const unread = encryptionUnread(destination.arn, consumerAccountId);
  return what && unread ? `${what}\n${unread}` : (what ?? unread);
}

/**
 * What the user must see to for a destination whose encryption setup cannot read: an SNS topic or S3 bucket
 * (their encryption is not read), or a queue in another account (the consumer profile may not read it).
 * Lambda reports as the execution role, and a KMS key it may not use loses the report without a word.
 */
function encryptionUnread(arn: string, consumerAccountId: string): string | undefined {
  const service = failureDestinationService(arn);
  if (service === 'sqs' && arn.split(':')[4] === consumerAccountId) return undefined;
  const needs = service === 's3' ? 'kms:GenerateDataKey' : 'kms:GenerateDataKey and kms:Decrypt';
  return `kds-xacct does not read the encryption of ${arn}: if a KMS key of your own encrypts it, that key's policy must allow the function's role ${needs}, or failure reports are lost.`;
}

/**
 * The customer managed KMS key the execution role must use to report to the destination, by its ARN, or
 * undefined when it needs none. Lambda sends as the role, and an SQS queue encrypted with a KMS key takes
 * a message only from a sender allowed kms:GenerateDataKey and kms:Decrypt on it (Lambda Developer Guide,
 * on-failure destinations); the AWS managed alias/aws/sqs already serves every principal of its own account
 * (SQS Developer Guide, "Key management"), and SSE-SQS needs no key at all. Only a queue in the consumer
 * account is read: the rest is what failureDestinationWarning says.
 */
export async function destinationKeyArn(clock: Clock, consumer: AccountSession, arn: string, roleName: string): Promise<string | undefined> {
  if (failureDestinationService(arn) !== 'sqs' || arn.split(':')[4] !== consumer.accountId) return undefined;
  const queueName = arn.split(':')[5]!;
  const { sqs, kms } = consumer.clients;
  const queueUrl = (await ifExists(clock, () => sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))))?.QueueUrl;
  if (!queueUrl) {
    throw new UserError(`The failure destination ${arn} does not exist.`, `Create queue ${queueName} first, or pass --failure-destination with a queue that exists.`, ExitCode.Failed);
  }
  const keyId = (await callAws(clock, () => sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['KmsMasterKeyId'] })))).Attributes?.KmsMasterKeyId;
  if (!keyId) return undefined;
  let key;
  try {
    key = (await callAws(clock, () => kms.send(new DescribeKeyCommand({ KeyId: keyId })))).KeyMetadata;
  } catch (error) {
    throw new UserError(
      `Queue ${queueName} is encrypted with KMS key ${keyId}, which the consumer profile cannot read (${awsErrorCode(error) ?? 'error'}: ${errorMessage(error)}).`,
      `Lambda reports failed batches as role ${roleName}, which needs kms:GenerateDataKey and kms:Decrypt on that key: allow it in the key's policy, let profile ${consumer.profile} kms:DescribeKey it, then run setup again.`,
      ExitCode.Failed,
    );
  }
  if (key?.KeyManager === 'AWS' && key.AWSAccountId === consumer.accountId) return undefined;
  return key?.Arn;
}

/** The queue setup makes in the consumer account. */
export function failureQueueName(deployment: string): string {
  return `${deployment}-failed-batches`;
}

export interface FailedBatches {
  count: number;
  /** The oldest report a look could see: why Lambda gave up, and which records it gave up on. */
  oldest?: { condition: string; shardId: string; startSequenceNumber: string; endSequenceNumber: string; timestamp: string };
}

/** How many failed batches wait in the queue, and the first one's details, read without hiding any message. */
export async function readFailedBatches(clock: Clock, sqs: SQSClient, queueUrl: string): Promise<FailedBatches> {
  const attributes = await callAws(clock, () => sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] })));
  const count = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0);
  if (count === 0) return { count };
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
  const which = oldest ? `; the first (${oldest.timestamp}, ${oldest.condition}) covers ${oldest.shardId} sequence numbers ${oldest.startSequenceNumber} to ${oldest.endSequenceNumber}` : '';
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
