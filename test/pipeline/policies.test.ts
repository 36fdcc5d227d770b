import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { defaultNames } from '../../src/pipeline/names.js';
import {
  PolicyTooLargeError,
  RESOURCE_POLICY_MAX_BYTES,
  consumerPolicyStatement,
  consumerRoleInlinePolicy,
  failureDestinationStatements,
  hasStatements,
  keyPolicy,
  kmsGrantRequest,
  lambdaTrustPolicy,
  mergeStatements,
  ownSids,
  parsePolicy,
  policyDocument,
  removeStatements,
  policyDrift,
  sameStatements,
  statementDrift,
  streamPolicyStatement,
  type ForeignStatement,
  type PolicyStatement,
} from '../../src/pipeline/policies.js';
import { LAMBDA_CONSUMER_ACTIONS, LAMBDA_STREAM_ACTIONS, actionsOf } from '../../src/sandbox/aws-requirements.js';

const STREAM = 'arn:aws:kinesis:us-east-1:111111111111:stream/orders-stream';
const CONSUMER = `${STREAM}/consumer/orders-222222222222-efo:1700000000`;
const ROLE = 'arn:aws:iam::222222222222:role/kds-xacct-orders-consumer';
const KEY = 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const LOG_GROUP = 'arn:aws:logs:us-east-1:222222222222:log-group:/aws/lambda/orders-consumer';

const orders = defaultNames('orders', '222222222222');
const ordersEu = defaultNames('orders-eu', '333333333333');

const othersStatement = {
  Sid: 'AnalyticsRead',
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::444444444444:root' },
  Action: 'kinesis:GetRecords',
  Resource: STREAM,
  Condition: { Bool: { 'aws:SecureTransport': 'true' } },
};
const unnamedStatement = { Effect: 'Deny', Principal: '*', Action: 'kinesis:DeleteStream', Resource: STREAM };

describe('policy documents', () => {
  it('stream statement: the role reads this stream, nothing else', () => {
    expect(streamPolicyStatement({ sid: orders.sids.streamRead, roleArn: ROLE, streamArn: STREAM })).toEqual({
      Sid: orders.sids.streamRead,
      Effect: 'Allow',
      Principal: { AWS: ROLE },
      Action: [
        'kinesis:DescribeStream',
        'kinesis:DescribeStreamSummary',
        'kinesis:GetRecords',
        'kinesis:GetShardIterator',
        'kinesis:ListShards',
      ],
      Resource: STREAM,
    });
  });

  it('consumer statement: DescribeStreamConsumer and SubscribeToShard on this consumer', () => {
    expect(consumerPolicyStatement({ sid: orders.sids.efoConsume, roleArn: ROLE, consumerArn: CONSUMER })).toEqual({
      Sid: orders.sids.efoConsume,
      Effect: 'Allow',
      Principal: { AWS: ROLE },
      Action: ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'],
      Resource: CONSUMER,
    });
  });

  it('uses no wildcard principal or action in resource policies', () => {
    for (const s of [
      streamPolicyStatement({ sid: 'a', roleArn: ROLE, streamArn: STREAM }),
      consumerPolicyStatement({ sid: 'b', roleArn: ROLE, consumerArn: CONSUMER }),
    ]) {
      expect(JSON.stringify(s)).not.toContain('*');
    }
  });

  it('trust policy: Lambda may assume the role, optionally only for one account', () => {
    expect(lambdaTrustPolicy()).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    expect(lambdaTrustPolicy({ sourceAccount: '222222222222' }).Statement[0]?.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': '222222222222' },
    });
  });

  it('role inline policy: scoped to this stream, consumer, key and log group, with no logs:CreateLogGroup (setup makes the group)', () => {
    const policy = consumerRoleInlinePolicy({
      streamArn: STREAM,
      consumerArn: CONSUMER,
      keyArn: KEY,
      logGroupArn: LOG_GROUP,
    });
    expect(policy.Version).toBe('2012-10-17');
    expect(policy.Statement).toEqual([
      { Sid: 'ReadStream', Effect: 'Allow', Action: actionsOf(LAMBDA_STREAM_ACTIONS), Resource: STREAM },
      { Sid: 'ReadEfoConsumer', Effect: 'Allow', Action: actionsOf(LAMBDA_CONSUMER_ACTIONS), Resource: CONSUMER },
      {
        Sid: 'DecryptStreamRecords',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: KEY,
        Condition: { StringEquals: { 'kms:EncryptionContext:aws:kinesis:arn': STREAM } },
      },
      {
        Sid: 'WriteLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `${LOG_GROUP}:*`,
      },
    ]);
    expect(JSON.stringify(policy)).not.toMatch(/"Resource":"\*"/);
  });

  it('key policy: the producer account root administers the key', () => {
    expect(keyPolicy('111111111111')).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Enable IAM User Permissions',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::111111111111:root' },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    });
    expect(keyPolicy('111111111111', 'aws-cn').Statement[0]?.Principal).toEqual({
      AWS: 'arn:aws-cn:iam::111111111111:root',
    });
  });

  it('grant: Decrypt only, only under this stream encryption context', () => {
    expect(kmsGrantRequest({ keyId: KEY, roleArn: ROLE, streamArn: STREAM, name: orders.grantName })).toEqual({
      KeyId: KEY,
      GranteePrincipal: ROLE,
      Operations: ['Decrypt'],
      Constraints: { EncryptionContextSubset: { 'aws:kinesis:arn': STREAM } },
      Name: 'kds-xacct-orders-222222222222',
    });
  });
});

