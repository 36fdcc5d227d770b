import { CreateRoleCommand, DeleteRoleCommand, GetRoleCommand } from '@aws-sdk/client-iam';
import type { PipelineStep } from './pipeline-step.js';
import { UserError } from '../../errors.js';
import { lambdaTrustPolicy } from '../policies.js';
import { callAws, ifExists } from '../../aws/retry.js';
import { STEP, type PipelineContext } from './context.js';
import { ignoreMissing, originOf } from './shared.js';
import { getFunction } from '../lookups.js';

/** The consumer function's execution role in the consumer account (an adopted function keeps its own). */
export function roleStep(ctx: PipelineContext): PipelineStep {
  const { consumer, names, config } = ctx;
  const iam = consumer.clients.iam;
  return {
    id: STEP.role,
    title: config.useExistingFunction ? `execution role of ${config.functionName}` : `role ${config.roleName}`,
    idOutput: 'roleArn',
    removal: ({ outputs }) => `delete role ${outputs.roleName ?? ''}`,
    account: 'consumer',
    dependsOn: [],
    async check(step) {
      if (config.useExistingFunction) {
        // The function keeps its own role; our inline policy goes on it, and the role is left otherwise alone.
        const fn = await getFunction(step, ctx);
        if (!fn) throw new UserError(`Function ${config.functionName} was not found in account ${consumer.accountId} (${consumer.region}).`, 'Check --function-name, or leave out --use-existing-function to deploy the bundled function.');
        const roleArn = fn.Configuration!.Role!;
        return { status: 'done', origin: 'adopted', outputs: { roleName: roleArn.split('/').pop()!, roleArn }, detail: 'the function keeps its own role' };
      }
      const role = (await ifExists(step.clock, () => iam.send(new GetRoleCommand({ RoleName: config.roleName }))))?.Role;
      if (!role) return { status: 'missing' };
      const tags = Object.fromEntries((role.Tags ?? []).map((t) => [t.Key!, t.Value!]));
      const origin = originOf(ctx, STEP.role, `IAM role ${config.roleName}`, tags, '--role-name');
      return { status: 'done', origin, outputs: { roleName: role.RoleName!, roleArn: role.Arn! } };
    },
    async apply(step) {
      const out = await callAws(step.clock, () =>
        iam.send(
          new CreateRoleCommand({
            RoleName: config.roleName,
            AssumeRolePolicyDocument: JSON.stringify(lambdaTrustPolicy()),
            Description: `kds-xacct ${names.deployment}: runs ${config.functionName}, reading ${config.streamName} in account ${ctx.producer.accountId}`,
            Tags: Object.entries(names.tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        ),
      );
      return { roleName: out.Role!.RoleName!, roleArn: out.Role!.Arn! };
    },
    async undo(step, outputs) {
      await ignoreMissing(() => callAws(step.clock, () => iam.send(new DeleteRoleCommand({ RoleName: outputs.roleName }))));
    },
  };
}
