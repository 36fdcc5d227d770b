import { describe, expect, it } from 'vitest';
import { type AccessRequest, adminPolicy, evaluatePolicies } from '../../src/sandbox/index.js';

const PRODUCER = '111111111111';
const CONSUMER = '222222222222';
const STREAM = `arn:aws:kinesis:eu-west-1:${PRODUCER}:stream/orders`;
const KEY = `arn:aws:kms:eu-west-1:${PRODUCER}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const ROLE = `arn:aws:iam::${CONSUMER}:role/orders-consumer`;
const PRODUCER_ROLE = `arn:aws:iam::${PRODUCER}:role/producer-app`;

const doc = (...Statement: object[]) => ({ Version: '2012-10-17', Statement });
const allow = (Action: string | string[], Resource: string | string[] = '*', extra: object = {}) => ({ Effect: 'Allow', Action, Resource, ...extra });
const deny = (Action: string | string[], Resource: string | string[] = '*', extra: object = {}) => ({ Effect: 'Deny', Action, Resource, ...extra });

function decide(partial: Partial<AccessRequest> & { identity?: object[] }): boolean {
  const { identity = [], ...rest } = partial;
  return evaluatePolicies({
    principal: ROLE,
    action: 'kinesis:GetRecords',
    resource: STREAM,
    resourceAccount: PRODUCER,
    identityPolicies: identity.map((policy, i) => ({ name: `p${i}`, policy })),
    ...rest,
  }).allowed;
}

describe('the shipped policy evaluator: who decides', () => {
  const roleAllows = doc(allow('kinesis:GetRecords', STREAM));
  const streamAllowsRole = doc(allow('kinesis:GetRecords', STREAM, { Principal: { AWS: ROLE } }));

  it('across accounts needs both the identity policy and the resource policy', () => {
    expect(decide({ identity: [roleAllows], resourcePolicy: streamAllowsRole })).toBe(true);
    expect(decide({ identity: [roleAllows] })).toBe(false);
    expect(decide({ resourcePolicy: streamAllowsRole })).toBe(false);
  });

  it('across accounts accepts a resource policy that names the account (its root or its id)', () => {
    for (const principal of [`arn:aws:iam::${CONSUMER}:root`, CONSUMER]) {
      expect(decide({ identity: [roleAllows], resourcePolicy: doc(allow('kinesis:GetRecords', STREAM, { Principal: { AWS: principal } })) })).toBe(true);
    }
    expect(decide({ identity: [roleAllows], resourcePolicy: doc(allow('kinesis:GetRecords', STREAM, { Principal: { AWS: `arn:aws:iam::${PRODUCER}:root` } })) })).toBe(false);
  });

  it('in one account is satisfied by either side, but a statement naming only the account defers to IAM', () => {
    const sameAccount = { principal: PRODUCER_ROLE };
    expect(decide({ ...sameAccount, identity: [roleAllows] })).toBe(true);
    expect(decide({ ...sameAccount, resourcePolicy: doc(allow('kinesis:GetRecords', STREAM, { Principal: { AWS: PRODUCER_ROLE } })) })).toBe(true);
    expect(decide({ ...sameAccount, resourcePolicy: doc(allow('kinesis:GetRecords', STREAM, { Principal: { AWS: `arn:aws:iam::${PRODUCER}:root` } })) })).toBe(false);
    expect(decide({ ...sameAccount, resourcePolicy: doc(allow('kinesis:GetRecords', STREAM, { Principal: '*' })) })).toBe(true);
  });

  it('for a KMS key in the same account, counts IAM policies only when the key policy trusts the account', () => {
    const decrypt = { principal: PRODUCER_ROLE, action: 'kms:Decrypt', resource: KEY, identity: [doc(allow('kms:Decrypt', KEY))] };
    expect(decide({ ...decrypt, resourcePolicy: doc(allow('kms:*', '*', { Principal: { AWS: `arn:aws:iam::${PRODUCER}:root` } })) })).toBe(true);
    expect(decide({ ...decrypt, resourcePolicy: doc(allow('kms:DescribeKey', '*', { Principal: { AWS: `arn:aws:iam::${PRODUCER}:root` } })) })).toBe(false);
    expect(decide({ ...decrypt, identity: [], resourcePolicy: doc(allow('kms:Decrypt', '*', { Principal: { AWS: PRODUCER_ROLE } })) })).toBe(true);
  });

  it('lets an explicit Deny win wherever it is', () => {
    expect(decide({ identity: [roleAllows, doc(deny('kinesis:Get*'))], resourcePolicy: streamAllowsRole })).toBe(false);
    expect(decide({ identity: [roleAllows], resourcePolicy: doc(...streamAllowsRole.Statement, deny('kinesis:GetRecords', STREAM, { Principal: { AWS: ROLE } })) })).toBe(false);
    expect(decide({ identity: [roleAllows], resourcePolicy: doc(...streamAllowsRole.Statement, deny('kinesis:GetRecords', STREAM, { Principal: { AWS: CONSUMER } })) })).toBe(false);
    // A Deny for someone else does not apply.
    expect(decide({ identity: [roleAllows], resourcePolicy: doc(...streamAllowsRole.Statement, deny('kinesis:GetRecords', STREAM, { Principal: { AWS: PRODUCER_ROLE } })) })).toBe(true);
    expect(evaluatePolicies({ principal: ROLE, action: 'kinesis:GetRecords', resource: STREAM, resourceAccount: PRODUCER, identityPolicies: [{ name: 'x', policy: doc(deny('*')) }] }).detail).toBe('ExplicitlyDenied');
  });
});

describe('the shipped policy evaluator: what a statement matches', () => {
  const same = { principal: PRODUCER_ROLE };

  it('matches actions case-insensitively, with wildcards, and NotAction as the complement', () => {
    expect(decide({ ...same, identity: [doc(allow('Kinesis:getrecords', STREAM))] })).toBe(true);
    expect(decide({ ...same, identity: [doc(allow('kinesis:Get*', STREAM))] })).toBe(true);
    expect(decide({ ...same, identity: [doc(allow('kinesis:GetRecord?', STREAM))] })).toBe(true);
    expect(decide({ ...same, identity: [doc(allow('kinesis:Put*', STREAM))] })).toBe(false);
    expect(decide({ ...same, identity: [doc(allow('kms:GetRecords', STREAM))] })).toBe(false);
    expect(decide({ ...same, identity: [adminPolicy] })).toBe(true);
    expect(decide({ ...same, identity: [doc({ Effect: 'Allow', NotAction: 'kinesis:Put*', Resource: '*' })] })).toBe(true);
    expect(decide({ ...same, identity: [doc({ Effect: 'Allow', NotAction: ['kinesis:*'], Resource: '*' })] })).toBe(false);
  });

  it('matches resources segment by segment, with NotResource as the complement', () => {
    expect(decide({ ...same, identity: [doc(allow('kinesis:GetRecords', 'arn:aws:kinesis:*:*:stream/ord*'))] })).toBe(true);
    expect(decide({ ...same, identity: [doc(allow('kinesis:GetRecords', 'arn:aws:kinesis:*:*:stream/Orders'))] })).toBe(false);
    expect(decide({ ...same, identity: [doc(allow('kinesis:GetRecords', `arn:aws:kinesis:eu-west-1:${CONSUMER}:stream/orders`))] })).toBe(false);
    // A wildcard region does not swallow the account.
    expect(decide({ ...same, identity: [doc(allow('kinesis:GetRecords', `arn:aws:kinesis:*:stream/orders`))] })).toBe(false);
    // The resource part may span ':' and '/', as log stream ARNs need.
    expect(decide({ ...same, action: 'logs:PutLogEvents', resource: `arn:aws:logs:eu-west-1:${PRODUCER}:log-group:/aws/lambda/f:log-stream:2026/01/01/[$LATEST]ab`, identity: [doc(allow('logs:PutLogEvents', `arn:aws:logs:eu-west-1:${PRODUCER}:log-group:/aws/lambda/f:*`))] })).toBe(true);
    expect(decide({ ...same, identity: [doc({ Effect: 'Allow', Action: '*', NotResource: `arn:aws:kinesis:*:*:stream/other` })] })).toBe(true);
    expect(decide({ ...same, identity: [doc({ Effect: 'Allow', Action: '*', NotResource: STREAM })] })).toBe(false);
  });

  it('reads policies given as JSON text, as AWS returns them', () => {
    expect(decide({ ...same, identity: [JSON.stringify(doc(allow('kinesis:GetRecords', STREAM))) as unknown as object] })).toBe(true);
  });
});

describe('the shipped policy evaluator: conditions', () => {
  const EC = 'kms:EncryptionContext:aws:kinesis:arn';
  const decrypt = (Condition: object, context?: Record<string, string | string[]>) =>
    decide({ principal: PRODUCER_ROLE, action: 'kms:Decrypt', resource: KEY, resourcePolicy: doc(allow('kms:Decrypt', '*', { Principal: { AWS: PRODUCER_ROLE }, Condition })), ...(context && { context }) });

  it('compares strings exactly, or with wildcards, and keys case-insensitively', () => {
    expect(decrypt({ StringEquals: { [EC]: STREAM } }, { [EC]: STREAM })).toBe(true);
    expect(decrypt({ StringEquals: { [EC.toUpperCase()]: STREAM } }, { [EC]: STREAM })).toBe(true);
    expect(decrypt({ StringEquals: { [EC]: STREAM.toUpperCase() } }, { [EC]: STREAM })).toBe(false);
    expect(decrypt({ StringEqualsIgnoreCase: { [EC]: STREAM.toUpperCase() } }, { [EC]: STREAM })).toBe(true);
    expect(decrypt({ StringEquals: { [EC]: ['arn:aws:kinesis:eu-west-1:111111111111:stream/x', STREAM] } }, { [EC]: STREAM })).toBe(true);
    expect(decrypt({ StringLike: { [EC]: 'arn:aws:kinesis:*:stream/ord?rs' } }, { [EC]: STREAM })).toBe(true);
    expect(decrypt({ StringLike: { [EC]: 'arn:aws:kinesis:*:stream/x*' } }, { [EC]: STREAM })).toBe(false);
    expect(decrypt({ StringEquals: { [EC]: STREAM } })).toBe(false);
  });

  it('treats an absent key as a match for negated operators and IfExists only', () => {
    expect(decrypt({ StringNotEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } })).toBe(true);
    expect(decrypt({ StringNotEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } }, { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' })).toBe(false);
    expect(decrypt({ StringNotEquals: { 'kms:ViaService': ['s3.eu-west-1.amazonaws.com', 'x'] } }, { 'kms:ViaService': 'kinesis.eu-west-1.amazonaws.com' })).toBe(true);
    expect(decrypt({ StringEqualsIfExists: { 'kms:ViaService': 'kinesis.eu-west-1.amazonaws.com' } })).toBe(true);
    expect(decrypt({ StringEqualsIfExists: { 'kms:ViaService': 'kinesis.eu-west-1.amazonaws.com' } }, { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' })).toBe(false);
  });

  it('compares ARNs by segment', () => {
    const principal = { 'aws:PrincipalArn': ROLE };
    expect(decrypt({ ArnEquals: { 'aws:PrincipalArn': ROLE } }, principal)).toBe(true);
    expect(decrypt({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/orders-*' } }, principal)).toBe(true);
    expect(decrypt({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:user/*' } }, principal)).toBe(false);
    expect(decrypt({ ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:user/*' } }, principal)).toBe(true);
    expect(decrypt({ ArnNotEquals: { 'aws:PrincipalArn': ROLE } }, principal)).toBe(false);
    expect(decrypt({ ArnLike: { 'aws:PrincipalArn': 'not-an-arn' } }, principal)).toBe(false);
  });

  it('applies ForAnyValue and ForAllValues to multivalued keys, and refuses those keys without them', () => {
    const keys = { 'kms:EncryptionContextKeys': ['aws:kinesis:arn', 'team'] };
    expect(decrypt({ 'ForAnyValue:StringEquals': { 'kms:EncryptionContextKeys': 'team' } }, keys)).toBe(true);
    expect(decrypt({ 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': 'team' } }, keys)).toBe(false);
    expect(decrypt({ 'ForAllValues:StringLike': { 'kms:EncryptionContextKeys': ['aws:*', 'team'] } }, keys)).toBe(true);
    expect(decrypt({ 'ForAnyValue:StringNotEquals': { 'kms:EncryptionContextKeys': 'team' } }, keys)).toBe(true);
    expect(decrypt({ 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': 'team' } })).toBe(true);
    expect(decrypt({ 'ForAnyValue:StringEquals': { 'kms:EncryptionContextKeys': 'team' } })).toBe(false);
    expect(decrypt({ StringEquals: { 'kms:EncryptionContextKeys': 'team' } }, keys)).toBe(false);
  });

  it('supports Bool and Null, and needs every operator and key of a block to match', () => {
    expect(decrypt({ Bool: { 'aws:SecureTransport': true } }, { 'aws:SecureTransport': 'true' })).toBe(true);
    expect(decrypt({ Bool: { 'aws:SecureTransport': 'false' } }, { 'aws:SecureTransport': 'true' })).toBe(false);
    expect(decrypt({ Null: { [EC]: 'true' } })).toBe(true);
    expect(decrypt({ Null: { [EC]: 'false' } })).toBe(false);
    expect(decrypt({ StringEquals: { [EC]: STREAM }, Bool: { 'aws:SecureTransport': 'true' } }, { [EC]: STREAM })).toBe(false);
    expect(decrypt({ StringEquals: { [EC]: STREAM, 'kms:ViaService': 'kinesis.eu-west-1.amazonaws.com' } }, { [EC]: STREAM, 'kms:ViaService': 'kinesis.eu-west-1.amazonaws.com' })).toBe(true);
  });
});

describe('the shipped policy evaluator: what it does not support', () => {
  it('denies, saying why, instead of guessing', () => {
    const judge = (resourcePolicy: object) => evaluatePolicies({ principal: PRODUCER_ROLE, action: 'kms:Decrypt', resource: KEY, resourceAccount: PRODUCER, identityPolicies: [], resourcePolicy });
    const withCondition = (Condition: object) => judge(doc(allow('kms:Decrypt', '*', { Principal: '*', Condition })));
    expect(withCondition({ NumericLessThan: { 'kms:RecipientAttestation:ImageSha384': '1' } }).detail).toMatch(/operator NumericLessThan is not supported/);
    expect(withCondition({ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } })).toEqual({ allowed: false, detail: expect.stringMatching(/IpAddress is not supported/) });
    expect(judge(doc(allow('kms:Decrypt', '*', { NotPrincipal: { AWS: ROLE } }))).detail).toMatch(/NotPrincipal/);
    expect(judge(doc(allow('kms:Decrypt', 'arn:aws:kms:*:*:key/${aws:username}', { Principal: '*' }))).detail).toMatch(/policy variables/);
    expect(judge(doc({ Effect: 'Maybe', Action: '*', Principal: '*' })).detail).toMatch(/neither Allow nor Deny/);
    expect(judge(doc(allow('kms:Decrypt'))).detail).toMatch(/has no Principal/);
  });
});
