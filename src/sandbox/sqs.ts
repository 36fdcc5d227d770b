import { SQSClient } from '@aws-sdk/client-sqs';
import { createHash } from 'node:crypto';
import type { CallContext, Cloud, ServiceModel } from './context.js';
import { awsError } from './errors.js';
import type { Queue, QueueMessage, RegionState } from './model.js';
import { parseArn } from './model.js';

const err = (code: string, message: string): Error => awsError('SQS', code, message);

/** Attributes CreateQueue accepts that the model keeps; anything else fails loudly rather than being ignored. */
const SETTABLE = new Set(['MessageRetentionPeriod', 'SqsManagedSseEnabled', 'KmsMasterKeyId', 'VisibilityTimeout', 'Policy', 'DelaySeconds', 'ReceiveMessageWaitTimeSeconds', 'MaximumMessageSize']);

/** The SQS developer guide: a standard queue's default retention is 4 days, and SSE-SQS is on by default for new queues (since 2022). */
const DEFAULT_ATTRIBUTES = { MessageRetentionPeriod: '345600', SqsManagedSseEnabled: 'true', VisibilityTimeout: '30' };

export function queuesOf(rs: RegionState): Map<string, Queue> {
  return (rs.queues ??= new Map());
}

export const queueUrl = (region: string, accountId: string, name: string) => `https://sqs.${region}.amazonaws.com/${accountId}/${name}`;

/**
 * A deleted queue is gone once its deletion has finished. Until then it is still found and answers (the
 * DeleteQueue API reference: "the deletion process takes up to 60 seconds. Requests you send involving that
 * queue during the 60 seconds might succeed"); its name stays taken longer (CreateQueue, QueueDeletedRecently).
 */
export function queueIsGone(cloud: Cloud, queue: Queue, now: number): boolean {
  return queue.deletedAt !== undefined && now >= queue.deletedAt + cloud.latency.queueDelete;
}

function queueNamed(cloud: Cloud, rs: RegionState, name: string, now: number): Queue | undefined {
  const queue = queuesOf(rs).get(name);
  return queue && !queueIsGone(cloud, queue, now) ? queue : undefined;
}

/** A queue by its URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`) or ARN, in any account. */
export function findQueue(cloud: Cloud, ref: string): Queue | undefined {
  const url = /^https:\/\/sqs\.([^.]+)\.amazonaws\.com\/(\d{12})\/([^/]+)$/.exec(ref);
  const arn = parseArn(ref);
  const [region, account, name] = url ? [url[1]!, url[2]!, url[3]!] : arn?.service === 'sqs' ? [arn.region, arn.account, arn.resource] : [];
  if (!region || !account || !name) return undefined;
  const rs = cloud.accounts.has(account) ? cloud.regionState(account, region) : undefined;
  return rs ? queueNamed(cloud, rs, name, cloud.clock.now()) : undefined;
}

/** The SDK callers here are the account's own admin: the model answers calls on another account's queue with AccessDenied. */
function ownQueue(ctx: CallContext, url: string | undefined): Queue {
  if (!url) throw err('InvalidParameterValue', 'QueueUrl is required.');
  const queue = findQueue(ctx.cloud, url);
  if (!queue || !url.includes(`/${ctx.accountId}/`) || !url.includes(`.${ctx.region}.`)) {
    throw err('QueueDoesNotExist', 'The specified queue does not exist.');
  }
  return queue;
}

/**
 * Messages past the queue's retention period are gone (SQS developer guide, "message retention").
 * Computed when read rather than by a timer, as elsewhere in the model.
 */
