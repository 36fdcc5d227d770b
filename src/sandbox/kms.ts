/**
 * The model of KMS: keys, aliases, key policies and grants, and the decrypt decision Kinesis makes
 * for a reader. One cohesive unit, kept in one file although it is longer than our usual limit: the
 * grant rules and the key states they depend on belong together.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { adminPolicy, grantAllows } from './access.js';
import type { CallContext, Cloud, ServiceModel } from './context.js';
import { KINESIS_KMS_ACCESS_DENIED, KMS_INVALID_PRINCIPAL } from './aws-error-texts.js';
import { KINESIS_ENCRYPTION_CONTEXT, LAMBDA_KEY_ACTIONS, actionsOf } from './aws-requirements.js';
import { awsError } from './errors.js';
import type { Grant, Key, RegionState, Stream } from './model.js';
import { parseArn } from './model.js';

const err = (code: string, message: string): Error => awsError('KMS', code, message);

const GRANT_OPERATIONS = new Set(['Decrypt', 'Encrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'ReEncryptFrom', 'ReEncryptTo', 'Sign', 'Verify', 'GetPublicKey', 'CreateGrant', 'RetireGrant', 'DescribeKey', 'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext', 'GenerateMac', 'VerifyMac', 'DeriveSharedSecret']);

export function defaultKeyPolicy(accountId: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Id: 'key-default-1',
    Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'kms:*', Resource: '*' }],
  });
}

function state(k: Key): string {
  return k.deletionDate !== undefined ? 'PendingDeletion' : k.disabled ? 'Disabled' : 'Enabled';
}

export function newKey(cloud: Cloud, accountId: string, region: string, opts: { description?: string; policy?: string; tags?: Array<{ TagKey: string; TagValue: string }>; keyManager?: 'CUSTOMER' | 'AWS'; now: number }): Key {
  const keyId = cloud.ids.uuid();
  return {
    keyId,
    arn: `arn:aws:kms:${region}:${accountId}:key/${keyId}`,
    accountId,
    region,
    createdAt: opts.now,
    description: opts.description ?? '',
    keyManager: opts.keyManager ?? 'CUSTOMER',
    keySpec: 'SYMMETRIC_DEFAULT',
    keyUsage: 'ENCRYPT_DECRYPT',
    policy: opts.policy ?? defaultKeyPolicy(accountId),
    tags: (opts.tags ?? []).map((t) => ({ Key: t.TagKey, Value: t.TagValue })),
    grants: [],
  };
}

/** AWS managed keys (alias/aws/<service>) are created the first time something refers to them. */
export function awsManagedKey(cloud: Cloud, rs: RegionState, accountId: string, region: string, alias: string, now: number): Key {
  const existing = rs.aliases.get(alias);
  if (existing) return rs.keys.get(existing.keyId)!;
  const service = alias.slice('alias/aws/'.length);
  const key = newKey(cloud, accountId, region, {
    description: `Default key that protects my ${service} data when no other key is defined`,
    keyManager: 'AWS',
    now,
    policy: JSON.stringify({
      Version: '2012-10-17',
      Id: `auto-${service}-1`,
      Statement: [
        {
          Sid: `Allow access through ${service} for all principals in the account that are authorized to use ${service}`,
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
          Resource: '*',
          Condition: { StringEquals: { 'kms:CallerAccount': accountId, 'kms:ViaService': `${service}.${region}.amazonaws.com` } },
        },
      ],
    }),
  });
  rs.keys.set(key.keyId, key);
  rs.aliases.set(alias, { name: alias, keyId: key.keyId, createdAt: now });
  return key;
}

/** Resolves a key id, key ARN, alias name or alias ARN in one account and region. */
export function lookupKey(cloud: Cloud, accountId: string, region: string, id: string, now: number): Key | undefined {
  const rs = cloud.regionState(accountId, region);
  if (!rs) return undefined;
  let ref = id;
  const arn = parseArn(id);
  if (arn) {
    if (arn.service !== 'kms' || arn.region !== region || arn.account !== accountId) return undefined;
    ref = arn.resource.startsWith('key/') ? arn.resource.slice(4) : arn.resource;
  }
  if (ref.startsWith('alias/')) {
    if (ref.startsWith('alias/aws/')) return awsManagedKey(cloud, rs, accountId, region, ref, now);
    const alias = rs.aliases.get(ref);
    return alias ? rs.keys.get(alias.keyId) : undefined;
  }
  return rs.keys.get(ref);
}

