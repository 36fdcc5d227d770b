import { SNSClient } from '@aws-sdk/client-sns';
import { adminPolicy } from './access.js';
import type { CallContext, Cloud, ServiceModel } from './context.js';
import { awsError } from './errors.js';
import type { RegionState, Topic } from './model.js';
import { parseArn } from './model.js';

/**
 * SNS as far as a failure destination needs it: a topic is seeded (FakeCloud.seedTopic), setup reads its
 * encryption with GetTopicAttributes, and Lambda publishes the record of a discarded batch to it
 * (delivery.ts). Every other SNS call fails loudly.
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
            SubscriptionsPending: '0',
            SubscriptionsDeleted: '0',
            ...topic.attributes,
          },
        };
      },
    },
  },
};

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