function live(queue: Queue, now: number) {
  const retentionMs = Number(queue.attributes.MessageRetentionPeriod ?? DEFAULT_ATTRIBUTES.MessageRetentionPeriod) * 1000;
  queue.messages = queue.messages.filter((m) => m.sentAt + retentionMs > now);
  return queue.messages;
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/**
 * Stores a message. Used by the API below and by Lambda's on-failure delivery, which authorises the
 * sender itself. The SendMessage API reference: the body is 1 byte to 256 KiB; a message is delayed by its
 * DelaySeconds, or else by the queue's.
 */
export function enqueue(cloud: Cloud, queue: Queue, body: string, now: number, delaySeconds?: number): { MessageId: string; MD5OfMessageBody: string } {
  if (body.length === 0 || Buffer.byteLength(body) > 262_144) throw err('InvalidParameterValue', 'The message body must be between 1 byte and 256 KiB.');
  const delayMs = (delaySeconds ?? Number(queue.attributes.DelaySeconds ?? 0)) * 1000;
  const messageId = cloud.ids.uuid();
  queue.messages.push({ messageId, body, sentAt: now, ...(delayMs > 0 && { availableAt: now + delayMs }) });
  return { MessageId: messageId, MD5OfMessageBody: md5(body) };
}

const isDelayed = (m: QueueMessage, now: number) => (m.availableAt ?? 0) > now;
const isInFlight = (m: QueueMessage, now: number) => (m.hiddenUntil ?? 0) > now;

/**
 * The GetQueueAttributes API reference: ApproximateNumberOfMessages counts the messages available for
 * retrieval, ApproximateNumberOfMessagesNotVisible those in flight (received, not deleted, within their
 * visibility timeout), ApproximateNumberOfMessagesDelayed those not yet available. The model's counts are
 * exact; AWS's "may not achieve consistency until at least 1 minute after the producers stop sending".
 */
function messageCounts(queue: Queue, now: number) {
  const messages = live(queue, now);
  const delayed = messages.filter((m) => isDelayed(m, now)).length;
  const inFlight = messages.filter((m) => isInFlight(m, now)).length;
  return { ApproximateNumberOfMessages: String(messages.length - delayed - inFlight), ApproximateNumberOfMessagesNotVisible: String(inFlight), ApproximateNumberOfMessagesDelayed: String(delayed) };
}

function attributesView(queue: Queue, now: number): Record<string, string> {
  return {
    ...DEFAULT_ATTRIBUTES,
    // A queue given a KMS key (SSE-KMS) is not also SSE-SQS (SQS Developer Guide, "Encryption at rest").
    ...(queue.attributes.KmsMasterKeyId !== undefined && { SqsManagedSseEnabled: 'false' }),
    ...queue.attributes,
    QueueArn: queue.arn,
    ...messageCounts(queue, now),
    CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
    LastModifiedTimestamp: String(Math.floor(queue.createdAt / 1000)),
  };
}

/** An integer parameter within the bounds its API reference gives, or InvalidParameterValue. */
function seconds(value: unknown, name: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) throw err('InvalidParameterValue', `Value ${String(value)} for parameter ${name} is invalid. Reason: Must be between 0 and ${max}.`);
  return n;
}

