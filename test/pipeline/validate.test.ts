import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import {
  ensureValid,
  isRuntime,
  isStartingPosition,
  parseArn,
  parseConsumerArn,
  parseIntegerFlag,
  parseKmsKeyRef,
  parseStreamArn,
  validateAccountId,
  validateBatchSize,
  validateConsumerName,
  validateDeploymentName,
  validateFunctionName,
  validateKmsKeyRef,
  validateLogRetentionDays,
  validateMaximumRecordAgeInSeconds,
  validateMaximumRetryAttempts,
  validateRegion,
  validateRoleName,
  validateRuntime,
  validateShardCount,
  validateStartingPosition,
  validateStartingPositionTimestamp,
  validateStreamArn,
  validateStreamName,
} from '../../src/pipeline/validate.js';

describe('validateDeploymentName', () => {
  it.each(['orders', 'a', 'orders-eu-2', 'x1', 'a'.repeat(32)])('accepts %s', (name) => {
    expect(validateDeploymentName(name)).toBe(true);
  });

  it.each([
    ['', /empty/],
    ['a'.repeat(33), /33 characters/],
    ['Orders', /not allowed/],
    ['1orders', /not allowed/],
    ['-orders', /not allowed/],
    ['orders-', /not allowed/],
    ['orders--eu', /not allowed/],
    ['orders_eu', /not allowed/],
    ['orders eu', /not allowed/],
  ])('rejects %j', (name, message) => {
    const result = validateDeploymentName(name);
    expect(result).toMatch(message);
    expect(result).toMatch(/lowercase letters, digits and single hyphens/);
  });
});

describe('resource names', () => {
  it('stream and consumer names: 1-128 of [a-zA-Z0-9_.-]', () => {
    for (const validate of [validateStreamName, validateConsumerName]) {
      expect(validate('My_stream.v1-2')).toBe(true);
      expect(validate('s'.repeat(128))).toBe(true);
      expect(validate('s'.repeat(129))).toMatch(/129 characters long.*1-128/);
      expect(validate('')).toMatch(/empty/);
      expect(validate('a/b c')).toMatch(/contains "\/", " ", which is not allowed/);
    }
  });

  it('role names: 1-64 of [\\w+=,.@-]', () => {
    expect(validateRoleName('kds-xacct+role=a,b.c@d_e')).toBe(true);
    expect(validateRoleName('r'.repeat(64))).toBe(true);
    expect(validateRoleName('r'.repeat(65))).toMatch(/65 characters/);
    expect(validateRoleName('role/path')).toMatch(/"\/"/);
  });

  it('function names: 1-64 of [a-zA-Z0-9-_]', () => {
    expect(validateFunctionName('Orders_consumer-1')).toBe(true);
    expect(validateFunctionName('f'.repeat(65))).toMatch(/1-64/);
    expect(validateFunctionName('orders.consumer')).toMatch(/"\."/);
  });
});

describe('validateAccountId', () => {
  it('wants exactly 12 digits', () => {
    expect(validateAccountId('123456789012')).toBe(true);
    expect(validateAccountId('012345678901')).toBe(true);
    expect(validateAccountId('12345678901')).toMatch(/exactly 12 digits/);
    expect(validateAccountId('1234567890123')).toMatch(/exactly 12 digits/);
    expect(validateAccountId('12345678901a')).toMatch(/exactly 12 digits/);
  });
});

describe('validateRegion', () => {
  it.each([
    'us-east-1',
    'eu-central-2',
    'ap-southeast-4',
    'us-gov-west-1',
    'cn-north-1',
    'il-central-1',
    'mx-central-1',
    'ca-west-1',
    'us-iso-east-1',
    'us-isob-east-1',
    'eu-isoe-west-1',
    'eusc-de-east-1',
  ])('accepts %s', (region) => {
    expect(validateRegion(region)).toBe(true);
  });

  it.each(['', 'us-east', 'useast-1', 'US-EAST-1', 'us-east-1a', 'us_east_1', 'us-east-1 '])('rejects %j', (region) => {
    expect(validateRegion(region)).toMatch(/not an AWS region name.*us-east-1/);
  });
});

