import { describe, expect, it } from 'vitest';
import { arns, defaultNames } from '../../src/pipeline/names.js';
import {
  consumerPolicyStatement,
  consumerRoleInlinePolicy,
  keyPolicy,
  kmsGrantRequest,
  mergeStatements,
  policyDocument,
  streamPolicyStatement,
} from '../../src/pipeline/policies.js';
import { LAMBDA_CONSUMER_ACTIONS, LAMBDA_STREAM_ACTIONS, actionsOf } from '../../src/sandbox/aws-requirements.js';
import { grantAsStatement } from '../support/policy-check.js';
import { type AccessRequest, adminPolicy, shippedAccessEvaluator } from '../../src/sandbox/index.js';
import { iamSimulateAccess } from '../support/iam-simulate-access.js';

const REGION = 'eu-west-1';
const PRODUCER = '111111111111';
const CONSUMER_ACCOUNT = '222222222222';
const THIRD_ACCOUNT = '333333333333';
const names = defaultNames('orders', CONSUMER_ACCOUNT);
const eu = defaultNames('orders-eu', THIRD_ACCOUNT);

const STREAM = arns.stream(REGION, PRODUCER, names.streamName);
const OTHER_STREAM = arns.stream(REGION, PRODUCER, 'payments-stream');
const CONSUMER = `${STREAM}/consumer/${names.consumerName}:1700000000`;
const OTHER_CONSUMER = `${STREAM}/consumer/someone-else-efo:1700000001`;
const KEY = arns.kmsKey(REGION, PRODUCER, '1234abcd-12ab-34cd-56ef-1234567890ab');
const ROLE = arns.role(REGION, CONSUMER_ACCOUNT, names.roleName);
const EU_ROLE = arns.role(REGION, THIRD_ACCOUNT, eu.roleName);
const LOG_GROUP = arns.logGroup(REGION, CONSUMER_ACCOUNT, names.logGroupName);
const EC = 'kms:EncryptionContext:aws:kinesis:arn';

const principals = {
  'the consumer role': ROLE,
  'another role in the consumer account': arns.role(REGION, CONSUMER_ACCOUNT, 'some-other-role'),
  'a role in the producer account': arns.role(REGION, PRODUCER, 'producer-app'),
  "a second deployment's role": EU_ROLE,
};

const rolePolicy = consumerRoleInlinePolicy({ streamArn: STREAM, consumerArn: CONSUMER, keyArn: KEY, logGroupArn: LOG_GROUP });
const identities: Record<string, object[]> = {
  'the generated role policy': [rolePolicy],
  'no identity policy': [],
  'an admin policy': [adminPolicy],
  'the role policy and a Deny on GetRecords and Decrypt': [rolePolicy, policyDocument([{ Effect: 'Deny', Action: ['kinesis:GetRecords', 'kms:Decrypt'], Resource: '*' }])],
  'NotAction and NotResource, wildcards and conditions': [
    {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', NotAction: ['kinesis:Put*', 'kinesis:Delete*', 'kms:Encrypt'], Resource: 'arn:aws:kinesis:*:*:stream/orders-*' },
        { Effect: 'Allow', Action: 'Kinesis:*Consumer', NotResource: `${STREAM}/consumer/someone-else-*` },
        { Effect: 'Allow', Action: 'kinesis:SubscribeToShard', Resource: `arn:aws:kinesis:${REGION}:*:stream/*/consumer/*` },
        { Effect: 'Allow', Action: 'kms:Decrypt', Resource: 'arn:aws:kms:*:111111111111:key/*', Condition: { StringLike: { [EC]: 'arn:aws:kinesis:*:*:stream/orders-*' }, 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['aws:kinesis:arn'] } } },
        { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: 'arn:aws:logs:*:*:log-group:/aws/lambda/*' },
        { Effect: 'Deny', Action: '*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
        { Effect: 'Deny', Action: 'kms:*', Resource: '*', Condition: { StringNotEqualsIfExists: { 'kms:ViaService': `kinesis.${REGION}.amazonaws.com` } } },
      ],
    },
  ],
};

const streamPolicy = mergeStatements(undefined, [streamPolicyStatement({ sid: names.sids.streamRead, roleArn: ROLE, streamArn: STREAM })], names.sidPrefix).json;
const sharedStreamPolicy = mergeStatements(streamPolicy, [streamPolicyStatement({ sid: eu.sids.streamRead, roleArn: EU_ROLE, streamArn: STREAM })], eu.sidPrefix).json;
const consumerPolicy = mergeStatements(undefined, [consumerPolicyStatement({ sid: names.sids.efoConsume, roleArn: ROLE, consumerArn: CONSUMER })], names.sidPrefix).json;
const grantStatement = grantAsStatement(kmsGrantRequest({ keyId: KEY, roleArn: ROLE, streamArn: STREAM, name: names.grantName }))!;
const parsed = (json: string) => JSON.parse(json) as { Statement: object[] };

