import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
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

export const adminPolicy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

const EC_PREFIX = /^kms:encryptioncontext:(.+)$/i;
const EC_STANDIN = 'aws:ResourceTag/fake-ec-';

/**
 * iam-simulate does not accept `kms:EncryptionContext:<key>` as a request context key (it only expands
 * variable keys that contain a slash), so it silently ignores it and every condition on it fails. Rewrite
 * those keys, in the request and in every policy's conditions, to a stand-in it does accept and that no
 * real policy uses, so the operators (StringEquals, StringLike, ForAnyValue:...) keep their real semantics.
 */
function rewriteContextKey(key: string): string {
  const m = EC_PREFIX.exec(key);
  return m ? EC_STANDIN + m[1] : key;
}

function rewritePolicy(policy: unknown): unknown {
  if (!policy || typeof policy !== 'object') return policy;
  const doc = structuredClone(policy) as { Statement?: unknown };
  const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
  for (const s of statements as Array<{ Condition?: Record<string, Record<string, unknown>> }>) {
    if (!s || typeof s !== 'object' || !s.Condition) continue;
    for (const op of Object.keys(s.Condition)) {
      const block = s.Condition[op]!;
      for (const k of Object.keys(block)) {
        const nk = rewriteContextKey(k);
        if (nk !== k) {
          block[nk] = block[k];
          delete block[k];
        }
      }
    }
  }
  return doc;
}

/** Evaluates one request as IAM does, identity and resource policies together, same- or cross-account. */
export async function evaluateAccess(req: AccessRequest): Promise<AccessDecision> {
  const context: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.context ?? {})) context[rewriteContextKey(k)] = v;
  const sim: Simulation = {
    request: {
      principal: req.principal,
      action: req.action,
      resource: { resource: req.resource, accountId: req.resourceAccount },
      contextVariables: context,
    },
    identityPolicies: req.identityPolicies.map((p) => ({ name: p.name, policy: rewritePolicy(p.policy) })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(req.resourcePolicy ? { resourcePolicy: rewritePolicy(req.resourcePolicy) } : {}),
  };
  const result = await runSimulation(sim, {});
  if (result.resultType === 'error') {
    return { allowed: false, detail: `policy evaluation error: ${result.errors.message}` };
  }
  return { allowed: result.overallResult === 'Allowed', detail: result.overallResult };
}

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
