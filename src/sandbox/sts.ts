import { STSClient } from '@aws-sdk/client-sts';
import type { ServiceModel } from './context.js';

export const stsModel: ServiceModel = {
  service: 'STS',
  client: STSClient,
  operations: {
    GetCallerIdentity: {
      mutating: false,
      run(ctx) {
        return { UserId: `AIDAFAKE${ctx.accountId}`, Account: ctx.accountId, Arn: ctx.principal };
      },
    },
  },
};
