/**
 * The setup steps, one file each, listed in dependency order. Each step has check, apply, wait and
 * undo phases (src/engine/types.ts); teardown runs the same steps' undo in reverse.
 */
import { STEP, type PipelineContext } from './context.js';
import type { PipelineStep } from './pipeline-step.js';
import { kmsKeyStep } from './kms-key.js';
import { streamStep } from './stream.js';
import { encryptionStep } from './encryption.js';
import { consumerStep } from './consumer.js';
import { roleStep } from './role.js';
import { rolePolicyStep } from './role-policy.js';
import { logGroupStep } from './log-group.js';
import { functionStep } from './function.js';
import { consumerPolicyStep, streamPolicyStep } from './resource-policy.js';
import { grantStep } from './grant.js';
import { esmStep } from './mapping.js';
import { failureQueueStep } from './failure-queue.js';
import { alarmTopicStep } from './alarm-topic.js';
import { alarmsStep } from './alarms.js';

/**
 * Alarms are opt-in: their steps are part of a deployment that asks for them, or that has them from an earlier
 * run (or teardown's discovery found them), and of no other, whose plan and status they would only lengthen.
 */
function hasAlarms(ctx: PipelineContext): boolean {
  return ctx.config.alarms.kind !== 'none' || STEP.alarms in ctx.previous.steps || STEP.alarmTopic in ctx.previous.steps;
}

/** Every setup step, as a dependency graph: both accounts progress at once. */
export function setupSteps(ctx: PipelineContext): PipelineStep[] {
  return [
    kmsKeyStep(ctx),
    streamStep(ctx),
    encryptionStep(ctx),
    consumerStep(ctx),
    roleStep(ctx),
    rolePolicyStep(ctx),
    logGroupStep(ctx),
    failureQueueStep(ctx),
    functionStep(ctx),
    streamPolicyStep(ctx),
    consumerPolicyStep(ctx),
    grantStep(ctx),
    esmStep(ctx),
    ...(hasAlarms(ctx) ? [alarmTopicStep(ctx), alarmsStep(ctx)] : []),
  ];
}
