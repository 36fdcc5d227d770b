import { describe, expect, it } from 'vitest';
import {
  MANAGED_BY,
  NAME_LIMITS,
  SID_KINDS,
  TAG_DEPLOYMENT,
  TAG_MANAGED_BY,
  arns,
  defaultNames,
  fitName,
  isOwnSid,
  partitionOf,
  sidPrefixFor,
} from '../../src/pipeline/names.js';
import {
  validateConsumerName,
  validateFunctionName,
  validateRoleName,
  validateStreamName,
} from '../../src/pipeline/validate.js';

const CONSUMER = '222222222222';

describe('defaultNames', () => {
  it('derives every name from the deployment name', () => {
    const names = defaultNames('orders', CONSUMER);
    expect(names).toMatchObject({
      deployment: 'orders',
      streamName: 'orders-stream',
      consumerName: 'orders-222222222222-efo',
      kmsAlias: 'alias/kds-xacct/orders',
      roleName: 'kds-xacct-orders-consumer',
      functionName: 'orders-consumer',
      logGroupName: '/aws/lambda/orders-consumer',
      grantName: 'kds-xacct-orders-222222222222',
      tags: { 'kds-xacct:deployment': 'orders', 'managed-by': 'kds-xacct' },
    });
    expect(names.sidPrefix).toMatch(/^KdsXacctOrders[0-9A-F]{8}$/);
    expect(names.sids).toEqual({
      streamRead: `${names.sidPrefix}StreamRead`,
      efoConsume: `${names.sidPrefix}EfoConsume`,
    });
  });

  it('exports the tag keys', () => {
    expect(TAG_DEPLOYMENT).toBe('kds-xacct:deployment');
    expect(TAG_MANAGED_BY).toBe('managed-by');
    expect(MANAGED_BY).toBe('kds-xacct');
  });

  it('is deterministic', () => {
    expect(defaultNames('orders', CONSUMER)).toEqual(defaultNames('orders', CONSUMER));
  });

  it('gives each consumer account its own consumer name, grant and Sids on a shared stream', () => {
    const a = defaultNames('orders', '222222222222');
    const b = defaultNames('orders', '333333333333');
    expect(a.streamName).toBe(b.streamName);
    expect(a.consumerName).not.toBe(b.consumerName);
    expect(a.grantName).not.toBe(b.grantName);
    expect(a.sidPrefix).not.toBe(b.sidPrefix);
  });

  it('keeps the longest deployment name within every AWS limit and rule', () => {
    const longest = 'a'.repeat(31) + 'b';
    const names = defaultNames(longest, CONSUMER);
    expect(validateStreamName(names.streamName)).toBe(true);
    expect(validateConsumerName(names.consumerName)).toBe(true);
    expect(validateRoleName(names.roleName)).toBe(true);
    expect(validateFunctionName(names.functionName)).toBe(true);
    expect(names.roleName.length).toBeLessThanOrEqual(NAME_LIMITS.role);
    expect(names.kmsAlias).toMatch(/^alias\/[a-zA-Z0-9/_-]+$/);
    expect(names.grantName).toMatch(/^[a-zA-Z0-9:/_-]{1,256}$/);
    for (const sid of Object.values(names.sids)) expect(sid).toMatch(/^[A-Za-z0-9]+$/);
  });

  it('truncates with a hash when a name would exceed a limit', () => {
    const huge = 'x'.repeat(100);
    const names = defaultNames(huge, CONSUMER);
    expect(names.roleName.length).toBe(64);
    expect(names.functionName.length).toBe(64);
    expect(names.roleName).toMatch(/^kds-xacct-x+-[0-9a-f]{8}$/);
    expect(validateRoleName(names.roleName)).toBe(true);
    expect(names.logGroupName).toBe(`/aws/lambda/${names.functionName}`);
  });
});

