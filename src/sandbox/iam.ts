import { IAMClient } from '@aws-sdk/client-iam';
import type { CallContext, Cloud, ServiceModel } from './context.js';
import { awsError } from './errors.js';
import { type Role, type Tag, Versioned } from './model.js';

const err = (code: string, message: string): Error => awsError('IAM', code, message);

/** IAM counts an inline policy's size without whitespace; the aggregate limit for a role is 10,240 characters. */
export const MAX_ROLE_INLINE_POLICY_CHARS = 10_240;

export function roleArn(accountId: string, path: string, name: string): string {
  return `arn:aws:iam::${accountId}:role${path}${name}`;
}

export function validatePolicyJson(doc: unknown, what: 'policy' | 'trust'): string {
  if (typeof doc !== 'string' || doc.trim() === '') throw err('MalformedPolicyDocumentException', 'Syntax errors in policy.');
  let parsed: { Version?: unknown; Statement?: unknown };
  try {
    parsed = JSON.parse(doc) as typeof parsed;
  } catch {
    throw err('MalformedPolicyDocumentException', 'This policy contains invalid Json');
  }
  const statements = Array.isArray(parsed.Statement) ? parsed.Statement : parsed.Statement ? [parsed.Statement] : [];
  if (statements.length === 0) throw err('MalformedPolicyDocumentException', 'Syntax errors in policy.');
  for (const s of statements as Array<Record<string, unknown>>) {
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw err('MalformedPolicyDocumentException', 'Syntax errors in policy.');
    if (s.Action === undefined && s.NotAction === undefined) throw err('MalformedPolicyDocumentException', 'Policy statement must contain actions.');
    if (what === 'policy' && s.Resource === undefined && s.NotResource === undefined) throw err('MalformedPolicyDocumentException', 'Policy statement must contain resources.');
    if (what === 'policy' && s.Principal !== undefined) throw err('MalformedPolicyDocumentException', 'Policy document should not specify a principal.');
    if (what === 'trust' && s.Principal === undefined && s.NotPrincipal === undefined) throw err('MalformedPolicyDocumentException', 'Has prohibited field Resource');
  }
  return doc;
}

export function findRole(ctx: CallContext, name: string | undefined): Role {
  const role = name ? ctx.cloud.account(ctx.accountId).roles.get(name) : undefined;
  if (!role) throw err('NoSuchEntityException', `The role with name ${name} cannot be found.`);
  return role;
}

function roleView(r: Role) {
  return {
    Path: r.path,
    RoleName: r.name,
    RoleId: r.roleId,
    Arn: r.arn,
    CreateDate: new Date(r.createdAt),
    // IAM returns policy documents URL-encoded.
    AssumeRolePolicyDocument: encodeURIComponent(r.assumeRolePolicy),
    ...(r.description !== undefined ? { Description: r.description } : {}),
    MaxSessionDuration: r.maxSessionDuration,
    ...(r.tags.length ? { Tags: r.tags } : {}),
    RoleLastUsed: {},
  };
}

export function newRole(cloud: Cloud, accountId: string, opts: { name: string; path?: string; assumeRolePolicy: string; description?: string; tags?: Tag[]; now: number; inline?: Record<string, string> }): Role {
  const path = opts.path ?? '/';
  return {
    name: opts.name,
    path,
    arn: roleArn(accountId, path, opts.name),
    roleId: cloud.ids.iamId('AROA'),
    createdAt: opts.now,
    ...(opts.description !== undefined ? { description: opts.description } : {}),
    assumeRolePolicy: opts.assumeRolePolicy,
    maxSessionDuration: 3600,
    tags: [...(opts.tags ?? [])],
    inline: new Versioned<Record<string, string>>(opts.inline ?? {}, opts.now),
    attached: [],
  };
}

/** Whether a trust policy lets the Lambda service assume the role. */
export function trustsLambda(trustPolicy: string): boolean {
  try {
    const doc = JSON.parse(trustPolicy) as { Statement?: unknown };
    return ([doc.Statement].flat() as Array<{ Effect?: string; Principal?: { Service?: string | string[] }; Action?: string | string[] }>).some(
      (s) => s?.Effect === 'Allow' && [s.Principal?.Service ?? []].flat().includes('lambda.amazonaws.com') && [s.Action ?? []].flat().some((a) => a === 'sts:AssumeRole' || a === 'sts:*' || a === '*'),
    );
  } catch {
    return false;
  }
}

function putInline(ctx: CallContext, role: Role, name: string, doc: string | undefined): void {
  const next = { ...(role.inline.current ?? {}) };
  if (doc === undefined) delete next[name];
  else next[name] = doc;
  role.inline.set(next, ctx.now);
}