function ours(names = orders, roleArn = ROLE) {
  return [streamPolicyStatement({ sid: names.sids.streamRead, roleArn, streamArn: STREAM })];
}

describe('mergeStatements', () => {
  it('creates a policy when there is none', () => {
    for (const existing of [undefined, '', '{}', '{"Version":"2012-10-17","Statement":[]}']) {
      const merged = mergeStatements(existing, ours(), orders.sidPrefix);
      expect(merged.changed).toBe(true);
      expect(merged.policy).toEqual({ Version: '2012-10-17', Statement: ours() });
      expect(JSON.parse(merged.json)).toEqual(merged.policy);
    }
  });

  it("keeps everyone else's statements, their content and their order", () => {
    const existing = JSON.stringify({
      Version: '2012-10-17',
      Id: 'shared-stream-policy',
      Statement: [othersStatement, unnamedStatement],
    });
    const merged = mergeStatements(existing, ours(), orders.sidPrefix);
    const statements = merged.policy.Statement;
    expect(statements).toHaveLength(3);
    expect(JSON.stringify(statements[0])).toBe(JSON.stringify(othersStatement));
    expect(JSON.stringify(statements[1])).toBe(JSON.stringify(unnamedStatement));
    expect(statements[2]).toEqual(ours()[0]);
    expect(merged.policy['Id']).toBe('shared-stream-policy');
    expect(merged.changed).toBe(true);
  });

  it('replaces our statement in place and reports no change when it is already right', () => {
    const first = mergeStatements(JSON.stringify({ Version: '2012-10-17', Statement: [othersStatement] }), ours(), orders.sidPrefix);
    const withMoreAfter = JSON.stringify({ ...first.policy, Statement: [...first.policy.Statement, unnamedStatement] });
    const again = mergeStatements(withMoreAfter, ours(), orders.sidPrefix);
    expect(again.changed).toBe(false);
    expect(again.policy.Statement.map((s) => s['Sid'])).toEqual(['AnalyticsRead', orders.sids.streamRead, undefined]);

    const otherRole = 'arn:aws:iam::222222222222:role/renamed';
    const updated = mergeStatements(withMoreAfter, ours(orders, otherRole), orders.sidPrefix);
    expect(updated.changed).toBe(true);
    expect(updated.policy.Statement[1]).toEqual(ours(orders, otherRole)[0]);
    expect(updated.policy.Statement).toHaveLength(3);
  });

  it('sees no change when AWS hands the policy back in another shape', () => {
    const [statement] = ours();
    const reshaped = {
      Resource: [STREAM],
      Action: [...(statement!.Action as string[])].reverse(),
      Principal: { AWS: [ROLE] },
      Effect: 'Allow',
      Sid: statement?.Sid,
    };
    const merged = mergeStatements(JSON.stringify({ Version: '2012-10-17', Statement: [reshaped] }), ours(), orders.sidPrefix);
    expect(merged.changed).toBe(false);
  });

  it('lets two deployments share one stream policy', () => {
    const a = mergeStatements(JSON.stringify({ Version: '2012-10-17', Statement: [othersStatement] }), ours(), orders.sidPrefix);
    const euRole = 'arn:aws:iam::333333333333:role/kds-xacct-orders-eu-consumer';
    const b = mergeStatements(a.json, ours(ordersEu, euRole), ordersEu.sidPrefix);
    expect(b.policy.Statement.map((s) => s['Sid'])).toEqual([
      'AnalyticsRead',
      orders.sids.streamRead,
      ordersEu.sids.streamRead,
    ]);
    // Re-running the first deployment leaves the second's statement alone.
    const again = mergeStatements(b.json, ours(orders, 'arn:aws:iam::222222222222:role/new'), orders.sidPrefix);
    expect(again.policy.Statement[2]).toEqual(b.policy.Statement[2]);
    // Tearing the first down leaves the others working.
    const left = removeStatements(again.json, ownSids(orders.sidPrefix));
    expect(left?.Statement.map((s) => s['Sid'])).toEqual(['AnalyticsRead', ordersEu.sids.streamRead]);
  });

  it('does not claim the statements of a deployment whose name starts with ours', () => {
    const euRole = 'arn:aws:iam::222222222222:role/eu';
    const sameAccountEu = defaultNames('orders-eu', '222222222222');
    const existing = mergeStatements(undefined, ours(sameAccountEu, euRole), sameAccountEu.sidPrefix).json;
    const merged = mergeStatements(existing, ours(), orders.sidPrefix);
    expect(merged.policy.Statement.map((s) => s['Sid'])).toEqual([sameAccountEu.sids.streamRead, orders.sids.streamRead]);
  });

  it('drops a stale duplicate of our own Sid and kinds we no longer write', () => {
    const stale = { ...ours()[0], Resource: 'arn:aws:kinesis:us-east-1:111111111111:stream/old' };
    const consumerStmt = consumerPolicyStatement({ sid: orders.sids.efoConsume, roleArn: ROLE, consumerArn: CONSUMER });
    const existing = JSON.stringify({ Version: '2012-10-17', Statement: [stale, othersStatement, stale, consumerStmt] });
    const merged = mergeStatements(existing, ours(), orders.sidPrefix);
    expect(merged.policy.Statement).toEqual([ours()[0], othersStatement]);
  });

  it('accepts a single statement object in place of a list', () => {
    const merged = mergeStatements(JSON.stringify({ Version: '2012-10-17', Statement: othersStatement }), ours(), orders.sidPrefix);
    expect(merged.policy.Statement).toEqual([othersStatement, ours()[0]]);
  });

  it('refuses statements whose Sid is not ours', () => {
    expect(() =>
      mergeStatements(undefined, [streamPolicyStatement({ sid: 'Mine', roleArn: ROLE, streamArn: STREAM })], orders.sidPrefix),
    ).toThrow(/does not belong/);
  });

  it('refuses to replace a policy it cannot read', () => {
    for (const bad of ['{not json', '[]', '"x"', '{"Statement":["x"]}']) {
      expect(() => mergeStatements(bad, ours(), orders.sidPrefix)).toThrow(UserError);
    }
    expect(() => mergeStatements('{not json', ours(), orders.sidPrefix)).toThrow(/will not replace a policy/);
  });

  it('enforces the 20 KB limit with a clear error', () => {
    const filler = Array.from({ length: 200 }, (_, i) => ({
      ...othersStatement,
      Sid: `Other${i}`,
      Principal: { AWS: `arn:aws:iam::${String(i).padStart(12, '0')}:role/some-fairly-long-role-name-for-padding` },
    }));
    const existing = JSON.stringify({ Version: '2012-10-17', Statement: filler });
    expect(Buffer.byteLength(existing)).toBeGreaterThan(RESOURCE_POLICY_MAX_BYTES);
    let error: unknown;
    try {
      mergeStatements(existing, ours(), orders.sidPrefix);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyTooLargeError);
    expect((error as Error).message).toMatch(/over the 20480-byte \(20 KB\) limit.*201 statements/);
    expect((error as PolicyTooLargeError).hint).toMatch(/Remove statements/);
  });

  it('accepts a policy of exactly 20480 bytes and refuses one byte more', () => {
    const withPadding = (n: number) =>
      JSON.stringify({ Version: '2012-10-17', Statement: [{ ...othersStatement, Sid: `Pad${'x'.repeat(n)}` }] });
    const bytesFor = (n: number) => Buffer.byteLength(mergeStatements(withPadding(n), ours(), orders.sidPrefix).json);
    const pad = RESOURCE_POLICY_MAX_BYTES - bytesFor(0);
    expect(bytesFor(pad)).toBe(RESOURCE_POLICY_MAX_BYTES);
    expect(() => mergeStatements(withPadding(pad + 1), ours(), orders.sidPrefix)).toThrow(PolicyTooLargeError);
  });
});