function notFoundMessage(ctx: CallContext, id: string): string {
  return id.startsWith('alias/') ? `Alias arn:aws:kms:${ctx.region}:${ctx.accountId}:${id} is not found.` : `Key '${id.startsWith('arn:') ? id : `arn:aws:kms:${ctx.region}:${ctx.accountId}:key/${id}`}' does not exist`;
}

/** Finds the key a KMS call names; a key ARN in another account is reachable only if its key policy allows the caller. */
async function findKey(ctx: CallContext, id: string | undefined, action: string): Promise<Key> {
  if (!id) throw err('ValidationException', "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null");
  const arn = parseArn(id);
  const accountId = arn?.account ?? ctx.accountId;
  const key = lookupKey(ctx.cloud, accountId, arn?.region ?? ctx.region, id, ctx.now);
  if (!key) throw err('NotFoundException', notFoundMessage(ctx, id));
  if (accountId !== ctx.accountId) {
    const decision = await ctx.cloud.evaluateAccess({ principal: ctx.principal, action: `kms:${action}`, resource: key.arn, resourceAccount: accountId, identityPolicies: [{ name: 'admin', policy: adminPolicy }], resourcePolicy: JSON.parse(key.policy) });
    if (!decision.allowed) throw awsError('KMS', 'AccessDeniedException', `User: ${ctx.principal} is not authorized to perform: kms:${action} on resource: ${key.arn} because no resource-based policy allows the kms:${action} action`);
  }
  return key;
}

/**
 * Whether KMS can resolve a grantee role yet. It asks IAM, which shows a new role only once it has propagated:
 * until then CreateGrant fails with InvalidArnException (terraform-provider-aws, internal/service/kms/grant.go,
 * retries exactly that: "a newly created IAM Role doesn't show up and causes an InvalidArnException to be
 * thrown"; the message is KMS's as Lambda relays it in public reports: "KMS Exception: InvalidArnException KMS
 * Message: ARN does not refer to a valid principal: arn:…"). Principals in accounts the fake does not hold are
 * taken as they are.
 */
function principalVisible(ctx: CallContext, principal: string): boolean {
  const arn = parseArn(principal);
  const account = arn && ctx.cloud.accounts.get(arn.account);
  if (!arn || arn.service !== 'iam' || !account || !arn.resource.startsWith('role/')) return true;
  const role = account.roles.get(arn.resource.split('/').pop()!);
  return role !== undefined && role.arn === principal && role.createdAt + ctx.cloud.latency.iamPropagation <= ctx.now;
}

function requireUsable(key: Key): void {
  if (key.deletionDate !== undefined) throw err('KMSInvalidStateException', `${key.arn} is pending deletion.`);
  if (key.disabled) throw err('DisabledException', `${key.arn} is disabled.`);
}

/** For StartStreamEncryption: the Kinesis error for a key the stream cannot use, if any. */
export function resolveKeyForUse(ctx: CallContext, keyId: string): { code: string; message: string } | undefined {
  const arn = parseArn(keyId);
  const key = lookupKey(ctx.cloud, arn?.account ?? ctx.accountId, arn?.region ?? ctx.region, keyId, ctx.now);
  if (!key) return { code: 'KMSNotFoundException', message: `Key ${keyId} does not exist or is not accessible.` };
  if (key.deletionDate !== undefined) return { code: 'KMSInvalidStateException', message: `${key.arn} is pending deletion.` };
  if (key.disabled) return { code: 'KMSDisabledException', message: `${key.arn} is disabled.` };
  return undefined;
}

export function keyMetadata(k: Key) {
  const s = state(k);
  return {
    AWSAccountId: k.accountId,
    KeyId: k.keyId,
    Arn: k.arn,
    CreationDate: new Date(k.createdAt),
    Enabled: s === 'Enabled',
    Description: k.description,
    KeyUsage: k.keyUsage,
    KeyState: s,
    Origin: 'AWS_KMS',
    KeyManager: k.keyManager,
    CustomerMasterKeySpec: k.keySpec,
    KeySpec: k.keySpec,
    EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
    MultiRegion: false,
    ...(k.deletionDate !== undefined ? { DeletionDate: new Date(k.deletionDate), PendingDeletionWindowInDays: k.pendingWindowInDays } : {}),
  };
}