const streamPolicies: Record<string, object | undefined> = {
  'the generated stream policy': parsed(streamPolicy),
  'a stream policy shared by two deployments': parsed(sharedStreamPolicy),
  'the stream policy with a Deny for the role': { Version: '2012-10-17', Statement: [...parsed(streamPolicy).Statement, { Sid: 'NoRecords', Effect: 'Deny', Principal: { AWS: ROLE }, Action: 'kinesis:GetRecords', Resource: STREAM }] },
  "another team's statements for whole accounts": {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ConsumerAccount', Effect: 'Allow', Principal: { AWS: arns.accountRoot(REGION, CONSUMER_ACCOUNT) }, Action: ['kinesis:DescribeStreamSummary', 'kinesis:ListShards'], Resource: STREAM },
      { Sid: 'ThirdAccount', Effect: 'Allow', Principal: { AWS: THIRD_ACCOUNT }, Action: 'kinesis:Get*', Resource: 'arn:aws:kinesis:*:*:stream/*' },
      { Sid: 'NoPutsFromThird', Effect: 'Deny', Principal: { AWS: THIRD_ACCOUNT }, Action: 'kinesis:PutRecord', Resource: '*' },
    ],
  },
  'a wildcard principal narrowed by conditions': {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: '*', Action: 'kinesis:Describe*', Resource: STREAM, Condition: { StringEquals: { 'aws:PrincipalAccount': [CONSUMER_ACCOUNT, PRODUCER] } } },
      { Effect: 'Allow', Principal: { AWS: '*' }, Action: ['kinesis:GetRecords', 'kinesis:GetShardIterator'], Resource: STREAM, Condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/kds-xacct-*' } } },
      { Effect: 'Deny', Principal: '*', Action: 'kinesis:*', Resource: STREAM, Condition: { ArnNotLike: { 'aws:PrincipalArn': ['arn:aws:iam::*:role/kds-xacct-*', 'arn:aws:iam::111111111111:*'] } } },
    ],
  },
  'no stream policy': undefined,
};

const consumerPolicies: Record<string, object | undefined> = {
  'the generated consumer policy': parsed(consumerPolicy),
  'a consumer policy for any consumer of the stream (ArnLike)': {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: [ROLE, EU_ROLE] }, Action: ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'], Resource: `${STREAM}/consumer/*`, Condition: { ArnEquals: { 'aws:PrincipalArn': [ROLE, EU_ROLE] } } }],
  },
  'no consumer policy': undefined,
};