describe('ARNs', () => {
  const stream = 'arn:aws:kinesis:us-east-1:111111111111:stream/orders-stream';

  it('parses a stream ARN', () => {
    expect(parseStreamArn(stream)).toEqual({
      partition: 'aws',
      service: 'kinesis',
      region: 'us-east-1',
      accountId: '111111111111',
      resource: 'stream/orders-stream',
      streamName: 'orders-stream',
    });
    expect(parseStreamArn('arn:aws-cn:kinesis:cn-north-1:111111111111:stream/s')?.partition).toBe('aws-cn');
    expect(validateStreamArn(stream)).toBe(true);
  });

  it('rejects what is not a stream ARN', () => {
    expect(parseStreamArn(`${stream}/consumer/c:1`)).toBeUndefined();
    expect(parseStreamArn('arn:aws:sqs:us-east-1:111111111111:q')).toBeUndefined();
    expect(parseStreamArn('orders-stream')).toBeUndefined();
    expect(parseStreamArn('arn:aws:kinesis:us-east-1:1111:stream/s')).toBeUndefined();
    expect(validateStreamArn('orders-stream')).toMatch(/not a Kinesis stream ARN/);
  });

  it('parses a consumer ARN with its creation timestamp', () => {
    expect(parseConsumerArn(`${stream}/consumer/orders-efo:1700000000`)).toMatchObject({
      accountId: '111111111111',
      region: 'us-east-1',
      streamName: 'orders-stream',
      consumerName: 'orders-efo',
      creationTimestamp: 1700000000,
    });
    expect(parseConsumerArn(stream)).toBeUndefined();
    expect(parseConsumerArn(`${stream}/consumer/orders-efo`)).toBeUndefined();
  });

  it('parses ARNs of global services and AWS-owned resources', () => {
    expect(parseArn('arn:aws:iam::222222222222:role/r')).toEqual({
      partition: 'aws',
      service: 'iam',
      region: '',
      accountId: '222222222222',
      resource: 'role/r',
    });
    expect(parseArn('arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole')?.accountId).toBe('aws');
    expect(parseArn('arn:aws:logs:us-east-1:222222222222:log-group:/aws/lambda/f:*')?.resource).toBe(
      'log-group:/aws/lambda/f:*',
    );
    expect(parseArn('not:an:arn')).toBeUndefined();
    expect(parseArn('arn:aws:kinesis:us-east-1:111111111111:')).toBeUndefined();
  });
});

describe('KMS key references', () => {
  const keyId = '1234abcd-12ab-34cd-56ef-1234567890ab';

  it('recognises the four forms', () => {
    expect(parseKmsKeyRef(keyId)).toEqual({ kind: 'key-id', keyId });
    expect(parseKmsKeyRef('mrk-1234abcd12ab34cd56ef1234567890ab')?.kind).toBe('key-id');
    expect(parseKmsKeyRef(`arn:aws:kms:us-east-1:111111111111:key/${keyId}`)).toMatchObject({
      kind: 'key-arn',
      keyId,
      arn: { accountId: '111111111111', region: 'us-east-1' },
    });
    expect(parseKmsKeyRef('alias/kds-xacct/orders')).toEqual({
      kind: 'alias-name',
      alias: 'alias/kds-xacct/orders',
      awsManaged: false,
    });
    expect(parseKmsKeyRef('arn:aws:kms:us-east-1:111111111111:alias/my_key')).toMatchObject({
      kind: 'alias-arn',
      alias: 'alias/my_key',
      awsManaged: false,
    });
  });

  it('accepts customer managed keys', () => {
    expect(validateKmsKeyRef(keyId)).toBe(true);
    expect(validateKmsKeyRef('alias/orders')).toBe(true);
  });

  it('flags AWS managed keys, which another account can never use', () => {
    expect(parseKmsKeyRef('alias/aws/kinesis')).toMatchObject({ awsManaged: true });
    expect(validateKmsKeyRef('alias/aws/kinesis')).toMatch(/AWS managed key.*customer managed key/);
    expect(validateKmsKeyRef('arn:aws:kms:us-east-1:111111111111:alias/aws/kinesis')).toMatch(/AWS managed/);
  });

  it.each(['', 'orders', 'alias/', 'alias/has space', '1234ABCD-12ab-34cd-56ef-1234567890ab', 'arn:aws:kms:us-east-1:111111111111:key/nope', 'arn:aws:s3:::bucket'])(
    'rejects %j',
    (value) => {
      expect(validateKmsKeyRef(value)).toMatch(/not a KMS key reference.*alias ARN/);
    },
  );
});