describe('fitName', () => {
  it('leaves a name that fits alone', () => {
    expect(fitName('orders-consumer', 64)).toBe('orders-consumer');
    expect(fitName('x'.repeat(64), 64)).toBe('x'.repeat(64));
  });

  it('keeps two long names with a common prefix apart', () => {
    const a = fitName(`${'p'.repeat(70)}-one`, 64);
    const b = fitName(`${'p'.repeat(70)}-two`, 64);
    expect(a).not.toBe(b);
    expect(a.length).toBe(64);
    expect(fitName(`${'p'.repeat(70)}-one`, 64)).toBe(a);
  });

  it('does not leave a separator before the hash', () => {
    expect(fitName(`${'a'.repeat(54)}----------tail`, 64)).toMatch(/^a{54}-[0-9a-f]{8}$/);
  });

  it('refuses a limit with no room for a name', () => {
    expect(() => fitName('abcdefghijk', 9)).toThrow(RangeError);
  });
});

describe('Sids', () => {
  it('are alphanumeric PascalCase of the deployment name', () => {
    expect(sidPrefixFor('orders-eu-west', CONSUMER)).toMatch(/^KdsXacctOrdersEuWest[0-9A-F]{8}$/);
  });

  it('tell apart names that differ only in hyphens', () => {
    expect(sidPrefixFor('orders-2', CONSUMER)).not.toBe(sidPrefixFor('orders2', CONSUMER));
  });

  it('recognise only our own kinds after our own prefix', () => {
    const orders = defaultNames('orders', CONSUMER);
    const ordersEu = defaultNames('orders-eu', CONSUMER);
    for (const kind of SID_KINDS) expect(isOwnSid(`${orders.sidPrefix}${kind}`, orders.sidPrefix)).toBe(true);
    expect(isOwnSid(ordersEu.sids.streamRead, orders.sidPrefix)).toBe(false);
    expect(isOwnSid(orders.sids.streamRead, ordersEu.sidPrefix)).toBe(false);
    expect(isOwnSid(`${orders.sidPrefix}Something`, orders.sidPrefix)).toBe(false);
    expect(isOwnSid(orders.sidPrefix, orders.sidPrefix)).toBe(false);
    expect(isOwnSid(undefined, orders.sidPrefix)).toBe(false);
    expect(isOwnSid('AllowAnalytics', orders.sidPrefix)).toBe(false);
  });
});

describe('partitions and ARNs', () => {
  it.each([
    ['us-east-1', 'aws'],
    ['eu-central-2', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
    ['us-iso-east-1', 'aws-iso'],
    ['us-isob-east-1', 'aws-iso-b'],
    ['eu-isoe-west-1', 'aws-iso-e'],
    ['eusc-de-east-1', 'aws-eusc'],
  ])('%s is in %s', (region, partition) => {
    expect(partitionOf(region)).toBe(partition);
  });

  it('builds ARNs in the right partition', () => {
    expect(arns.stream('us-east-1', '111111111111', 'orders-stream')).toBe(
      'arn:aws:kinesis:us-east-1:111111111111:stream/orders-stream',
    );
    expect(arns.role('cn-north-1', CONSUMER, 'r')).toBe('arn:aws-cn:iam::222222222222:role/r');
    expect(arns.function('us-east-1', CONSUMER, 'f')).toBe('arn:aws:lambda:us-east-1:222222222222:function:f');
    expect(arns.logGroup('us-east-1', CONSUMER, '/aws/lambda/f')).toBe(
      'arn:aws:logs:us-east-1:222222222222:log-group:/aws/lambda/f',
    );
    expect(arns.kmsAlias('us-east-1', '111111111111', 'alias/kds-xacct/orders')).toBe(
      'arn:aws:kms:us-east-1:111111111111:alias/kds-xacct/orders',
    );
    expect(arns.kmsKey('us-gov-west-1', '111111111111', 'k')).toBe('arn:aws-us-gov:kms:us-gov-west-1:111111111111:key/k');
    expect(arns.accountRoot('us-east-1', '111111111111')).toBe('arn:aws:iam::111111111111:root');
    // teardown's discovery builds this one when ListEventSourceMappings leaves out the mapping's ARN.
    expect(arns.eventSourceMapping('cn-northwest-1', CONSUMER, 'u-1')).toBe('arn:aws-cn:lambda:cn-northwest-1:222222222222:event-source-mapping:u-1');
  });
});
