import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { awsCommand, type AccountSession } from '../aws/session.js';
import type { Clock } from '../engine/clock.js';
import type { FailureDestination } from './config.js';
import { ExitCode, UserError, awsErrorCode, errorMessage } from '../errors.js';
import type { Finding } from './health-report.js';
import type { DestinationKeyAccess } from './policies.js';
import { callAws, hasCode, ifExists } from '../aws/retry.js';
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
  const elsewhere = otherAccountKeyWarning(destination.arn, consumerAccountId);
  return what && elsewhere ? `${what}\n${elsewhere}` : (what ?? elsewhere);
}

/**
 * What the user must see to for a destination that may be in another account: setup reads its encryption
 * where the consumer profile may, but only the key's owner can let the function's role use a key of another
 * account (Lambda Developer Guide, on-failure destinations: "configure the KMS key to trust the execution
 * role"). A bucket ARN names no account, so a bucket gets the same words, with an if.
 */
function otherAccountKeyWarning(arn: string, consumerAccountId: string): string | undefined {
  const service = failureDestinationService(arn);
  if (service === 's3') {
    return `If bucket ${arn.split(':')[5]} belongs to another account and a KMS key of that account encrypts it, that key's policy must allow the function's role kms:GenerateDataKey, or failure reports are lost.`;
  }
  const account = arn.split(':')[4];
  if (account === consumerAccountId) return undefined;
  return `${arn} is in account ${account}: if a KMS key encrypts it, that key's policy must allow the function's role kms:Decrypt, kms:GenerateDataKey, kms:DescribeKey and kms:ReEncrypt*, or failure reports are lost.`;
}

/** How a destination's encryption was read: the key it names (id, ARN or alias), none, or not readable. */
type DestinationEncryption = { keyId: string } | 'none' | 'unread';

/**
 * What the execution role needs of the KMS key that encrypts the destination, or undefined when it needs
 * nothing. Lambda sends as the role, and a destination encrypted with a KMS key takes a report only from a
 * sender that may use that key (Lambda Developer Guide, on-failure destinations): kms:GenerateDataKey and
 * kms:Decrypt for a queue or topic, kms:GenerateDataKey for a bucket. An AWS managed key (alias/aws/sqs,
 * alias/aws/sns, aws/s3) already serves every principal of its own account (SQS Developer Guide, "Key
 * management"), and SSE-SQS and SSE-S3 need no key at all. A destination of another account that the
 * consumer profile may not read gets what can be known: the keys of that account, used through its service.
 */
export async function destinationKeyAccess(clock: Clock, consumer: AccountSession, arn: string, roleName: string): Promise<DestinationKeyAccess | undefined> {
  const service = failureDestinationService(arn);
  if (!service) return undefined;
  const [, , , region, account] = arn.split(':') as [string, string, string, string, string];
  const ours = service === 's3' || account === consumer.accountId;
  const encryption = await readEncryption(clock, consumer, arn, ours);
  if (encryption === 'none') return undefined;
  if (encryption === 'unread') return service === 's3' ? undefined : { resource: `arn:${arn.split(':')[1]}:kms:${region}:${account}:key/*`, viaService: `${service}.${region}.amazonaws.com` };
  // A key id or alias that is not an ARN is one of the destination's own account.
  const keyId = encryption.keyId.startsWith('arn:') || ours ? encryption.keyId : `arn:${arn.split(':')[1]}:kms:${region}:${account}:${encryption.keyId.startsWith('alias/') ? encryption.keyId : `key/${encryption.keyId}`}`;
  const keyAccount = keyId.startsWith('arn:') ? keyId.split(':')[4] : consumer.accountId;
  if (/(^|:)alias\/aws\//.test(keyId)) {
    if (keyAccount === consumer.accountId) return undefined;
    // Its key policy cannot be read from here either: it lets only its own account's principals use it.
    throw new UserError(
      `${destinationName(arn)} is encrypted with ${keyId}, an AWS managed key of account ${keyAccount}: its key policy lets only that account's principals use it, and nobody can change it, so role ${roleName} could never report there.`,
      `Encrypt it with a customer managed key whose policy allows role ${roleName} ${keyActions(service)}, or pass another --failure-destination.`,
      ExitCode.Failed,
    );
  }
  let key;
  try {
    key = (await callAws(clock, () => consumer.clients.kms.send(new DescribeKeyCommand({ KeyId: keyId })))).KeyMetadata;
  } catch (error) {
    throw new UserError(
      `${destinationName(arn)} is encrypted with KMS key ${keyId}, which the consumer profile cannot read (${awsErrorCode(error) ?? 'error'}: ${errorMessage(error)}).`,
      `Lambda reports failed batches as role ${roleName}, which needs ${keyActions(service)} on that key: allow it in the key's policy, let profile ${consumer.profile} kms:DescribeKey it, then run setup again.`,
      ExitCode.Failed,
    );
  }
  // An AWS managed key named by its id or ARN rather than its alias.
  if (key?.KeyManager === 'AWS' && key.AWSAccountId === consumer.accountId) return undefined;
  return key?.Arn ? { resource: key.Arn } : undefined;
}

