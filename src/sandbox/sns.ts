import { SNSClient } from '@aws-sdk/client-sns';
import type { ServiceModel } from './context.js';
import { awsError } from './errors.js';
import type { FakeCloud } from './fake-cloud.js';
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
export function findTopic(cloud: FakeCloud, arn: string): Topic | undefined {
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
      run(ctx, input) {
        const arn: string = input.TopicArn ?? '';
        const parsed = parseArn(arn);
        if (parsed?.service !== 'sns') throw err('InvalidParameterException', 'Invalid parameter: TopicArn');
        // The callers are each account's admin and the model keeps no topic policy for other accounts'
        // principals: another account's topic answers as AWS does a caller its policy does not allow.
        if (parsed.account !== ctx.accountId) {
          throw err('AuthorizationErrorException', `User: ${ctx.principal} is not authorized to perform: SNS:GetTopicAttributes on resource: ${arn}`);
        }
        const topic = findTopic(ctx.cloud, arn);
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
