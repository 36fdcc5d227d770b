import { CreateLogGroupCommand, DeleteLogGroupCommand, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { Origin, StepContext } from '../../engine/types.js';
import type { PipelineStep } from './pipeline-step.js';
import { describeLogGroup, functionLogGroupName, logGroupTags } from '../lookups.js';
import { arns } from '../names.js';
import { callAws } from '../../aws/retry.js';
import { STEP, type PipelineContext } from './context.js';
import { NotOursError, ignoreMissing, isOurs, originOf } from './shared.js';

const daysText = (days: number) => `${days} day${days === 1 ? '' : 's'}`;
const keptFor = (days: number | undefined) => (days === undefined ? 'never expire' : `are kept ${daysText(days)}`);

/**
 * The function's log group, made by setup rather than left to Lambda: tagged, with a retention period
 * (Lambda's own groups never expire), and the role then needs no logs:CreateLogGroup. The group of a
 * function that existed before this run is the user's, or Lambda made it: adopted as it is, retention
 * and all.
 */
/**
 * An adopted function may log to a group of its own choosing, known only once its configuration is read: until
 * the state file records the group, the title names the function rather than guess the group.
 */
function logGroupTitle(ctx: PipelineContext): string {
  const recorded = ctx.previous.steps[STEP.logGroup]?.outputs.logGroupName;
  if (!ctx.config.useExistingFunction) return `log group ${ctx.names.logGroupName}`;
  return recorded ? `log group ${recorded}` : `log group of function ${ctx.config.functionName}`;
}

/** The group the deployment's function logs to. Only an adopted function may log elsewhere: the one setup deploys logs to the default group. */
export async function deploymentLogGroupName(ctx: Pick<PipelineContext, 'config' | 'consumer' | 'names'>, step: Pick<StepContext, 'clock'>): Promise<string> {
  return ctx.config.useExistingFunction ? functionLogGroupName(step.clock, ctx.consumer, ctx.config.functionName) : ctx.names.logGroupName;
}

export function logGroupStep(ctx: PipelineContext): PipelineStep {
  const { consumer, names, config } = ctx;
  const logs = consumer.clients.logs;
  /** An adopted function's, or one an earlier kds-xacct deployed before it made log groups itself. */
  const functionExisted = config.useExistingFunction || ctx.previous.steps[STEP.function] !== undefined;
  const groupOf = async (step: StepContext) => {
    const logGroupName = await deploymentLogGroupName(ctx, step);
    return { logGroupName, logGroupArn: arns.logGroup(consumer.region, consumer.accountId, logGroupName) };
  };
  const tagsOf = (step: StepContext, logGroupArn: string) => logGroupTags(step.clock, logs, logGroupArn);
  const title = logGroupTitle(ctx);
  return {
    id: STEP.logGroup,
    title,
    idOutput: 'logGroupArn',
    removal: ({ outputs }) => `delete log group ${outputs.logGroupName ?? ''}`,
    // The function writes to it until it is gone (the mapping that invokes it is gone first).
    removedAfter: [STEP.function],
    account: 'consumer',
    dependsOn: [],
    async check(step) {
      const outputs = await groupOf(step);
      const { logGroupName } = outputs;
      const group = await describeLogGroup(step.clock, logs, logGroupName);
      if (!group) return { status: 'missing' };
      const tags = await tagsOf(step, outputs.logGroupArn);
      const origin: Origin = functionExisted && !isOurs(ctx, tags, STEP.logGroup) ? 'adopted' : originOf(ctx, STEP.logGroup, `Log group ${logGroupName}`, tags, '--function-name');
      const where = title === `log group ${logGroupName}` ? '' : `function ${config.functionName} logs to ${logGroupName}: `;
      if (origin === 'adopted') return { status: 'done', origin, outputs, detail: `${where}existing log group, kept as it is: its logs ${keptFor(group.retentionInDays)}` };
      if (group.retentionInDays !== config.logRetentionDays) {
        return { status: 'update', origin, outputs, detail: `its logs ${keptFor(group.retentionInDays)}, the config says ${daysText(config.logRetentionDays)}` };
      }
      return { status: 'done', origin, outputs };
    },
    async apply(step) {
      const outputs = await groupOf(step);
      const { logGroupName } = outputs;
      if (!(await describeLogGroup(step.clock, logs, logGroupName))) {
        await callAws(step.clock, () => logs.send(new CreateLogGroupCommand({ logGroupName, tags: names.tags })));
        await step.record(outputs);
      } else if (!isOurs(ctx, await tagsOf(step, outputs.logGroupArn), STEP.logGroup)) {
        // Made by someone else since the check (Lambda, for an adopted function): never ours to change.
        throw new NotOursError(STEP.logGroup, `Log group ${logGroupName} already exists but was not created by kds-xacct for deployment "${names.deployment}".`, '--function-name');
      }
      await callAws(step.clock, () => logs.send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays: config.logRetentionDays })));
      return outputs;
    },
    async undo(step, recorded) {
      await ignoreMissing(() => callAws(step.clock, () => logs.send(new DeleteLogGroupCommand({ logGroupName: recorded.logGroupName }))));
    },
  };
}