function grantView(k: Key, g: Grant) {
  return {
    KeyId: k.arn,
    GrantId: g.grantId,
    ...(g.name ? { Name: g.name } : {}),
    CreationDate: new Date(g.createdAt),
    GranteePrincipal: g.granteePrincipal,
    ...(g.retiringPrincipal ? { RetiringPrincipal: g.retiringPrincipal } : {}),
    IssuingAccount: `arn:aws:iam::${g.issuingAccount}:root`,
    Operations: g.operations,
    ...(g.constraints ? { Constraints: g.constraints } : {}),
  };
}

function validateJsonPolicy(doc: unknown): string {
  if (typeof doc !== 'string') throw err('MalformedPolicyDocumentException', 'The new key policy will not allow you to update the key policy in the future.');
  try {
    const parsed = JSON.parse(doc) as { Statement?: unknown };
    if (!parsed.Statement) throw new Error('no statement');
  } catch {
    throw err('MalformedPolicyDocumentException', 'Policy contains a statement with one or more invalid principals or is not valid JSON.');
  }
  return doc;
}

/**
 * The error Kinesis gives `reader` (with these identity policies) when it reads records of `stream` that `keyRef`
 * encrypted, and must decrypt them with the reader's permissions, as Lambda's poller does; undefined when it may.
 * A key that is disabled, pending deletion or gone decrypts nothing (KMS developer guide, "Key states of AWS KMS
 * keys"; ScheduleKeyDeletion API reference: a key pending deletion "can't be used in any cryptographic
 * operations"). A grant to the reader with the stream's encryption context is enough on its own, once it is in
 * effect; otherwise the key policy must allow it, and, across accounts, the identity policy too. The AWS managed
 * key can never be used from another account: its key policy is limited to the owning account.
 *
 * Codes: the KMS* exceptions of the Kinesis GetRecords and SubscribeToShard API references. The access-denied
 * message follows the one Kinesis is seen to return ("User … is not authorized to decrypt records in stream …",
 * quoted in spring-cloud-stream-binder-aws-kinesis#188), with the principal's ARN where Kinesis names the role session.
 */
export async function recordKeyError(
  cloud: Cloud,
  stream: Stream,
  keyRef: string,
  reader: { principal: string; identityPolicies: Array<{ name: string; policy: unknown }> },
  now: number,
): Promise<{ code: string; message: string } | undefined> {
  const ref = parseArn(keyRef);
  const key = lookupKey(cloud, ref?.account ?? stream.accountId, ref?.region ?? stream.region, keyRef, now);
  if (!key) return { code: 'KMSNotFoundException', message: `Key ${keyRef} does not exist or is not accessible.` };
  if (key.deletionDate !== undefined) return { code: 'KMSInvalidStateException', message: `${key.arn} is pending deletion.` };
  if (key.disabled) return { code: 'KMSDisabledException', message: `${key.arn} is disabled.` };
  const { principal } = reader;
  const denied = { code: KINESIS_KMS_ACCESS_DENIED.code, message: KINESIS_KMS_ACCESS_DENIED.text(principal, stream.arn) };
  const readerAccount = parseArn(principal)?.account ?? '';
  if (key.keyManager === 'AWS' && readerAccount !== stream.accountId) return denied;
  const context = { [KINESIS_ENCRYPTION_CONTEXT.key]: stream.arn };
  for (const action of actionsOf(LAMBDA_KEY_ACTIONS)) {
    if (!(await keyActionAllowed(cloud, key, stream, action, reader, context, now))) return denied;
  }
  return undefined;
}

