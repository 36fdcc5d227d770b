import type { Grant } from './model.js';

export interface AccessRequest {
  /** The calling principal's ARN (a role, or the fake user an SDK client signs as). */
  principal: string;
  action: string;
  resource: string;
  resourceAccount: string;
  /** Identity policies of the principal; an admin caller passes `adminPolicy`. */
  identityPolicies: Array<{ name: string; policy: unknown }>;
  resourcePolicy?: unknown;
  context?: Record<string, string | string[]>;
}

export interface AccessDecision {
  allowed: boolean;
  detail: string;
}

/**
 * Judges one request as IAM does, identity and resource policies together, same- or cross-account.
 * Pluggable (`new FakeCloud({ access })`) so the tests can use the full IAM simulator, which is AGPL
 * and must never ship, while the sandbox uses the evaluator in policy-evaluator.ts.
 */
export type AccessEvaluator = (req: AccessRequest) => Promise<AccessDecision>;

export const adminPolicy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

/**
 * Whether an enforced grant lets `principal` perform `operation` with this encryption context.
 * Grants are enforced once `grantPropagation` has passed since CreateGrant, and until it has passed
 * since RetireGrant/RevokeGrant.
 */
export function grantAllows(
  grants: Grant[],
  principal: string,
  operation: string,
  encryptionContext: Record<string, string>,
  now: number,
  propagation: number,
): Grant | undefined {
  return grants.find((g) => {
    if (g.createdAt + propagation > now) return false;
    if (g.removedAt !== undefined && g.removedAt + propagation <= now) return false;
    if (g.granteePrincipal !== principal) return false;
    if (!g.operations.includes(operation)) return false;
    const subset = g.constraints?.EncryptionContextSubset;
    if (subset && !Object.entries(subset).every(([k, v]) => encryptionContext[k] === v)) return false;
    const equals = g.constraints?.EncryptionContextEquals;
    if (equals) {
      const a = Object.entries(equals).sort();
      const b = Object.entries(encryptionContext).sort();
      if (JSON.stringify(a) !== JSON.stringify(b)) return false;
    }
    return true;
  });
}