const defaultKeyPolicy = keyPolicy(PRODUCER);
const keyPolicies: Record<string, object | undefined> = {
  'the default key policy': defaultKeyPolicy,
  'the key policy and our grant': { ...defaultKeyPolicy, Statement: [...defaultKeyPolicy.Statement, grantStatement] },
  'a key policy that does not trust the account, with conditions': {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: [ROLE, arns.role(REGION, PRODUCER, 'producer-app')] }, Action: 'kms:Decrypt', Resource: '*', Condition: { 'ForAnyValue:StringLike': { 'kms:EncryptionContextKeys': 'aws:*' }, StringEquals: { 'kms:ViaService': `kinesis.${REGION}.amazonaws.com` } } },
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${CONSUMER_ACCOUNT}:root` }, Action: 'kms:Decrypt', Resource: '*', Condition: { StringEqualsIgnoreCase: { [EC]: STREAM.toUpperCase() } } },
      // A multivalued key needs ForAnyValue/ForAllValues: without one this never matches.
      { Effect: 'Allow', Principal: { AWS: EU_ROLE }, Action: 'kms:Decrypt', Resource: '*', Condition: { StringEquals: { 'kms:EncryptionContextKeys': 'aws:kinesis:arn' } } },
      { Effect: 'Deny', Principal: '*', Action: 'kms:Decrypt', Resource: '*', Condition: { Null: { [EC]: 'true' } } },
    ],
  },
  'no key policy': undefined,
};

const kinesisContexts: Record<string, (principal: string) => Record<string, string>> = {
  'no context': () => ({}),
  'the principal keys Lambda sends': (p) => ({ 'aws:PrincipalArn': p, 'aws:PrincipalAccount': p.split(':')[4]! }),
  'over plain HTTP': (p) => ({ 'aws:PrincipalArn': p, 'aws:PrincipalAccount': p.split(':')[4]!, 'aws:SecureTransport': 'false' }),
};

const kmsContexts: Record<string, Record<string, string | string[]>> = {
  'no encryption context': {},
  "the stream's encryption context, through Kinesis": { [EC]: STREAM, 'kms:EncryptionContextKeys': ['aws:kinesis:arn'], 'kms:ViaService': `kinesis.${REGION}.amazonaws.com`, 'aws:SecureTransport': 'true' },
  "another stream's encryption context": { [EC]: OTHER_STREAM, 'kms:EncryptionContextKeys': ['aws:kinesis:arn'], 'kms:ViaService': `kinesis.${REGION}.amazonaws.com` },
  'an extra encryption context key, not through Kinesis': { [EC]: STREAM, 'kms:EncryptionContextKeys': ['aws:kinesis:arn', 'team'], 'kms:ViaService': `s3.${REGION}.amazonaws.com` },
};

interface Case {
  label: string;
  request: AccessRequest;
}

function cases(): Case[] {
  const out: Case[] = [];
  const add = (label: string, principal: string, identity: object[], action: string, resource: string, resourcePolicy: object | undefined, context: Record<string, string | string[]>) =>
    out.push({
      label,
      request: {
        principal,
        action,
        resource,
        resourceAccount: resource.split(':')[4]!,
        identityPolicies: identity.map((policy, i) => ({ name: `identity-${i}`, policy })),
        ...(resourcePolicy && { resourcePolicy }),
        context,
      },
    });
  for (const [who, principal] of Object.entries(principals)) {
    for (const [identityName, identity] of Object.entries(identities)) {
      const base = `${who} with ${identityName}`;
      for (const [policyName, policy] of Object.entries(streamPolicies)) {
        for (const resource of [STREAM, OTHER_STREAM]) {
          for (const action of [...actionsOf(LAMBDA_STREAM_ACTIONS), 'kinesis:PutRecord', 'kinesis:DeleteStream']) {
            for (const [contextName, context] of Object.entries(kinesisContexts)) {
              add(`${base}: ${action} on ${resource} under ${policyName}, ${contextName}`, principal, identity, action, resource, policy, context(principal));
            }
          }
        }
      }
      for (const [policyName, policy] of Object.entries(consumerPolicies)) {
        for (const resource of [CONSUMER, OTHER_CONSUMER]) {
          for (const action of [...actionsOf(LAMBDA_CONSUMER_ACTIONS), 'kinesis:DeregisterStreamConsumer']) {
            add(`${base}: ${action} on ${resource} under ${policyName}`, principal, identity, action, resource, policy, kinesisContexts['the principal keys Lambda sends']!(principal));
          }
        }
      }
      for (const [policyName, policy] of Object.entries(keyPolicies)) {
        for (const action of ['kms:Decrypt', 'kms:Encrypt']) {
          for (const [contextName, context] of Object.entries(kmsContexts)) {
            add(`${base}: ${action} under ${policyName}, ${contextName}`, principal, identity, action, KEY, policy, context);
          }
        }
      }
      for (const [action, resource] of [
        ['logs:CreateLogGroup', LOG_GROUP],
        ['logs:CreateLogStream', `${LOG_GROUP}:log-stream:2026/01/01/[$LATEST]0123abcd`],
        ['logs:PutLogEvents', `${LOG_GROUP}:log-stream:2026/01/01/[$LATEST]0123abcd`],
        ['logs:PutLogEvents', `${arns.logGroup(REGION, CONSUMER_ACCOUNT, '/aws/lambda/other')}:log-stream:x`],
      ] as const) {
        add(`${base}: ${action} on ${resource}`, principal, identity, action, resource, undefined, {});
      }
    }
  }
  return out;
}

describe('the shipped policy evaluator against the full IAM simulator', () => {
  it('agrees on every principal, policy, action, resource and context in the matrix', async () => {
    const all = cases();
    const disagreements: string[] = [];
    let allowed = 0;
    for (const { label, request } of all) {
      const [ours, reference] = await Promise.all([shippedAccessEvaluator(request), iamSimulateAccess(request)]);
      if (ours.allowed !== reference.allowed) disagreements.push(`${label}: ours ${ours.detail}, simulator ${reference.detail}`);
      if (reference.allowed) allowed++;
    }
    expect(disagreements).toEqual([]);
    // The matrix is only worth something if it holds plenty of both outcomes.
    expect(all.length).toBeGreaterThan(2000);
    expect(allowed).toBeGreaterThan(200);
    expect(all.length - allowed).toBeGreaterThan(1000);
  }, 300_000);
});