/** A grant to the reader with the stream's encryption context is enough on its own; otherwise the policies decide. */
async function keyActionAllowed(
  cloud: Cloud,
  key: Key,
  stream: Stream,
  action: string,
  reader: { principal: string; identityPolicies: Array<{ name: string; policy: unknown }> },
  context: Record<string, string>,
  now: number,
): Promise<boolean> {
  const { principal } = reader;
  const readerAccount = parseArn(principal)?.account ?? '';
  if (grantAllows(key.grants, principal, action.replace(/^kms:/, ''), context, now, cloud.latency.grantPropagation)) return true;
  const decision = await cloud.evaluateAccess({
    principal,
    action,
    resource: key.arn,
    resourceAccount: key.accountId,
    identityPolicies: reader.identityPolicies,
    resourcePolicy: JSON.parse(key.policy),
    context: {
      [KINESIS_ENCRYPTION_CONTEXT.conditionKey]: stream.arn,
      'kms:ViaService': `kinesis.${stream.region}.amazonaws.com`,
      'kms:CallerAccount': readerAccount,
      'aws:PrincipalArn': principal,
      'aws:PrincipalAccount': readerAccount,
    },
  });
  return decision.allowed;
}

/** The first error `recordKeyError` gives the role for the keys of the records it reads; undefined when it may read them all. */
export async function kinesisDecryptError(cloud: Cloud, stream: Stream, keyArns: Iterable<string>, roleArn: string, identityPolicies: Array<{ name: string; policy: unknown }>, now: number): Promise<{ code: string; message: string } | undefined> {
  for (const keyArn of new Set(keyArns)) {
    const problem = await recordKeyError(cloud, stream, keyArn, { principal: roleArn, identityPolicies }, now);
    if (problem) return problem;
  }
  return undefined;
}