export const sqsModel: ServiceModel = {
  service: 'SQS',
  client: SQSClient,
  operations: {
    CreateQueue: {
      mutating: true,
      run(ctx, input) {
        const name: string | undefined = input.QueueName;
        // The CreateQueue API reference: up to 80 alphanumerics, hyphens and underscores; a FIFO queue's ends in .fifo.
        if (!name || !/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw err('InvalidParameterValue', `Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length (FakeCloud models standard queues only): ${name}`);
        const attributes: Record<string, string> = { ...(input.Attributes ?? {}) };
        for (const key of Object.keys(attributes)) if (!SETTABLE.has(key)) throw err('InvalidAttributeName', `FakeCloud does not model the queue attribute ${key}.`);
        const retention = Number(attributes.MessageRetentionPeriod ?? DEFAULT_ATTRIBUTES.MessageRetentionPeriod);
        // The API reference: MessageRetentionPeriod is 60 to 1,209,600 seconds (14 days).
        if (!Number.isInteger(retention) || retention < 60 || retention > 1_209_600) throw err('InvalidAttributeValue', `Invalid value for the parameter MessageRetentionPeriod: ${attributes.MessageRetentionPeriod}`);
        const queues = queuesOf(ctx.cloud.regionState(ctx.accountId, ctx.region)!);
        const existing = queues.get(name);
        const url = queueUrl(ctx.region, ctx.accountId, name);
        if (existing?.deletedAt !== undefined) {
          // The CreateQueue API reference (QueueDeletedRecently) and DeleteQueue: "you must wait at least 60 seconds".
          if (ctx.now < existing.deletedAt + ctx.cloud.latency.queueNameReuse) throw err('QueueDeletedRecently', 'You must wait 60 seconds after deleting a queue before you can create another queue with the same name.');
          queues.delete(name);
        } else if (existing) {
          // The API reference: creating an existing queue with the same attributes returns its URL; different ones are QueueNameExists.
          const same = Object.entries(attributes).every(([k, v]) => existing.attributes[k] === v) && Object.keys(existing.attributes).every((k) => k in attributes);
          if (!same) throw err('QueueNameExists', `A queue already exists with the same name and a different value for attribute(s) ${Object.keys(attributes).join(', ')}`);
          return { QueueUrl: url };
        }
        queues.set(name, { name, url, arn: `arn:aws:sqs:${ctx.region}:${ctx.accountId}:${name}`, createdAt: ctx.now, attributes, tags: { ...(input.tags ?? {}) }, messages: [] });
        return { QueueUrl: url };
      },
    },
    GetQueueUrl: {
      mutating: false,
      run(ctx, input) {
        if (input.QueueOwnerAWSAccountId && input.QueueOwnerAWSAccountId !== ctx.accountId) throw err('QueueDoesNotExist', 'FakeCloud models GetQueueUrl in the caller\'s own account only.');
        const queue = queueNamed(ctx.cloud, ctx.cloud.regionState(ctx.accountId, ctx.region)!, input.QueueName ?? '', ctx.now);
        if (!queue) throw err('QueueDoesNotExist', 'The specified queue does not exist.');
        return { QueueUrl: queue.url };
      },
    },
    GetQueueAttributes: {
      mutating: false,
      run(ctx, input) {
        const queue = ownQueue(ctx, input.QueueUrl);
        const all = attributesView(queue, ctx.now);
        const names: string[] = input.AttributeNames ?? [];
        // The API reference: without AttributeNames, no attributes are returned; `All` returns every one.
        const wanted = names.includes('All') ? Object.keys(all) : names;
        return { Attributes: Object.fromEntries(wanted.filter((n) => n in all).map((n) => [n, all[n]!])) };
      },
    },
    ListQueueTags: {
      mutating: false,
      run(ctx, input) {
        return { Tags: { ...ownQueue(ctx, input.QueueUrl).tags } };
      },
    },
    TagQueue: {
      mutating: true,
      run(ctx, input) {
        Object.assign(ownQueue(ctx, input.QueueUrl).tags, input.Tags ?? {});
        return {};
      },
    },
    SendMessage: {
      mutating: true,
      run(ctx, input) {
        const delay = input.DelaySeconds === undefined ? undefined : seconds(input.DelaySeconds, 'DelaySeconds', 900);
        return enqueue(ctx.cloud, ownQueue(ctx, input.QueueUrl), String(input.MessageBody ?? ''), ctx.now, delay);
      },
    },
    ReceiveMessage: {
      mutating: false,
      run(ctx, input) {
        const queue = ownQueue(ctx, input.QueueUrl);
        // The API reference: a received message is hidden (in flight) for the visibility timeout, the queue's
        // unless the call gives one (0 to 43,200 s); 0 is a look that leaves it visible.
        const visibilityTimeout = seconds(input.VisibilityTimeout ?? queue.attributes.VisibilityTimeout ?? DEFAULT_ATTRIBUTES.VisibilityTimeout, 'VisibilityTimeout', 43_200);
        const max: number = input.MaxNumberOfMessages ?? 1;
        if (max < 1 || max > 10) throw err('InvalidParameterValue', 'Value for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10.');
        const messages = live(queue, ctx.now).filter((m) => !isDelayed(m, ctx.now) && !isInFlight(m, ctx.now)).slice(0, max);
        if (visibilityTimeout > 0) for (const m of messages) m.hiddenUntil = ctx.now + visibilityTimeout * 1000;
        return { Messages: messages.map((m) => ({ MessageId: m.messageId, ReceiptHandle: `fake-receipt-${m.messageId}`, MD5OfBody: md5(m.body), Body: m.body, Attributes: { SentTimestamp: String(m.sentAt) } })) };
      },
    },
    DeleteQueue: {
      mutating: true,
      run(ctx, input) {
        // Deleted over `queueDelete`; a second DeleteQueue meanwhile changes nothing.
        ownQueue(ctx, input.QueueUrl).deletedAt ??= ctx.now;
        return {};
      },
    },
  },
};