describe('numbers', () => {
  it('shard count: 1..10000', () => {
    expect(validateShardCount(1)).toBe(true);
    expect(validateShardCount('4')).toBe(true);
    expect(validateShardCount(10_000)).toBe(true);
    expect(validateShardCount(0)).toMatch(/out of range.*from 1 to 10000/);
    expect(validateShardCount(10_001)).toMatch(/out of range/);
    expect(validateShardCount(1.5)).toMatch(/not a whole number/);
    expect(validateShardCount('two')).toMatch(/"two" is not a whole number/);
    expect(validateShardCount(undefined)).toMatch(/missing/);
    expect(validateShardCount('')).toMatch(/missing/);
  });

  it('batch size: 1..10000', () => {
    expect(validateBatchSize(100)).toBe(true);
    expect(validateBatchSize(10_000)).toBe(true);
    expect(validateBatchSize(10_001)).toMatch(/from 1 to 10000/);
    expect(validateBatchSize(0)).toMatch(/out of range/);
  });

  it('maximum retry attempts: -1..10000', () => {
    expect(validateMaximumRetryAttempts(-1)).toBe(true);
    expect(validateMaximumRetryAttempts(0)).toBe(true);
    expect(validateMaximumRetryAttempts('10000')).toBe(true);
    expect(validateMaximumRetryAttempts(-2)).toMatch(/from -1 to 10000/);
    expect(validateMaximumRetryAttempts(10_001)).toMatch(/out of range/);
  });

  it('maximum record age: -1 or 60..604800', () => {
    expect(validateMaximumRecordAgeInSeconds(-1)).toBe(true);
    expect(validateMaximumRecordAgeInSeconds(60)).toBe(true);
    expect(validateMaximumRecordAgeInSeconds('604800')).toBe(true);
    expect(validateMaximumRecordAgeInSeconds(0)).toMatch(/-1 \(no limit\).*60 to 604800/);
    expect(validateMaximumRecordAgeInSeconds(59)).toMatch(/out of range/);
    expect(validateMaximumRecordAgeInSeconds(604_801)).toMatch(/out of range/);
    expect(validateMaximumRecordAgeInSeconds('1h')).toMatch(/not a whole number/);
  });

  it('log retention: only the periods CloudWatch Logs accepts', () => {
    for (const days of [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]) expect(validateLogRetentionDays(days), String(days)).toBe(true);
    expect(validateLogRetentionDays('30')).toBe(true);
    expect(validateLogRetentionDays(10)).toMatch(/cannot keep logs for 10 days.*1, 3, 5, 7, 14, 30/);
    expect(validateLogRetentionDays(0)).toMatch(/cannot keep logs for 0 days/);
    expect(validateLogRetentionDays('1m')).toMatch(/not a whole number of days/);
    expect(validateLogRetentionDays(undefined)).toMatch(/missing/);
  });
});

describe('choices', () => {
  it('starting position: TRIM_HORIZON, LATEST or AT_TIMESTAMP', () => {
    expect(validateStartingPosition('TRIM_HORIZON')).toBe(true);
    expect(validateStartingPosition('LATEST')).toBe(true);
    expect(validateStartingPosition('AT_TIMESTAMP')).toBe(true);
    expect(validateStartingPosition('latest')).toMatch(/not a starting position. Use TRIM_HORIZON .*LATEST .*AT_TIMESTAMP/);
    expect(isStartingPosition('LATEST')).toBe(true);
    expect(isStartingPosition('x')).toBe(false);
  });

  it('starting position timestamp: an ISO 8601 date and time with its zone, not in the future', () => {
    const now = Date.parse('2025-06-01T10:00:00Z');
    expect(validateStartingPositionTimestamp('2025-06-01T09:30:00Z', now)).toBe(true);
    expect(validateStartingPositionTimestamp('2025-06-01T11:30:00+02:00', now)).toBe(true);
    expect(validateStartingPositionTimestamp('2025-06-01T09:30:00.250Z', now)).toBe(true);
    expect(validateStartingPositionTimestamp('2025-06-01 09:30', now)).toMatch(/^"2025-06-01 09:30" is not a date and time\. Use an ISO 8601 date and time with its time zone, e\.g\. /);
    expect(validateStartingPositionTimestamp('2025-06-01T09:30:00', now)).toMatch(/not a date and time/);
    expect(validateStartingPositionTimestamp('yesterday', now)).toMatch(/not a date and time/);
    expect(validateStartingPositionTimestamp('2025-06-01T10:00:01Z', now)).toMatch(/^2025-06-01T10:00:01Z is in the future; a mapping can only start at a time that has passed\./);
    expect(validateStartingPositionTimestamp('2999-01-01T00:00:00Z')).toBe(true);
  });

  it('runtime: nodejs22.x or nodejs24.x', () => {
    expect(validateRuntime('nodejs22.x')).toBe(true);
    expect(validateRuntime('nodejs24.x')).toBe(true);
    expect(validateRuntime('nodejs20.x')).toMatch(/nodejs22\.x or nodejs24\.x/);
    expect(isRuntime('nodejs24.x')).toBe(true);
    expect(isRuntime('python3.13')).toBe(false);
  });
});

describe('flags', () => {
  it('ensureValid returns the value or throws a UserError naming the flag', () => {
    expect(ensureValid(validateDeploymentName, 'orders', '--name')).toBe('orders');
    let error: unknown;
    try {
      ensureValid(validateDeploymentName, 'Orders', '--name');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/^--name: The deployment name "Orders" is not allowed\./);
  });

  it('parseIntegerFlag parses and checks', () => {
    expect(parseIntegerFlag('500', '--batch-size', validateBatchSize)).toBe(500);
    expect(parseIntegerFlag('-1', '--maximum-retry-attempts', validateMaximumRetryAttempts)).toBe(-1);
    expect(() => parseIntegerFlag('0', '--batch-size', validateBatchSize)).toThrow(/^--batch-size: The batch size 0 is out of range/);
    expect(() => parseIntegerFlag('ten', '--shards', validateShardCount)).toThrow(UserError);
  });
});