export const kmsModel: ServiceModel = {
  service: 'KMS',
  client: KMSClient,
  operations: {
    CreateKey: {
      mutating: true,
      run(ctx, input) {
        const policy = input.Policy === undefined ? undefined : validateJsonPolicy(input.Policy);
        const key = newKey(ctx.cloud, ctx.accountId, ctx.region, { description: input.Description, policy, tags: input.Tags, now: ctx.now });
        ctx.cloud.regionState(ctx.accountId, ctx.region)!.keys.set(key.keyId, key);
        return { KeyMetadata: keyMetadata(key) };
      },
    },
    DescribeKey: {
      mutating: false,
      async run(ctx, input) {
        return { KeyMetadata: keyMetadata(await findKey(ctx, input.KeyId, 'DescribeKey')) };
      },
    },
    ListKeys: {
      mutating: false,
      run(ctx) {
        return { Keys: [...ctx.cloud.regionState(ctx.accountId, ctx.region)!.keys.values()].map((k) => ({ KeyId: k.keyId, KeyArn: k.arn })), Truncated: false };
      },
    },
    GetKeyPolicy: {
      mutating: false,
      async run(ctx, input) {
        const key = await findKey(ctx, input.KeyId, 'GetKeyPolicy');
        return { Policy: key.policy, PolicyName: 'default' };
      },
    },
    PutKeyPolicy: {
      mutating: true,
      async run(ctx, input) {
        const key = await findKey(ctx, input.KeyId, 'PutKeyPolicy');
        key.policy = validateJsonPolicy(input.Policy);
        return {};
      },
    },
    CreateAlias: {
      mutating: true,
      async run(ctx, input) {
        const name: string | undefined = input.AliasName;
        if (!name || !/^alias\/[a-zA-Z0-9/_-]+$/.test(name)) throw err('ValidationException', `1 validation error detected: Value '${name}' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^alias/[a-zA-Z0-9/_-]+$`);
        if (name.startsWith('alias/aws/')) throw err('NotAuthorizedException', 'Cannot create alias with prefix alias/aws/ because it is reserved for AWS managed keys.');
        const rs = ctx.cloud.regionState(ctx.accountId, ctx.region)!;
        if (rs.aliases.has(name)) throw err('AlreadyExistsException', `An alias with the name arn:aws:kms:${ctx.region}:${ctx.accountId}:${name} already exists`);
        const key = await findKey(ctx, input.TargetKeyId, 'CreateAlias');
        if (key.accountId !== ctx.accountId) throw err('NotFoundException', notFoundMessage(ctx, input.TargetKeyId));
        if (key.deletionDate !== undefined) throw err('KMSInvalidStateException', `${key.arn} is pending deletion.`);
        rs.aliases.set(name, { name, keyId: key.keyId, createdAt: ctx.now });
        return {};
      },
    },
    DeleteAlias: {
      mutating: true,
      run(ctx, input) {
        const rs = ctx.cloud.regionState(ctx.accountId, ctx.region)!;
        const name: string = input.AliasName ?? '';
        if (name.startsWith('alias/aws/')) throw err('NotAuthorizedException', 'Cannot delete an AWS managed alias.');
        if (!rs.aliases.delete(name)) throw err('NotFoundException', `Alias arn:aws:kms:${ctx.region}:${ctx.accountId}:${name} is not found.`);
        return {};
      },
    },
    ListAliases: {
      mutating: false,
      async run(ctx, input) {
        const rs = ctx.cloud.regionState(ctx.accountId, ctx.region)!;
        const only = input.KeyId ? (await findKey(ctx, input.KeyId, 'ListAliases')).keyId : undefined;
        const aliases = [...rs.aliases.values()]
          .filter((a) => !only || a.keyId === only)
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((a) => ({ AliasName: a.name, AliasArn: `arn:aws:kms:${ctx.region}:${ctx.accountId}:${a.name}`, TargetKeyId: a.keyId, CreationDate: new Date(a.createdAt), LastUpdatedDate: new Date(a.createdAt) }));
        return { Aliases: aliases, Truncated: false };
      },
    },
    ListResourceTags: {
      mutating: false,
      async run(ctx, input) {
        const key = await findKey(ctx, input.KeyId, 'ListResourceTags');
        return { Tags: key.tags.map((t) => ({ TagKey: t.Key, TagValue: t.Value })), Truncated: false };
      },
    },
    TagResource: {
      mutating: true,
      async run(ctx, input) {
        const key = await findKey(ctx, input.KeyId, 'TagResource');
        requireUsable(key);
        for (const t of input.Tags ?? []) {
          key.tags = key.tags.filter((x) => x.Key !== t.TagKey);
          key.tags.push({ Key: t.TagKey, Value: t.TagValue });
        }
        return {};
      },
    },
    UntagResource: {
      mutating: true,
      async run(ctx, input) {
        const key = await findKey(ctx, input.KeyId, 'UntagResource');
        key.tags = key.tags.filter((t) => !(input.TagKeys ?? []).includes(t.Key));
        return {};
      },
    },
    CreateGrant: {
      mutating: true,
      async run(ctx, input) {
        if (typeof input.KeyId === 'string' && (input.KeyId.startsWith('alias/') || input.KeyId.includes(':alias/'))) throw err('NotFoundException', notFoundMessage(ctx, input.KeyId));
        const key = await findKey(ctx, input.KeyId, 'CreateGrant');
        requireUsable(key);
        if (!input.GranteePrincipal) throw err('ValidationException', "1 validation error detected: Value null at 'granteePrincipal' failed to satisfy constraint: Member must not be null");
        if (!principalVisible(ctx, input.GranteePrincipal)) throw err(KMS_INVALID_PRINCIPAL.code, KMS_INVALID_PRINCIPAL.text(input.GranteePrincipal));
        const ops: string[] = input.Operations ?? [];
        if (ops.length === 0 || ops.some((o) => !GRANT_OPERATIONS.has(o))) throw err('ValidationException', `1 validation error detected: Value '[${ops.join(', ')}]' at 'operations' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set]`);
        if (key.keyManager === 'AWS') throw err('NotAuthorizedException', 'Grants cannot be created on AWS managed keys by customers.');
        const constraints = input.Constraints as Grant['constraints'] | undefined;
        // A named grant is idempotent: the same name and parameters return the existing grant.
        if (input.Name) {
          const same = key.grants.find(
            (g) => g.removedAt === undefined && g.name === input.Name && g.granteePrincipal === input.GranteePrincipal && JSON.stringify(g.operations) === JSON.stringify(ops) && JSON.stringify(g.constraints ?? null) === JSON.stringify(constraints ?? null) && g.retiringPrincipal === input.RetiringPrincipal,
          );
          if (same) return { GrantId: same.grantId, GrantToken: same.grantToken };
        }
        const grant: Grant = {
          grantId: ctx.cloud.ids.hex(64),
          grantToken: 'AQpAM' + ctx.cloud.ids.hex(120),
          ...(input.Name ? { name: input.Name } : {}),
          granteePrincipal: input.GranteePrincipal,
          ...(input.RetiringPrincipal ? { retiringPrincipal: input.RetiringPrincipal } : {}),
          operations: ops,
          ...(constraints ? { constraints } : {}),
          issuingAccount: ctx.accountId,
          createdAt: ctx.now,
        };
        key.grants.push(grant);
        return { GrantId: grant.grantId, GrantToken: grant.grantToken };
      },
    },
    ListGrants: {
      mutating: false,
      async run(ctx, input) {
        const key = await findKey(ctx, input.KeyId, 'ListGrants');
        const grants = key.grants.filter((g) => g.removedAt === undefined && (!input.GrantId || g.grantId === input.GrantId) && (!input.GranteePrincipal || g.granteePrincipal === input.GranteePrincipal));
        // Pages of Limit (default 50, as KMS); the marker is the index of the next grant.
        const from = input.Marker ? Number(input.Marker) : 0;
        const to = from + (input.Limit ?? 50);
        const truncated = to < grants.length;
        return { Grants: grants.slice(from, to).map((g) => grantView(key, g)), Truncated: truncated, ...(truncated && { NextMarker: String(to) }) };
      },
    },
    RetireGrant: {
      mutating: true,
      async run(ctx, input) {
        let grant: Grant | undefined;
        if (input.GrantToken) {
          for (const k of ctx.cloud.regionState(ctx.accountId, ctx.region)!.keys.values()) grant ??= k.grants.find((g) => g.grantToken === input.GrantToken && g.removedAt === undefined);
          if (!grant) throw err('InvalidGrantTokenException', 'The grant token is invalid.');
        } else {
          const key = await findKey(ctx, input.KeyId, 'RetireGrant');
          grant = key.grants.find((g) => g.grantId === input.GrantId && g.removedAt === undefined);
          if (!grant) throw err('NotFoundException', `Grant ID ${input.GrantId} not found`);
        }
        grant.removedAt = ctx.now;
        return {};
      },
    },
    RevokeGrant: {
      mutating: true,
      async run(ctx, input) {
        const key = await findKey(ctx, input.KeyId, 'RevokeGrant');
        const grant = key.grants.find((g) => g.grantId === input.GrantId && g.removedAt === undefined);
        if (!grant) throw err('NotFoundException', `Grant ID ${input.GrantId} not found`);
        grant.removedAt = ctx.now;
        return {};
      },
    },
    ScheduleKeyDeletion: {
      mutating: true,
      async run(ctx, input) {
        const key = await findKey(ctx, input.KeyId, 'ScheduleKeyDeletion');
        const days = input.PendingWindowInDays ?? 30;
        if (!Number.isInteger(days) || days < 7 || days > 30) {
          throw err('ValidationException', `1 validation error detected: Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value ${days < 7 ? 'greater than or equal to 7' : 'less than or equal to 30'}`);
        }
        if (key.keyManager === 'AWS') throw err('UnsupportedOperationException', `${key.arn} is an AWS managed key and cannot be scheduled for deletion.`);
        if (key.deletionDate !== undefined) throw err('KMSInvalidStateException', `${key.arn} is pending deletion.`);
        key.deletionDate = ctx.now + days * 86_400_000;
        key.pendingWindowInDays = days;
        return { KeyId: key.arn, DeletionDate: new Date(key.deletionDate), KeyState: 'PendingDeletion', PendingWindowInDays: days };
      },
    },
    CancelKeyDeletion: {
      mutating: true,
      async run(ctx, input) {
        const key = await findKey(ctx, input.KeyId, 'CancelKeyDeletion');
        if (key.deletionDate === undefined) throw err('KMSInvalidStateException', `${key.arn} is not pending deletion.`);
        delete key.deletionDate;
        delete key.pendingWindowInDays;
        // A key whose deletion is cancelled comes back Disabled, not Enabled.
        key.disabled = true;
        return { KeyId: key.arn };
      },
    },
  },
};

export { state as keyStateOf };
