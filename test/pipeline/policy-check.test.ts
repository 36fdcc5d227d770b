import { describe, expect, it } from 'vitest';
import { arns, defaultNames } from '../../src/pipeline/names.js';
import {
  consumerPolicyStatement,
  consumerRoleInlinePolicy,
  keyPolicy,
  kmsGrantRequest,
  mergeStatements,
  policyDocument,
  removeStatements,
  ownSids,
  streamPolicyStatement,
} from '../../src/pipeline/policies.js';
import { LAMBDA_CONSUMER_ACTIONS, LAMBDA_KEY_ACTIONS, LAMBDA_STREAM_ACTIONS, actionsOf } from '../../src/sandbox/aws-requirements.js';
import { checkConsumerAccess, grantAsStatement, simulateAccess } from '../support/policy-check.js';

const REGION = 'us-east-1';
const PRODUCER = '111111111111';
const CONSUMER_ACCOUNT = '222222222222';
const names = defaultNames('orders', CONSUMER_ACCOUNT);

const STREAM = arns.stream(REGION, PRODUCER, names.streamName);
const CONSUMER = `${STREAM}/consumer/${names.consumerName}:1700000000`;
const KEY = arns.kmsKey(REGION, PRODUCER, '1234abcd-12ab-34cd-56ef-1234567890ab');
const ROLE = arns.role(REGION, CONSUMER_ACCOUNT, names.roleName);
const LOG_GROUP = arns.logGroup(REGION, CONSUMER_ACCOUNT, names.logGroupName);

const OTHER_STREAM = arns.stream(REGION, PRODUCER, 'payments-stream');
const OTHER_CONSUMER = `${STREAM}/consumer/someone-else-efo:1700000001`;
const OTHER_ROLE = arns.role(REGION, CONSUMER_ACCOUNT, 'some-other-role');

const rolePolicy = consumerRoleInlinePolicy({ streamArn: STREAM, consumerArn: CONSUMER, keyArn: KEY, logGroupArn: LOG_GROUP });
const streamPolicy = mergeStatements(
  undefined,
  [streamPolicyStatement({ sid: names.sids.streamRead, roleArn: ROLE, streamArn: STREAM })],
  names.sidPrefix,
).json;
const consumerPolicy = mergeStatements(
  undefined,
  [consumerPolicyStatement({ sid: names.sids.efoConsume, roleArn: ROLE, consumerArn: CONSUMER })],
  names.sidPrefix,
).json;
const grant = kmsGrantRequest({ keyId: KEY, roleArn: ROLE, streamArn: STREAM, name: names.grantName });

const everything = {
  roleArn: ROLE,
  rolePolicy,
  streamArn: STREAM,
  streamPolicy,
  consumerArn: CONSUMER,
  consumerPolicy,
  keyArn: KEY,
  keyPolicy: keyPolicy(PRODUCER),
  grants: [grant],
};

/** What Lambda needs, from AWS's documentation rather than from the product's own lists. */
const STREAM_READ_ACTIONS = actionsOf(LAMBDA_STREAM_ACTIONS);
const CONSUMER_ACTIONS = actionsOf(LAMBDA_CONSUMER_ACTIONS);
const NEEDED = [...STREAM_READ_ACTIONS, ...CONSUMER_ACTIONS, ...actionsOf(LAMBDA_KEY_ACTIONS)];

