import { describe, expect, it } from 'vitest';
import { logGroupRef } from '../../src/logs/events.js';

describe('logGroupRef', () => {
  it("names a function's log group and its ARN in the region's partition", () => {
    expect(logGroupRef('/aws/lambda/orders-consumer', { region: 'cn-north-1', accountId: '123456789012' })).toEqual({
      name: '/aws/lambda/orders-consumer',
      arn: 'arn:aws-cn:logs:cn-north-1:123456789012:log-group:/aws/lambda/orders-consumer',
    });
  });
});