export const iamModel: ServiceModel = {
  service: 'IAM',
  client: IAMClient,
  operations: {
    CreateRole: {
      mutating: true,
      run(ctx, input) {
        const name: string | undefined = input.RoleName;
        if (!name || !/^[\w+=,.@-]{1,64}$/.test(name)) throw err('ValidationError', `1 validation error detected: Value '${name}' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`);
        const trust = validatePolicyJson(input.AssumeRolePolicyDocument, 'trust');
        const account = ctx.cloud.account(ctx.accountId);
        if (account.roles.has(name)) throw err('EntityAlreadyExistsException', `Role with name ${name} already exists.`);
        const role = newRole(ctx.cloud, ctx.accountId, { name, path: input.Path, assumeRolePolicy: trust, description: input.Description, tags: input.Tags, now: ctx.now });
        if (input.MaxSessionDuration) role.maxSessionDuration = input.MaxSessionDuration;
        account.roles.set(name, role);
        return { Role: roleView(role) };
      },
    },
    GetRole: {
      mutating: false,
      run(ctx, input) {
        return { Role: roleView(findRole(ctx, input.RoleName)) };
      },
    },
    UpdateAssumeRolePolicy: {
      mutating: true,
      run(ctx, input) {
        const role = findRole(ctx, input.RoleName);
        role.assumeRolePolicy = validatePolicyJson(input.PolicyDocument, 'trust');
        return {};
      },
    },
    DeleteRole: {
      mutating: true,
      run(ctx, input) {
        const role = findRole(ctx, input.RoleName);
        if (Object.keys(role.inline.current ?? {}).length > 0) throw err('DeleteConflictException', 'Cannot delete entity, must delete policies first.');
        if (role.attached.length > 0) throw err('DeleteConflictException', 'Cannot delete entity, must detach all policies first.');
        ctx.cloud.account(ctx.accountId).roles.delete(role.name);
        return {};
      },
    },
    PutRolePolicy: {
      mutating: true,
      run(ctx, input) {
        const role = findRole(ctx, input.RoleName);
        if (!input.PolicyName || !/^[\w+=,.@-]{1,128}$/.test(input.PolicyName)) throw err('ValidationError', `1 validation error detected: Value '${input.PolicyName}' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`);
        const doc = validatePolicyJson(input.PolicyDocument, 'policy');
        const next: Record<string, string> = { ...(role.inline.current ?? {}), [input.PolicyName as string]: doc };
        const size = Object.values(next).reduce((n: number, d: string) => n + d.replace(/\s/g, '').length, 0);
        if (size > MAX_ROLE_INLINE_POLICY_CHARS) throw err('LimitExceededException', `Maximum policy size of ${MAX_ROLE_INLINE_POLICY_CHARS} bytes exceeded for role ${role.name}`);
        putInline(ctx, role, input.PolicyName, doc);
        return {};
      },
    },
    GetRolePolicy: {
      mutating: false,
      run(ctx, input) {
        const role = findRole(ctx, input.RoleName);
        const doc = role.inline.current?.[input.PolicyName];
        if (doc === undefined) throw err('NoSuchEntityException', `The role policy with name ${input.PolicyName} cannot be found.`);
        return { RoleName: role.name, PolicyName: input.PolicyName, PolicyDocument: encodeURIComponent(doc) };
      },
    },
    DeleteRolePolicy: {
      mutating: true,
      run(ctx, input) {
        const role = findRole(ctx, input.RoleName);
        if (role.inline.current?.[input.PolicyName] === undefined) throw err('NoSuchEntityException', `The role policy with name ${input.PolicyName} cannot be found.`);
        putInline(ctx, role, input.PolicyName, undefined);
        return {};
      },
    },
    ListRolePolicies: {
      mutating: false,
      run(ctx, input) {
        const role = findRole(ctx, input.RoleName);
        return { PolicyNames: Object.keys(role.inline.current ?? {}).sort(), IsTruncated: false };
      },
    },
    ListAttachedRolePolicies: {
      mutating: false,
      run(ctx, input) {
        return { AttachedPolicies: [...findRole(ctx, input.RoleName).attached], IsTruncated: false };
      },
    },
    ListRoleTags: {
      mutating: false,
      run(ctx, input) {
        return { Tags: [...findRole(ctx, input.RoleName).tags], IsTruncated: false };
      },
    },
    TagRole: {
      mutating: true,
      run(ctx, input) {
        const role = findRole(ctx, input.RoleName);
        for (const t of (input.Tags ?? []) as Tag[]) {
          role.tags = role.tags.filter((x) => x.Key !== t.Key);
          role.tags.push({ Key: t.Key, Value: t.Value });
        }
        return {};
      },
    },
    UntagRole: {
      mutating: true,
      run(ctx, input) {
        const role = findRole(ctx, input.RoleName);
        role.tags = role.tags.filter((t) => !(input.TagKeys ?? []).includes(t.Key));
        return {};
      },
    },
  },
};