describe('removeStatements', () => {
  const shared = JSON.stringify({
    Version: '2012-10-17',
    Statement: [othersStatement, ...ours(), unnamedStatement],
  });

  it('removes only our statements', () => {
    expect(removeStatements(shared, ownSids(orders.sidPrefix))).toEqual({
      Version: '2012-10-17',
      Statement: [othersStatement, unnamedStatement],
    });
  });

  it('returns undefined when nothing is left, or there was nothing', () => {
    const onlyOurs = JSON.stringify(policyDocument(ours()));
    expect(removeStatements(onlyOurs, ownSids(orders.sidPrefix))).toBeUndefined();
    expect(removeStatements(undefined, ownSids(orders.sidPrefix))).toBeUndefined();
    expect(removeStatements('{}', ownSids(orders.sidPrefix))).toBeUndefined();
  });

  it('leaves the policy alone when it holds none of ours', () => {
    const others = JSON.stringify({ Version: '2012-10-17', Statement: [othersStatement] });
    expect(removeStatements(others, ownSids(orders.sidPrefix))).toEqual(JSON.parse(others));
    expect(hasStatements(others, ownSids(orders.sidPrefix))).toBe(false);
    expect(hasStatements(shared, ownSids(orders.sidPrefix))).toBe(true);
  });
});

