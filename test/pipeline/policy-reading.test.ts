import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { defaultNames } from '../../src/pipeline/names.js';
import {
  consumerRoleInlinePolicy,
  failureDestinationStatements,
  mergeStatements,
  parsePolicy,
  policyDrift,
  statementDrift,
  streamPolicyStatement,
  type ForeignStatement,
} from '../../src/pipeline/policies.js';

/**
 * Reading a policy back from AWS, and saying how it differs from ours: the cases mutation testing found
 * the suite did not state (README, Mutation testing).
 */
const STREAM = 'arn:aws:kinesis:us-east-1:111111111111:stream/orders-stream';
const CONSUMER = `${STREAM}/consumer/orders-222222222222-efo:*`;
const ROLE = 'arn:aws:iam::222222222222:role/kds-xacct-orders-consumer';
const KEY = 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const LOG_GROUP = 'arn:aws:logs:us-east-1:222222222222:log-group:/aws/lambda/orders-consumer';
const orders = defaultNames('orders', '222222222222');

const refusal = (json: string): UserError => {
  try {
    parsePolicy(json);
  } catch (error) {
    return error as UserError;
  }
  throw new Error(`${json} was read as a policy`);
};

describe('a policy that cannot be read', () => {
  it('is refused with the reason and what to do', () => {
    expect(refusal('{not json').message).toMatch(/^The existing resource policy cannot be read: it is not valid JSON \(.+\)\. kds-xacct will not replace a policy it cannot merge into\.$/);
    for (const notAnObject of ['null', '[]', '"x"']) expect(refusal(notAnObject).message).toContain('cannot be read: it is not a JSON object.');
    for (const notStatements of ['{"Statement":[null]}', '{"Statement":["x"]}', '{"Statement":[[]]}']) {
      expect(refusal(notStatements).message).toContain('cannot be read: its Statement is not a list of objects.');
    }
    expect(refusal('{not json')).toMatchObject({ hint: 'Fix or remove the policy (`aws kinesis get-resource-policy`, `aws kinesis put-resource-policy`), then run again.' });
  });

  it('is no policy when its statement list is empty, so nothing is there to keep', () => {
    expect(parsePolicy('{"Version":"2012-10-17","Statement":[]}')).toBeUndefined();
  });
});

describe('merging into a policy without a Version', () => {
  it('gives it the current policy language version', () => {
    const others = { Sid: 'AnalyticsRead', Effect: 'Allow', Principal: { AWS: '444444444444' }, Action: 'kinesis:GetRecords', Resource: STREAM };
    const ours = streamPolicyStatement({ sid: orders.sids.streamRead, roleArn: ROLE, streamArn: STREAM });
    const merged = mergeStatements(JSON.stringify({ Statement: [others] }), [ours], orders.sidPrefix);
    expect(JSON.parse(merged.json)).toEqual({ Statement: [others, ours], Version: '2012-10-17' });
  });
});

describe('a failure destination that is no queue, topic or bucket', () => {
  it('is refused rather than given a statement', () => {
    expect(() => failureDestinationStatements('arn:aws:lambda:us-east-1:222222222222:function:on-failure')).toThrow(
      new UserError('"arn:aws:lambda:us-east-1:222222222222:function:on-failure" is not an SQS queue, SNS topic or S3 bucket ARN.'),
    );
  });
});

describe('drift, listed in full', () => {
  const ours = streamPolicyStatement({ sid: orders.sids.streamRead, roleArn: ROLE, streamArn: STREAM });

  it('a statement rewritten with NotAction allows none of our actions, and says so', () => {
    const { Action: _, ...rest } = ours;
    expect(statementDrift(ours, { ...rest, NotAction: 'kinesis:PutRecord' })).toBe(`it no longer allows ${[ours.Action].flat().join(', ')}; its NotAction changed`);
  });

  it('names every extra action and every changed part, separated', () => {
    const widened = { ...ours, Action: [...ours.Action, 'kinesis:PutRecord', 'kinesis:DeleteStream'], Principal: '*', Resource: '*' };
    expect(statementDrift(ours, widened)).toBe('it also allows kinesis:PutRecord, kinesis:DeleteStream; its Principal, Resource changed');
  });

  it('names each statement setup did not write, and one without a Sid as such', () => {
    const wanted = consumerRoleInlinePolicy({ streamArn: STREAM, consumerArn: CONSUMER, keyArn: KEY, logGroupArn: LOG_GROUP }).Statement;
    const added: ForeignStatement[] = [{ Sid: 'Extra', Effect: 'Allow', Action: 's3:*', Resource: '*' }, { Effect: 'Allow', Action: 'sqs:*', Resource: '*' }];
    expect(policyDrift(wanted, [...(wanted as unknown as ForeignStatement[]), ...added])).toBe('2 statement(s) not written by setup: Extra, (no Sid)');
  });

  it('of our own statements in another order is said in general words, not as an empty list', () => {
    const wanted = consumerRoleInlinePolicy({ streamArn: STREAM, consumerArn: CONSUMER, keyArn: KEY, logGroupArn: LOG_GROUP }).Statement;
    expect(policyDrift(wanted, [...wanted].reverse() as unknown as ForeignStatement[])).toBe('it differs from what setup writes');
  });
});
