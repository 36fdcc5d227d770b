import type { AccessDecision, AccessEvaluator, AccessRequest } from './access.js';
import { parseArn } from './model.js';

/**
 * The IAM policy evaluator that ships with the sandbox. The tests plug in the full IAM simulator
 * (AGPL, test-only) instead, and a differential test keeps the two in agreement over the policies
 * kds-xacct generates and the variations around them.
 *
 * How far it goes:
 * - Policies: the principal's identity policies and one resource policy (key policy, stream or
 *   consumer policy). No SCPs, RCPs, permission boundaries, session policies or VPC endpoint policies.
 * - Decision: an explicit Deny in any of them wins. Same account: an Allow in the identity policies or a
 *   resource policy statement naming the principal itself is enough; a resource policy statement naming
 *   only the account (`123456789012`, `arn:aws:iam::123456789012:root`) defers to the identity policies.
 *   KMS keys are stricter, as on AWS: identity policies count only when the key policy allows the account.
 *   Across accounts, both the identity policies and the resource policy (principal or account) must allow.
 * - Action / NotAction: `service:pattern` and `*`, with `*` and `?` wildcards, case-insensitive.
 * - Resource / NotResource: `*` and full ARNs, with wildcards per ARN segment (partition, service, region
 *   and account case-insensitive; the resource part case-sensitive and free to span `/` and `:`).
 *   A statement with neither matches every resource.
 * - Principal (resource policies): `*`, `{ AWS: "*" }`, account ids, account root ARNs, exact principal
 *   ARNs, `{ Service: ... }` when the caller is that service. An assumed-role session ARN is not mapped
 *   back to its role: the fake cloud calls with role ARNs.
 * - Condition: StringEquals, StringNotEquals, StringEqualsIgnoreCase, StringNotEqualsIgnoreCase,
 *   StringLike, StringNotLike, ArnEquals, ArnLike, ArnNotEquals, ArnNotLike, Bool and Null; the
 *   ForAnyValue: and ForAllValues: qualifiers and the IfExists suffix. Condition keys are matched
 *   case-insensitively, values as AWS does (case-sensitive unless IgnoreCase), including
 *   `kms:EncryptionContext:<key>`. Several values for a key: any may match (negated operators: none may).
 *   A negated operator, or IfExists, is true when the key is absent; ForAllValues is true when it is
 *   absent, ForAnyValue false. A multivalued key under an operator without a qualifier does not match.
 *   Absent IfExists keys count as true under a qualifier too (the full simulator says false there).
 * - Not supported, and reported as a denial that says why rather than guessed: NotPrincipal, numeric,
 *   date, IP address and binary operators, and policy variables (`${aws:username}`). There is no
 *   catalogue of actions, resource types or condition keys: an unknown action or an unrelated context key
 *   is evaluated literally instead of being rejected or dropped.
 */
export const shippedAccessEvaluator: AccessEvaluator = async (req) => evaluatePolicies(req);

type PrincipalMatch = 'principal' | 'account' | 'none';
type ContextValue = string | string[];

class UnsupportedPolicy extends Error {}

interface Tally {
  allow: boolean;
  deny: boolean;
  /** Resource policy only: an Allow that names the principal's account rather than the principal. */
  allowForAccount: boolean;
}