describe('helpers', () => {
  it('ownSids lists every kind', () => {
    expect(ownSids(orders.sidPrefix)).toEqual([orders.sids.streamRead, orders.sids.efoConsume]);
  });

  it('parsePolicy treats empty policies as none', () => {
    expect(parsePolicy(undefined)).toBeUndefined();
    expect(parsePolicy('  ')).toBeUndefined();
    expect(parsePolicy('{"Version":"2012-10-17"}')).toBeUndefined();
  });

  it('sameStatements ignores list order and single-value lists but not content', () => {
    expect(sameStatements([{ Action: ['a', 'b'] }], [{ Action: ['b', 'a'] }])).toBe(true);
    expect(sameStatements([{ Action: 'a' }], [{ Action: ['a'] }])).toBe(true);
    expect(sameStatements([{ Action: 'a' }], [{ Action: 'b' }])).toBe(false);
    expect(sameStatements([{ Sid: 'x' }], [{ Sid: 'x' }, { Sid: 'y' }])).toBe(false);
  });
});

describe('drift in words', () => {
  const ours = streamPolicyStatement({ sid: orders.sids.streamRead, roleArn: ROLE, streamArn: STREAM });

  it('statementDrift names the actions our statement no longer allows or also allows, and the parts that changed', () => {
    const fewer = { ...ours, Action: ['kinesis:DescribeStream', 'kinesis:ListShards'] };
    expect(statementDrift(ours, fewer)).toBe('it no longer allows kinesis:DescribeStreamSummary, kinesis:GetRecords, kinesis:GetShardIterator');
    const more = { ...ours, Action: [...(ours.Action as string[]), 'kinesis:PutRecord'], Principal: { AWS: 'arn:aws:iam::222222222222:root' } };
    expect(statementDrift(ours, more)).toBe('it also allows kinesis:PutRecord; its Principal changed');
    expect(statementDrift(ours, { ...ours, Action: 'kinesis:*', Effect: 'Deny' })).toBe(`it no longer allows ${(ours.Action as string[]).join(', ')}; it also allows kinesis:*; its Effect changed`);
    // The same statement, written in another valid form, is no drift.
    expect(statementDrift(ours, { ...ours, Resource: [STREAM] })).toBe('it differs from what setup writes');
  });

  it('policyDrift goes statement by statement through our inline policy', () => {
    const wanted = consumerRoleInlinePolicy({ streamArn: STREAM, consumerArn: CONSUMER, keyArn: KEY, logGroupArn: LOG_GROUP }).Statement;
    const [first, ...rest] = wanted as [PolicyStatement, ...PolicyStatement[]];
    // As GetRolePolicy hands it back: plain JSON.
    const readBack = (statements: object[]) => JSON.parse(JSON.stringify(statements)) as ForeignStatement[];
    expect(policyDrift(wanted, readBack(rest))).toBe(`statement ${first.Sid} is gone (it allowed ${[first.Action].flat().join(', ')})`);
    const changed = [{ ...first, Resource: '*' }, ...rest, { Sid: 'Extra', Effect: 'Allow', Action: 's3:*', Resource: '*' }];
    expect(policyDrift(wanted, readBack(changed))).toBe(`statement ${first.Sid}: its Resource changed; 1 statement(s) not written by setup: Extra`);
  });
});

