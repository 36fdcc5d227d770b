import { getDenialReasons, runSimulation, type RequestDenial } from '@cloud-copilot/iam-simulate';
import type { PolicyStatement } from '../../src/pipeline/policies.js';
import { KINESIS_ENCRYPTION_CONTEXT, LAMBDA_CONSUMER_ACTIONS, LAMBDA_KEY_ACTIONS, LAMBDA_STREAM_ACTIONS, actionsOf } from '../../src/sandbox/aws-requirements.js';
import { parseArn } from '../../src/pipeline/validate.js';

/** A policy as read from AWS (a JSON string) or as built (an object); undefined for none. */
export type PolicyInput = string | object | undefined;

/** The parts of a KMS grant (CreateGrant input or a ListGrants entry) that decide access. */
export interface GrantInput {
  GranteePrincipal?: string | undefined;
  Operations?: readonly string[] | undefined;
  Constraints?:
    | {
        EncryptionContextSubset?: Record<string, string> | undefined;
        EncryptionContextEquals?: Record<string, string> | undefined;
      }
    | undefined;
}

export interface AccessRequest {
  principalArn: string;
  action: string;
  resourceArn: string;
  /** The caller's identity policies (for example the role's inline policy). */
  identityPolicies: PolicyInput[];
  resourcePolicy?: PolicyInput;
  context?: Record<string, string | string[]>;
  /** The resource's account, for an ARN that names none (an S3 bucket or object). */
  resourceAccount?: string;
}

export type AccessDecision = { allowed: true } | { allowed: false; reason: string };

export interface DeniedAccess {
  action: string;
  resource: string;
  reason: string;
}

export interface ConsumerAccessInput {
  roleArn: string;
  /** The role's identity policies: one document, or several (inline and attached). */
  rolePolicy: PolicyInput | PolicyInput[];
  streamArn: string;
  streamPolicy: PolicyInput;
  consumerArn: string;
  consumerPolicy: PolicyInput;
  /** When given, `kms:Decrypt` under the stream's encryption context is checked too. */
  keyArn?: string;
  keyPolicy?: PolicyInput;
  grants?: readonly GrantInput[];
}

export interface ConsumerAccessResult {
  /** Actions the role may perform on this deployment's stream, consumer and key. */
  allowed: string[];
  denied: DeniedAccess[];
}

/**
 * Evaluates, with the identity and resource policies combined as AWS does across
 * accounts, whether the consumer role can do each thing Lambda's EFO event source mapping
 * needs: read the stream, use the consumer and decrypt the stream's records. What it needs
 * comes from AWS's documentation (src/sandbox/aws-requirements.ts), not from the product.
 */
export async function checkConsumerAccess(input: ConsumerAccessInput): Promise<ConsumerAccessResult> {
  const identityPolicies = Array.isArray(input.rolePolicy) ? input.rolePolicy : [input.rolePolicy];
  const checks: Array<Omit<AccessRequest, 'principalArn' | 'identityPolicies'>> = [
    ...actionsOf(LAMBDA_STREAM_ACTIONS).map((action) => ({
      action,
      resourceArn: input.streamArn,
      resourcePolicy: input.streamPolicy,
    })),
    ...actionsOf(LAMBDA_CONSUMER_ACTIONS).map((action) => ({
      action,
      resourceArn: input.consumerArn,
      resourcePolicy: input.consumerPolicy,
    })),
  ];
  if (input.keyArn) {
    const { keyArn } = input;
    checks.push(
      ...actionsOf(LAMBDA_KEY_ACTIONS).map((action) => ({
        action,
        resourceArn: keyArn,
        resourcePolicy: keyPolicyWithGrants(input.keyPolicy, input.grants ?? []),
        context: { [KINESIS_ENCRYPTION_CONTEXT.conditionKey]: input.streamArn },
      })),
    );
  }
  const decisions = await Promise.all(
    checks.map((check) => simulateAccess({ ...check, principalArn: input.roleArn, identityPolicies })),
  );
  const result: ConsumerAccessResult = { allowed: [], denied: [] };
  decisions.forEach((decision, i) => {
    const check = checks[i]!;
    if (decision.allowed) result.allowed.push(check.action);
    else result.denied.push({ action: check.action, resource: check.resourceArn, reason: decision.reason });
  });
  return result;
}

/**
 * One request through the IAM simulator. Cross-account when the principal's and the
 * resource's accounts differ, so both an identity and a resource policy must allow it.
 * Policies the simulator rejects come back as a denial that says why.
 */