const keyActions = (service: string) => (service === 's3' ? 'kms:GenerateDataKey' : 'kms:GenerateDataKey and kms:Decrypt');

function destinationName(arn: string): string {
  const service = failureDestinationService(arn);
  const name = arn.split(':')[5]!;
  return service === 'sqs' ? `Queue ${name}` : service === 'sns' ? `Topic ${name}` : `Bucket ${name}`;
}

/**
 * The key a destination names for its encryption. One of the consumer account (`ours`; any bucket, whose ARN
 * names no account) must exist and be readable; one of another account may refuse the consumer profile, and
 * is then 'unread'.
 */
async function readEncryption(clock: Clock, consumer: AccountSession, arn: string, ours: boolean): Promise<DestinationEncryption> {
  const service = failureDestinationService(arn);
  try {
    const keyId = service === 'sqs' ? await queueKeyId(clock, consumer, arn) : service === 'sns' ? await topicKeyId(clock, consumer, arn) : await bucketKeyId(clock, consumer, arn);
    return keyId ? { keyId } : 'none';
  } catch (error) {
    if (error instanceof UserError) throw error;
    if (!ours || (service === 's3' && hasCode(error, 'AccessDenied'))) return 'unread';
    throw new UserError(
      `${destinationName(arn)} cannot be read with the consumer profile (${awsErrorCode(error) ?? 'error'}: ${errorMessage(error)}), so setup cannot tell which KMS key the function's role needs to report there.`,
      `Let profile ${consumer.profile} read it (${service === 'sqs' ? 'sqs:GetQueueAttributes' : 'sns:GetTopicAttributes'}), then run setup again.`,
      ExitCode.Failed,
    );
  }
}

const missing = (arn: string, what: string) => new UserError(`The failure destination ${arn} does not exist.`, `Create ${what} first, or pass --failure-destination with one that exists.`, ExitCode.Failed);

async function queueKeyId(clock: Clock, consumer: AccountSession, arn: string): Promise<string | undefined> {
  const [, , , , account, queueName] = arn.split(':') as [string, string, string, string, string, string];
  const { sqs } = consumer.clients;
  const lookup = account === consumer.accountId ? { QueueName: queueName } : { QueueName: queueName, QueueOwnerAWSAccountId: account };
  const queueUrl = (await ifExists(clock, () => sqs.send(new GetQueueUrlCommand(lookup))))?.QueueUrl;
  if (!queueUrl) {
    if (account === consumer.accountId) throw missing(arn, `queue ${queueName}`);
    throw new Error(`queue ${arn} cannot be found with the consumer profile`);
  }
  return (await callAws(clock, () => sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['KmsMasterKeyId'] })))).Attributes?.KmsMasterKeyId;
}

async function topicKeyId(clock: Clock, consumer: AccountSession, arn: string): Promise<string | undefined> {
  const sns = await consumer.clients.destinations.sns();
  const { GetTopicAttributesCommand } = await import('@aws-sdk/client-sns');
  const attributes = await ifExists(clock, () => sns.send(new GetTopicAttributesCommand({ TopicArn: arn })));
  if (!attributes) throw missing(arn, `topic ${arn.split(':')[5]}`);
  return attributes.Attributes?.KmsMasterKeyId || undefined;
}

/** SSE-KMS or DSSE-KMS; a bucket key changes how often S3 calls KMS, not which permission the sender needs. */
async function bucketKeyId(clock: Clock, consumer: AccountSession, arn: string): Promise<string | undefined> {
  const bucket = arn.split(':')[5]!;
  const s3 = await consumer.clients.destinations.s3();
  const { GetBucketEncryptionCommand } = await import('@aws-sdk/client-s3');
  let output;
  try {
    output = await callAws(clock, () => s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })));
  } catch (error) {
    if (hasCode(error, 'NoSuchBucket')) throw missing(arn, `bucket ${bucket}`);
    throw error;
  }
  const rule = output.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
  if (rule?.SSEAlgorithm !== 'aws:kms' && rule?.SSEAlgorithm !== 'aws:kms:dsse') return undefined;
  // Without a key of its own, SSE-KMS uses the AWS managed aws/s3 key of the bucket's account.
  return rule.KMSMasterKeyID ?? 'alias/aws/s3';
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
