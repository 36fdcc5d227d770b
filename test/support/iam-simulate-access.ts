import { simulateAccess } from './policy-check.js';
import type { AccessEvaluator } from '../../src/sandbox/index.js';

/**
 * The full IAM simulator as the fake cloud's access evaluator. It is AGPL, so it stays in the tests
 * and never reaches the sandbox, which ships its own evaluator (src/sandbox/policy-evaluator.ts).
 */
export const iamSimulateAccess: AccessEvaluator = async (req) => {
  const decision = await simulateAccess({
    principalArn: req.principal,
    action: req.action,
    resourceArn: req.resource,
    resourceAccount: req.resourceAccount,
    identityPolicies: req.identityPolicies.map((p) => p.policy as object),
    resourcePolicy: req.resourcePolicy as object | undefined,
    ...(req.context && { context: req.context }),
  });
  return decision.allowed ? { allowed: true, detail: 'Allowed' } : { allowed: false, detail: decision.reason };
};