export async function simulateAccess(request: AccessRequest): Promise<AccessDecision> {
  const resourceAccount = parseArn(request.resourceArn)?.accountId || request.resourceAccount;
  if (!resourceAccount) return { allowed: false, reason: `${request.resourceArn} is not an ARN with an account id` };
  let identityPolicies: unknown[];
  let resourcePolicy: unknown;
  try {
    identityPolicies = request.identityPolicies.map(toDocument).filter((p) => p !== undefined);
    resourcePolicy = toDocument(request.resourcePolicy);
  } catch (error) {
    return { allowed: false, reason: `a policy is not valid JSON: ${(error as Error).message}` };
  }
  const response = await runSimulation(
    {
      request: {
        principal: request.principalArn,
        action: request.action,
        resource: { resource: request.resourceArn, accountId: resourceAccount },
        contextVariables: shimContext(request.context ?? {}),
      },
      identityPolicies: identityPolicies.map((policy, i) => ({ name: `identity-${i + 1}`, policy: shimPolicy(policy) })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy === undefined ? {} : { resourcePolicy: shimPolicy(resourcePolicy) }),
    },
    {},
  );
  if (response.resultType === 'error') {
    return { allowed: false, reason: `the policies could not be evaluated: ${response.errors.message}` };
  }
  if (response.overallResult === 'Allowed') return { allowed: true };
  const analysis = response.resultType === 'single' ? response.result.analysis : response.results[0]?.analysis;
  const reasons = analysis ? getDenialReasons(analysis).map(describeDenial) : [];
  if (resourcePolicy === undefined && parseArn(request.principalArn)?.accountId !== resourceAccount) {
    reasons.push(`${request.resourceArn} has no resource policy, which a caller from another account needs`);
  }
  return {
    allowed: false,
    reason: reasons.length > 0 ? [...new Set(reasons)].join('; ') : response.overallResult,
  };
}

function describeDenial(denial: RequestDenial): string {
  const where =
    denial.policyType === 'identity'
      ? "the role's identity policy"
      : denial.policyType === 'resource'
        ? 'the resource policy'
        : `the ${denial.policyType} policy`;
  if (denial.denialType === 'Explicit') {
    const statement = denial.statementId ? `statement ${denial.statementId}` : `statement ${denial.statementIndex}`;
    return `explicitly denied by ${statement} of ${where}`;
  }
  return `${where} does not allow it`;
}

/**
 * A KMS grant as the equivalent key policy statement, so the simulator can weigh grants
 * with the key policy. EncryptionContextEquals is modelled like Subset: close enough for
 * the one key Kinesis uses.
 */
export function grantAsStatement(grant: GrantInput): PolicyStatement | undefined {
  if (!grant.GranteePrincipal || !grant.Operations?.length) return undefined;
  const context = grant.Constraints?.EncryptionContextSubset ?? grant.Constraints?.EncryptionContextEquals;
  const statement: PolicyStatement = {
    Effect: 'Allow',
    Principal: grant.GranteePrincipal.endsWith('.amazonaws.com')
      ? { Service: grant.GranteePrincipal }
      : { AWS: grant.GranteePrincipal },
    Action: grant.Operations.map((operation) => `kms:${operation}`),
    Resource: '*',
  };
  if (context && Object.keys(context).length > 0) {
    statement.Condition = {
      StringEquals: Object.fromEntries(
        Object.entries(context).map(([key, value]) => [`kms:EncryptionContext:${key}`, value]),
      ),
    };
  }
  return statement;
}

function keyPolicyWithGrants(keyPolicy: PolicyInput, grants: readonly GrantInput[]): PolicyInput {
  const grantStatements = grants.map(grantAsStatement).filter((s) => s !== undefined);
  if (grantStatements.length === 0) return keyPolicy;
  const document = (toDocument(keyPolicy) ?? { Version: '2012-10-17', Statement: [] }) as Record<string, unknown>;
  const existing = document['Statement'];
  const statements = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing];
  return { ...document, Statement: [...statements, ...grantStatements] };
}

function toDocument(policy: PolicyInput): unknown {
  if (policy === undefined) return undefined;
  if (typeof policy !== 'string') return policy;
  if (policy.trim() === '' || policy.trim() === '{}') return undefined;
  return JSON.parse(policy) as unknown;
}

// The simulator only accepts context keys with a variable part after a slash
// (`aws:PrincipalTag/x`); it drops `kms:EncryptionContext:aws:kinesis:arn`, whose variable
// part follows a colon, and would then deny every conditioned Decrypt. Renaming the key
// in the policies and the request alike, to a slash form it keeps, preserves the meaning.
const ENCRYPTION_CONTEXT = /^kms:encryptioncontext:/i;
const SHIM_PREFIX = 'aws:RequestTag/';

function shimKey(key: string): string {
  return ENCRYPTION_CONTEXT.test(key) ? `${SHIM_PREFIX}${key}` : key;
}

function shimContext(context: Record<string, string | string[]>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(context).map(([key, value]) => [shimKey(key), value]));
}

function shimPolicy(policy: unknown): unknown {
  if (typeof policy !== 'object' || policy === null) return policy;
  const document = policy as Record<string, unknown>;
  const statements = document['Statement'];
  if (statements === undefined) return policy;
  const shimStatement = (statement: unknown): unknown => {
    if (typeof statement !== 'object' || statement === null) return statement;
    const condition = (statement as Record<string, unknown>)['Condition'];
    if (typeof condition !== 'object' || condition === null) return statement;
    const shimmed = Object.fromEntries(
      Object.entries(condition as Record<string, unknown>).map(([operator, block]) => [
        operator,
        typeof block === 'object' && block !== null
          ? Object.fromEntries(Object.entries(block).map(([key, value]) => [shimKey(key), value]))
          : block,
      ]),
    );
    return { ...(statement as Record<string, unknown>), Condition: shimmed };
  };
  return {
    ...document,
    Statement: Array.isArray(statements) ? statements.map(shimStatement) : shimStatement(statements),
  };
}