describe('checkConsumerAccess', () => {
  it('allows the consumer role, across accounts, exactly what the EFO event source mapping needs', async () => {
    const result = await checkConsumerAccess(everything);
    expect(result.denied).toEqual([]);
    expect(result.allowed).toEqual(NEEDED);
  });

  it('accepts policies as JSON strings, as read from AWS', async () => {
    const result = await checkConsumerAccess({
      ...everything,
      rolePolicy: JSON.stringify(rolePolicy),
      keyPolicy: JSON.stringify(keyPolicy(PRODUCER)),
    });
    expect(result.allowed).toEqual(NEEDED);
  });

  it('denies another role in the consumer account', async () => {
    const result = await checkConsumerAccess({ ...everything, roleArn: OTHER_ROLE });
    expect(result.allowed).toEqual([]);
    expect(result.denied.map((d) => d.action)).toEqual(NEEDED);
    for (const denial of result.denied) expect(denial.reason).toMatch(/resource policy does not allow it/);
  });

  it('denies the role on another stream and another consumer', async () => {
    const result = await checkConsumerAccess({ ...everything, streamArn: OTHER_STREAM, consumerArn: OTHER_CONSUMER });
    expect(result.allowed).toEqual([]);
    const denied = result.denied.filter((d) => d.action !== 'kms:Decrypt');
    expect(denied.map((d) => d.resource)).toEqual([
      ...STREAM_READ_ACTIONS.map(() => OTHER_STREAM),
      ...CONSUMER_ACTIONS.map(() => OTHER_CONSUMER),
    ]);
    // The key decrypts only under its own stream's encryption context.
    expect(result.denied.find((d) => d.action === 'kms:Decrypt')).toBeDefined();
  });

  it('needs the stream policy: the identity policy alone is not enough across accounts', async () => {
    const result = await checkConsumerAccess({ ...everything, streamPolicy: undefined });
    expect(result.allowed).toEqual([...CONSUMER_ACTIONS, 'kms:Decrypt']);
    for (const denial of result.denied) {
      expect(denial.reason).toMatch(/has no resource policy, which a caller from another account needs/);
    }
  });

  it('needs the consumer policy for EFO', async () => {
    const result = await checkConsumerAccess({ ...everything, consumerPolicy: '{}' });
    expect(result.denied.map((d) => d.action)).toEqual([...CONSUMER_ACTIONS]);
  });

  it('needs the role policy: the resource policies alone are not enough across accounts', async () => {
    const result = await checkConsumerAccess({ ...everything, rolePolicy: policyDocument([]) });
    expect(result.allowed).toEqual([]);
    for (const denial of result.denied) expect(denial.reason).toMatch(/role's identity policy does not allow it/);
  });

  it('needs the grant: the default key policy trusts only the producer account', async () => {
    const result = await checkConsumerAccess({ ...everything, grants: [] });
    expect(result.denied).toEqual([
      { action: 'kms:Decrypt', resource: KEY, reason: 'the resource policy does not allow it' },
    ]);
  });

  it('reports an explicit deny with its Sid', async () => {
    const denyingStreamPolicy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        ...JSON.parse(streamPolicy).Statement,
        { Sid: 'NoReadsFromOutside', Effect: 'Deny', Principal: { AWS: ROLE }, Action: 'kinesis:GetRecords', Resource: STREAM },
      ],
    });
    const result = await checkConsumerAccess({ ...everything, streamPolicy: denyingStreamPolicy });
    expect(result.denied).toEqual([
      {
        action: 'kinesis:GetRecords',
        resource: STREAM,
        reason: 'explicitly denied by statement NoReadsFromOutside of the resource policy',
      },
    ]);
  });

  it('reports a policy it cannot evaluate as a denial, not a crash', async () => {
    const result = await checkConsumerAccess({ ...everything, streamPolicy: '{not json' });
    expect(result.denied[0]?.reason).toMatch(/not valid JSON/);
    const invalid = await checkConsumerAccess({
      ...everything,
      consumerPolicy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Actions: 'x' }] }),
    });
    expect(invalid.denied.map((d) => d.action)).toEqual([...CONSUMER_ACTIONS]);
    expect(invalid.denied[0]?.reason).toMatch(/could not be evaluated/);
  });

  it('keeps working when two deployments share the stream policy', async () => {
    const eu = defaultNames('orders-eu', '333333333333');
    const euRole = arns.role(REGION, '333333333333', eu.roleName);
    const shared = mergeStatements(
      streamPolicy,
      [streamPolicyStatement({ sid: eu.sids.streamRead, roleArn: euRole, streamArn: STREAM })],
      eu.sidPrefix,
    ).json;
    expect((await checkConsumerAccess({ ...everything, streamPolicy: shared })).denied).toEqual([]);

    const euRolePolicy = consumerRoleInlinePolicy({ streamArn: STREAM, consumerArn: CONSUMER, keyArn: KEY, logGroupArn: LOG_GROUP });
    const euStream = await checkConsumerAccess({ ...everything, roleArn: euRole, rolePolicy: euRolePolicy, streamPolicy: shared });
    expect(euStream.allowed).toEqual(expect.arrayContaining([...STREAM_READ_ACTIONS]));

    // Tearing down `orders` removes its access and leaves `orders-eu` reading.
    const afterTeardown = JSON.stringify(removeStatements(shared, ownSids(names.sidPrefix)));
    const ordersAfter = await checkConsumerAccess({ ...everything, streamPolicy: afterTeardown });
    expect(ordersAfter.denied.map((d) => d.action)).toEqual([...STREAM_READ_ACTIONS]);
    const euAfter = await checkConsumerAccess({ ...everything, roleArn: euRole, rolePolicy: euRolePolicy, streamPolicy: afterTeardown });
    expect(euAfter.allowed).toEqual(expect.arrayContaining([...STREAM_READ_ACTIONS]));
  });
});

