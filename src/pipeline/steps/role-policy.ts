import { DeleteRolePolicyCommand, GetRolePolicyCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import type { StepContext } from '../../engine/types.js';
import type { PipelineStep } from './pipeline-step.js';
import { arns } from '../names.js';
import { destinationKeyAccess } from '../failure-destination.js';
import { consumerRoleInlinePolicy, parsePolicy, policyDrift, sameStatements } from '../policies.js';
import { callAws, ifExists } from '../../aws/retry.js';
import { STEP, type PipelineContext } from './context.js';
import { failureDestinationArn } from './failure-queue.js';
import { deploymentLogGroupName } from './log-group.js';
import { ignoreMissing } from './shared.js';

/** The role's scoped inline policy: read the stream and consumer, decrypt with the key, write the function's logs, report failed batches. */
export function rolePolicyStep(ctx: PipelineContext): PipelineStep {
  const { consumer, producer, names, config } = ctx;
  const iam = consumer.clients.iam;
  const policyName = names.rolePolicyName;
  // The consumer ARN ends in its creation time, which is unknown until it exists; the identity
  // policy names every incarnation of our consumer so that this step need not wait for it.
  // The log group and the destination's key are read from AWS: an adopted function may log elsewhere,
  // and a destination encrypted with a customer managed key needs that key too.
  const document = async (step: StepContext) => {
    const destination = failureDestinationArn(ctx);
    const logGroupName = await deploymentLogGroupName(ctx, step);
    // The queue setup makes uses SSE-SQS: only the user's own destination can have a key.
    const destinationKey = config.failureDestination.kind === 'existing' ? await destinationKeyAccess(step.clock, consumer, config.failureDestination.arn, step.outputsOf(STEP.role).roleName ?? config.roleName) : undefined;
    return consumerRoleInlinePolicy({
      streamArn: arns.stream(producer.region, producer.accountId, config.streamName),
      consumerArn: `${arns.stream(producer.region, producer.accountId, config.streamName)}/consumer/${config.consumerName}:*`,
      keyArn: step.outputsOf(STEP.kmsKey).keyArn!,
      logGroupArn: arns.logGroup(consumer.region, consumer.accountId, logGroupName),
      ...(destination && { failureDestinationArn: destination }),
      ...(destinationKey && { failureDestinationKey: destinationKey }),
    });
  };
  return {
    id: STEP.rolePolicy,
    title: `inline policy ${policyName}`,
    idOutput: 'policyName',
    removal: ({ outputs }) => `delete inline policy ${outputs.policyName ?? ''} of role ${outputs.roleName ?? ''}`,
    account: 'consumer',
    dependsOn: [STEP.role, STEP.kmsKey],
    async check(step) {
      const roleName = step.outputsOf(STEP.role).roleName!;
      const current = (await ifExists(step.clock, () => iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }))))?.PolicyDocument;
      if (current === undefined) return { status: 'missing' };
      const existing = parsePolicy(decodeURIComponent(current));
      const wanted = (await document(step)).Statement;
      if (!existing || !sameStatements(existing.Statement, wanted)) {
        const drift = existing ? policyDrift(wanted, existing.Statement) : 'it is not a valid policy document';
        return { status: 'update', origin: 'created', outputs: { roleName, policyName }, detail: `${drift}; it will be rewritten` };
      }
      return { status: 'done', origin: 'created', outputs: { roleName, policyName } };
    },
    async apply(step) {
      const roleName = step.outputsOf(STEP.role).roleName!;
      const policy = JSON.stringify(await document(step));
      await callAws(step.clock, () => iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policyName, PolicyDocument: policy })));
      return { roleName, policyName };
    },
    async undo(step, outputs) {
      await ignoreMissing(() => callAws(step.clock, () => iam.send(new DeleteRolePolicyCommand({ RoleName: outputs.roleName, PolicyName: outputs.policyName }))));
    },
  };
}
