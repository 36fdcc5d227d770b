import type { Origin } from '../../engine/types.js';
import { UserError, errorMessage } from '../../errors.js';
import { TAG_DEPLOYMENT } from '../names.js';
import { hasCode, isNotFound } from '../../aws/retry.js';
import type { PipelineContext } from './context.js';

/** Treats "already gone" (and any other end state named by `codes`) as success: undo and teardown must be safe to repeat. */
export async function ignoreMissing(call: () => Promise<unknown>, ...codes: string[]): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (!isNotFound(error) && !hasCode(error, ...codes)) throw error;
  }
}

/**
 * `recorded` says whether the state's record of the step is this very resource: false when the record
 * names another one (a mapping with another UUID), which then cannot vouch for it.
 */
export function isOurs(ctx: PipelineContext, tags: Record<string, string> | undefined, stepId: string, recorded = true): boolean {
  return tags?.[TAG_DEPLOYMENT] === ctx.names.deployment || (recorded && ctx.previous.steps[stepId]?.origin === 'created');
}

/**
 * The origin of an existing resource, or a refusal: a same-named resource that is neither in our
 * state nor tagged for this deployment is only used when the user chose to adopt it.
 */
export function originOf(ctx: PipelineContext, stepId: string, what: string, tags: Record<string, string> | undefined, flag: string, recorded = true): Origin {
  // Adopted by an earlier run: the user chose it then, and it stays adopted (and never deleted).
  if (recorded && ctx.previous.steps[stepId]?.origin === 'adopted') return 'adopted';
  if (isOurs(ctx, tags, stepId, recorded)) return 'created';
  if (ctx.config.adopt || ctx.adopted.has(stepId)) return 'adopted';
  throw new NotOursError(stepId, `${what} already exists but was not created by kds-xacct for deployment "${ctx.names.deployment}".`, flag);
}

/** A same-named resource that is neither in our state nor tagged for this deployment: used only if the user says so. */
export class NotOursError extends UserError {
  override name = 'NotOursError';
  constructor(
    readonly stepId: string,
    message: string,
    flag: string,
  ) {
    super(message, `To use it as it is (it will never be deleted), pass --adopt. To create a new one instead, choose another name with ${flag}.`);
  }
}

/**
 * IAM principals in a fresh policy or grant are rejected as invalid until the new role has
 * propagated. AccessDenied is not among these: a caller without a permission will not get it by waiting.
 */
export const principalNotYetVisible = (error: unknown) =>
  hasCode(error, 'InvalidArgumentException', 'MalformedPolicyDocumentException', 'InvalidArnException') && /principal|arn/i.test(errorMessage(error));