describe('simulateAccess', () => {
  const request = {
    principalArn: ROLE,
    identityPolicies: [rolePolicy],
  };

  it.each(['kinesis:PutRecord', 'kinesis:PutRecords', 'kinesis:DeleteStream', 'kinesis:UpdateShardCount', 'kinesis:PutResourcePolicy', 'kinesis:RegisterStreamConsumer'])(
    'denies %s on the stream',
    async (action) => {
      const decision = await simulateAccess({ ...request, action, resourceArn: STREAM, resourcePolicy: streamPolicy });
      expect(decision.allowed).toBe(false);
    },
  );

  it('denies deregistering the consumer', async () => {
    const decision = await simulateAccess({
      ...request,
      action: 'kinesis:DeregisterStreamConsumer',
      resourceArn: CONSUMER,
      resourcePolicy: consumerPolicy,
    });
    expect(decision.allowed).toBe(false);
  });

  const decrypt = (context: Record<string, string>, grants = [grant]) =>
    simulateAccess({
      ...request,
      action: 'kms:Decrypt',
      resourceArn: KEY,
      resourcePolicy: {
        ...keyPolicy(PRODUCER),
        Statement: [...keyPolicy(PRODUCER).Statement, ...grants.map((g) => grantAsStatement(g)!)],
      },
      context,
    });

  it('allows kms:Decrypt under the stream encryption context', async () => {
    expect(await decrypt({ 'kms:EncryptionContext:aws:kinesis:arn': STREAM })).toEqual({ allowed: true });
  });

  it('denies kms:Decrypt under the wrong encryption context, or none', async () => {
    expect((await decrypt({ 'kms:EncryptionContext:aws:kinesis:arn': OTHER_STREAM })).allowed).toBe(false);
    expect((await decrypt({ 'kms:EncryptionContext:aws:s3:arn': STREAM })).allowed).toBe(false);
    expect((await decrypt({})).allowed).toBe(false);
  });

  it('denies kms operations that were not granted', async () => {
    for (const action of ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:ScheduleKeyDeletion', 'kms:CreateGrant']) {
      const decision = await simulateAccess({
        ...request,
        action,
        resourceArn: KEY,
        resourcePolicy: { ...keyPolicy(PRODUCER), Statement: [...keyPolicy(PRODUCER).Statement, grantAsStatement(grant)!] },
        context: { 'kms:EncryptionContext:aws:kinesis:arn': STREAM },
      });
      expect(decision.allowed, action).toBe(false);
    }
  });

  it("allows the role to write to its own log group's streams, as AWS authorises them, and nothing else in Logs", async () => {
    const logStream = `${LOG_GROUP}:log-stream:2024/01/01/[$LATEST]abc`;
    const allowed = async (action: string, resourceArn: string) =>
      (await simulateAccess({ ...request, action, resourceArn })).allowed;
    expect(await allowed('logs:CreateLogStream', logStream)).toBe(true);
    expect(await allowed('logs:PutLogEvents', logStream)).toBe(true);
    // Setup makes the group; Lambda's own CreateLogGroup is authorised on `…:log-stream:` (aws-solutions/instance-scheduler-on-aws#578).
    expect(await allowed('logs:CreateLogGroup', `${LOG_GROUP}:log-stream:`)).toBe(false);
    expect(await allowed('logs:CreateLogGroup', LOG_GROUP)).toBe(false);
    const otherGroup = arns.logGroup(REGION, CONSUMER_ACCOUNT, '/aws/lambda/other');
    expect(await allowed('logs:PutLogEvents', `${otherGroup}:log-stream:x`)).toBe(false);
    expect(await allowed('logs:DeleteLogGroup', `${LOG_GROUP}:*`)).toBe(false);
    expect(await allowed('logs:PutRetentionPolicy', `${LOG_GROUP}:*`)).toBe(false);
  });
});