export function evaluatePolicies(req: AccessRequest): AccessDecision {
  const context = new Map<string, ContextValue>(Object.entries(req.context ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const principalAccount = parseArn(req.principal)?.account;
  let identity: Tally;
  let resource: Tally;
  try {
    identity = tally(req, context, req.identityPolicies.map((p) => p.policy), 'identity', principalAccount);
    resource = tally(req, context, req.resourcePolicy === undefined ? [] : [req.resourcePolicy], 'resource', principalAccount);
  } catch (error) {
    if (error instanceof UnsupportedPolicy) return { allowed: false, detail: `policy evaluation error: ${error.message}` };
    throw error;
  }
  if (identity.deny || resource.deny) return { allowed: false, detail: 'ExplicitlyDenied' };
  const sameAccount = principalAccount !== undefined && principalAccount === req.resourceAccount;
  let allowed: boolean;
  if (!sameAccount) allowed = identity.allow && (resource.allow || resource.allowForAccount);
  else if (isKmsKey(req.resource)) allowed = resource.allow || (identity.allow && resource.allowForAccount);
  else allowed = resource.allow || identity.allow;
  return { allowed, detail: allowed ? 'Allowed' : 'ImplicitlyDenied' };
}

function isKmsKey(arn: string): boolean {
  const p = parseArn(arn);
  return p?.service === 'kms' && p.resource.startsWith('key/');
}

/** Which applicable statements of these policies allow or deny the request. */
function tally(req: AccessRequest, context: Map<string, ContextValue>, policies: unknown[], kind: 'identity' | 'resource', principalAccount: string | undefined): Tally {
  const out: Tally = { allow: false, deny: false, allowForAccount: false };
  for (const policy of policies) {
    for (const s of statementsOf(policy)) {
      const effect = s['Effect'];
      if (effect !== 'Allow' && effect !== 'Deny') throw new UnsupportedPolicy(`statement Effect ${JSON.stringify(effect)} is neither Allow nor Deny`);
      if (kind === 'identity' && ('Principal' in s || 'NotPrincipal' in s)) throw new UnsupportedPolicy('an identity policy statement names a Principal');
      const who = kind === 'resource' ? principalMatch(s, req.principal, principalAccount) : 'principal';
      if (who === 'none') continue;
      if (!actionMatches(s, req.action) || !resourceMatches(s, req.resource) || !conditionsMatch(s['Condition'], context)) continue;
      if (effect === 'Deny') out.deny = true;
      else if (who === 'principal') out.allow = true;
      else out.allowForAccount = true;
    }
  }
  return out;
}

function statementsOf(policy: unknown): Array<Record<string, unknown>> {
  let doc = policy;
  if (typeof policy === 'string') {
    try {
      doc = JSON.parse(policy);
    } catch {
      throw new UnsupportedPolicy('a policy is not valid JSON');
    }
  }
  if (!doc || typeof doc !== 'object') throw new UnsupportedPolicy('a policy is not a JSON object');
  const statement = (doc as { Statement?: unknown }).Statement;
  const list = statement === undefined ? [] : Array.isArray(statement) ? statement : [statement];
  for (const s of list) if (!s || typeof s !== 'object' || Array.isArray(s)) throw new UnsupportedPolicy('a Statement is not an object');
  return list as Array<Record<string, unknown>>;
}

function strings(value: unknown, element: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => {
    if (typeof v === 'string') return v;
    if (typeof v === 'boolean' || typeof v === 'number') return String(v);
    throw new UnsupportedPolicy(`${element} holds ${JSON.stringify(v)}, which is not a string`);
  });
}

function noVariables(value: string): string {
  if (value.includes('${')) throw new UnsupportedPolicy(`policy variables are not supported (${value})`);
  return value;
}

/** `*` any run of characters, `?` any one character. */
function glob(pattern: string, flags = ''): RegExp {
  const body = noVariables(pattern)
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, flags);
}

function principalMatch(s: Record<string, unknown>, principal: string, principalAccount: string | undefined): PrincipalMatch {
  if ('NotPrincipal' in s) throw new UnsupportedPolicy('NotPrincipal is not supported');
  const p = s['Principal'];
  if (p === undefined) throw new UnsupportedPolicy('a resource policy statement has no Principal');
  if (p === '*') return 'principal';
  if (!p || typeof p !== 'object' || Array.isArray(p)) throw new UnsupportedPolicy(`Principal ${JSON.stringify(p)} is not "*" or an object`);
  let best: PrincipalMatch = 'none';
  for (const [kind, value] of Object.entries(p as Record<string, unknown>)) {
    for (const name of strings(value, `Principal.${kind}`)) {
      if (kind === 'Service' && name === principal) return 'principal';
      if (kind !== 'AWS') continue;
      if (name === '*' || name === principal) return 'principal';
      const account = /^\d{12}$/.test(name) ? name : /^arn:[^:]+:iam::(\d{12}):root$/.exec(name)?.[1];
      if (account !== undefined && account === principalAccount) best = 'account';
    }
  }
  return best;
}

function actionMatches(s: Record<string, unknown>, action: string): boolean {
  const one = (pattern: string) => {
    if (pattern === '*') return true;
    const [service, name] = [pattern.slice(0, pattern.indexOf(':')), pattern.slice(pattern.indexOf(':') + 1)];
    const [reqService, reqName] = [action.slice(0, action.indexOf(':')), action.slice(action.indexOf(':') + 1)];
    return pattern.includes(':') && service.toLowerCase() === reqService.toLowerCase() && glob(name, 'i').test(reqName);
  };
  if ('Action' in s) return strings(s['Action'], 'Action').some(one);
  if ('NotAction' in s) return !strings(s['NotAction'], 'NotAction').some(one);
  throw new UnsupportedPolicy('a statement has neither Action nor NotAction');
}

