import { SNSClient } from '@aws-sdk/client-sns';
import { adminPolicy } from './access.js';
import type { CallContext, Cloud, ServiceModel } from './context.js';
import { awsError } from './errors.js';
import type { RegionState, Topic } from './model.js';
import { parseArn } from './model.js';

/**
 * SNS as far as a failure destination and alarm notifications need it: a topic is seeded (FakeCloud.seedTopic)
 * or made by CreateTopic, setup reads its encryption with GetTopicAttributes, Lambda publishes the record of a
 * discarded batch to it (delivery.ts), and an email subscription waits for its confirmation. Every other SNS
 * call fails loudly.
 */
const err = (code: string, message: string): Error => awsError('SNS', code, message);

export function topicsOf(rs: RegionState): Map<string, Topic> {
  return (rs.topics ??= new Map());
}

/** A topic by its ARN, in any account. */
export function findTopic(cloud: Cloud, arn: string): Topic | undefined {
  const parsed = parseArn(arn);
  if (parsed?.service !== 'sns' || !cloud.accounts.has(parsed.account)) return undefined;
  const rs = cloud.regionState(parsed.account, parsed.region);
  return rs ? topicsOf(rs).get(parsed.resource) : undefined;
}

export const snsModel: ServiceModel = {
  service: 'SNS',
  client: SNSClient,
  operations: {
    GetTopicAttributes: {
      mutating: false,
      async run(ctx, input) {
        const arn: string = input.TopicArn ?? '';
        const parsed = parseArn(arn);
        if (parsed?.service !== 'sns') throw err('InvalidParameterException', 'Invalid parameter: TopicArn');
        const topic = findTopic(ctx.cloud, arn);
        // The callers are each account's admin: another account's topic answers only if its policy lets the caller read it.
        if (parsed.account !== ctx.accountId && !(await readableAcross(ctx, arn, topic))) {
          throw err('AuthorizationErrorException', `User: ${ctx.principal} is not authorized to perform: SNS:GetTopicAttributes on resource: ${arn}`);
        }
        if (!topic) throw err('NotFoundException', 'Topic does not exist');
        return {
          Attributes: {
            TopicArn: topic.arn,
            Owner: parsed.account,
            DisplayName: '',
            SubscriptionsConfirmed: '0',
            SubscriptionsPending: String(topic.subscriptions?.length ?? 0),
            SubscriptionsDeleted: '0',
            ...topic.attributes,
          },
        };
      },
    },
    CreateTopic: { mutating: true, run: createTopic },
    Subscribe: { mutating: true, run: subscribe },
    DeleteTopic: {
      mutating: true,
      run(ctx, input) {
        const parsed = parseArn(input.TopicArn ?? '');
        if (parsed?.service !== 'sns') throw err('InvalidParameterException', 'Invalid parameter: TopicArn');
        if (parsed.account !== ctx.accountId) throw new Error('FakeCloud models DeleteTopic in the caller\'s own account only');
        // The DeleteTopic API reference: "Deleting a topic that does not exist does not result in an error."
        topicsOf(ctx.cloud.regionState(ctx.accountId, parsed.region)!).delete(parsed.resource);
        return {};
      },
    },
    ListTagsForResource: {
      mutating: false,
      run(ctx, input) {
        const topic = ownTopic(ctx, input.ResourceArn ?? '');
        if (!topic) throw err('ResourceNotFoundException', 'Resource does not exist');
        return { Tags: Object.entries(topic.tags ?? {}).map(([Key, Value]) => ({ Key, Value })) };
      },
    },
  },
};

function ownTopic(ctx: CallContext, arn: string): Topic | undefined {
  const parsed = parseArn(arn);
  if (parsed?.service !== 'sns') throw err('InvalidParameterException', 'Invalid parameter: ResourceArn');
  return parsed.account === ctx.accountId ? findTopic(ctx.cloud, arn) : undefined;
}

/**
 * The CreateTopic API reference: "This action is idempotent, so if the requester already owns a topic with the
 * specified name, that topic's ARN is returned without creating a new topic", unless the tags differ, which is
 * InvalidParameterException. Names are up to 256 letters, digits, hyphens and underscores.
 */
function createTopic(ctx: CallContext, input: any): unknown {
  const name: string = input.Name ?? '';
  if (!/^[A-Za-z0-9_-]{1,256}$/.test(name)) throw err('InvalidParameterException', 'Invalid parameter: Topic Name');
  if (input.Attributes && Object.keys(input.Attributes).length > 0) throw new Error('FakeCloud models CreateTopic without Attributes');
  const tags: Record<string, string> = Object.fromEntries((input.Tags ?? []).map((t: { Key: string; Value: string }) => [t.Key, t.Value]));
  const topics = topicsOf(ctx.cloud.regionState(ctx.accountId, ctx.region)!);
  const existing = topics.get(name);
  if (existing) {
    if (input.Tags && JSON.stringify(existing.tags ?? {}) !== JSON.stringify(tags)) throw err('InvalidParameterException', 'Invalid parameter: Tags Reason: Topic already exists with different tags');
    return { TopicArn: existing.arn };
  }
  const arn = `arn:aws:sns:${ctx.region}:${ctx.accountId}:${name}`;
  topics.set(name, { name, arn, attributes: {}, published: [], tags, subscriptions: [] });
  return { TopicArn: arn };
}

/**
 * The Subscribe API reference: an email endpoint must confirm, and until then the call returns the
 * SubscriptionArn "pending confirmation" (unless ReturnSubscriptionArn is true). Only email is modelled.
 */
function subscribe(ctx: CallContext, input: any): unknown {
  const topic = ownTopic(ctx, input.TopicArn ?? '');
  if (!topic) throw err('NotFoundException', 'Topic does not exist');
  if (input.Protocol !== 'email') throw new Error(`FakeCloud models email subscriptions only, not ${input.Protocol}`);
  const endpoint: string = input.Endpoint ?? '';
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(endpoint)) throw err('InvalidParameterException', 'Invalid parameter: Email address');
  const subscriptions = (topic.subscriptions ??= []);
  if (!subscriptions.some((s) => s.endpoint === endpoint)) subscriptions.push({ protocol: 'email', endpoint });
  return { SubscriptionArn: 'pending confirmation' };
}

async function readableAcross(ctx: CallContext, arn: string, topic: Topic | undefined): Promise<boolean> {
  if (!topic?.attributes.Policy) return false;
  const decision = await ctx.cloud.evaluateAccess({
    principal: ctx.principal,
    action: 'sns:GetTopicAttributes',
    resource: arn,
    resourceAccount: arn.split(':')[4]!,
    identityPolicies: [{ name: 'admin', policy: adminPolicy }],
    resourcePolicy: JSON.parse(topic.attributes.Policy),
  });
  return decision.allowed;
}