describe('failureDestinationStatements', () => {
  const KEY = 'arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  it('adds what the destination\'s KMS key must allow the role: GenerateDataKey and Decrypt for a queue or topic, GenerateDataKey for a bucket', () => {
    const keyStatement = (arn: string) => failureDestinationStatements(arn, { resource: KEY }).find((s) => s.Sid === 'EncryptFailedBatchReports');
    expect(keyStatement('arn:aws:sqs:us-east-1:222222222222:dlq')).toEqual({ Sid: 'EncryptFailedBatchReports', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: KEY });
    expect(keyStatement('arn:aws:sns:us-east-1:222222222222:alerts')?.Action).toEqual(['kms:GenerateDataKey', 'kms:Decrypt']);
    expect(keyStatement('arn:aws:s3:::failed-batches')?.Action).toEqual(['kms:GenerateDataKey']);
    expect(failureDestinationStatements('arn:aws:sqs:us-east-1:222222222222:dlq').map((s) => s.Sid)).toEqual(['ReportFailedBatches']);
  });

  it("names the keys of another account's destination, through its service only, when its key cannot be read", () => {
    const access = { resource: 'arn:aws:kms:us-east-1:333333333333:key/*', viaService: 'sns.us-east-1.amazonaws.com' };
    expect(failureDestinationStatements('arn:aws:sns:us-east-1:333333333333:alerts', access).find((s) => s.Sid === 'EncryptFailedBatchReports')).toEqual({
      Sid: 'EncryptFailedBatchReports',
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: access.resource,
      Condition: { StringEquals: { 'kms:ViaService': access.viaService } },
    });
  });
});