/** ARN patterns match segment by segment, so a wildcard in the region cannot swallow the account. */
function arnMatches(pattern: string, arn: string): boolean {
  const split = (a: string) => {
    const parts = a.split(':');
    return parts.length < 6 || parts[0] !== 'arn' ? undefined : [...parts.slice(1, 5), parts.slice(5).join(':')];
  };
  const p = split(pattern);
  const a = split(arn);
  if (!p || !a) return false;
  return p.every((segment, i) => glob(segment, i < 4 ? 'i' : '').test(a[i]!));
}

function resourceMatches(s: Record<string, unknown>, resource: string): boolean {
  const one = (pattern: string) => pattern === '*' || arnMatches(noVariables(pattern), resource);
  if ('Resource' in s) return strings(s['Resource'], 'Resource').some(one);
  if ('NotResource' in s) return !strings(s['NotResource'], 'NotResource').some(one);
  return true;
}

interface Operator {
  negated: boolean;
  test(value: string, policyValue: string): boolean;
}

const OPERATORS: Record<string, Operator> = {
  stringequals: { negated: false, test: (v, p) => v === noVariables(p) },
  stringnotequals: { negated: true, test: (v, p) => v === noVariables(p) },
  stringequalsignorecase: { negated: false, test: (v, p) => v.toLowerCase() === noVariables(p).toLowerCase() },
  stringnotequalsignorecase: { negated: true, test: (v, p) => v.toLowerCase() === noVariables(p).toLowerCase() },
  stringlike: { negated: false, test: (v, p) => glob(p).test(v) },
  stringnotlike: { negated: true, test: (v, p) => glob(p).test(v) },
  // ArnEquals takes wildcards as ArnLike does.
  arnequals: { negated: false, test: (v, p) => arnMatches(noVariables(p), v) },
  arnlike: { negated: false, test: (v, p) => arnMatches(noVariables(p), v) },
  arnnotequals: { negated: true, test: (v, p) => arnMatches(noVariables(p), v) },
  arnnotlike: { negated: true, test: (v, p) => arnMatches(noVariables(p), v) },
  bool: { negated: false, test: (v, p) => v.toLowerCase() === p.toLowerCase() },
};

/** One request value against the policy's values: a match with any of them, or, negated, with none. */
function valueMatches(op: Operator, value: string, policyValues: string[]): boolean {
  const hit = policyValues.some((p) => op.test(value, p));
  return op.negated ? !hit : hit;
}

function conditionsMatch(condition: unknown, context: Map<string, ContextValue>): boolean {
  if (condition === undefined) return true;
  if (!condition || typeof condition !== 'object') throw new UnsupportedPolicy('Condition is not an object');
  for (const [operatorName, block] of Object.entries(condition as Record<string, unknown>)) {
    if (!block || typeof block !== 'object') throw new UnsupportedPolicy(`Condition ${operatorName} is not an object`);
    const m = /^(?:(ForAnyValue|ForAllValues):)?(.+?)(IfExists)?$/i.exec(operatorName)!;
    const qualifier = m[1]?.toLowerCase();
    const base = m[2]!.toLowerCase();
    const ifExists = m[3] !== undefined;
    for (const [key, rawValues] of Object.entries(block as Record<string, unknown>)) {
      const policyValues = strings(rawValues, `Condition ${operatorName} ${key}`);
      const value = context.get(key.toLowerCase());
      if (base === 'null') {
        if (!policyValues.some((p) => p.toLowerCase() === String(value === undefined))) return false;
        continue;
      }
      const op = OPERATORS[base];
      if (!op) throw new UnsupportedPolicy(`condition operator ${operatorName} is not supported`);
      if (value === undefined) {
        if (ifExists || qualifier === 'forallvalues' || (op.negated && qualifier === undefined)) continue;
        return false;
      }
      const values = typeof value === 'string' ? [value] : value;
      let ok: boolean;
      if (qualifier === 'foranyvalue') ok = values.some((v) => valueMatches(op, v, policyValues));
      else if (qualifier === 'forallvalues') ok = values.every((v) => valueMatches(op, v, policyValues));
      else ok = typeof value === 'string' && valueMatches(op, value, policyValues);
      if (!ok) return false;
    }
  }
  return true;
}
