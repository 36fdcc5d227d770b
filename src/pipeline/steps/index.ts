/**
 * The setup steps, one file each, listed in dependency order. Each step has check, apply, wait and
 * undo phases (src/engine/types.ts); teardown runs the same steps' undo in reverse.
 */
import type { PipelineContext } from './context.js';
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
  ];
}