describe('grantAsStatement', () => {
  it('turns a grant into the equivalent key policy statement', () => {
    expect(grantAsStatement(grant)).toEqual({
      Effect: 'Allow',
      Principal: { AWS: ROLE },
      Action: ['kms:Decrypt'],
      Resource: '*',
      Condition: { StringEquals: { 'kms:EncryptionContext:aws:kinesis:arn': STREAM } },
    });
    expect(grantAsStatement({ GranteePrincipal: ROLE, Operations: [] })).toBeUndefined();
    expect(grantAsStatement({ GranteePrincipal: 'kinesis.amazonaws.com', Operations: ['Decrypt'] })?.Principal).toEqual({
      Service: 'kinesis.amazonaws.com',
    });
  });
});

describe('the on-failure destination in the role policy', () => {
  const QUEUE = `arn:aws:sqs:${REGION}:${CONSUMER_ACCOUNT}:orders-failed-batches`;
  const withDestination = (failureDestinationArn: string) => consumerRoleInlinePolicy({ streamArn: STREAM, consumerArn: CONSUMER, keyArn: KEY, logGroupArn: LOG_GROUP, failureDestinationArn });
  const allowed = async (policy: object, action: string, resourceArn: string) => (await simulateAccess({ principalArn: ROLE, action, resourceArn, identityPolicies: [policy] })).allowed;

  it('lets the role send to its failure queue, and do nothing else with it or any other queue', async () => {
    const policy = withDestination(QUEUE);
    expect(await allowed(policy, 'sqs:SendMessage', QUEUE)).toBe(true);
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:PurgeQueue', 'sqs:DeleteQueue', 'sqs:SetQueueAttributes', 'sqs:GetQueueAttributes']) {
      expect(await allowed(policy, action, QUEUE), action).toBe(false);
    }
    expect(await allowed(policy, 'sqs:SendMessage', `arn:aws:sqs:${REGION}:${CONSUMER_ACCOUNT}:payments-failed-batches`)).toBe(false);
    expect(await allowed(rolePolicy, 'sqs:SendMessage', QUEUE)).toBe(false);
  });

  it("gives a user's topic sns:Publish and a user's bucket s3:PutObject and s3:ListBucket, on that topic or bucket only", async () => {
    const TOPIC = `arn:aws:sns:${REGION}:${CONSUMER_ACCOUNT}:alerts`;
    const topicPolicy = withDestination(TOPIC);
    expect(await allowed(topicPolicy, 'sns:Publish', TOPIC)).toBe(true);
    expect(await allowed(topicPolicy, 'sns:Publish', `arn:aws:sns:${REGION}:${CONSUMER_ACCOUNT}:other`)).toBe(false);
    expect(await allowed(topicPolicy, 'sns:Subscribe', TOPIC)).toBe(false);
    // A bucket ARN names no account, which the simulator needs: the statements are compared instead.
    expect(withDestination('arn:aws:s3:::orders-failures').Statement.slice(4)).toEqual([
      { Sid: 'ReportFailedBatches', Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::orders-failures/*' },
      { Sid: 'ListFailedBatches', Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::orders-failures' },
    ]);
  });

  it("lets the role use the keys of another account's unreadable topic only through SNS, and only to report", async () => {
    const TOPIC = `arn:aws:sns:${REGION}:${PRODUCER}:alerts`;
    const policy = consumerRoleInlinePolicy({
      streamArn: STREAM,
      consumerArn: CONSUMER,
      keyArn: KEY,
      logGroupArn: LOG_GROUP,
      failureDestinationArn: TOPIC,
      failureDestinationKey: { resource: `arn:aws:kms:${REGION}:${PRODUCER}:key/*`, viaService: `sns.${REGION}.amazonaws.com` },
    });
    // The key's owner trusts the role with everything, so that only the role's own policy decides.
    const keyPolicy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: ROLE }, Action: 'kms:*', Resource: '*' }] };
    const other = arns.kmsKey(REGION, PRODUCER, '99999999-12ab-34cd-56ef-1234567890ab');
    const use = async (action: string, viaService?: string) =>
      (await simulateAccess({ principalArn: ROLE, action, resourceArn: other, identityPolicies: [policy], resourcePolicy: keyPolicy, ...(viaService && { context: { 'kms:ViaService': viaService } }) })).allowed;
    expect(await use('kms:GenerateDataKey', `sns.${REGION}.amazonaws.com`)).toBe(true);
    expect(await use('kms:Decrypt', `sns.${REGION}.amazonaws.com`)).toBe(true);
    expect(await use('kms:GenerateDataKey')).toBe(false);
    expect(await use('kms:Decrypt', `s3.${REGION}.amazonaws.com`)).toBe(false);
    expect(await use('kms:Encrypt', `sns.${REGION}.amazonaws.com`)).toBe(false);
  });
});
